"""Compiled per-step kernels of the local inertial scheme, parallel over grid rows.

Layout: depth `h` and terrain `z` per cell (rows, cols); unit-width discharge `qx` on the
vertical faces (rows, cols + 1), positive towards higher column, and `qy` on the horizontal
faces (rows + 1, cols), positive towards higher row. Face (i, j) of qx lies west of cell
(i, j); face (i, j) of qy lies north of cell (i, j).

One face routine serves both directions: it takes the direction as a unit step (di, dj),
(0, 1) for qx and (1, 0) for qy, so that the discharge `q` of the face (fi, fj) flows from
cell (fi - di, fj - dj) into cell (fi, fj); `q_across` is the other direction's array.

A step runs four passes: the face velocities (for the convective term), the new discharges,
the outflow limits, and the depth update, which limits those discharges and applies
continuity, rain and losses. They run in two parallel regions a step, each over blocks of
rows, one a thread: sweep_fluxes does the first three on its block and a halo of two rows
into the block's scratch arrays, sweep_depths the last, from the old depths and discharges
into a second pair of buffers (see sweep_fluxes for why the halo makes the other barriers
unnecessary). face_velocities, update_fluxes and outflow_limits run one pass over the whole
grid, for tests and benchmarks.

Every reduction is accumulated per row and summed afterwards in row order, so a run gives the
same numbers whatever the thread count. All kernels release the GIL (nogil), so a run in a
worker thread leaves the GUI thread free.

Speed comes from letting the compiler vectorise the inner loops (four faces at once in 256-bit
registers). That needs loops without branches around loads: a face computes its flux
whether or not it is open and wet and picks 0 by a select at the end, and the faces of the
domain's outer rows and columns, whose stencils reach beyond the arrays, go through the same
routines with bounds checks (`checked` True) in a separate function, _border_fluxes.
"""

from __future__ import annotations

import os

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

# numba's default threading layer here is OpenMP (libgomp), whose idle threads spin at every
# barrier. A step has several parallel loops; on a machine busy with other work (the window's
# drawing, other programs) a spinning thread burns the time slice its partner needs to reach the
# barrier: under a load of 15 on two cores a step took 160-260 ms of wall and 26 ms of processor
# time where one thread alone took 5 ms. Passive threads sleep instead (2.8 ms of processor time
# a step under the same load). libgomp reads this when numba loads it, at the first parallel launch, so
# setting it at import suffices; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

GRAVITY = 9.81

# Cell classes: what rain and losses do on a cell.
OUTSIDE = 0  # no data: not part of the domain
UNSEALED = 1  # infiltration
SEALED = 2  # sewer inlets
ROOF = 3  # a building modelled as a wall: no flow; its rain drains to the sewer or its downpipes

# m: the time step counts the speed through a face as if its flow were at least this deep.
# Thinner flows carry q / h values that are no velocity and would cut the step for nothing;
# but leaving films out, as the velocity output does below velocity_depth, let sheet flow on an
# 8 % plane (0.7 m/s in 7 mm) run at a Courant number of 1.2 and ripple 20 % above Manning's
# normal depth. The speeds are the faces' (see _face_speed), not a cell's discharge over its own
# depth: a shoreline cell drained to 0.5 mm while its faces pass 0.05 m2/s read 26-48 m/s that
# way and held the whole grid's step at 0.01-0.02 s for minutes (half of a quarter's steps).
CFL_FILM_DEPTH = 1e-3

# Where face discharge is capped at critical flow (see _critical_limited).
LIMIT_OFF, LIMIT_DROPS, LIMIT_EVERYWHERE = 0, 1, 2

# "numpy" error model: a float division by zero gives inf/NaN instead of a Python exception,
# whose check in every division would keep the loops from vectorising. No kernel divides by
# a value that can be zero where the result is used.
_INLINE = {"cache": True, "inline": "always", "nogil": True, "error_model": "numpy"}
_PARALLEL = {"cache": True, "parallel": True, "nogil": True, "error_model": "numpy"}
# For the discharges. arcp: the divisions by dx become one reciprocal outside the loop and
# multiplications; contract: a product and a sum become one fused multiply-add, which halves
# the latency of the chains of dependent operations that set a face's cost (the cube root's
# steps above all) and rounds once instead of twice (a sixth off the pass).
_FLUX_MATH = {"arcp", "contract"}
# For the depths. Reassociation lets the compiler split the per-row sums into vector lanes; the
# order within a row is still fixed when the kernel is compiled, so runs stay reproducible.
_DEPTH_MATH = {"reassoc"}



@njit(**_INLINE)
def _flows(kind: np.uint8) -> bool:
    return kind == UNSEALED or kind == SEALED  # noqa: SIM109  (numba: no tuple membership on uint8)


@intrinsic
def _float_bits(typingctx, x):  # noqa: ANN001, ANN202  (numba intrinsic signature)
    """The bit pattern of a float64 as an int64 (a register bitcast, which vectorises)."""
    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, x):  # noqa: ANN001, ANN202  (numba intrinsic signature)
    """The float64 with an int64's bit pattern."""
    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@njit(**_INLINE)
def _cube_root(x: float) -> float:
    """x ** (1/3) for x > 0, exact to rounding (a relative 1e-15), without a division.

    The friction term needs it on every wet face each step, where a pow call costs about
    twice as much as the rest of the face's update and keeps the loop from vectorising. It is
    x r^2, where r = x^(-1/3) starts from the bit pattern (the exponent negated and divided by
    3, within 3.5 %) and is refined with e = 1 - x r^3 by the series r (1 - e)^(-1/3) =
    r (1 + e/3 + 2e^2/9 + 14e^3/81 + ...), which needs no division and, cut after e^3,
    quadruples the correct digits per step. Two such steps make a shorter chain of dependent
    operations, which sets the face's latency, than the four Newton steps of equal precision.
    """
    r = _bits_float(0x553EF0FF289DD796 - np.int64(np.float64(_float_bits(x)) * (1.0 / 3.0)))
    for _ in range(2):
        e = 1.0 - x * (r * r * r)
        r = r + r * e * (1.0 / 3.0 + e * (2.0 / 9.0 + (14.0 / 81.0) * e))
    return x * r * r


@njit(**_INLINE)
def _face_flux(q_old: float, q_side_a: float, q_side_b: float, eta_from: float, eta_to: float,
               flow_depth: float, n_squared: float, dt: float, dx: float, theta: float,
               advection: float) -> float:
    """Bates et al. (2010) with the de Almeida et al. (2012) theta average on a wet face.

    `advection` is the convective acceleration d(q u)/dx + d(q v)/dy at the face (m2/s2).
    """
    slope = (eta_to - eta_from) / dx
    q_mean = theta * q_old + 0.5 * (1.0 - theta) * (q_side_a + q_side_b)
    # q_new = explicit / (1 + g dt n2 |q| / h^(7/3)), written with one division
    depth_7_3 = flow_depth * flow_depth * _cube_root(flow_depth)
    explicit = q_mean - GRAVITY * flow_depth * dt * slope - dt * advection
    return explicit * depth_7_3 / (depth_7_3 + GRAVITY * dt * n_squared * abs(q_old))


@njit(**_INLINE)
def _critical_limited(q: float, flow_depth: float, drop: float, depth_from: float, depth_to: float,
                      dry_depth: float, limiter: int) -> float:
    """q capped at the critical discharge h sqrt(g h) of the face where `limiter` asks for it.

    The local inertial equations hold for subcritical flow (de Almeida & Bates 2013). Over a
    drop the real flow passes critical depth at the brink, so there the cap is the physics:
    uncapped, films pouring over the 2.3 m walls of the demo underpasses reached 24 m/s (free
    fall gives under 7) and cut the time step by a tenth. On a steady slope, though, sheet flow
    really runs supercritical, and a cap everywhere made a film on a 3 % plane 1.4 times, on
    8 % 1.9 times as deep as Manning's normal flow. LIMIT_DROPS caps only where the flow leaves
    a cell over a drop, a bed step that exceeds the step of the face behind by more than the
    water in the cell (`drop`, see solver.Domain.face_drops), or runs onto a dry cell, a
    wet/dry front; LIMIT_EVERYWHERE caps every face, LIMIT_OFF none.
    """
    forward = q > 0.0
    upstream_depth = depth_from if forward else depth_to
    downstream_depth = depth_to if forward else depth_from
    step_excess = drop if forward else -drop
    at_drop = (step_excess > upstream_depth) | (downstream_depth <= dry_depth)
    limited = (limiter == LIMIT_EVERYWHERE) | ((limiter == LIMIT_DROPS) & at_drop)
    critical = flow_depth * np.sqrt(GRAVITY * flow_depth)
    capped = min(max(q, -critical), critical)
    return capped if limited else q


@njit(**_INLINE)
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


@njit(**_INLINE)
def _at(values: np.ndarray, fi: int, fj: int, checked: bool) -> float:
    """The value at face (fi, fj); if `checked`, 0 beyond the array (nothing comes from outside
    the domain). Unchecked reads are for faces whose stencil lies inside the arrays."""
    if checked and (fi < 0 or fj < 0 or fi >= values.shape[0] or fj >= values.shape[1]):
        return 0.0
    return values[fi, fj]


@njit(**_INLINE)
def _face_velocity(q: np.ndarray, fi: int, fj: int, di: int, dj: int, z: np.ndarray, h: np.ndarray,
                   cell_class: np.ndarray, advection_depth: float, checked: bool) -> float:
    """Velocity through face (fi, fj) of a direction (di, dj): q over the face's flow depth.

    0 on a wall (a true zero velocity); NaN where the flow is no deeper than advection_depth,
    a thin film or a wet/dry front, where q / depth is no velocity one can carry momentum with.
    On a domain edge (only where `checked`) the face has one cell, whose depth is the flow depth.
    """
    rows, cols = h.shape
    ai, aj = fi - di, fj - dj
    if checked and not (ai >= 0 and aj >= 0 and fi < rows and fj < cols):
        open_face = True
        flow_depth = h[ai, aj] if ai >= 0 and aj >= 0 else h[fi, fj]
    else:
        open_face = _flows(cell_class[ai, aj]) & _flows(cell_class[fi, fj])
        flow_depth = max(z[ai, aj] + h[ai, aj], z[fi, fj] + h[fi, fj]) - max(z[ai, aj], z[fi, fj])
    velocity = q[fi, fj] / flow_depth if flow_depth > advection_depth else np.nan
    return velocity if open_face else 0.0


@njit(**_INLINE)
def _velocity_rows(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                   ux: np.ndarray, vy: np.ndarray, advection_depth: float, first: int, stop: int) -> None:
    """The velocity on the faces of face rows first to stop - 1 (ux like qx, vy like qy), for
    the convective term: row i holds the vertical faces of cell row i and the horizontal faces
    north of it."""
    rows, cols = h.shape
    for i in range(first, stop):
        if i < rows:
            for j in range(1, cols):
                ux[i, j] = _face_velocity(qx, i, j, 0, 1, z, h, cell_class, advection_depth, False)
            for j in (0, cols):
                ux[i, j] = _face_velocity(qx, i, j, 0, 1, z, h, cell_class, advection_depth, True)
        if 0 < i < rows:
            for j in range(cols):
                vy[i, j] = _face_velocity(qy, i, j, 1, 0, z, h, cell_class, advection_depth, False)
        else:
            for j in range(cols):
                vy[i, j] = _face_velocity(qy, i, j, 1, 0, z, h, cell_class, advection_depth, True)


@njit(**_PARALLEL)
def face_velocities(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                    ux: np.ndarray, vy: np.ndarray, advection_depth: float) -> None:
    """The velocity on every face, as a pass of its own (the time loop runs it per block: see sweep)."""
    for i in prange(h.shape[0] + 1):
        _velocity_rows(z, h, cell_class, qx, qy, ux, vy, advection_depth, i, i + 1)


@njit(**_INLINE)
def _upwind_flux(velocity: float, q_behind: float, q_ahead: float) -> float:
    """Momentum flux velocity * q with q taken from the upwind side (first-order donor cell)."""
    return velocity * (q_behind if velocity >= 0.0 else q_ahead)


@njit(**_INLINE)
def _advection(q: np.ndarray, u: np.ndarray, u_across: np.ndarray, fi: int, fj: int, di: int, dj: int,
               dx: float, checked: bool) -> float:
    """Convective acceleration of face (fi, fj) in conservative upwind form.

    The face's momentum cell reaches from the centre of the cell behind it to the centre of
    the cell ahead. Along the flow, q is carried through those two centres by the mean
    velocity of the two faces around each; across it, through the two corners by the mean
    velocity of the two crossing faces there. `u` holds the face velocities of q's direction,
    `u_across` those of the other (see face_velocities).
    """
    pi, pj = dj, di  # the perpendicular step
    u_here, q_here = u[fi, fj], q[fi, fj]
    u_behind, u_ahead = _at(u, fi - di, fj - dj, checked), _at(u, fi + di, fj + dj, checked)
    q_behind, q_ahead = _at(q, fi - di, fj - dj, checked), _at(q, fi + di, fj + dj, checked)
    along = (_upwind_flux(0.5 * (u_here + u_ahead), q_here, q_ahead)
             - _upwind_flux(0.5 * (u_behind + u_here), q_behind, q_here))
    # the corners on the low and the high side across: crossing faces (fi - di, fj - dj), (fi, fj)
    # border the low corner; one perpendicular step on, the high corner
    v_low = 0.5 * (_at(u_across, fi - di, fj - dj, checked) + _at(u_across, fi, fj, checked))
    v_high = 0.5 * (_at(u_across, fi - di + pi, fj - dj + pj, checked)
                    + _at(u_across, fi + pi, fj + pj, checked))
    across = (_upwind_flux(v_high, q_here, _at(q, fi + pi, fj + pj, checked))
              - _upwind_flux(v_low, _at(q, fi - pi, fj - pj, checked), q_here))
    acceleration = (along + across) / dx
    # A shallow face in the stencil (NaN; the face itself included) has no velocity: counting it
    # as still water would put a false velocity jump at every film edge and wet/dry front, a
    # momentum source there that drives thin films on steep ground far past their friction
    # speed. Such faces go without the convective term, as in the plain local inertial scheme.
    return 0.0 if np.isnan(acceleration) else acceleration


@njit(**_INLINE)
def _edge_discharge(q: np.ndarray, fi: int, fj: int, di: int, dj: int, z: np.ndarray, h: np.ndarray,
                    cell_class: np.ndarray, dry_depth: float, open_edges: bool) -> float:
    """The discharge through a face on the domain's edge: none if closed, outflow only if open."""
    rows, cols = h.shape
    along, count = (fj, cols) if dj else (fi, rows)
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


@njit(**_INLINE)
def _new_discharge(q: np.ndarray, u: np.ndarray, u_across: np.ndarray, fi: int, fj: int, di: int, dj: int,
                   z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, n2: np.ndarray, drops: np.ndarray,
                   dt: float, dx: float, theta: float, dry_depth: float, advection: bool, limiter: int,
                   open_edges: bool, checked: bool) -> float:
    """The discharge of face (fi, fj) after the step, for either direction.

    Computed on every face and zeroed by a select on walls and dry faces, so that the loop
    has no branch; the depth is kept at least dry_depth there so the unused arithmetic stays
    clear of subnormal numbers, which cost a hundred cycles each.
    """
    rows, cols = h.shape
    along, count = (fj, cols) if dj else (fi, rows)
    if checked and (along == 0 or along == count):
        return _edge_discharge(q, fi, fj, di, dj, z, h, cell_class, dry_depth, open_edges)
    ai, aj = fi - di, fj - dj
    open_face = _flows(cell_class[ai, aj]) & _flows(cell_class[fi, fj])
    eta_from, eta_to = z[ai, aj] + h[ai, aj], z[fi, fj] + h[fi, fj]
    flow_depth = max(max(eta_from, eta_to) - max(z[ai, aj], z[fi, fj]), dry_depth)
    acceleration = _advection(q, u, u_across, fi, fj, di, dj, dx, checked) if advection else 0.0
    discharge = _face_flux(q[fi, fj], q[ai, aj], q[fi + di, fj + dj], eta_from, eta_to, flow_depth,
                           n2[fi, fj], dt, dx, theta, acceleration)
    discharge = _critical_limited(discharge, flow_depth, drops[fi, fj], h[ai, aj], h[fi, fj], dry_depth,
                                  limiter)
    return discharge if open_face & (flow_depth > dry_depth) else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _border_fluxes(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                   ux: np.ndarray, vy: np.ndarray, qx_new: np.ndarray, qy_new: np.ndarray, n2x: np.ndarray,
                   n2y: np.ndarray, dropx: np.ndarray, dropy: np.ndarray, dt: float, dx: float, theta: float,
                   dry_depth: float, advection: bool, limiter: int, open_edges: bool, i: int) -> None:
    """update_fluxes for the faces of row i whose stencil reaches beyond the arrays: all of an
    outer row, the first and last of the others, with bounds checks.

    Called, not inlined: these few faces need no speed, and a separate compiled function
    keeps the compile time of update_fluxes down.
    """
    rows, cols = h.shape
    x_step = 1 if i == 0 or i == rows - 1 else cols
    for j in range(0, cols + 1 if i < rows else 0, x_step):
        qx_new[i, j] = _new_discharge(qx, ux, vy, i, j, 0, 1, z, h, cell_class, n2x, dropx, dt, dx, theta,
                                      dry_depth, advection, limiter, open_edges, True)
    y_step = 1 if i == 0 or i == rows else max(cols - 1, 1)
    for j in range(0, cols, y_step):
        qy_new[i, j] = _new_discharge(qy, vy, ux, i, j, 1, 0, z, h, cell_class, n2y, dropy, dt, dx, theta,
                                      dry_depth, advection, limiter, open_edges, True)


@njit(**_INLINE)
def _flux_rows(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
               ux: np.ndarray, vy: np.ndarray, qx_new: np.ndarray, qy_new: np.ndarray,
               n2x: np.ndarray, n2y: np.ndarray, dropx: np.ndarray, dropy: np.ndarray, dt: float,
               dx: float, theta: float, dry_depth: float, advection: bool, limiter: int,
               open_edges: bool, first: int, stop: int) -> None:
    """New face discharges of face rows first to stop - 1 from the old ones (double-buffered:
    neighbours read old values).

    Face row i holds the vertical faces of cell row i and the horizontal faces north of it;
    `advection` False leaves out the convective term (the plain local inertial scheme),
    True takes it from the face velocities ux, vy. `dropx`, `dropy` and `limiter` say where
    the discharge is capped at critical flow (see _critical_limited). The faces of the outer rows and columns
    go through _border_fluxes.
    """
    rows, cols = h.shape
    for i in range(first, stop):
        if 0 < i < rows - 1:
            for j in range(1, cols):
                qx_new[i, j] = _new_discharge(qx, ux, vy, i, j, 0, 1, z, h, cell_class, n2x, dropx, dt, dx,
                                              theta, dry_depth, advection, limiter, open_edges, False)
        if 0 < i < rows:
            for j in range(1, cols - 1):
                qy_new[i, j] = _new_discharge(qy, vy, ux, i, j, 1, 0, z, h, cell_class, n2y, dropy, dt, dx,
                                              theta, dry_depth, advection, limiter, open_edges, False)
        _border_fluxes(z, h, cell_class, qx, qy, ux, vy, qx_new, qy_new, n2x, n2y, dropx, dropy, dt, dx,
                       theta, dry_depth, advection, limiter, open_edges, i)


@njit(**_PARALLEL, fastmath=_FLUX_MATH)
def update_fluxes(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  ux: np.ndarray, vy: np.ndarray, qx_new: np.ndarray, qy_new: np.ndarray,
                  n2x: np.ndarray, n2y: np.ndarray, dropx: np.ndarray, dropy: np.ndarray, dt: float,
                  dx: float, theta: float, dry_depth: float, advection: bool, limiter: int,
                  open_edges: bool) -> None:
    """New discharges on every face, as a pass of its own (the time loop runs it per block)."""
    for i in prange(h.shape[0] + 1):
        _flux_rows(z, h, cell_class, qx, qy, ux, vy, qx_new, qy_new, n2x, n2y, dropx, dropy, dt, dx, theta,
                   dry_depth, advection, limiter, open_edges, i, i + 1)


@njit(**_INLINE)
def _limit_rows(h: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float, dx: float,
                factor: np.ndarray, first: int, stop: int) -> None:
    """Per cell of rows first to stop - 1, the share of its outflows it can supply: 1, or less
    where it would run dry.

    Scaling the outflows, rather than clipping the depth afterwards, keeps depths non-negative
    without creating or destroying water. `factor` has a ring of 1.0 around the grid (see
    _limited), so cell (i, j)'s share goes to factor[i + 1, j + 1].
    """
    cols = h.shape[1]
    for i in range(first, stop):
        for j in range(cols):
            outflow = (max(qx[i, j + 1], 0.0) + max(-qx[i, j], 0.0)
                       + max(qy[i + 1, j], 0.0) + max(-qy[i, j], 0.0)) * dt / dx
            factor[i + 1, j + 1] = 1.0 if outflow <= h[i, j] else h[i, j] / outflow


@njit(**_PARALLEL)
def outflow_limits(h: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float, dx: float,
                   factor: np.ndarray) -> None:
    """The outflow shares of every cell, as a pass of its own (the time loop runs it per block)."""
    for i in prange(h.shape[0]):
        _limit_rows(h, qx, qy, dt, dx, factor, i, i + 1)


@njit(**_INLINE)
def _limited(q: np.ndarray, factor: np.ndarray, fi: int, fj: int, di: int, dj: int) -> float:
    """Face (fi, fj)'s discharge scaled by the outflow limit of the cell it leaves.

    Both cells of a face compute the same product, so what one loses the other gains exactly.
    The ring of 1.0 around `factor` stands for the missing cell of an edge face, so no read
    needs a bounds check. Both limits are read and one picked by the sign, a select rather
    than a branch: the signs are too mixed for a branch predictor.
    """
    value = q[fi, fj]
    from_limit = factor[fi - di + 1, fj - dj + 1]
    to_limit = factor[fi + 1, fj + 1]
    return value * (from_limit if value > 0.0 else to_limit)


@njit(**_INLINE)
def _flow_depth(z: np.ndarray, h: np.ndarray, ai: int, aj: int, bi: int, bj: int) -> float:
    """The flow depth of the face between cells a and b as the flux pass takes it, the higher
    water level over the higher bed; a cell's own depth where a and b are one (a domain edge)."""
    return max(z[ai, aj] + h[ai, aj], z[bi, bj] + h[bi, bj]) - max(z[ai, aj], z[bi, bj])


@njit(**_INLINE)
def _face_speed(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray, south: float, i: int, j: int,
                west_j: int, east_j: int, north_i: int, south_i: int, least_depth: float) -> float:
    """Cell (i, j)'s speed after the step: the velocities of its faces, each the limited discharge
    (qx, qy; `south` from the row below) over the flow depth the face had in the step (`h` holds
    the depths it started from; at least least_depth), averaged per direction. The neighbour
    indices are the cell's own where a face lies on the domain edge.

    Not the faces' mean discharge over the cell's own depth: where sheet flow down a ramp meets
    the pond at its foot, the face into the pond takes the pond's level for its flow depth and
    drains the shoreline cell to a film the water crosses at 2-4 m/s, and q / h of that film
    read 10-35 m/s (23 m/s in an underpass ramp of Friedrichstadt; free fall from the ramp's
    top gives 9), and, as a signal speed, held the time step of a whole quarter at 0.01 s.
    """
    u = (qx[i, j] / max(_flow_depth(z, h, i, west_j, i, j), least_depth)
         + qx[i, j + 1] / max(_flow_depth(z, h, i, j, i, east_j), least_depth))
    v = (qy[i, j] / max(_flow_depth(z, h, north_i, j, i, j), least_depth)
         + south / max(_flow_depth(z, h, i, j, south_i, j), least_depth))
    return 0.5 * np.sqrt(u * u + v * v)


@njit(**_INLINE)
def _track_speeds(z: np.ndarray, h: np.ndarray, h_next: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  south: float, i: int, j: int, west_j: int, east_j: int, north_i: int, south_i: int,
                  velocity_depth: float, max_velocity: np.ndarray) -> float:
    """Raise cell (i, j)'s maximum speed (0 where it is no deeper than velocity_depth) and return
    its signal speed |u| + sqrt(g h) for the next time step, films counted at CFL_FILM_DEPTH."""
    speed = _face_speed(z, h, qx, qy, south, i, j, west_j, east_j, north_i, south_i, velocity_depth)
    max_velocity[i, j] = max(max_velocity[i, j], speed if h_next[i, j] > velocity_depth else 0.0)
    film_speed = _face_speed(z, h, qx, qy, south, i, j, west_j, east_j, north_i, south_i, CFL_FILM_DEPTH)
    return film_speed + np.sqrt(GRAVITY * h_next[i, j])


@njit(**_INLINE)
def _row_speeds(z: np.ndarray, h: np.ndarray, h_next: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                qy_new: np.ndarray, factor: np.ndarray, i: int, velocity_depth: float,
                max_velocity: np.ndarray) -> float:
    """_track_speeds over cell row i, once its new depths and limited discharges are written: the
    inner cells in a loop of their own, which vectorises, then the two edge cells. Returns the
    row's fastest signal speed."""
    rows, cols = h.shape
    north_i, south_i = max(i - 1, 0), min(i + 1, rows - 1)
    # the maximum of non-negative floats taken on their bit patterns, which order alike: a
    # float maximum would not vectorise (NaN rules), an integer one does
    fastest_bits = 0
    for j in range(1, cols - 1):
        wave = _track_speeds(z, h, h_next, qx, qy, _limited(qy_new, factor, i + 1, j, 1, 0), i, j, j - 1,
                             j + 1, north_i, south_i, velocity_depth, max_velocity)
        fastest_bits = max(fastest_bits, _float_bits(wave))
    for j in (0, cols - 1):
        wave = _track_speeds(z, h, h_next, qx, qy, _limited(qy_new, factor, i + 1, j, 1, 0), i, j,
                             max(j - 1, 0), min(j + 1, cols - 1), north_i, south_i, velocity_depth,
                             max_velocity)
        fastest_bits = max(fastest_bits, _float_bits(wave))
    return _bits_float(fastest_bits)


@njit(**_INLINE)
def _depth_rows(z: np.ndarray, h: np.ndarray, cell_class: np.ndarray, qx_new: np.ndarray, qy_new: np.ndarray,
                factor: np.ndarray, h_next: np.ndarray, qx: np.ndarray, qy: np.ndarray, dt: float, dx: float,
                rain: float, infiltration_initial: float, infiltration_final: float, horton_decay: float,
                excess_infiltrated: np.ndarray, sewer: float, roof_drained: float, time_after: float,
                wet_depth: float, velocity_depth: float, max_depth: np.ndarray, max_velocity: np.ndarray,
                arrival: np.ndarray, row_volumes: np.ndarray, row_max_wave: np.ndarray, first: int,
                stop: int) -> None:
    """For cell rows first to stop - 1: the new discharges limited by the outflow shares
    (written to qx, qy: the faces west and north of each cell, and the outer east and south
    faces), continuity from the depths h into h_next, then rain and losses; track maxima and
    first wetting. `z` is the terrain, for the faces' flow depths of the velocity output (see
    _track_speeds).

    `rain`, the infiltration rates and `sewer` are in m/s; `roof_drained` is the depth of this
    step's rain that a roof cell's gutters take into the sewer (the rest runs out of the
    downpipes: see pour_downpipes). Infiltration follows Horton's curve
    in its cumulative form (the "modified Horton" of EPA SWMM): a cell's capacity is f0 - k Fe,
    at least fc, where Fe (`excess_infiltrated`, m) is the water it took in above the final rate
    fc. Under ponding that is Horton's fc + (f0 - fc) exp(-k t) exactly; under light rain the
    capacity stays as high as the soil's intake left it, where the curve in time since the
    start would have decayed it although little water went in. Per row, row_volumes holds the depth
    sums (m) of rain in, infiltration out, sewer out (roof gutters included), and the rounding
    repair (water added where round-off left a depth a hair below zero); row_max_wave the
    fastest signal speed |u| + sqrt(g h) of a cell (films counted at CFL_FILM_DEPTH), for the
    next time step. Every cell is computed and the results of cells without flow (outside,
    roofs) are dropped by selects, which keeps the loop free of branches.
    """
    rows, cols = h.shape
    flux_to_depth, rain_depth = dt / dx, rain * dt
    for i in range(first, stop):
        rain_sum = infiltration_sum = sewer_sum = repair_sum = 0.0
        for j in range(cols):
            west, east = _limited(qx_new, factor, i, j, 0, 1), _limited(qx_new, factor, i, j + 1, 0, 1)
            north, south = _limited(qy_new, factor, i, j, 1, 0), _limited(qy_new, factor, i + 1, j, 1, 0)
            qx[i, j], qy[i, j] = west, north
            kind = cell_class[i, j]
            flows, unsealed = _flows(kind), kind == UNSEALED
            depth = h[i, j] + (west - east + north - south) * flux_to_depth
            repair = max(-depth, 0.0)
            depth = max(depth, 0.0) + rain_depth
            capacity = max(infiltration_initial - horton_decay * excess_infiltrated[i, j], infiltration_final)
            loss = min(depth, (capacity if unsealed else sewer) * dt)
            depth -= loss
            excess_infiltrated[i, j] += max(loss - infiltration_final * dt, 0.0) if unsealed else 0.0
            rain_sum += 0.0 if kind == OUTSIDE else rain_depth
            infiltration_sum += loss if unsealed else 0.0
            sewer_sum += (loss if kind == SEALED else 0.0) + (roof_drained if kind == ROOF else 0.0)
            repair_sum += repair if flows else 0.0
            if not flows:
                depth = h[i, j]
            h_next[i, j] = depth
            max_depth[i, j] = max(max_depth[i, j], depth)
            arrival[i, j] = time_after if flows & (depth >= wet_depth) & np.isnan(arrival[i, j]) \
                else arrival[i, j]
        qx[i, cols] = _limited(qx_new, factor, i, cols, 0, 1)
        if i == rows - 1:
            for j in range(cols):
                qy[rows, j] = _limited(qy_new, factor, rows, j, 1, 0)
        row_max_wave[i] = _row_speeds(z, h, h_next, qx, qy, qy_new, factor, i, velocity_depth, max_velocity)
        row_volumes[i, 0] = rain_sum
        row_volumes[i, 1] = infiltration_sum
        row_volumes[i, 2] = sewer_sum
        row_volumes[i, 3] = repair_sum


@njit(cache=True, nogil=True)
def pour_downpipes(h: np.ndarray, cells: np.ndarray, shares: np.ndarray, depth: float,
                   max_depth: np.ndarray, row_max_wave: np.ndarray) -> None:
    """Add the roof water a step's downpipes pour out: `depth` (m) from each roof cell, cell
    `cells[k]` (a flat index) taking that of `shares[k]` roof cells.

    Serial: few cells, and two roof blocks may pour into one. A row's signal speed bound grows
    by the largest sqrt(g added) among its cells (it bounds each cell's growth of sqrt(g h), as
    for a point inflow); summing them over the row's downpipes would shorten the step for nothing.
    """
    rows, cols = h.shape
    growth = np.zeros(rows)
    for k in range(len(cells)):
        i, j = cells[k] // cols, cells[k] % cols
        added = shares[k] * depth
        h[i, j] += added
        max_depth[i, j] = max(max_depth[i, j], h[i, j])
        growth[i] = max(growth[i], np.sqrt(GRAVITY * added))
    for i in range(rows):
        row_max_wave[i] += growth[i]


# The float64 parameters of step and advance, by index (filled by solver.FlowState).
(P_CELL, P_ALPHA, P_MAX_STEP, P_THETA, P_DRY, P_WET, P_VELOCITY_DEPTH, P_ADVECTION_DEPTH, P_LIMITER,
 P_OPEN_EDGES, P_INITIAL_RATE, P_FINAL_RATE, P_HORTON, P_SEWER, P_ROOFS_TO_SEWER, P_ROOF_CELLS,
 P_UNROUTED) = range(17)
# The volumes (m3, float64) a run has accumulated, by index.
T_RAIN, T_INFILTRATION, T_SEWER, T_BOUNDARY, T_REPAIR, T_INFLOW = range(6)


@njit(**_INLINE)
def stable_step(row_max_wave: np.ndarray, params: np.ndarray) -> float:
    """The CFL step alpha dx / max(|u| + sqrt(g h)), at most the longest step."""
    fastest = row_max_wave.max() if len(row_max_wave) else 0.0
    if fastest <= 0.0:
        return params[P_MAX_STEP]
    return min(params[P_ALPHA] * params[P_CELL] / fastest, params[P_MAX_STEP])


@njit(**_INLINE)
def inflow_step(inflows: tuple, params: np.ndarray) -> float:
    """The longest step in which the strongest point inflow raises its cell no faster than the CFL
    rule allows for the depth it makes: in a step dt it puts Q dt / A into the cell, whose waves
    then run at sqrt(g Q dt / A), and alpha dx over that speed bounds dt, so dt <= (alpha^2 dx^2 A
    / (g Q))^(1/3). Without it a run starting dry takes its longest step (5 s) and a 0.4 m3/s
    inflow dumps half a metre into a 2 m cell at once, which sloshes to 0.4 m for minutes."""
    discharge = inflows[4]
    peak = discharge.max() if len(discharge) else 0.0
    if peak <= 0.0:
        return params[P_MAX_STEP]
    cell = params[P_CELL]
    return (params[P_ALPHA] ** 2 * cell ** 4 / (GRAVITY * peak)) ** (1.0 / 3.0)


@njit(**_INLINE)
def _edge_outflow_volume(qx: np.ndarray, qy: np.ndarray, dx: float, dt: float) -> float:
    """Volume leaving through the open domain edges in a step, m3."""
    width_sum = 0.0
    for i in range(qx.shape[0]):
        width_sum += max(-qx[i, 0], 0.0) + max(qx[i, -1], 0.0)
    for j in range(qy.shape[1]):
        width_sum += max(-qy[0, j], 0.0) + max(qy[-1, j], 0.0)
    return width_sum * dx * dt


@njit(**_INLINE)
def _add_inflows(h: np.ndarray, row_max_wave: np.ndarray, inflows: tuple, t: float, dt: float, area: float,
                 totals: np.ndarray) -> None:
    """Point inflows' volumes over [t, t + dt] (midpoint rule) into their cells.

    `inflows` holds per inflow its row, column and the range of its hydrograph's points in the
    concatenated times (s) and discharges (m3/s); none flows outside its points' times.
    """
    rows, cols, offsets, times, discharge = inflows
    middle = t + 0.5 * dt
    for k in range(len(rows)):
        first, stop = offsets[k], offsets[k + 1]
        if middle < times[first] or middle > times[stop - 1]:
            continue
        volume = np.interp(middle, times[first:stop], discharge[first:stop]) * dt
        added = volume / area
        h[rows[k], cols[k]] += added
        totals[T_INFLOW] += volume
        # sqrt(g (h + added)) <= sqrt(g h) + sqrt(g added): the row's bound stays a bound
        row_max_wave[rows[k]] += np.sqrt(GRAVITY * added)


@njit(**_INLINE)
def _block_rows(rows: int, blocks: int, block: int) -> tuple[int, int]:
    """The cell rows first to stop - 1 of one of `blocks` blocks of a grid of `rows` rows."""
    return block * rows // blocks, (block + 1) * rows // blocks


@njit(**_PARALLEL, fastmath=_FLUX_MATH)
def sweep_fluxes(grid: tuple, now: tuple, scratch: tuple, params: np.ndarray, dt: float) -> None:
    """The first half of a step: per block of cell rows (one per thread), the face velocities,
    the new discharges and the outflow shares into the block's own scratch arrays (`scratch`:
    per block ux, vy, qx_new, qy_new, factor), from the old depths and discharges `now`.

    The passes depend on their neighbours one row away: the depths of a row need the outflow
    shares of the rows beside it, those the discharges of the faces around them, the discharges
    the velocities of the faces beside them. So a block computes them on a halo of two rows
    around itself, the same numbers its neighbour computes by the same code from the same
    inputs, and the passes need no barrier between them: a step is two parallel regions
    (this and sweep_depths), not four.
    """
    z, cell_class, n2x, n2y, dropx, dropy, _, _ = grid
    h, qx, qy = now
    rows, blocks = h.shape[0], scratch[0].shape[0]
    dx, advection = params[P_CELL], params[P_ADVECTION_DEPTH] > 0.0
    theta, dry_depth, limiter, open_edges = (params[P_THETA], params[P_DRY], int(params[P_LIMITER]),
                                             params[P_OPEN_EDGES] > 0.0)
    for block in prange(blocks):
        first, stop = _block_rows(rows, blocks, block)
        ux, vy, qx_new, qy_new, factor = (scratch[0][block], scratch[1][block], scratch[2][block],
                                          scratch[3][block], scratch[4][block])
        if advection and first < stop:
            _velocity_rows(z, h, cell_class, qx, qy, ux, vy, params[P_ADVECTION_DEPTH], max(first - 2, 0),
                           min(stop + 3, rows + 1))
        if first < stop:
            _flux_rows(z, h, cell_class, qx, qy, ux, vy, qx_new, qy_new, n2x, n2y, dropx, dropy, dt, dx,
                       theta, dry_depth, advection, limiter, open_edges, max(first - 1, 0),
                       min(stop + 2, rows + 1))
            _limit_rows(h, qx_new, qy_new, dt, dx, factor, max(first - 1, 0), min(stop + 1, rows))


@njit(**_PARALLEL, fastmath=_DEPTH_MATH)
def sweep_depths(grid: tuple, now: tuple, after: tuple, scratch: tuple, tracks: tuple, params: np.ndarray,
                 dt: float, rain: float, roof_drained: float, time_after: float) -> None:
    """The second half of a step: per block, the limited discharges and the depths into `after`
    (see _depth_rows), from the block's scratch arrays that sweep_fluxes filled."""
    cell_class = grid[1]
    h = now[0]
    h_next, qx_next, qy_next = after
    max_depth, max_velocity, arrival, excess_infiltrated, row_volumes, row_max_wave = tracks
    rows, blocks = h.shape[0], scratch[0].shape[0]
    for block in prange(blocks):
        first, stop = _block_rows(rows, blocks, block)
        _depth_rows(grid[0], h, cell_class, scratch[2][block], scratch[3][block], scratch[4][block], h_next,
                    qx_next, qy_next, dt, params[P_CELL], rain, params[P_INITIAL_RATE], params[P_FINAL_RATE],
                    params[P_HORTON], excess_infiltrated, params[P_SEWER], roof_drained, time_after,
                    params[P_WET], params[P_VELOCITY_DEPTH], max_depth, max_velocity, arrival, row_volumes,
                    row_max_wave, first, stop)


@njit(cache=True, nogil=True, error_model="numpy")
def step(grid: tuple, state: tuple, params: np.ndarray, totals: np.ndarray, inflows: tuple, t: float,
         dt: float, rain: float) -> None:
    """One time step of `dt` from `t` under `rain` (m/s): the passes from the depths and
    discharges `state[0]` into `state[1]` (the caller swaps them), the roofs' downpipes, the
    point inflows, and the volumes added to `totals` (float64).

    `grid` and `state` are the arrays of solver.FlowState (see there), `params` its parameter
    vector (P_ indices). One compiled call a step: called from Python, the passes and the
    accounting cost more than the passes' own work on small grids, and held the GIL between them.
    """
    now, after, scratch, tracks = state
    h, qx, qy = after
    row_volumes, row_max_wave = tracks[4], tracks[5]
    dx, sewer = params[P_CELL], params[P_SEWER]
    roof_drained = min(rain, sewer) * dt if params[P_ROOFS_TO_SEWER] > 0.0 else 0.0
    sweep_fluxes(grid, now, scratch, params, dt)
    sweep_depths(grid, now, after, scratch, tracks, params, dt, rain, roof_drained, t + dt)
    area = dx * dx
    spill = rain * dt - roof_drained  # roof water the gutters did not take, m per roof cell
    if spill > 0.0 and params[P_ROOF_CELLS] > 0.0:
        pour_downpipes(h, grid[6], grid[7], spill, tracks[0], row_max_wave)
        # a roof block with no open cell beside it has nowhere else to drain
        totals[T_SEWER] += params[P_UNROUTED] * spill * area
    if params[P_OPEN_EDGES] > 0.0:
        totals[T_BOUNDARY] += _edge_outflow_volume(qx, qy, dx, dt)
    sums = np.zeros(4)
    for i in range(row_volumes.shape[0]):
        for k in range(4):
            sums[k] += row_volumes[i, k]
    totals[T_RAIN] += sums[0] * area
    totals[T_INFILTRATION] += sums[1] * area
    totals[T_SEWER] += sums[2] * area
    totals[T_REPAIR] += sums[3] * area
    _add_inflows(h, row_max_wave, inflows, t, dt, area, totals)


@njit(cache=True, nogil=True, error_model="numpy")
def advance(grid: tuple, state: tuple, params: np.ndarray, totals: np.ndarray, inflows: tuple, t: float,
            stop: float, rain: float, max_steps: int) -> tuple[float, int]:
    """Steps of the stable length from `t` towards `stop` (the last one lands on it exactly),
    at most `max_steps` of them, under a constant `rain`; returns the time reached and the steps.

    Each step goes from one of the state's two buffers of depths and discharges into the other:
    after an odd number of steps the result lies in `state[1]` (the caller swaps them).
    The time loop runs here rather than in Python so that a step costs one pass over the
    passes and no interpreter time, and holds the GIL not at all.
    """
    now, after, scratch, tracks = state
    steps = 0
    while t < stop and steps < max_steps:
        dt = min(stable_step(tracks[5], params), inflow_step(inflows, params), stop - t)
        if stop - (t + dt) < 1e-9 * max(stop, 1.0):
            dt, t_after = stop - t, stop  # land exactly on the stop, never a sliver short of it
        else:
            t_after = t + dt
        step(grid, (now, after, scratch, tracks), params, totals, inflows, t, dt, rain)
        now, after = after, now
        t, steps = t_after, steps + 1
    return t, steps


STEP_KERNELS = (face_velocities, update_fluxes, outflow_limits, sweep_fluxes, sweep_depths, step, advance)


def loaded() -> bool:
    """Whether this process has the time loop ready: compiled, or loaded from numba's cache
    (the passes it calls come with it)."""
    return bool(advance.signatures)
