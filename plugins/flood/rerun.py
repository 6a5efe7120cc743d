"""A quick answer for the room: the effect of proposals on a coarser grid, added to the before run.

A workshop draws a retention area and wants to see what it does while it waits. The full re-run
at the scenario's cell size costs as much as the before run; this one reuses the before run
(its deepest water at full resolution) and computes only the change the measures make, on a
grid `factor` times coarser (2: 4 m cells for a 2 m scenario, a quarter of the cells and half the
time steps, so about an eighth of the work):

    estimate = before (full resolution) + [with proposals - before] (coarse, cell by cell)

The coarse before run is part of the baseline (`prepare`, done once after the before run, while
the workshop is still talking); each drawn measure then costs one coarse run (`estimate`). Errors
of the coarse grid that are the same with and without the measures cancel in the difference;
what does not cancel is how the coarse grid resolves the measure itself (a 30 m x 20 m pond is
7 x 5 cells at 4 m) and the paths the water takes around it. The estimate is shown as such, and
the full run can follow in the background: benchmarks/bench_proposal_rerun.py measures both and
the depth difference between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from twin.core.data import ResultRaster
from twin.core.feedback import Feedback
from twin.sim import SimulationInputError, SimulationInputs, run_simulation
from twin.sim.contract import Simulation

RESULT = "max_depth"


@dataclass(frozen=True)
class Baseline:
    """What every quick estimate reuses: the before run's deepest water and its coarse twin."""

    fine: ResultRaster
    coarse: ResultRaster
    parameters: dict[str, Any]  # the coarse runs' parameters
    factor: int


def coarse_parameters(params: Mapping[str, Any], inputs: SimulationInputs, factor: int) -> dict[str, Any]:
    """The scenario's parameters on a grid `factor` times coarser, with no time series to keep."""
    fine = params.get("cell_size_m", 0.0) or inputs.layers["terrain"].data.resolution[0]
    return {**params, "cell_size_m": fine * factor, "hydrograph_points": (),
            "snapshot_interval_min": params.get("duration_min", 120.0)}


def prepare(simulation: Simulation, inputs: SimulationInputs, params: Mapping[str, Any],
            before: ResultRaster, factor: int = 2, feedback: Feedback | None = None) -> Baseline:
    """The baseline of quick estimates: the before run's `max_depth` and the coarse before run."""
    coarse = coarse_parameters(params, inputs, factor)
    return Baseline(before, _max_depth(simulation, replace(inputs, proposals=None), coarse, feedback), coarse,
                    factor)


def estimate(simulation: Simulation, inputs: SimulationInputs, baseline: Baseline,
             feedback: Feedback | None = None) -> tuple[ResultRaster, ResultRaster]:
    """The deepest water with the proposals (estimated at full resolution) and the change."""
    coarse_with = _max_depth(simulation, inputs, baseline.parameters, feedback)
    change = _refined(coarse_with.values - baseline.coarse.values, baseline.factor,
                      baseline.fine.values.shape)
    before = baseline.fine.values.astype(np.float64)
    estimated = np.where(np.isfinite(before), np.maximum(before + np.nan_to_num(change), 0.0), np.nan)
    delta = np.where(np.isfinite(before), estimated - before, np.nan)
    return (replace(baseline.fine, values=estimated.astype(np.float32),
                    description="deepest water with the proposals, quick estimate"),
            replace(baseline.fine, name="max_depth_change", values=delta.astype(np.float32),
                    description="deepest water with the proposals minus before, quick estimate"))


def _max_depth(simulation: Simulation, inputs: SimulationInputs, params: Mapping[str, Any],
               feedback: Feedback | None) -> ResultRaster:
    report = run_simulation(simulation, inputs, params, seed=0, feedback=feedback)
    if not report.ok:
        raise SimulationInputError(f"the quick flood re-run failed: {report.error}")
    return next(result for result in report.output.results if result.name == RESULT)


def _refined(coarse: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Each coarse cell's value on its `factor` x `factor` fine cells; fine cells past the coarse
    grid's last whole block (the coarsening drops them) take the nearest block's value."""
    fine = np.repeat(np.repeat(coarse, factor, axis=0), factor, axis=1)[:shape[0], :shape[1]]
    rows, cols = shape[0] - fine.shape[0], shape[1] - fine.shape[1]
    return np.pad(fine, ((0, rows), (0, cols)), mode="edge")
