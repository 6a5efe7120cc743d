"""Every scenario in scenarios/ opens on the demo city and fits its simulation's declarations."""

from pathlib import Path

import pytest

from data.demo import demo_project
from twin.core.scenario import Scenario
from twin.io import read_quarters
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import resolve_parameters

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


@pytest.fixture(scope="module")
def registry():
    demo_project()  # the scenarios name the generated demo files
    return SimulationRegistry.discover()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_a_shipped_scenario_opens_and_its_parameters_are_valid(path, registry):
    scenario = Scenario.load(path)
    simulation = registry.get(scenario.simulation)
    resolve_parameters(simulation, scenario.parameters)
    assert {slot.name for slot in simulation.inputs if slot.required} <= set(scenario.inputs)
    quarter_names = {quarter.name for quarter in read_quarters(scenario.quarters_file)[0]}
    assert scenario.quarters and set(scenario.quarters) <= quarter_names


def test_each_simulation_ships_a_scenario_for_each_model_quarter(registry):
    covered = {(Scenario.load(path).simulation, quarter) for path in SCENARIOS
               for quarter in Scenario.load(path).quarters}
    for simulation in ("flood", "street_decay", "energy"):
        assert {quarter for name, quarter in covered if name == simulation} == {
            "Friedrichstadt", "Johannstadt", "Prohlis"}, simulation
