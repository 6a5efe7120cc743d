"""The runner: checks inputs and parameters, seeds the RNG, runs, and reports what happened.

A plugin's exception becomes a FAILED report (the app stays up); a cancelled run becomes a
CANCELED report and leaves nothing in the scene. Only runs that ended well are stored.
"""

from __future__ import annotations

import secrets
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from twin.core.data import ResultTable
from twin.core.errors import TwinError, did_you_mean
from twin.core.feedback import Canceled, Feedback
from twin.core.layers import Layer, result_layer
from twin.core.scene import RunRecord, Scene
from twin.sim.contract import ParameterError, Simulation, SimulationInputs, SimulationOutput
from twin.sim.outputs import SimulationOutputError, annotate, check_output


class SimulationInputError(TwinError):
    """Inputs or parameters that do not fit the simulation's declarations."""


class RunStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass
class RunReport:
    """The outcome of one run. `output` is set only when the status is OK."""

    run_id: str
    simulation: str
    scenario: str
    status: RunStatus
    seed: int
    parameters: dict[str, Any]
    seconds: float
    output: SimulationOutput | None = None
    error: str | None = None
    traceback: str | None = None
    result_layers: list[Layer] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK


def resolve_parameters(simulation: type[Simulation] | Simulation,
                       given: Mapping[str, Any]) -> dict[str, Any]:
    """The full parameter set: given values checked against the declarations, defaults for the rest."""
    declared = {spec.name: spec for spec in simulation.parameters}
    for name in given:
        if name not in declared:
            raise SimulationInputError(f"simulation '{simulation.name}' has no parameter "
                                       f"'{name}'{did_you_mean(name, declared)}")
    resolved = {}
    try:
        for name, spec in declared.items():
            resolved[name] = spec.validate(given[name]) if name in given else spec.default
        _plugin(simulation).check_parameters(resolved)
    except ParameterError as error:
        raise SimulationInputError(str(error)) from None
    return resolved


def _plugin(simulation: type[Simulation] | Simulation) -> Simulation:
    return simulation() if isinstance(simulation, type) else simulation


def check_inputs(simulation: type[Simulation] | Simulation, layers: Mapping[str, Layer]) -> None:
    """Raise SimulationInputError unless the layers fill the declared input slots."""
    declared = {spec.name: spec for spec in simulation.inputs}
    for slot in layers:
        if slot not in declared:
            raise SimulationInputError(f"simulation '{simulation.name}' has no input '{slot}'"
                                       f"{did_you_mean(slot, declared)}")
    for slot, spec in declared.items():
        layer = layers.get(slot)
        if layer is None:
            if spec.required:
                raise SimulationInputError(f"simulation '{simulation.name}' needs the input "
                                           f"'{slot}' ({spec.kind}: {spec.doc})")
            continue
        if layer.kind != spec.kind:
            raise SimulationInputError(f"input '{slot}' must be a {spec.kind} layer, but "
                                       f"'{layer.name}' is a {layer.kind} layer")
        attributes = getattr(layer.data, "attributes", {})
        for field_spec in spec.fields:
            if field_spec.name not in attributes:
                raise SimulationInputError(f"input '{slot}' ('{layer.name}') lacks the field "
                                           f"'{field_spec.name}' ({field_spec.doc})")


def run_simulation(
    simulation: Simulation,
    inputs: SimulationInputs,
    parameters: Mapping[str, Any],
    *,
    seed: int | None = None,
    feedback: Feedback | None = None,
    scenario: str = "",
    scene: Scene | None = None,
) -> RunReport:
    """Check, run and report. Raises SimulationInputError on bad inputs: before running, or when the
    plugin finds them unusable (it raises SimulationInputError itself).

    With a scene, a run that ended well is stored in it with its result layers. Without one the
    caller stores it with `store_run` (the GUI does so on its own thread: new layers reach VTK).
    """
    check_inputs(simulation, inputs.layers)
    if inputs.proposals is not None and len(inputs.proposals) and not simulation.proposal_kinds:
        raise SimulationInputError(f"simulation '{simulation.name}' takes no proposals: none of its "
                                   f"inputs can be changed by measures")
    resolved = resolve_parameters(simulation, parameters)
    seed = secrets.randbits(63) if seed is None else seed
    feedback = feedback or Feedback()
    report = RunReport(run_id=uuid.uuid4().hex[:12], simulation=simulation.name,
                       scenario=scenario, status=RunStatus.OK, seed=seed,
                       parameters=resolved, seconds=0.0)
    started = time.perf_counter()
    try:
        report.output = simulation.run(inputs, resolved, rng=np.random.default_rng(seed),
                                       feedback=feedback)
        feedback.check()
        check_output(simulation, report.output)
        annotate(simulation, report.output.results)
        feedback.progress(1.0, "done")
    except SimulationInputError:
        raise  # inputs the plugin finds unusable (a field missing): bad input, not a failure
    except Canceled:
        report.status, report.output = RunStatus.CANCELED, None
        report.error = "the run was cancelled; nothing was kept"
    except SimulationOutputError as error:
        report.status, report.output, report.error = RunStatus.FAILED, None, str(error)
    except Exception as error:  # a plugin's failure is reported, never raised into the app
        report.status, report.output = RunStatus.FAILED, None
        report.error = f"simulation '{simulation.name}' failed: {type(error).__name__}: {error}"
        report.traceback = traceback.format_exc()
    report.seconds = time.perf_counter() - started
    if report.ok:
        report.result_layers = result_layers_of(simulation, report)
        if scene is not None:
            store_run(scene, report)
    return report


def result_layers_of(simulation: Simulation, report: RunReport) -> list[Layer]:
    """One layer per result. Results drawn in the same place (the grid, or one layer's features)
    would hide each other, so only the first of each place, the one a plugin lists first as its
    main result, starts visible; the user shows the others from the layers panel."""
    assert report.output is not None
    layers, places = [], set()
    for result in report.output.results:
        place = result.target_layer if isinstance(result, ResultTable) else "grid"
        # Named after the run where it has a name, so two runs' results tell apart in the tree,
        # the inspector and the legends.
        layers.append(result_layer(result, f"{report.scenario or simulation.title}: {result.name}",
                                   run_id=report.run_id,
                                   visible=place not in places))
        places.add(place)
    return layers


def store_run(scene: Scene, report: RunReport) -> None:
    """Keep a run that ended well in the scene: its figures as a RunRecord and its result layers."""
    if not report.ok or report.output is None:
        raise ValueError(f"only a run that ended well can be stored; this one is {report.status.value}")
    record = RunRecord(run_id=report.run_id, simulation=report.simulation,
                       scenario=report.scenario, seed=report.seed,
                       parameters=report.parameters, summary=report.output.summary,
                       per_quarter=report.output.per_quarter)
    scene.add_run(record, report.result_layers)
