"""Compute effect for the flood from the window: a quick estimate first, its run before kept for the
next Compute effect (or a matching run the scene holds), then a full run in the background that
replaces the estimate, or that the user cancels and the estimate stays."""

from dataclasses import replace

import numpy as np
import pytest
import shapely

from plugins.flood import rerun
from plugins.flood.simulation import FloodSimulation
from twin.core.proposals import Measure, ProposalSet
from twin.sim import RunStatus, SimulationInputs, run_simulation
from twin.sim.difference import DifferenceRasterLayer
from twin.sim.quick_effect import before_parameters

pytestmark = pytest.mark.gui

CRS = "EPSG:25833"
FLOOD = {"rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 10.0, "duration_min": 10.0}
# in the East quarter of the bowl of tests/conftest.py
POND = Measure("pond", "retention_area", "Pond", shapely.box(411120.0, 5654030.0, 411160.0, 5654070.0),
               {"depth_m": 0.5})
MOVED = replace(POND, geometry=shapely.box(411130.0, 5654010.0, 411170.0, 5654050.0))


@pytest.fixture
def flood_window(window, qtbot):
    """The window on the East quarter with the flood chosen, a short block rain and seed 3."""
    window.resize(1000, 700)
    window.select_quarter("East")
    panel = window.simulation_panel
    panel.select_simulation("flood")
    panel.form.set_values(FLOOD)
    panel.seed_edit.setText("3")
    yield window
    qtbot.waitUntil(lambda: window.proposals_effect.refinement is None, timeout=240_000)


def quick_effect(qtbot, window, *measures: Measure):
    """Compute effect with the measures: the quick estimate shown."""
    window.proposals_panel.change(ProposalSet(measures, CRS), "Draft", None)
    with qtbot.waitSignal(window.proposals_effect.shown, timeout=240_000) as shown:
        assert window.proposals_effect.compute() is not None
    return shown.args[0]


def cancel_refinements(window) -> None:
    """Cancel each full run refining an estimate as it starts, before it has computed anything."""
    effect = window.proposals_effect
    effect.job_started.connect(lambda job: job.cancel() if job is effect.refinement else None)


def east_inputs(window, *measures: Measure) -> SimulationInputs:
    scene = window.scene
    return SimulationInputs(window.simulation_panel.selected_layers(), [scene.quarter("East")], scene.crs,
                            ProposalSet(measures, CRS) if measures else None)


def max_depth(report) -> np.ndarray:
    return next(result for result in report.output.results if result.name == "max_depth").values


def test_the_second_compute_effect_runs_no_before_run_and_shows_the_estimated_change(qtbot, flood_window):
    window = flood_window
    cancel_refinements(window)
    first = quick_effect(qtbot, window, POND)
    qtbot.waitUntil(lambda: window.proposals_effect.refinement is None, timeout=60_000)
    second = quick_effect(qtbot, window, MOVED)
    assert second.before is first.before
    befores = [run for run in window.scene.runs if run.scenario == "East before the proposals"]
    assert [run.run_id for run in befores] == [first.before.run_id]
    baseline = rerun.prepare(east_inputs(window), first.before.parameters, first.before.output.results)
    expected = rerun.estimate(east_inputs(window, MOVED), baseline)
    layer = window.proposals_effect.difference
    assert isinstance(layer, DifferenceRasterLayer) and layer in window.scene.layers
    assert "East with the proposals (quick estimate)" in layer.name
    assert np.nanmin(expected.change.values) < -0.01
    np.testing.assert_allclose(layer.data.values, expected.change.values, atol=1e-6, equal_nan=True)


def test_the_full_run_replaces_the_estimate(qtbot, flood_window):
    window = flood_window
    with qtbot.waitSignal(window.proposals_effect.refined, timeout=240_000) as refined:
        estimate = quick_effect(qtbot, window, POND)
        computed = estimate.with_proposals.output.summary["proposals"]["estimate"]["computed_cells"]
        note = window.proposals_panel.message.text()
        assert note.startswith(f"Quick estimate on {computed:,} of 4,999 cells (")
        assert "a full run refines it in the background" in note
    full = refined.args[0]
    scene = window.scene
    assert full.estimate is None and full.before is estimate.before
    assert full.with_proposals.scenario == "East with the proposals"
    ids = [run.run_id for run in scene.runs]
    assert estimate.with_proposals.run_id not in ids and full.with_proposals.run_id in ids
    assert not any("quick estimate" in layer.name for layer in scene.layers)
    assert window.reports.compared_run.run_id == full.with_proposals.run_id
    assert "in place of the quick estimate" in window.proposals_panel.message.text()
    with_pond = run_simulation(FloodSimulation(), east_inputs(window, POND), estimate.before.parameters,
                               seed=estimate.before.seed)
    assert with_pond.status is RunStatus.OK
    layer = window.proposals_effect.difference
    assert layer in scene.layers and "quick estimate" not in layer.name
    np.testing.assert_allclose(layer.data.values, max_depth(with_pond) - max_depth(estimate.before), atol=1e-6,
                               equal_nan=True)


def test_cancelling_the_full_run_keeps_the_estimate(qtbot, flood_window):
    window = flood_window
    cancel_refinements(window)
    estimate = quick_effect(qtbot, window, POND)
    qtbot.waitUntil(lambda: window.proposals_effect.refinement is None, timeout=60_000)
    assert window.proposals_panel.message.text() == "The full run was cancelled; the quick estimate stays."
    assert estimate.with_proposals.run_id in [run.run_id for run in window.scene.runs]
    layer = window.proposals_effect.difference
    assert layer in window.scene.layers and layer.visible and "(quick estimate)" in layer.name
    assert window.reports.compared_run.run_id == estimate.with_proposals.run_id


def test_a_matching_flood_run_in_the_scene_serves_as_the_before_run(qtbot, flood_window):
    window = flood_window
    cancel_refinements(window)
    simulation = FloodSimulation()
    parameters = before_parameters(simulation, window.simulation_panel.form.values())
    held = run_simulation(simulation, east_inputs(window), parameters, seed=3, scenario="East, every minute",
                          scene=window.scene)
    effect = quick_effect(qtbot, window, POND)
    assert effect.before.run_id == held.run_id
    assert not any(run.scenario.endswith("before the proposals") for run in window.scene.runs)
