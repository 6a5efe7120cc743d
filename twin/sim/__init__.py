"""Simulations: the contract plugins implement, the runner, and the plugin registry."""

from twin.core.feedback import Canceled, Feedback
from twin.core.fields import YEAR, AttributeLegend, Category, Dimension, DType, FieldSpec, Location
from twin.sim.contract import (
    InputSpec,
    ParameterError,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)
from twin.sim.registry import SimulationRegistry, UnknownSimulationError
from twin.sim.runner import RunReport, RunStatus, SimulationInputError, run_simulation

__all__ = [
    "YEAR",
    "AttributeLegend",
    "Canceled",
    "Category",
    "DType",
    "Dimension",
    "Feedback",
    "FieldSpec",
    "InputSpec",
    "Location",
    "ParameterError",
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
