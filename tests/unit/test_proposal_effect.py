"""Before and with proposals: a scenario naming a proposals file, run twice, compared and costed,
from Python and from the command line; a scenario's bad proposals stop it in one sentence."""

from __future__ import annotations

import csv
import json

import numba
import pytest
import shapely

from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y
from twin.cli import EXIT_BAD_INPUT, EXIT_OK, main
from twin.core.errors import ScenarioError
from twin.core.proposals import Measure, ProposalSet
from twin.core.scenario import Scenario
from twin.io.errors import TwinIOError
from twin.io.proposals_geojson import write_proposals
from twin.sim import SimulationInputError, SimulationRegistry
from twin.sim.proposal_effect import measure_costs, proposal_effect, read_unit_costs
from twin.sim.scenario_run import run_scenario

CRS = "EPSG:25833"
BOWL = (50, 25)  # the bowl's lowest cell (column, row)


@pytest.fixture(autouse=True)
def one_solver_thread():
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # a tiny grid: on a busy machine numba's threads only wait for each other
    yield
    numba.set_num_threads(threads)


def pond() -> Measure:
    x, y = ORIGIN_X + (BOWL[0] - 3) * CELL, ORIGIN_Y - (BOWL[1] + 3) * CELL
    return Measure("pond", "retention_area", "Pond in the bowl", shapely.box(x, y, x + 6 * CELL, y + 6 * CELL),
                   {"depth_m": 0.5}, author="test")


def write_scenario(folder, dtm_file, quarters_file, simulation="flood", measures=None) -> Scenario:
    write_proposals(ProposalSet(measures or (pond(),), CRS), folder / "measures.geojson")
    path = folder / "effect.toml"
    path.write_text(f"""
[scenario]
name = "Bowl with a pond"
simulation = "{simulation}"
seed = 3
quarters_file = "{quarters_file.name}"
proposals = "measures.geojson"

[inputs]
terrain = "{dtm_file.name}"

[parameters]
{'rain = "block"' if simulation == "flood" else 'noise = 0.1'}
{'block_depth_mm = 60.0' if simulation == "flood" else ''}
{'rain_duration_min = 6.0' if simulation == "flood" else ''}
{'duration_min = 12.0' if simulation == "flood" else ''}
""", encoding="utf-8")
    return path


def test_the_effect_of_a_pond_is_less_water_in_the_bowl_and_its_cost(tmp_path, dtm_file, quarters_file):
    scenario = Scenario.load(write_scenario(tmp_path, dtm_file, quarters_file))
    effect = proposal_effect(scenario, SimulationRegistry.discover())
    assert effect.before.ok and effect.with_proposals.ok
    depth = next(d for d in effect.differences if d.name == "max_depth")
    col, row = BOWL
    assert depth.values[row, col] > 0.3  # the pond is 0.5 m deeper: the water there too
    figures = effect.figures["all"]
    assert figures["flooded_area_m2_over_0.10m"]["delta"] < 0  # the pond takes water from around it
    assert figures["max_depth_m"]["delta"] == pytest.approx(
        figures["max_depth_m"]["with"] - figures["max_depth_m"]["before"])
    [cost] = effect.costs
    assert cost["quantity"] == pytest.approx(0.5 * 144.0) and cost["cost_eur"] == pytest.approx(72 * 100.0)
    assert effect.with_proposals.output.summary["proposals"]["applied"] == ["pond"]


def test_the_cli_writes_before_with_difference_figures_and_costs(tmp_path, dtm_file, quarters_file, capsys):
    path = write_scenario(tmp_path, dtm_file, quarters_file)
    out = tmp_path / "effect"
    assert main(["effect", str(path), "--out", str(out), "--quiet"]) == EXIT_OK
    assert {"before", "with", "difference", "figures.csv", "costs.csv", "effect.json"} <= {
        entry.name for entry in out.iterdir()}
    assert (out / "difference" / "max_depth.tif").is_file() and (out / "with" / "summary.json").is_file()
    document = json.loads((out / "effect.json").read_text())
    assert document["total_cost_eur"] == pytest.approx(7200.0)
    rows = list(csv.DictReader((out / "figures.csv").open()))
    assert any(row["place"] == "West" and row["figure"] == "max_depth_m" for row in rows)
    assert "7,200 EUR" in capsys.readouterr().out
    # `run` reproduces the run with the measures
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "--quiet"]) == EXIT_OK
    run = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert run["summary"]["proposals"]["applied"] == ["pond"]


def test_a_measure_outside_every_quarter_stops_the_scenario_in_one_sentence(tmp_path, dtm_file, quarters_file,
                                                                         capsys):
    far = Measure("far", "unsealing", "far away", shapely.box(0, 0, 10, 10), {})
    path = write_scenario(tmp_path, dtm_file, quarters_file, measures=(far,))
    with pytest.raises(ScenarioError, match="measure 'far' lies outside every quarter"):
        run_scenario(Scenario.load(path), SimulationRegistry.discover())
    assert main(["effect", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "lies outside every quarter" in error
    assert not (tmp_path / "out").exists()


def test_a_simulation_that_takes_no_proposals_refuses_them(tmp_path, dtm_file, quarters_file):
    path = write_scenario(tmp_path, dtm_file, quarters_file, simulation="selftest")
    with pytest.raises(SimulationInputError, match="simulation 'selftest' takes no proposals"):
        run_scenario(Scenario.load(path), SimulationRegistry.discover())


def test_a_typo_in_the_proposals_key_is_caught(tmp_path, dtm_file, quarters_file):
    path = write_scenario(tmp_path, dtm_file, quarters_file)
    path.write_text(path.read_text().replace("proposals =", "proposal ="))
    with pytest.raises(ScenarioError, match=r"unknown key 'proposal' in \[scenario\] \(did you mean 'proposals'"):
        Scenario.load(path)


def test_a_bad_unit_cost_table_is_one_sentence_and_a_good_one_is_used(tmp_path):
    table = tmp_path / "costs.csv"
    table.write_text("kind,unit,eur_per_unit,quantity,source\nretention_area,m3,abc,volume,mine\n")
    with pytest.raises(TwinIOError, match="line 2: eur_per_unit 'abc' is not a number"):
        read_unit_costs(table)
    table.write_text("kind,unit,eur_per_unit,quantity,source\nretention_area,m3,250,volume,my tender\n")
    [row] = measure_costs(ProposalSet((pond(),), CRS), None, read_unit_costs(table))
    assert row["cost_eur"] == pytest.approx(72 * 250.0) and row["source"] == "my tender"


def test_a_saved_scenario_keeps_its_proposals_file(tmp_path, dtm_file, quarters_file):
    scenario = Scenario.load(write_scenario(tmp_path, dtm_file, quarters_file))
    (tmp_path / "elsewhere").mkdir()
    scenario.save(tmp_path / "elsewhere" / "copy.toml")
    again = Scenario.load(tmp_path / "elsewhere" / "copy.toml")
    assert again.proposals == (tmp_path / "measures.geojson").resolve()
    assert 'proposals = "../measures.geojson"' in (tmp_path / "elsewhere" / "copy.toml").read_text()
