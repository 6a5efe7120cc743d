"""2-D rain-on-grid surface flow: the local inertial scheme with an adaptive time step.

Bates, Horritt & Fewtrell (2010) with the theta average of de Almeida et al. (2012), plus the
convective acceleration d(qu)/dx + d(qv)/dy (upwind, conservative) that the plain scheme leaves
out: without it the steady surface of a channel whose discharge grows downstream (rain) or
whose depth varies lies a few centimetres too low (SWASHES MacDonald). The time step follows
the CFL condition of the shallow-water equations, dt = alpha * dx / max(|u| + sqrt(g h)) over
the cells, |u| from the discharges of each cell's faces over those faces' flow depths (Bates et al.
2010 use sqrt(g h_max) alone, their scheme having no convective term; VALIDATION.md "Time step"
says why faces), bounded by the depth the strongest point inflow adds in a step, capped by
`max_step` and cut to land exactly on rain changes, snapshots and probe samples.
Depths and all volumes are float64; outflows are scaled so no cell runs below zero (no water
is made by clipping).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
from scipy import ndimage

from plugins.flood import kernels
from plugins.flood.kernels import OUTSIDE, ROOF, SEALED, UNSEALED  # noqa: F401  (re-exported classes)
from plugins.flood.rain import RainSeries

ProgressCallback = Callable[[float, str], None]
FROUDE_LIMITS = {"drops": kernels.LIMIT_DROPS, "everywhere": kernels.LIMIT_EVERYWHERE,
                 "off": kernels.LIMIT_OFF}


@dataclass
class Domain:
    """The grid the water runs on: terrain (m), Manning's n per cell and the cell classes."""

    terrain: np.ndarray
    cell_size: float
    manning: np.ndarray
    cell_class: np.ndarray  # uint8: OUTSIDE, UNSEALED, SEALED, ROOF
    open_edges: bool = False

    def __post_init__(self) -> None:
        self.terrain = np.where(self.cell_class == OUTSIDE, 0.0,
                                np.nan_to_num(self.terrain.astype(np.float64), nan=0.0))
        self.manning = np.ascontiguousarray(self.manning, dtype=np.float64)
        self.cell_class = np.ascontiguousarray(self.cell_class, dtype=np.uint8)
        if not (self.terrain.shape == self.manning.shape == self.cell_class.shape):
            raise ValueError("terrain, roughness and cell classes differ in shape")
        self.roof_cells = int(np.count_nonzero(self.cell_class == ROOF))
        self.downpipe_cells, self.downpipe_shares, self.unrouted_roof_cells = downpipes(self.cell_class)

    @property
    def shape(self) -> tuple[int, int]:
        return self.terrain.shape  # type: ignore[return-value]

    @property
    def cell_area(self) -> float:
        return self.cell_size * self.cell_size

    def face_roughness(self) -> tuple[np.ndarray, np.ndarray]:
        """n squared on the x and y faces: the mean of the two cells' n (edges: the edge cell's)."""
        n = self.manning
        n2x = np.empty((n.shape[0], n.shape[1] + 1))
        n2x[:, 1:-1] = (0.5 * (n[:, :-1] + n[:, 1:])) ** 2
        n2x[:, 0], n2x[:, -1] = n[:, 0] ** 2, n[:, -1] ** 2
        n2y = np.empty((n.shape[0] + 1, n.shape[1]))
        n2y[1:-1] = (0.5 * (n[:-1] + n[1:])) ** 2
        n2y[0], n2y[-1] = n[0] ** 2, n[-1] ** 2
        return n2x, n2y

    def face_drops(self) -> tuple[np.ndarray, np.ndarray]:
        """Per face, how far its bed step downhill exceeds the step of the face behind it (m).

        Positive where the face falls towards higher column (x) or row (y), negative where it
        falls the other way, 0 on the outer faces. On a steady slope the steps are equal and
        the value is 0; at a wall into a trench it is the wall's height. The critical-flow
        limiter caps a face whose value exceeds the depth of the cell the flow leaves (see
        kernels._critical_limited). Float32: a centimetre's resolution is all it needs, and
        the flux pass reads it on every face.
        """
        flows = flowing(self.cell_class)
        dropx = np.zeros((self.shape[0], self.shape[1] + 1), np.float32)
        dropy = np.zeros((self.shape[0] + 1, self.shape[1]), np.float32)
        dropx[:, 1:-1] = _row_drops(self.terrain, flows)
        dropy[1:-1] = _row_drops(self.terrain.T, flows.T).T
        return dropx, dropy


def flowing(cell_class: np.ndarray) -> np.ndarray:
    """The cells water flows over: open ground, sealed or not (not outside, not a roof)."""
    return (cell_class == UNSEALED) | (cell_class == SEALED)


def roof_block_outlets(cell_class: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """(open cell flat index, roof block label) pairs: each open cell once per roof block it borders."""
    flows = flowing(cell_class)
    padded = np.pad(blocks, 1)
    rows, cols = cell_class.shape
    pairs = []
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        beside = padded[1 + di:1 + di + rows, 1 + dj:1 + dj + cols]
        cells = np.flatnonzero(flows & (beside > 0))
        pairs.append(np.stack([cells, beside.ravel()[cells]], axis=1))
    return np.unique(np.concatenate(pairs), axis=0)


def downpipes(cell_class: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Where the rain that the sewer cannot take runs off the roofs: the footprint's edge cells.

    Roofs that touch (a terraced block) drain as one: each block of 4-connected ROOF cells pours
    evenly onto the open cells beside it (its downpipes), street side and courtyard alike.
    Returns the flat indices of those cells, per cell the roof cells it takes the water of
    (summed where it borders two blocks), and the count of roof cells whose block has no open
    cell beside it (their water goes to the sewer: see FlowState.step).
    """
    blocks, count = ndimage.label(cell_class == ROOF)
    if count == 0:
        return np.zeros(0, np.intp), np.zeros(0), 0
    cell_block = roof_block_outlets(cell_class, blocks)
    roof_count = np.bincount(blocks.ravel(), minlength=count + 1)
    outlet_count = np.bincount(cell_block[:, 1], minlength=count + 1)
    shares = roof_count[cell_block[:, 1]] / outlet_count[cell_block[:, 1]]
    cells, position = np.unique(cell_block[:, 0], return_inverse=True)
    unrouted = int(roof_count[1:][outlet_count[1:] == 0].sum())
    return cells.astype(np.intp), np.bincount(position, weights=shares), unrouted


def _row_drops(terrain: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Domain.face_drops for the inner faces between the columns of each row."""
    step = terrain[:, :-1] - terrain[:, 1:]  # downhill towards higher column
    # the face behind, for flow towards higher column: one column back; where there is none,
    # or its cell takes no flow, the face's own step (no excess)
    behind = step.copy()
    behind[:, 1:] = np.where(flows[:, :-2], step[:, :-1], step[:, 1:])
    ahead = step.copy()  # for flow towards lower column: one column on
    ahead[:, :-1] = np.where(flows[:, 2:], step[:, 1:], step[:, :-1])
    towards_higher = np.maximum(step - np.maximum(behind, 0.0), 0.0)
    towards_lower = np.maximum(-step - np.maximum(-ahead, 0.0), 0.0)
    return np.where(step > 0.0, towards_higher, -towards_lower)


@dataclass(frozen=True)
class PointInflow:
    """Discharge (m3/s) into one cell, linear between the hydrograph's points, 0 outside them."""

    row: int
    col: int
    times: np.ndarray  # s
    discharge: np.ndarray  # m3/s

    def volume(self, start: float, dt: float) -> float:
        """Volume in over [start, start + dt] (midpoint rule: exact for a linear hydrograph)."""
        middle = start + 0.5 * dt
        if middle < self.times[0] or middle > self.times[-1]:
            return 0.0
        return float(np.interp(middle, self.times, self.discharge)) * dt


@dataclass(frozen=True)
class Losses:
    """Loss rates in m/s: infiltration on unsealed cells, sewer on sealed cells.

    Roof rain goes to the sewer up to the same capacity, the rest to the ground through the
    downpipes (see `roofs_to_sewer` and downpipes). Infiltration follows Horton's curve from
    `infiltration_initial` down to `infiltration_final` with `horton_decay`, in its cumulative
    form: the capacity falls with the water a cell has taken in, not with the time since the
    start (see kernels.update_depths).
    """

    infiltration_final: float = 0.0
    infiltration_initial: float = 0.0
    horton_decay: float = 0.0  # 1/s; 0 means a constant rate (infiltration_final)
    sewer: float = 0.0
    # True: roofs are connected to the sewer and take its capacity per square metre like sealed
    # ground (the capacity is the sewer's, so it holds for the whole connected area); what it
    # cannot take overflows from the downpipes onto the cells beside the footprint. False: all
    # roof rain runs out of the downpipes (roofs disconnected from the sewer).
    roofs_to_sewer: bool = True

    @property
    def initial_rate(self) -> float:
        """The capacity of a cell that has taken in nothing yet."""
        return self.infiltration_initial if self.horton_decay > 0.0 else self.infiltration_final


@dataclass(frozen=True)
class Settings:
    # The explicit staggered scheme is stable for sqrt(g h) dt / dx below 1/sqrt(2) in 2-D; the
    # 0.7 of Bates et al. (2010) sits on that edge and relies on friction, which a deep pond
    # lacks: a filling underpass rang with waves of hundreds of m/s at 0.7 and rose smoothly
    # at 0.5 (test_an_underpass_filling_over_its_walls_rises_smoothly).
    alpha: float = 0.5
    theta: float = 0.8
    max_step: float = 5.0  # s
    dry_depth: float = 1e-4  # m: faces shallower than this carry no flow
    wet_depth: float = 0.01  # m: first wetting counts from this depth
    velocity_depth: float = 0.01  # m: velocities only where the water is at least this deep
    advection_depth: float = 0.01  # m: convective term only on faces this deep; 0 leaves it out
    # where face discharge is capped at critical flow: "drops" (and wet/dry fronts),
    # "everywhere" (biases steep sheet flow: see kernels._critical_limited) or "off"
    froude_limit: str = "drops"

    def __post_init__(self) -> None:
        if self.froude_limit not in FROUDE_LIMITS:
            raise ValueError(f"froude_limit must be one of {', '.join(FROUDE_LIMITS)}, "
                             f"not '{self.froude_limit}'")

    @property
    def limiter(self) -> int:
        """The kernels' code for froude_limit."""
        return FROUDE_LIMITS[self.froude_limit]


@dataclass
class VolumeBalance:
    """Volumes in m3 over a run, summed in float64."""

    initial: float = 0.0
    rain: float = 0.0
    inflow: float = 0.0
    infiltration: float = 0.0
    sewer: float = 0.0
    boundary: float = 0.0
    repair: float = 0.0
    stored: float = 0.0

    @property
    def error(self) -> float:
        """Stored minus what the sources and sinks account for, m3."""
        expected = (self.initial + self.rain + self.inflow + self.repair
                    - self.infiltration - self.sewer - self.boundary)
        return self.stored - expected

    @property
    def relative_error(self) -> float:
        scale = self.initial + self.rain + self.inflow
        return abs(self.error) / scale if scale > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"initial_m3": self.initial, "rain_m3": self.rain, "inflow_m3": self.inflow,
                "infiltration_m3": self.infiltration, "sewer_m3": self.sewer,
                "boundary_outflow_m3": self.boundary, "rounding_repair_m3": self.repair,
                "stored_m3": self.stored, "error_m3": self.error,
                "relative_error": self.relative_error}


@dataclass
class FloodResult:
    depth: np.ndarray  # at the end
    max_depth: np.ndarray
    max_velocity: np.ndarray
    arrival: np.ndarray  # s; NaN where never wet
    snapshot_times: np.ndarray
    snapshots: np.ndarray  # (times, rows, cols) float32
    probe_times: np.ndarray
    probe_depths: np.ndarray  # (times, probes)
    balance: VolumeBalance
    steps: int
    seconds: float
    cell_updates: float = field(default=0.0)


def simulate(domain: Domain, rain: RainSeries, duration: float, *, losses: Losses = Losses(),
             inflows: tuple[PointInflow, ...] = (), initial_depth: np.ndarray | None = None,
             settings: Settings = Settings(), snapshot_interval: float = 0.0,
             probes: tuple[tuple[int, int], ...] = (), probe_interval: float = 60.0,
             progress: ProgressCallback | None = None) -> FloodResult:
    """Run the flood for `duration` seconds and return maxima, snapshots, probes and the balance."""
    state = FlowState(domain, initial_depth)
    snapshot_times = _output_times(duration, snapshot_interval)
    probe_times = _output_times(duration, probe_interval) if probes else np.zeros(0)
    probe_rows = np.array([p[0] for p in probes], dtype=np.intp)
    probe_cols = np.array([p[1] for p in probes], dtype=np.intp)
    snapshots = np.zeros((len(snapshot_times), *domain.shape), dtype=np.float32)
    probe_depths = np.zeros((len(probe_times), len(probes)))
    stops = np.unique(np.concatenate([snapshot_times, probe_times, rain.change_times(), [duration]]))
    next_output = _OutputCursor(snapshot_times, probe_times)
    next_output.record(0.0, state.h, snapshots, probe_depths, probe_rows, probe_cols)
    params, point_inflows = state.parameters(losses, settings), inflow_arrays(inflows)
    started, last_report, reported_t, steps, t, chunk = time.perf_counter(), 0.0, 0.0, 0, 0.0, 1
    while t < duration:
        stop = stops[np.searchsorted(stops, t, side="right")]
        chunk_started = time.perf_counter()
        t, done = state.advance(t, stop, rain.rate_at(t), params, point_inflows, chunk)
        steps += done
        chunk = _next_chunk(done, time.perf_counter() - chunk_started)
        next_output.record(t, state.h, snapshots, probe_depths, probe_rows, probe_cols)
        # each tenth of the simulated time too: a run shorter than the throttle still says how far it is
        if progress is not None and (time.perf_counter() - last_report > 0.25
                                     or int(10 * t / duration) > int(10 * reported_t / duration)):
            last_report, reported_t = time.perf_counter(), t
            progress(t / duration, f"{t / 60:.1f} of {duration / 60:.0f} min simulated")
    state.balance.stored = state.stored_volume()
    seconds = time.perf_counter() - started
    active = int(np.count_nonzero(flowing(domain.cell_class)))
    return FloodResult(state.h, state.max_depth, state.max_velocity, state.arrival, snapshot_times,
                       snapshots, probe_times, probe_depths, state.balance, steps, seconds,
                       cell_updates=float(steps) * active)


# s: how long one compiled call of the time loop may run, so that progress and cancellation
# (through the progress callback) come back to Python several times a second
CHUNK_SECONDS = 0.1


def _next_chunk(steps: int, seconds: float) -> int:
    """How many steps the next call of the time loop may take, from the last call's pace."""
    if steps == 0 or seconds <= 0.0:
        return 1
    return max(1, min(int(CHUNK_SECONDS * steps / seconds), 100_000))


def block_scratch(rows: int, cols: int, blocks: int) -> tuple[np.ndarray, ...]:
    """Per block of rows (kernels.sweep_fluxes runs one per thread), its own face velocities ux, vy,
    unlimited discharges qx_new, qy_new and outflow shares (with the ring of 1.0 of
    kernels._limited), each the size of the whole grid: a block writes only its rows and their
    halo, and the pages of the rest of the zeroed ones are never touched, so they cost address
    space, not memory."""
    blocks = max(1, min(blocks, rows))
    return (np.zeros((blocks, rows, cols + 1)), np.zeros((blocks, rows + 1, cols)),
            np.zeros((blocks, rows, cols + 1)), np.zeros((blocks, rows + 1, cols)),
            np.ones((blocks, rows + 2, cols + 2)))


def inflow_arrays(inflows: tuple[PointInflow, ...]) -> tuple[np.ndarray, ...]:
    """The point inflows as the compiled time loop takes them: rows, columns, the offsets of each
    hydrograph in the concatenated times and discharges, the times (s), the discharges (m3/s)."""
    counts = [len(inflow.times) for inflow in inflows]
    return (np.array([inflow.row for inflow in inflows], dtype=np.int64),
            np.array([inflow.col for inflow in inflows], dtype=np.int64),
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            np.concatenate([np.asarray(inflow.times, np.float64) for inflow in inflows] or [np.zeros(0)]),
            np.concatenate([np.asarray(inflow.discharge, np.float64) for inflow in inflows] or [np.zeros(0)]))


def _output_times(duration: float, interval: float) -> np.ndarray:
    if interval <= 0:
        return np.zeros(0)
    times = np.arange(0.0, duration + 1e-9, interval)
    return times if times[-1] >= duration - 1e-9 else np.append(times, duration)


class _OutputCursor:
    """Writes snapshots and probe samples when the clock reaches their times."""

    def __init__(self, snapshot_times: np.ndarray, probe_times: np.ndarray) -> None:
        self.snapshot_times, self.probe_times = snapshot_times, probe_times
        self.next_snapshot = self.next_probe = 0

    def record(self, t: float, h: np.ndarray, snapshots: np.ndarray, probe_depths: np.ndarray,
               rows: np.ndarray, cols: np.ndarray) -> None:
        tolerance = 1e-6
        while self.next_snapshot < len(self.snapshot_times) \
                and self.snapshot_times[self.next_snapshot] <= t + tolerance:
            snapshots[self.next_snapshot] = h
            self.next_snapshot += 1
        while self.next_probe < len(self.probe_times) and self.probe_times[self.next_probe] <= t + tolerance:
            probe_depths[self.next_probe] = h[rows, cols]
            self.next_probe += 1


class FlowState:
    """The arrays of a run and one time step over them."""

    def __init__(self, domain: Domain, initial_depth: np.ndarray | None, blocks: int | None = None) -> None:
        """`blocks`: how many blocks of rows a step splits the grid into (default: one a thread)."""
        self.domain = domain
        rows, cols = domain.shape
        active = flowing(domain.cell_class)
        self.h = np.zeros((rows, cols)) if initial_depth is None else \
            np.where(active, initial_depth, 0.0).astype(np.float64)
        self.qx, self.qy = np.zeros((rows, cols + 1)), np.zeros((rows + 1, cols))
        # a step writes its depths and discharges into the other buffer: see kernels.advance
        self._spare = (np.zeros_like(self.h), np.zeros_like(self.qx), np.zeros_like(self.qy))
        self.n2x, self.n2y = domain.face_roughness()
        self.dropx, self.dropy = domain.face_drops()
        self._scratch = block_scratch(rows, cols, blocks or numba.get_num_threads())
        self.max_depth = self.h.copy()
        self.max_velocity = np.zeros((rows, cols))
        self.arrival = np.full((rows, cols), np.nan)
        self.excess_infiltrated = np.zeros((rows, cols))  # m above the final rate: see Losses
        self.row_volumes = np.zeros((rows, 4))
        # the fastest signal |u| + sqrt(g h) per row; the water starts at rest
        self.row_max_wave = np.sqrt(kernels.GRAVITY * self.h).max(axis=1) if cols else np.zeros(rows)
        self.totals = np.zeros(6)  # the run's volumes, m3, by kernels.T_ index
        self.balance = VolumeBalance(initial=self.stored_volume())
        self._grid = (domain.terrain, domain.cell_class, self.n2x, self.n2y, self.dropx, self.dropy,
                      domain.downpipe_cells.astype(np.int64), domain.downpipe_shares.astype(np.float64))
        self._tracks = (self.max_depth, self.max_velocity, self.arrival, self.excess_infiltrated,
                        self.row_volumes, self.row_max_wave)

    def stored_volume(self) -> float:
        return float(self.h.sum(dtype=np.float64)) * self.domain.cell_area

    def parameters(self, losses: Losses, settings: Settings) -> np.ndarray:
        """The compiled step's parameter vector (kernels.P_ indices)."""
        domain = self.domain
        values = {kernels.P_CELL: domain.cell_size, kernels.P_ALPHA: settings.alpha,
                  kernels.P_MAX_STEP: settings.max_step, kernels.P_THETA: settings.theta,
                  kernels.P_DRY: settings.dry_depth, kernels.P_WET: settings.wet_depth,
                  kernels.P_VELOCITY_DEPTH: settings.velocity_depth,
                  kernels.P_ADVECTION_DEPTH: settings.advection_depth, kernels.P_LIMITER: settings.limiter,
                  kernels.P_OPEN_EDGES: float(domain.open_edges), kernels.P_INITIAL_RATE: losses.initial_rate,
                  kernels.P_FINAL_RATE: losses.infiltration_final, kernels.P_HORTON: losses.horton_decay,
                  kernels.P_SEWER: losses.sewer, kernels.P_ROOFS_TO_SEWER: float(losses.roofs_to_sewer),
                  kernels.P_ROOF_CELLS: float(domain.roof_cells),
                  kernels.P_UNROUTED: float(domain.unrouted_roof_cells)}
        params = np.zeros(len(values))
        for index, value in values.items():
            params[index] = value
        return params

    def stable_step(self, settings: Settings, inflows: tuple[PointInflow, ...] = ()) -> float:
        """The step simulate's time loop takes next (kernels.stable_step and inflow_step)."""
        params = self.parameters(Losses(), settings)
        return min(kernels.stable_step(self.row_max_wave, params),
                   kernels.inflow_step(inflow_arrays(inflows), params))

    def step(self, t: float, dt: float, rain: float, losses: Losses,
             inflows: tuple[PointInflow, ...], settings: Settings) -> None:
        """One step of `dt` from `t` (simulate takes its steps through advance)."""
        kernels.step(self._grid, self._state(), self.parameters(losses, settings), self.totals,
                     inflow_arrays(inflows), t, dt, rain)
        self._swap_buffers()
        self._update_balance()

    def advance(self, t: float, stop: float, rain: float, params: np.ndarray,
                inflows: tuple[np.ndarray, ...], max_steps: int) -> tuple[float, int]:
        """Stable steps from `t` towards `stop` under a constant `rain`, at most `max_steps`;
        the time reached and the steps taken (see kernels.advance)."""
        t, steps = kernels.advance(self._grid, self._state(), params, self.totals, inflows, t, stop, rain,
                                   max_steps)
        if steps % 2:
            self._swap_buffers()
        self._update_balance()
        return t, steps

    def _state(self) -> tuple:
        """The compiled step's state: the depths and discharges now, the buffer for the next ones,
        the blocks' scratch arrays and the per-cell and per-row records."""
        return (self.h, self.qx, self.qy), self._spare, self._scratch, self._tracks

    def _swap_buffers(self) -> None:
        (self.h, self.qx, self.qy), self._spare = self._spare, (self.h, self.qx, self.qy)

    def _update_balance(self) -> None:
        totals, balance = self.totals.tolist(), self.balance
        balance.rain, balance.infiltration = totals[kernels.T_RAIN], totals[kernels.T_INFILTRATION]
        balance.sewer, balance.boundary = totals[kernels.T_SEWER], totals[kernels.T_BOUNDARY]
        balance.repair, balance.inflow = totals[kernels.T_REPAIR], totals[kernels.T_INFLOW]
