"""Compiled per-step kernels of the local inertial scheme, parallel over grid rows.

Layout: depth `h` and terrain `z` per cell (rows, cols); unit-width discharge `qx` on the
vertical faces (rows, cols + 1), positive towards higher column, and `qy` on the horizontal
faces (rows + 1, cols), positive towards higher row. Face (i, j) of qx lies west of cell
(i, j); face (i, j) of qy lies north of cell (i, j).

Every reduction is accumulated per row and summed afterwards in row order, so a run gives the
same numbers whatever the thread count.
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


@njit(cache=True, inline="always")
def _flows(kind: np.uint8) -> bool:
    return kind == UNSEALED or kind == SEALED  # noqa: SIM109  (numba: no tuple membership on uint8)


@njit(cache=True, inline="always")
def _face_flux(q_old: float, q_side_a: float, q_side_b: float, eta_from: float, eta_to: float,
               z_from: float, z_to: float, n_squared: float, dt: float, dx: float, theta: float,
               dry_depth: float) -> float:
    """Bates et al. (2010) with the de Almeida et al. (2012) theta average; 0 below dry_depth."""
    flow_depth = max(eta_from, eta_to) - max(z_from, z_to)
    if flow_depth <= dry_depth:
        return 0.0
    slope = (eta_to - eta_from) / dx
    q_mean = theta * q_old + 0.5 * (1.0 - theta) * (q_side_a + q_side_b)
    friction = GRAVITY * dt * n_squared * abs(q_old) / (flow_depth * flow_depth * flow_depth ** (1.0 / 3.0))
    return (q_mean - GRAVITY * flow_depth * dt * slope) / (1.0 + friction)


@njit(cache=True, inline="always")
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


@njit(cache=True, parallel=True)
def update_fluxes(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  qx_new: np.ndarray, qy_new: np.ndarray, n2x: np.ndarray, n2y: np.ndarray,
                  dt: float, dx: float, theta: float, dry_depth: float, open_edges: bool) -> None:
    """New face discharges from the old ones (double-buffered: neighbours read old values)."""
    rows, cols = h.shape
    for i in prange(rows):
        for j in range(cols + 1):
            if j == 0 or j == cols:
                qx_new[i, j] = 0.0
                edge, inner, towards = (0, 1, -1.0) if j == 0 else (cols - 1, cols - 2, 1.0)
                if open_edges and 0 <= inner < cols and _flows(cell_class[i, edge]) \
                        and _flows(cell_class[i, inner]):
                    inner_face = 1 if j == 0 else cols - 1
                    qx_new[i, j] = towards * _edge_outflow(
                        towards * qx[i, inner_face], z[i, inner] + h[i, inner], z[i, inner],
                        z[i, edge] + h[i, edge], z[i, edge], dry_depth)
                continue
            if not (_flows(cell_class[i, j - 1]) and _flows(cell_class[i, j])):
                qx_new[i, j] = 0.0
                continue
            qx_new[i, j] = _face_flux(qx[i, j], qx[i, j - 1], qx[i, j + 1], z[i, j - 1] + h[i, j - 1],
                                      z[i, j] + h[i, j], z[i, j - 1], z[i, j], n2x[i, j], dt, dx,
                                      theta, dry_depth)
    for i in prange(rows + 1):
        for j in range(cols):
            if i == 0 or i == rows:
                qy_new[i, j] = 0.0
                edge, inner, towards = (0, 1, -1.0) if i == 0 else (rows - 1, rows - 2, 1.0)
                if open_edges and 0 <= inner < rows and _flows(cell_class[edge, j]) \
                        and _flows(cell_class[inner, j]):
                    inner_face = 1 if i == 0 else rows - 1
                    qy_new[i, j] = towards * _edge_outflow(
                        towards * qy[inner_face, j], z[inner, j] + h[inner, j], z[inner, j],
                        z[edge, j] + h[edge, j], z[edge, j], dry_depth)
                continue
            if not (_flows(cell_class[i - 1, j]) and _flows(cell_class[i, j])):
                qy_new[i, j] = 0.0
                continue
            qy_new[i, j] = _face_flux(qy[i, j], qy[i - 1, j], qy[i + 1, j], z[i - 1, j] + h[i - 1, j],
                                      z[i, j] + h[i, j], z[i - 1, j], z[i, j], n2y[i, j], dt, dx,
                                      theta, dry_depth)


@njit(cache=True, parallel=True)
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


@njit(cache=True, parallel=True)
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


@njit(cache=True, parallel=True)
def update_depths(h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float,
                  dx: float, rain: float, infiltration: float, sewer: float, time_after: float,
                  wet_depth: float, velocity_depth: float, max_depth: np.ndarray,
                  max_velocity: np.ndarray, arrival: np.ndarray, row_volumes: np.ndarray,
                  row_max_depth: np.ndarray) -> None:
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
            deepest = max(deepest, depth)
        row_volumes[i, 0] = rain_sum
        row_volumes[i, 1] = infiltration_sum
        row_volumes[i, 2] = sewer_sum
        row_volumes[i, 3] = repair_sum
        row_max_depth[i] = deepest
