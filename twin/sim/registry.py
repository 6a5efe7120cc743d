"""Finds simulations through the entry-point group `twin.simulations`.

The built-in plugins register the same way as a third-party package would, in pyproject.toml:

    [project.entry-points."twin.simulations"]
    flood = "plugins.flood.simulation:FloodSimulation"

A plugin that fails to import is listed in `errors` and left out; it never stops the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from twin.core.errors import TwinError, did_you_mean
from twin.sim.contract import Simulation

ENTRY_POINT_GROUP = "twin.simulations"


class UnknownSimulationError(TwinError):
    """A scenario or command names a simulation that is not installed."""


class SimulationRegistry:
    """The simulations available in this installation, by name."""

    def __init__(self, simulations: Iterable[type[Simulation]] = ()) -> None:
        self._simulations: dict[str, type[Simulation]] = {}
        self.errors: dict[str, str] = {}
        for simulation in simulations:
            self.add(simulation)

    @classmethod
    def discover(cls) -> SimulationRegistry:
        """A registry of every simulation installed under the entry-point group."""
        registry = cls()
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            registry._add_entry_point(entry_point)
        return registry

    def add(self, simulation: type[Simulation]) -> None:
        if not (isinstance(simulation, type) and issubclass(simulation, Simulation)):
            raise TypeError(f"{simulation!r} is not a Simulation class")
        if simulation.name in self._simulations:
            raise ValueError(f"two simulations are named '{simulation.name}'")
        self._simulations[simulation.name] = simulation

    def get(self, name: str) -> type[Simulation]:
        try:
            return self._simulations[name]
        except KeyError:
            hint = did_you_mean(name, self._simulations)
            broken = f" (it failed to load: {self.errors[name]})" if name in self.errors else ""
            raise UnknownSimulationError(f"no simulation named '{name}' is installed"
                                         f"{hint}{broken}") from None

    def listed(self, include_hidden: bool = False) -> list[type[Simulation]]:
        """The simulations in name order; self-tests only when asked for."""
        return [simulation for name, simulation in sorted(self._simulations.items())
                if include_hidden or not simulation.hidden]

    def _add_entry_point(self, entry_point: EntryPoint) -> None:
        try:
            simulation = entry_point.load()
            self.add(simulation)
        except Exception as error:  # a broken third-party plugin must not stop the app
            self.errors[entry_point.name] = f"{type(error).__name__}: {error}"


@cache
def default_registry() -> SimulationRegistry:
    """The installed simulations, discovered once per process."""
    return SimulationRegistry.discover()
