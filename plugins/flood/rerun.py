"""A quick answer for the room: the flood re-run only where the proposals can change the water.

A workshop draws a retention area and wants to see what it does while it waits. A drawn measure
changes the water at its own cells and downstream of them, nowhere else (a pond also draws a
little water from just around it). So the quick re-run takes the before run, which the workshop
has on screen already, and computes again only a sub-domain:

1. the cells the measures change: where the solver's domain with the proposals differs from the
   one without (terrain, cell class, roughness, the roofs' downpipes), whatever the measure's kind;
2. everything downstream of them on the before run's routes (`prepare` finds them once): D8
   directions of steepest descent over the terrain with buildings as walls and its hollows
   filled (pyflwdir, as plugins/flood/catchments.py), except the hollows the before run's water
   did not fill to the brim, where the paths end; the ponds of the before run those paths reach
   (a measure raises or lowers a pond's level all over it); a buffer of `buffer_m` around all;
3. on the smallest window around that sub-domain the solver runs the storm twice, without and
   with the measures, while a ring of `EDGE_CELLS` cells around the sub-domain follows the
   before run's depths (its snapshots, linear in time between them): water runs in and out
   across the ring as the head on either side says, so the flow from the rest of the quarter
   arrives as it did before. Cells of the window beyond the ring are left out (walls). The
   ring passes the flow in a little short (the walls behind it hold still water, which slows
   its flow), the same in both runs: their difference, the measures' change, drops that error;
4. the before run plus that change in the sub-domain, the before run everywhere else.

The before run must have kept its depths at least every `BOUNDARY_INTERVAL_MIN` minutes
(`before_parameters` sets that). The solver's cost grows with the window's cells, and its time
steps with the fastest water in the window, so a pond in a corner of a quarter costs a small part
of the full run. The routes assume that the measures do not send water where the before run's
did not go: a new building's walls are not in them (the buffer holds the way round it), and a
measure that adds water to a hollow that did not spill over is not followed beyond it.
benchmarks/bench_proposal_rerun.py measures the re-run against the full one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyflwdir
from scipy import ndimage

from plugins.flood.kernels import GRAVITY, OUTSIDE, ROOF
from plugins.flood.simulation import FloodSetup, FloodSimulation, flood_setup
from plugins.flood.solver import Domain, FlowState, PointInflow, flowing, inflow_arrays
from twin.core.data import ResultRaster
from twin.core.feedback import Feedback
from twin.sim import SimulationInputError, SimulationInputs
from twin.sim.runner import resolve_parameters

BOUNDARY_INTERVAL_MIN = 1.0  # the before run's snapshots the sub-domain's edge follows
BUFFER_M = 20.0  # around the downstream paths: the water spreads sideways
# the ring that follows the before run: wide, because the walls behind it slow its flow (Johannstadt's
# underpass, runs without the measures: 35 mm below the before run with 6 cells, 7 mm with 14)
EDGE_CELLS = 14
WALL_M = 100.0  # roofs raised this much for the flow directions, so that paths go round buildings
HOLLOW_DEPTH_M = 0.01  # a cell this far below its filled height lies in a hollow
BRIM_TOLERANCE_M = 0.02  # a hollow whose water came this close to its brim spilled over it
MAX_NESTING = 2  # hollows within unfilled hollows looked at, in turn
POND_DEPTH_M = 0.10  # the before run's water this deep stands in ponds (a measure moves their level)
NODATA = -9999.0
D8_CODES = np.array([[32, 64, 128], [16, 0, 1], [8, 4, 2]])  # pyflwdir's D8 code of each neighbour


@dataclass(frozen=True)
class Routes:
    """Where the before run's water goes: D8 flow directions (pyflwdir) that end in the hollows
    it did not fill, and its ponds (labels, 0 elsewhere)."""

    flow: pyflwdir.FlwdirRaster
    ponds: np.ndarray


@dataclass(frozen=True)
class Baseline:
    """What every quick re-run reuses: the before run's deepest water and depth snapshots, its
    domain and its routes."""

    max_depth: ResultRaster
    depth: ResultRaster
    setup: FloodSetup
    routes: Routes
    parameters: dict[str, Any]


@dataclass(frozen=True)
class SubDomain:
    """Where the quick re-run computes: a window of the grid, its cells computed (`free`) and the
    ring around them that follows the before run (`edge`), both in the window's shape."""

    rows: slice
    cols: slice
    free: np.ndarray
    edge: np.ndarray

    @property
    def cells(self) -> int:
        return int(self.free.size)


@dataclass(frozen=True)
class QuickRerun:
    """The deepest water with the proposals (the before run's outside the sub-domain), its change,
    the depth at the end, where it was computed, and the run's setup with the proposals (its
    buildings and streets, for the figures: plugins/flood/quick_effect.py)."""

    max_depth: ResultRaster
    change: ResultRaster
    final_depth: np.ndarray
    subdomain: SubDomain
    steps: int
    setup: FloodSetup


def before_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The before run's parameters with depth snapshots often enough for the quick re-run's edge."""
    interval = min(float(params.get("snapshot_interval_min", BOUNDARY_INTERVAL_MIN)), BOUNDARY_INTERVAL_MIN)
    return {**params, "snapshot_interval_min": interval}


def prepare(inputs: SimulationInputs, params: Mapping[str, Any], before: Sequence[ResultRaster],
            feedback: Feedback | None = None) -> Baseline:
    """The baseline of quick re-runs from the before run's results (`max_depth` and `depth`)."""
    results = {result.name: result for result in before}
    if "max_depth" not in results or "depth" not in results:
        raise SimulationInputError("the quick flood re-run needs the before run's max_depth and depth "
                                   "results")
    depth = results["depth"]
    steps = np.diff(np.asarray(depth.times, dtype=float)) if depth.times is not None else np.zeros(0)
    if not len(steps) or steps.max() > BOUNDARY_INTERVAL_MIN * 60.0 + 1e-6:
        raise SimulationInputError(
            f"the quick flood re-run needs the before run's depths at least every "
            f"{BOUNDARY_INTERVAL_MIN:g} min (parameter snapshot_interval_min); this one kept them every "
            f"{(steps.max() if len(steps) else 0.0) / 60.0:g} min")
    resolved = resolve_parameters(FloodSimulation, params)
    setup = flood_setup(replace(inputs, proposals=None), resolved, feedback or Feedback())
    if setup.domain.shape != results["max_depth"].values.shape \
            or not setup.terrain.transform.almost_equals(results["max_depth"].transform):
        raise SimulationInputError("the before run's grid differs from the scenario's: run it again")
    max_depth = results["max_depth"]
    return Baseline(max_depth, depth, setup, routes(setup.domain, max_depth.values), resolved)


def estimate(inputs: SimulationInputs, baseline: Baseline, feedback: Feedback | None = None,
             buffer_m: float = BUFFER_M) -> QuickRerun:
    """The deepest water with the proposals, re-run only downstream of what they change."""
    feedback = feedback or Feedback()
    setup = flood_setup(inputs, baseline.parameters, feedback.span(0.0, 0.05))
    changed = changed_cells(baseline.setup.domain, setup.domain)
    if not changed.any():
        raise SimulationInputError("the proposals change no cell of the flood's grid")
    subdomain = downstream_subdomain(baseline.routes, setup.domain, changed, buffer_m)
    feedback.progress(0.05, f"re-running {subdomain.cells:,} of {changed.size:,} cells, without and with")
    duration = baseline.parameters["duration_min"] * 60.0
    without = _run_window(baseline.setup, subdomain, baseline.depth, duration, feedback.span(0.05, 0.5))
    with_measures = _run_window(setup, subdomain, baseline.depth, duration, feedback.span(0.5, 1.0))
    return _composed(baseline, subdomain, without, with_measures, setup)


def changed_cells(before: Domain, after: Domain) -> np.ndarray:
    """Cells where the two domains differ: heights, classes, roughness or downpipe water."""
    return ((before.terrain != after.terrain) | (before.cell_class != after.cell_class)
            | (before.manning != after.manning)
            | ~np.isclose(_downpipe_grid(before), _downpipe_grid(after), rtol=1e-9, atol=0.0))


def _downpipe_grid(domain: Domain) -> np.ndarray:
    """Each cell's downpipe share (roof cells' worth of spill it receives), 0 where none."""
    shares = np.zeros(domain.terrain.size)
    shares[domain.downpipe_cells] = domain.downpipe_shares
    return shares.reshape(domain.shape)


def routes(domain: Domain, max_depth: np.ndarray) -> Routes:
    """The before run's routes: steepest-descent paths over the terrain with its hollows filled,
    save those that its water did not fill to the brim (the paths end in them), buildings as
    walls; and its ponds (water deeper than POND_DEPTH_M, 8-connected)."""
    flows = flowing(domain.cell_class)
    heights = np.where(domain.cell_class == OUTSIDE, NODATA,
                       domain.terrain + np.where(domain.cell_class == ROOF, WALL_M, 0.0))
    depth = np.nan_to_num(max_depth, nan=0.0)
    filled, directions = _filled(heights, flows, domain.terrain + depth)
    flow = pyflwdir.from_array(_steepest(filled, directions, domain.cell_size), ftype="d8", check_ftype=False)
    ponds, _count = ndimage.label(depth > POND_DEPTH_M, structure=np.ones((3, 3), bool))
    return Routes(flow, ponds)


def downstream_subdomain(routes: Routes, after: Domain, changed: np.ndarray, buffer_m: float) -> SubDomain:
    """The cells downstream of `changed` on the before run's routes, the ponds they reach, a
    buffer around them; the window that holds them and the ring that follows the before run.

    The routes are the before run's: a retention area's hollow is not where the water went, and
    it overflows along the old path; a new building's walls are not in them, but its cells are
    left out of the sub-domain and the buffer holds the way round it.
    """
    flows = flowing(after.cell_class)
    downstream = routes.flow.accuflux(changed.astype(np.float64), direction="up") > 0.0
    reached = np.unique(routes.ponds[(downstream | changed) & (routes.ponds > 0)])
    core = downstream | changed | np.isin(routes.ponds, reached[reached > 0])
    free = _grown(core, max(1, math.ceil(buffer_m / after.cell_size))) & flows
    edge = _grown(free, EDGE_CELLS) & ~free & flows
    rows, cols = ndimage.find_objects((free | edge).astype(np.int8))[0]
    return SubDomain(rows, cols, free[rows, cols], edge[rows, cols])


def _filled(heights: np.ndarray, flows: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The terrain with its hollows filled to the brim (pyflwdir) and its D8 directions, except
    the hollows whose water (`level`, at their lowest cell) stayed below the brim: these keep
    their water, so the paths into them end at their lowest cell. A hollow kept open may hold
    smaller ones, looked at in turn."""
    pits: list[int] = []
    filled, directions = pyflwdir.dem.fill_depressions(heights, outlets="edge", nodata=NODATA)
    for _nesting in range(MAX_NESTING):
        below = _unfilled_bottoms(filled, heights, flows, level)
        if not below:
            break
        pits.extend(below)
        filled, directions = pyflwdir.dem.fill_depressions(heights, outlets="edge", nodata=NODATA,
                                                           idxs_pit=np.array(pits, np.intp))
    return filled, directions


def _unfilled_bottoms(filled: np.ndarray, heights: np.ndarray, flows: np.ndarray,
                      level: np.ndarray) -> list[int]:
    """The cell (flat index) of the deepest water in each hollow whose water stayed below its
    brim: its bottom, where a hollow's floor is flat the pond's deepest point."""
    hollows, count = ndimage.label((filled - heights > HOLLOW_DEPTH_M) & flows)
    if not count:
        return []
    labels = np.arange(1, count + 1)
    brims = ndimage.maximum(filled, hollows, labels)
    bottoms = ndimage.maximum_position(level - heights, hollows, labels)
    return [int(np.ravel_multi_index(bottom, heights.shape))
            for bottom, brim in zip(bottoms, brims, strict=True) if level[bottom] < brim - BRIM_TOLERANCE_M]


def _steepest(filled: np.ndarray, directions: np.ndarray, cell: float) -> np.ndarray:
    """D8 directions of steepest descent over the filled terrain; pyflwdir's where no neighbour
    is lower (its filled hollows and flats, where it leads the way out). pyflwdir's own
    directions come from the order its priority flood reached the cells: a way down, often not
    the steepest (on a plane falling east, a diagonal towards the nearest edge)."""
    rows, cols = filled.shape
    padded = np.pad(np.where(filled == NODATA, np.inf, filled), 1, constant_values=np.inf)
    best_slope, best_code = np.zeros(filled.shape), np.zeros(filled.shape, np.uint8)
    for (dr, dc), code in np.ndenumerate(D8_CODES):
        if dr == dc == 1:
            continue
        slope = (filled - padded[dr:dr + rows, dc:dc + cols]) / (cell * math.hypot(dr - 1, dc - 1))
        steeper = slope > best_slope
        best_slope[steeper], best_code[steeper] = slope[steeper], code
    return np.where((best_slope > 0.0) & (filled != NODATA), best_code, directions).astype(np.uint8)


def _grown(cells: np.ndarray, radius: int) -> np.ndarray:
    """`cells` and every cell within `radius` cells of one (a disc); dilated on their box only."""
    grown = np.zeros(cells.shape, bool)
    found = ndimage.find_objects(cells.astype(np.int8))
    if not found:
        return grown
    box = tuple(slice(max(0, part.start - radius), part.stop + radius) for part in found[0])
    span = np.arange(-radius, radius + 1)
    disc = span[:, None] ** 2 + span[None, :] ** 2 <= radius * radius
    grown[box] = ndimage.binary_dilation(cells[box], structure=disc)
    return grown


def _window_domain(domain: Domain, subdomain: SubDomain) -> Domain:
    """The domain cut to the window: cells beyond the ring left out, the roofs' downpipes (which
    may lie across the window's edge) poured as in the whole domain."""
    window = (subdomain.rows, subdomain.cols)
    kept = subdomain.free | subdomain.edge | (domain.cell_class[window] == ROOF)
    cut = Domain(domain.terrain[window], domain.cell_size, domain.manning[window],
                 np.where(kept, domain.cell_class[window], OUTSIDE).astype(np.uint8), domain.open_edges)
    rows, cols = np.divmod(domain.downpipe_cells, domain.shape[1])
    local_rows, local_cols = rows - subdomain.rows.start, cols - subdomain.cols.start
    inside = (local_rows >= 0) & (local_rows < cut.shape[0]) & (local_cols >= 0) & (local_cols < cut.shape[1])
    inside[inside] = subdomain.free[local_rows[inside], local_cols[inside]]
    cut.downpipe_cells = (local_rows[inside] * cut.shape[1] + local_cols[inside]).astype(np.intp)
    cut.downpipe_shares = domain.downpipe_shares[inside]
    cut.roof_cells, cut.unrouted_roof_cells = domain.roof_cells, 0
    return cut


def _window_inflows(inflows: tuple[PointInflow, ...], subdomain: SubDomain) -> tuple[PointInflow, ...]:
    """The scenario's point inflows into computed cells of the window, in its rows and columns."""
    moved = (replace(inflow, row=inflow.row - subdomain.rows.start, col=inflow.col - subdomain.cols.start)
             for inflow in inflows)
    return tuple(inflow for inflow in moved if 0 <= inflow.row < subdomain.free.shape[0]
                 and 0 <= inflow.col < subdomain.free.shape[1] and subdomain.free[inflow.row, inflow.col])


class _EdgeDepths:
    """The before run's depths on the ring, linear in time between its snapshots."""

    def __init__(self, depth: ResultRaster, subdomain: SubDomain) -> None:
        rows, cols = np.nonzero(subdomain.edge)
        self.rows, self.cols = rows, cols
        self.times = np.asarray(depth.times, dtype=np.float64)
        snapshots = depth.values[:, subdomain.rows, subdomain.cols][:, rows, cols]
        self.depths = np.nan_to_num(snapshots.astype(np.float64), nan=0.0)

    def impose(self, state: FlowState, t: float) -> None:
        """Set the ring to the before run's depth at `t` and keep the time step's signal speed a bound."""
        after = min(int(np.searchsorted(self.times, t, side="right")), len(self.times) - 1)
        before = max(after - 1, 0)
        span = self.times[after] - self.times[before]
        weight = 0.0 if span <= 0.0 else min(max((t - self.times[before]) / span, 0.0), 1.0)
        depth = self.depths[before] + weight * (self.depths[after] - self.depths[before])
        state.h[self.rows, self.cols] = depth
        np.maximum.at(state.row_max_wave, self.rows, np.sqrt(GRAVITY * depth))


@dataclass(frozen=True)
class _WindowRun:
    """A run on the window: the deepest water, the depth at the end, the steps it took."""

    max_depth: np.ndarray
    final_depth: np.ndarray
    steps: int


def _run_window(setup: FloodSetup, subdomain: SubDomain, before_depth: ResultRaster, duration: float,
                feedback: Feedback) -> _WindowRun:
    """The storm on the window, one step at a time with the ring following the before run."""
    state = FlowState(_window_domain(setup.domain, subdomain), None)
    edge = _EdgeDepths(before_depth, subdomain)
    params = state.parameters(setup.losses, setup.settings)
    inflows = inflow_arrays(_window_inflows(setup.inflows, subdomain))
    stops = np.unique(np.concatenate([setup.storm.change_times(), [duration]]))
    stops = stops[(stops > 0.0) & (stops <= duration)]
    t, steps, reported = 0.0, 0, time.perf_counter()
    while t < duration:
        stop = stops[np.searchsorted(stops, t, side="right")]
        t, done = state.advance(t, stop, setup.storm.rate_at(t), params, inflows, 1)
        edge.impose(state, t)
        steps += done
        if time.perf_counter() - reported > 0.25:
            reported = time.perf_counter()
            feedback.progress(t / duration, f"{t / 60:.1f} of {duration / 60:.0f} min simulated")
            feedback.check()
    return _WindowRun(state.max_depth, state.h, steps)


def _composed(baseline: Baseline, subdomain: SubDomain, without: _WindowRun,
              with_measures: _WindowRun, setup: FloodSetup) -> QuickRerun:
    """The before run plus the change the measures make in the sub-domain: the window's run with
    them minus its run without them (see the module's step 3)."""
    window = (subdomain.rows, subdomain.cols)
    before = baseline.max_depth.values.astype(np.float64)
    change = np.zeros(before.shape)
    change[window] = np.where(subdomain.free, with_measures.max_depth - without.max_depth, 0.0)
    outside = ~np.isfinite(before)
    estimated = np.where(outside, np.nan, np.maximum(before + change, 0.0))
    final = np.nan_to_num(baseline.depth.values[-1].astype(np.float64), nan=0.0)
    final[window] += np.where(subdomain.free, with_measures.final_depth - without.final_depth, 0.0)
    return QuickRerun(
        replace(baseline.max_depth, values=estimated.astype(np.float32),
                description="deepest water with the proposals (quick re-run downstream of them)"),
        replace(baseline.max_depth, name="max_depth_change", values=(estimated - before).astype(np.float32),
                description="deepest water with the proposals minus before (quick re-run)"),
        np.where(outside, np.nan, np.maximum(final, 0.0)), subdomain, without.steps + with_measures.steps,
        setup)
