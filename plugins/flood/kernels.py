"""Compiled per-step kernels of the local inertial scheme, parallel over grid rows.

Layout: depth `h` and terrain `z` per cell (rows, cols); unit-width discharge `qx` on the
vertical faces (rows, cols + 1), positive towards higher column, and `qy` on the horizontal
faces (rows + 1, cols), positive towards higher row. Face (i, j) of qx lies west of cell
(i, j); face (i, j) of qy lies north of cell (i, j).

One face routine serves both directions: it takes the direction as a unit step (di, dj),
(0, 1) for qx and (1, 0) for qy, so that the discharge `q` of the face (fi, fj) flows from
cell (fi - di, fj - dj) into cell (fi, fj); `q_across` is the other direction's array.

Every reduction is accumulated per row and summed afterwards in row order, so a run gives the
same numbers whatever the thread count. All kernels release the GIL (nogil), so a run in a
worker thread leaves the GUI thread free.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

GRAVITY = 9.81

# Cell classes: what rain and losses do on a cell.
OUTSIDE = 0  # no data: not part of the domain
UNSEALED = 1  # infiltration
SEALED = 2  # sewer inlets
ROOF = 3  # a building modelled as a wall: no flow; its rain drains into the sewer


@njit(cache=True, inline="always", nogil=True)
def _flows(kind: np.uint8) -> bool:
    return kind == UNSEALED or kind == SEALED  # noqa: SIM109  (numba: no tuple membership on uint8)


@njit(cache=True, inline="always", nogil=True)
def _face_flux(q_old: float, q_side_a: float, q_side_b: float, eta_from: float, eta_to: float,
               z_from: float, z_to: float, n_squared: float, dt: float, dx: float, theta: float,
               dry_depth: float, advection: float) -> float:
    """Bates et al. (2010) with the de Almeida et al. (2012) theta average; 0 below dry_depth.

    `advection` is the convective acceleration d(q u)/dx + d(q v)/dy at the face (m2/s2).
    """
    flow_depth = max(eta_from, eta_to) - max(z_from, z_to)
    if flow_depth <= dry_depth:
        return 0.0
    slope = (eta_to - eta_from) / dx
    q_mean = theta * q_old + 0.5 * (1.0 - theta) * (q_side_a + q_side_b)
    friction = GRAVITY * dt * n_squared * abs(q_old) / (flow_depth * flow_depth * flow_depth ** (1.0 / 3.0))
    return (q_mean - GRAVITY * flow_depth * dt * slope - dt * advection) / (1.0 + friction)


@njit(cache=True, inline="always", nogil=True)
def _edge_outflow(q_inner: float, eta_inner: float, z_inner: float, eta_edge: float, z_edge: float,
                  dry_depth: float) -> float:
    """Outward discharge through an open domain edge: the velocity of the nearest inner face
    carried across the edge (zero velocity gradient), times the edge cell's depth.

    `q_inner` is that face's discharge signed towards the edge. An open edge lets water
    leave, never enter.
    """
    inner_flow_depth = max(eta_inner, eta_edge) - max(z_inner, z_edge)
    if inner_flow_depth <= dry_depth or q_inner <= 0.0:
        return 0.0
    return q_inner / inner_flow_depth * (eta_edge - z_edge)


@njit(cache=True, inline="always", nogil=True)
def _discharge(q: np.ndarray, fi: int, fj: int) -> float:
    """q at face (fi, fj); 0 beyond the array (no momentum comes from outside the domain)."""
    if fi < 0 or fj < 0 or fi >= q.shape[0] or fj >= q.shape[1]:
        return 0.0
    return q[fi, fj]


@njit(cache=True, inline="always", nogil=True)
def _velocity(q: np.ndarray, fi: int, fj: int, di: int, dj: int, z: np.ndarray, h: np.ndarray,
              advection_depth: float) -> float:
    """Velocity through face (fi, fj) of a direction (di, dj): q over the face's flow depth.

    0 beyond the array and where the flow is shallower than advection_depth (thin films are
    friction-dominated; dividing by their depth would only amplify noise). On a domain edge
    the face has one cell, whose depth is the flow depth.
    """
    if fi < 0 or fj < 0 or fi >= q.shape[0] or fj >= q.shape[1] or q[fi, fj] == 0.0:
        return 0.0
    rows, cols = h.shape
    ai, aj = fi - di, fj - dj
    a_inside = ai >= 0 and aj >= 0
    b_inside = fi < rows and fj < cols
    if a_inside and b_inside:
        flow_depth = max(z[ai, aj] + h[ai, aj], z[fi, fj] + h[fi, fj]) - max(z[ai, aj], z[fi, fj])
    elif a_inside:
        flow_depth = h[ai, aj]
    else:
        flow_depth = h[fi, fj]
    if flow_depth <= advection_depth:
        return 0.0
    return q[fi, fj] / flow_depth


@njit(cache=True, inline="always", nogil=True)
def _upwind_flux(velocity: float, q_behind: float, q_ahead: float) -> float:
    """Momentum flux velocity * q with q taken from the upwind side (first-order donor cell)."""
    return velocity * (q_behind if velocity >= 0.0 else q_ahead)


@njit(cache=True, inline="always", nogil=True)
def _advection(q: np.ndarray, q_across: np.ndarray, fi: int, fj: int, di: int, dj: int, z: np.ndarray,
               h: np.ndarray, dx: float, advection_depth: float) -> float:
    """Convective acceleration of face (fi, fj) in conservative upwind form.

    The face's momentum cell reaches from the centre of the cell behind it to the centre of
    the cell ahead. Along the flow, q is carried through those two centres by the mean
    velocity of the two faces around each; across it, through the two corners by the mean
    velocity of the two crossing faces there.
    """
    pi, pj = dj, di  # the perpendicular step
    u_behind = _velocity(q, fi - di, fj - dj, di, dj, z, h, advection_depth)
    u_here = _velocity(q, fi, fj, di, dj, z, h, advection_depth)
    u_ahead = _velocity(q, fi + di, fj + dj, di, dj, z, h, advection_depth)
    q_behind, q_here, q_ahead = _discharge(q, fi - di, fj - dj), q[fi, fj], _discharge(q, fi + di, fj + dj)
    along = (_upwind_flux(0.5 * (u_here + u_ahead), q_here, q_ahead)
             - _upwind_flux(0.5 * (u_behind + u_here), q_behind, q_here))
    # the corners on the low and the high side across: crossing faces (fi - di, fj - dj), (fi, fj)
    # of q_across border the low corner; one perpendicular step on, the high corner
    v_low = 0.5 * (_velocity(q_across, fi - di, fj - dj, pi, pj, z, h, advection_depth)
                   + _velocity(q_across, fi, fj, pi, pj, z, h, advection_depth))
    v_high = 0.5 * (_velocity(q_across, fi - di + pi, fj - dj + pj, pi, pj, z, h, advection_depth)
                    + _velocity(q_across, fi + pi, fj + pj, pi, pj, z, h, advection_depth))
    across = (_upwind_flux(v_high, q_here, _discharge(q, fi + pi, fj + pj))
              - _upwind_flux(v_low, _discharge(q, fi - pi, fj - pj), q_here))
    return (along + across) / dx


@njit(cache=True, inline="always", nogil=True)
def _new_discharge(q: np.ndarray, q_across: np.ndarray, fi: int, fj: int, di: int, dj: int,
                   z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, n2: np.ndarray, dt: float,
                   dx: float, theta: float, dry_depth: float, advection_depth: float,
                   open_edges: bool) -> float:
    """The discharge of face (fi, fj) after the step, for either direction."""
    rows, cols = h.shape
    along, count = (fj, cols) if dj else (fi, rows)
    if along == 0 or along == count:  # a domain edge: closed, or open for outflow only
        if not open_edges or count < 2:
            return 0.0
        inward = 1 if along == 0 else -1
        ei, ej = fi - (1 - inward) // 2 * di, fj - (1 - inward) // 2 * dj  # the edge cell
        ii, ij = ei + inward * di, ej + inward * dj  # the inner cell beside it
        if not (_flows(cell_class[ei, ej]) and _flows(cell_class[ii, ij])):
            return 0.0
        towards = -1.0 * inward
        inner_q = towards * q[fi + inward * di, fj + inward * dj]  # the face the two cells share
        return towards * _edge_outflow(inner_q, z[ii, ij] + h[ii, ij], z[ii, ij], z[ei, ej] + h[ei, ej],
                                       z[ei, ej], dry_depth)
    ai, aj = fi - di, fj - dj
    if not (_flows(cell_class[ai, aj]) and _flows(cell_class[fi, fj])):
        return 0.0
    advection = 0.0
    if advection_depth > 0.0:
        advection = _advection(q, q_across, fi, fj, di, dj, z, h, dx, advection_depth)
    return _face_flux(q[fi, fj], q[ai, aj], q[fi + di, fj + dj], z[ai, aj] + h[ai, aj], z[fi, fj] + h[fi, fj],
                      z[ai, aj], z[fi, fj], n2[fi, fj], dt, dx, theta, dry_depth, advection)


@njit(cache=True, parallel=True, nogil=True)
def update_fluxes(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  qx_new: np.ndarray, qy_new: np.ndarray, n2x: np.ndarray, n2y: np.ndarray,
                  dt: float, dx: float, theta: float, dry_depth: float, advection_depth: float,
                  open_edges: bool) -> None:
    """New face discharges from the old ones (double-buffered: neighbours read old values).

    One pass over the rows does the vertical faces of row i and the horizontal faces north of
    it; `advection_depth` 0 leaves out the convective term (the plain local inertial scheme).
    """
    rows, cols = h.shape
    for i in prange(rows + 1):
        if i < rows:
            for j in range(cols + 1):
                qx_new[i, j] = _new_discharge(qx, qy, i, j, 0, 1, z, h, cell_class, n2x, dt, dx, theta,
                                              dry_depth, advection_depth, open_edges)
        for j in range(cols):
            qy_new[i, j] = _new_discharge(qy, qx, i, j, 1, 0, z, h, cell_class, n2y, dt, dx, theta,
                                          dry_depth, advection_depth, open_edges)


@njit(cache=True, parallel=True, nogil=True)
def outflow_limits(h: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float, dx: float,
                   factor: np.ndarray) -> None:
    """Per cell, the share of its outflows it can supply: 1, or less where it would run dry.

    Scaling the outflows, rather than clipping the depth afterwards, keeps depths non-negative
    without creating or destroying water.
    """
    rows, cols = h.shape
    for i in prange(rows):
        for j in range(cols):
            outflow = (max(qx[i, j + 1], 0.0) + max(-qx[i, j], 0.0)
                       + max(qy[i + 1, j], 0.0) + max(-qy[i, j], 0.0)) * dt / dx
            factor[i, j] = 1.0 if outflow <= h[i, j] else h[i, j] / outflow


@njit(cache=True, parallel=True, nogil=True)
def limit_fluxes(qx: np.ndarray, qy: np.ndarray, factor: np.ndarray) -> None:
    """Scale each face's discharge by the limit of the cell it leaves."""
    rows, cols = factor.shape
    for i in prange(rows):
        for j in range(cols + 1):
            q = qx[i, j]
            if q > 0.0 and j > 0:
                qx[i, j] = q * factor[i, j - 1]
            elif q < 0.0 and j < cols:
                qx[i, j] = q * factor[i, j]
    for i in prange(rows + 1):
        for j in range(cols):
            q = qy[i, j]
            if q > 0.0 and i > 0:
                qy[i, j] = q * factor[i - 1, j]
            elif q < 0.0 and i < rows:
                qy[i, j] = q * factor[i, j]


@njit(cache=True, parallel=True, nogil=True)
def update_depths(h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float,
                  dx: float, rain: float, infiltration: float, sewer: float, time_after: float,
                  wet_depth: float, velocity_depth: float, max_depth: np.ndarray,
                  max_velocity: np.ndarray, arrival: np.ndarray, row_volumes: np.ndarray,
                  row_max_depth: np.ndarray, row_max_speed: np.ndarray) -> None:
    """Continuity, then rain and losses; track maxima and first wetting.

    `rain`, `infiltration` and `sewer` are rates in m/s. Per row, row_volumes holds the depth
    sums (m) of rain in, infiltration out, sewer out (roof drainage included), and the rounding
    repair (water added where round-off left a depth a hair below zero).
    """
    rows, cols = h.shape
    for i in prange(rows):
        rain_sum = 0.0
        infiltration_sum = 0.0
        sewer_sum = 0.0
        repair_sum = 0.0
        deepest = 0.0
        fastest = 0.0
        for j in range(cols):
            kind = cell_class[i, j]
            if kind == OUTSIDE:
                continue
            if kind == ROOF:
                rain_sum += rain * dt
                sewer_sum += rain * dt
                continue
            depth = h[i, j] + (qx[i, j] - qx[i, j + 1] + qy[i, j] - qy[i + 1, j]) * dt / dx
            if depth < 0.0:
                repair_sum -= depth
                depth = 0.0
            depth += rain * dt
            rain_sum += rain * dt
            loss = min(depth, (infiltration if kind == UNSEALED else sewer) * dt)
            depth -= loss
            if kind == UNSEALED:
                infiltration_sum += loss
            else:
                sewer_sum += loss
            h[i, j] = depth
            if depth > max_depth[i, j]:
                max_depth[i, j] = depth
            if depth >= wet_depth and np.isnan(arrival[i, j]):
                arrival[i, j] = time_after
            if depth > velocity_depth:
                u = 0.5 * (qx[i, j] + qx[i, j + 1]) / depth
                v = 0.5 * (qy[i, j] + qy[i + 1, j]) / depth
                speed = np.sqrt(u * u + v * v)
                if speed > max_velocity[i, j]:
                    max_velocity[i, j] = speed
                fastest = max(fastest, speed)
            deepest = max(deepest, depth)
        row_volumes[i, 0] = rain_sum
        row_volumes[i, 1] = infiltration_sum
        row_volumes[i, 2] = sewer_sum
        row_volumes[i, 3] = repair_sum
        row_max_depth[i] = deepest
        row_max_speed[i] = fastest
