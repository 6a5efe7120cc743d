"""The flood's quick estimate of a run with proposals (twin/sim/contract.py QuickEstimator).

plugins/flood/rerun.py computes the deepest water with the measures again only downstream of them,
from the before run. This module turns that into the figures a flood run reports which follow from
the deepest water and the depth at the end: flooded area by depth class, deepest water, water
standing at the end, buildings affected and flooded street length, overall and per quarter, with
the plugin's own functions (plugins/flood/analysis.py). What follows from the flow over time (the
fastest flow, arrival times, depth snapshots, hydrographs, the water balance, the solver's steps) is
not estimated, and not copied from the before run either: NOT_ESTIMATED names it, and the estimate
leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from plugins.flood import rerun
from plugins.flood.simulation import exposure_figures, hyetograph, rain_table_label
from twin.sim import Feedback, SimulationInputs, SimulationOutput
from twin.sim.contract import QuickEstimate, QuickEstimator

# the flood run's outputs that need the flow over time, which the estimate does not compute
NOT_ESTIMATED = ("max_velocity", "arrival_time", "depth", "hydrographs", "max_velocity_m_s", "volumes",
                 "mass_balance_relative_error", "time_steps", "solver_seconds", "cell_updates_per_s")


class FloodQuickEstimator(QuickEstimator):
    """The flood again only downstream of the measures, the before run elsewhere."""

    def before_parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return rerun.before_parameters(params)

    def baseline(self, inputs: SimulationInputs, params: Mapping[str, Any], before: SimulationOutput,
                 feedback: Feedback) -> rerun.Baseline:
        return rerun.prepare(inputs, params, before.results, feedback)

    def estimate(self, inputs: SimulationInputs, baseline: rerun.Baseline,
                 feedback: Feedback) -> QuickEstimate:
        quick = rerun.estimate(inputs, baseline, feedback)
        details = estimate_details(quick, baseline)
        return QuickEstimate(estimated_output(inputs, baseline.parameters, quick), estimate_note(details),
                             NOT_ESTIMATED, details)


def estimate_details(quick: rerun.QuickRerun, baseline: rerun.Baseline) -> dict[str, Any]:
    """What the re-run computed where, as plain numbers for the run's summary."""
    return {"computed_cells": int(np.count_nonzero(quick.subdomain.free)),
            "grid_cells": int(np.count_nonzero(np.isfinite(baseline.max_depth.values))),
            "ring_cells": int(np.count_nonzero(quick.subdomain.edge)),
            "ring_width_cells": rerun.EDGE_CELLS, "buffer_m": rerun.BUFFER_M,
            "window_rows": [quick.subdomain.rows.start, quick.subdomain.rows.stop],
            "window_cols": [quick.subdomain.cols.start, quick.subdomain.cols.stop],
            "time_steps_without_and_with": quick.steps}


def estimate_note(details: Mapping[str, Any]) -> str:
    """One sentence: what the quick estimate computed where."""
    computed, cells = details["computed_cells"], details["grid_cells"]
    share = computed / max(cells, 1)
    return (f"quick estimate on {computed:,} of {cells:,} cells ({share:.1%}): the storm re-run without and "
            f"with the measures on the cells they change, those downstream of them on the before run's "
            f"routes and the ponds these reach, {details['buffer_m']:g} m around; a ring of "
            f"{details['ring_width_cells']} cells round them follows the before run's depths; the before "
            f"run everywhere else")


def estimated_output(inputs: SimulationInputs, params: Mapping[str, Any],
                     quick: rerun.QuickRerun) -> SimulationOutput:
    """The run's results and figures that follow from the estimated deepest water and final depth."""
    setup = quick.setup
    max_depth = np.nan_to_num(quick.max_depth.values.astype(np.float64), nan=0.0)
    final_depth = np.nan_to_num(quick.final_depth, nan=0.0)
    tables, summary, per_quarter = exposure_figures(inputs, params, setup.terrain, max_depth, final_depth,
                                                    setup.rings, setup.buildings, setup.streets,
                                                    qualifier=" (quick estimate)")
    summary.update({"rain_depth_mm": setup.storm.depth_mm, "rain_peak_mm_h": setup.storm.peak_mm_h,
                    "rain_table": rain_table_label(params), "rain_hyetograph": hyetograph(setup.storm),
                    "simulated_min": params["duration_min"], "proposals": setup.applied.record()})
    return SimulationOutput(summary=summary, per_quarter=per_quarter, results=[quick.max_depth, *tables])
