from importlib.metadata import EntryPoint

import pytest

from plugins.selftest.simulation import TerrainNoiseSelfTest
from twin.sim import SimulationRegistry, UnknownSimulationError


def test_entry_points_find_the_built_in_plugins():
    registry = SimulationRegistry.discover()
    assert registry.get("selftest") is TerrainNoiseSelfTest
    assert registry.errors == {}


def test_self_tests_are_hidden_unless_asked_for():
    registry = SimulationRegistry([TerrainNoiseSelfTest])
    assert registry.listed() == []
    assert registry.listed(include_hidden=True) == [TerrainNoiseSelfTest]


def test_unknown_simulation_suggests_the_closest():
    registry = SimulationRegistry([TerrainNoiseSelfTest])
    with pytest.raises(UnknownSimulationError, match="did you mean 'selftest'"):
        registry.get("seltest")


def test_a_broken_plugin_is_recorded_not_raised():
    registry = SimulationRegistry()
    registry._add_entry_point(EntryPoint("broken", "no_such_module:Thing", "twin.simulations"))
    assert "ModuleNotFoundError" in registry.errors["broken"]
    with pytest.raises(UnknownSimulationError, match="failed to load"):
        registry.get("broken")


def test_only_simulation_classes_register():
    with pytest.raises(TypeError):
        SimulationRegistry([object])
