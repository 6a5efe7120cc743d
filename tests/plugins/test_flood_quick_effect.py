"""The quick effect of proposals (twin/sim/quick_effect.py with plugins/flood/quick_effect.py): the
run before in full and kept, the run with the measures estimated from it, its figures derived from
the estimated water with the plugin's own functions, and labelled as an estimate everywhere."""

from __future__ import annotations

import json
from dataclasses import replace

import numba
import numpy as np
import pytest
import shapely

from plugins.flood import analysis, rerun
from plugins.flood.simulation import FloodSimulation
from tests.plugins.test_flood_plugin import X0, Y1, scene_inputs
from tests.plugins.test_flood_rerun import one_solver_thread  # noqa: F401 (an autouse fixture)
from twin.cli import EXIT_OK, main
from twin.core import Scene
from twin.core.proposals import Measure, ProposalSet
from twin.io.proposals_geojson import write_proposals
from twin.sim import RunStatus, SimulationInputError, SimulationRegistry, run_simulation
from twin.sim.quick_effect import BeforeRuns, before_parameters, quick_effect_of, stored_before

CRS = "EPSG:25833"
# a storm on the plane falling east with a hollow in its middle (tests/plugins/test_flood_plugin.py)
STORM = {"duration_min": 30.0, "rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 20.0,
         "snapshot_interval_min": 10.0}
POND = Measure("pond", "retention_area", "Pond", shapely.box(X0 + 60, Y1 - 60, X0 + 76, Y1 - 40), {"depth_m": 0.5})
MOVED = replace(POND, geometry=shapely.box(X0 + 60, Y1 - 80, X0 + 76, Y1 - 60))
NOT_DERIVED = ("max_velocity_m_s", "time_steps", "solver_seconds", "volumes_rain_m3", "mass_balance_relative_error")


def with_measures(*measures: Measure) -> ProposalSet:
    return ProposalSet(measures, CRS)


@pytest.fixture(scope="module")
def two_effects():
    """Two quick effects on the same inputs, the pond and then the pond moved south, one store of
    before runs."""
    numba.set_num_threads(1)
    inputs, kept, simulation = scene_inputs(), BeforeRuns(), FloodSimulation()
    first = quick_effect_of(simulation, inputs, with_measures(POND), STORM, seed=1, name="West", before_runs=kept)
    second = quick_effect_of(simulation, inputs, with_measures(MOVED), STORM, seed=1, name="West", before_runs=kept)
    return inputs, first, second


def test_the_second_quick_effect_reuses_the_before_run_and_is_the_quick_re_runs_change(two_effects):
    inputs, first, second = two_effects
    assert first.before.ok and first.with_proposals.ok and second.with_proposals.ok
    assert first.before.parameters["snapshot_interval_min"] == 1.0  # what the re-run's ring follows
    assert second.before is first.before  # not run again
    baseline = rerun.prepare(replace(inputs, proposals=None), first.before.parameters, first.before.output.results)
    expected = rerun.estimate(replace(inputs, proposals=with_measures(MOVED)), baseline)
    [change] = [result for result in second.differences if result.name == "max_depth"]
    assert np.nanmin(expected.change.values) < -0.01  # the pond lowers the water somewhere
    np.testing.assert_allclose(change.values, expected.change.values, atol=1e-6, equal_nan=True)


def test_a_quick_effect_is_labelled_as_an_estimate_and_says_what_it_computed_where(two_effects):
    _inputs, first, _second = two_effects
    assert first.before.scenario == "West before the proposals"
    assert first.with_proposals.scenario == "West with the proposals (quick estimate)"
    record = first.with_proposals.output.summary["proposals"]["estimate"]
    assert record["note"] == first.estimate
    assert first.estimate.startswith(f"quick estimate on {record['computed_cells']:,} of 5,000 cells (")
    assert "20 m around" in first.estimate
    assert 0 < record["computed_cells"] < 5000 and record["buffer_m"] == rerun.BUFFER_M
    assert {"max_velocity", "arrival_time", "depth", "hydrographs"} <= set(record["not_estimated"])
    assert first.with_proposals.output.summary["proposals"]["applied"] == ["pond"]
    assert "quick" in next(result.description for result in first.with_proposals.output.results
                           if result.name == "max_depth")


def test_the_estimates_figures_follow_from_its_water_and_none_is_copied_from_before(two_effects):
    """Its per-quarter and building figures are the plugin's functions of the estimated deepest
    water and final depth, close to the full run's with the pond; what needs the flow over time is
    absent, not the before run's."""
    inputs, first, _second = two_effects
    estimate = first.with_proposals.output
    results = {result.name: result for result in estimate.results}
    assert set(results) == {"max_depth", "building_flood", "street_flood"}
    for key in NOT_DERIVED:
        assert key not in estimate.summary and key not in first.figures["all"]
    max_depth = np.nan_to_num(results["max_depth"].values.astype(np.float64))
    full = run_simulation(FloodSimulation(), replace(inputs, proposals=with_measures(POND)),
                          first.before.parameters, seed=1)
    assert full.status is RunStatus.OK
    full_results = {result.name: result for result in full.output.results}
    before = {result.name: result for result in first.before.output.results}
    houses = results["building_flood"].columns["max_depth"]
    np.testing.assert_allclose(houses, full_results["building_flood"].columns["max_depth"], atol=0.01)
    assert houses[0] < before["building_flood"].columns["max_depth"][0] - 0.05  # B1, by the hollow
    changed = first.figures["West"]["flooded_area_m2_over_0.10m"]  # the pond fills
    assert changed["with"] > changed["before"] * 1.5
    for quarter in ("West", "East"):
        figures, exact = estimate.per_quarter[quarter], full.output.per_quarter[quarter]
        assert set(figures) == set(exact)
        for key, value in figures.items():
            assert value == pytest.approx(exact[key], rel=0.03, abs=8.0), (quarter, key)
    area = analysis.area_figures(max_depth, np.zeros(max_depth.shape), np.ones(max_depth.shape, bool), 4.0)
    assert estimate.summary["flooded_area_m2_over_0.10m"] == area["flooded_area_m2_over_0.10m"]
    assert estimate.summary["max_depth_m"] == pytest.approx(area["max_depth_m"])


def test_a_matching_run_the_scene_holds_serves_as_the_before_run():
    """The same simulation, quarters, parameters (snapshots every minute) and seed, without measures:
    a run with 10-minute snapshots, or one with the measures applied, does not serve."""
    inputs, simulation = scene_inputs(), FloodSimulation()
    scene = Scene()
    for parameters, proposals in ((STORM, None), (before_parameters(simulation, STORM), with_measures(POND))):
        run_simulation(simulation, replace(inputs, proposals=proposals), parameters, seed=4, scene=scene)
    assert stored_before(scene, simulation, inputs, before_parameters(simulation, STORM), seed=4) is None
    kept = run_simulation(simulation, inputs, before_parameters(simulation, STORM), seed=4, scene=scene)
    found = stored_before(scene, simulation, inputs, before_parameters(simulation, STORM), seed=None)
    assert found is not None and found.run_id == kept.run_id
    assert stored_before(scene, simulation, inputs, before_parameters(simulation, STORM), seed=5) is None
    effect = quick_effect_of(simulation, inputs, with_measures(POND), STORM, seed=4, stored=found)
    assert effect.before is found and effect.with_proposals.ok


def test_a_simulation_without_a_quick_estimate_says_so():
    energy = SimulationRegistry.discover().get("energy")()
    with pytest.raises(SimulationInputError, match="no quick estimate"):
        quick_effect_of(energy, scene_inputs(), with_measures(POND), {})


def test_the_command_lines_quick_effect_writes_an_estimate(tmp_path, dtm_file, quarters_file, capsys):
    pond = Measure("pond", "retention_area", "Pond", shapely.box(411120.0, 5654030.0, 411160.0, 5654070.0),
                   {"depth_m": 0.5})
    write_proposals(with_measures(pond), tmp_path / "measures.geojson")
    scenario = tmp_path / "effect.toml"
    scenario.write_text(f"""
[scenario]
name = "Pond"
simulation = "flood"
seed = 3
quarters_file = "{quarters_file.name}"
quarters = ["East"]
proposals = "measures.geojson"

[inputs]
terrain = "{dtm_file.name}"

[parameters]
rain = "block"
block_depth_mm = 60.0
rain_duration_min = 10.0
duration_min = 10.0
""", encoding="utf-8")
    assert main(["effect", str(scenario), "--out", str(tmp_path / "out"), "--quick", "--quiet"]) == EXIT_OK
    assert "with proposals (quick estimate)" in capsys.readouterr().out
    document = json.loads((tmp_path / "out" / "effect.json").read_text(encoding="utf-8"))
    assert document["estimate"].startswith("quick estimate on ") and " cells (" in document["estimate"]
    written = json.loads((tmp_path / "out" / "with" / "summary.json").read_text(encoding="utf-8"))
    assert written["scenario"] == "Pond with the proposals (quick estimate)"
    assert written["summary"]["proposals"]["estimate"]["note"] == document["estimate"]
    assert not (tmp_path / "out" / "with" / "max_velocity.tif").exists()
    assert (tmp_path / "out" / "difference" / "max_depth.tif").exists()
