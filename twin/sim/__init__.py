"""Simulations: the contract plugins implement, the runner, and the plugin registry."""

from twin.core.feedback import Canceled, Feedback
from twin.sim.contract import (
    FieldSpec,
    InputSpec,
    Location,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)
from twin.sim.registry import SimulationRegistry, UnknownSimulationError
from twin.sim.runner import RunReport, RunStatus, SimulationInputError, run_simulation

__all__ = [
    "Canceled",
    "Feedback",
    "FieldSpec",
    "InputSpec",
    "Location",
    "ParameterSpec",
    "RunReport",
    "RunStatus",
    "Simulation",
    "SimulationInputError",
    "SimulationInputs",
    "SimulationOutput",
    "SimulationRegistry",
    "UnknownSimulationError",
    "run_simulation",
]
