"""A quick effect: the run before the proposals kept, the run with them estimated from it.

A workshop moves a measure and asks again, and two more runs take minutes. A simulation that offers
a quick estimate (`Simulation.quick_estimator`, twin/sim/contract.py; the flood re-runs only
downstream of the measures) runs once before the proposals, with the parameters its estimates need
(the flood's depth snapshots every minute). That run and the plugin's baseline made from it are kept
(`BeforeRuns`) by what made them: the simulation, its input layers, the quarters and the parameters
(and the seed, where one is given). The next estimate with other measures reuses them and computes
only the estimate. A run the scene holds already serves as well (`stored_before`): the same
simulation, quarters, parameters and seed, run without measures.

    effect = quick_effect_of(simulation, inputs, proposals, parameters, seed=1, before_runs=kept)
    effect.estimate          # one sentence: what was computed where (None for two full runs)
    effect.with_proposals    # a RunReport named "... with the proposals (quick estimate)"
    effect = refine(effect, simulation, inputs, proposals, name="Johannstadt")  # then in full

The estimate holds only what the plugin could derive from its baseline; its summary's `proposals`
record says (key `estimate`) what was computed where and which outputs were not estimated, so
nothing of the before run stands in for the run with the measures unsaid. `refine` runs the run
with the proposals in full beside the same before run, replacing the estimate.
"""

from __future__ import annotations

import json
import secrets
import time
import traceback
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from twin.core.feedback import Canceled, Feedback
from twin.core.plain import plain
from twin.core.proposals import ProposalSet
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.sim.contract import (
    QuickEstimate,
    QuickEstimator,
    Simulation,
    SimulationInputs,
    SimulationOutput,
    to_plain,
)
from twin.sim.outputs import annotate, check_output
from twin.sim.proposal_effect import ProposalEffect, compare, effect_costs, scenario_inputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import (
    RunReport,
    RunStatus,
    SimulationInputError,
    resolve_parameters,
    result_layers_of,
    run_simulation,
)

ESTIMATE_LABEL = "(quick estimate)"
KEPT_BEFORE_RUNS = 2  # each holds its run's snapshots: the flood's Johannstadt at 2 m about 136 MB


@dataclass(frozen=True)
class BeforeRun:
    """A run before the proposals and the plugin's baseline from it; `inputs` keeps the layers and
    quarters its key names by identity alive."""

    key: tuple
    report: RunReport
    baseline: Any
    inputs: SimulationInputs


class BeforeRuns:
    """The before runs of the latest quick effects, newest last."""

    def __init__(self, keep: int = KEPT_BEFORE_RUNS) -> None:
        self._runs: list[BeforeRun] = []
        self._keep = keep

    def find(self, key: tuple, seed: int | None) -> BeforeRun | None:
        """The kept run made the same way; with a seed, only one drawn with it."""
        return next((run for run in reversed(self._runs)
                     if run.key == key and (seed is None or run.report.seed == seed)), None)

    def add(self, run: BeforeRun) -> None:
        """Keep `run` as the newest; the oldest beyond `keep` go."""
        self._runs = ([kept for kept in self._runs if kept.key != run.key] + [run])[-self._keep:]


def estimator_of(simulation: Simulation) -> QuickEstimator:
    """The simulation's quick estimator; one sentence where it has none."""
    estimator = simulation.quick_estimator()
    if estimator is None:
        raise SimulationInputError(f"the {simulation.title} simulation has no quick estimate of the "
                                   f"proposals' effect; compute it in full")
    return estimator


def before_parameters(simulation: Simulation, parameters: dict[str, Any]) -> dict[str, Any]:
    """The before run's full parameter set: the given ones with what the estimates need."""
    return resolve_parameters(simulation, estimator_of(simulation).before_parameters(parameters))


def before_key(simulation: Simulation, inputs: SimulationInputs, parameters: dict[str, Any]) -> tuple:
    """What a before run is made of: the simulation, its layers and quarters (these objects: a layer
    read again is another), and its parameters."""
    layers = tuple((slot, layer.name, id(layer.data)) for slot, layer in sorted(inputs.layers.items()))
    quarters = tuple((quarter.name, id(quarter)) for quarter in inputs.quarters)
    return simulation.name, layers, quarters, _frozen(parameters)


def _frozen(parameters: dict[str, Any]) -> str:
    return json.dumps(plain(to_plain(dict(parameters))), sort_keys=True)


def stored_before(scene: Scene, simulation: Simulation, inputs: SimulationInputs, parameters: dict[str, Any],
                  seed: int | None) -> RunReport | None:
    """The newest run in the scene that can serve as the before run: the same simulation, quarters,
    parameters (`before_parameters`) and seed (any, without one), no measure applied, its results
    still in the scene. The plugin's baseline still checks its grid."""
    quarters, wanted = {quarter.name for quarter in inputs.quarters}, _frozen(parameters)
    names = {layer.name: layer for layer in scene.layers}
    for record in reversed(scene.runs):
        if record.simulation != simulation.name or set(record.per_quarter) != quarters \
                or (seed is not None and record.seed != seed) or _frozen(record.parameters) != wanted \
                or (record.summary.get("proposals") or {}).get("applied") \
                or not all(name in names for name in record.layer_names):
            continue
        layers = [names[name] for name in record.layer_names]
        output = SimulationOutput(record.summary, record.per_quarter, [layer.data for layer in layers])
        return RunReport(record.run_id, record.simulation, record.scenario, RunStatus.OK, record.seed,
                         record.parameters, 0.0, output, result_layers=layers)
    return None


def quick_effect_of(simulation: Simulation, inputs: SimulationInputs, proposals: ProposalSet | None,
                    parameters: dict[str, Any], *, seed: int | None = None, name: str = "",
                    feedback: Feedback | None = None, costs_file: Path | None = None,
                    before_runs: BeforeRuns | None = None, stored: RunReport | None = None) -> ProposalEffect:
    """The effect of `proposals` with the run before them in full (kept in `before_runs`, or the
    scene's `stored` run, or run now) and the run with them a quick estimate. A run that fails or is
    cancelled is reported in its RunReport (then nothing is compared), as `effect_of` does."""
    feedback = feedback or Feedback()
    costs = effect_costs(inputs, proposals, costs_file)
    parameters = before_parameters(simulation, parameters)
    key = before_key(simulation, inputs, parameters)
    before = before_runs.find(key, seed) if before_runs is not None else None
    start = 0.0
    if before is None:
        start = 0.85
        before = _before_run(simulation, inputs, parameters, seed, name, feedback.span(0.0, start), stored,
                             key)
        if isinstance(before, RunReport):
            return ProposalEffect(before, before, [], {}, costs)
        if before_runs is not None:
            before_runs.add(before)
    after = estimated_run(simulation, replace(inputs, proposals=proposals), before, name,
                          feedback.span(start, 1.0))
    effect = compare(before.report, after, costs)
    effect.estimate = after.output.summary["proposals"]["estimate"]["note"] if after.ok else None
    return effect


def _before_run(simulation: Simulation, inputs: SimulationInputs, parameters: dict[str, Any],
                seed: int | None, name: str, feedback: Feedback, stored: RunReport | None,
                key: tuple) -> BeforeRun | RunReport:
    """The before run and its baseline: the scene's stored run where the plugin takes it, else a run
    now; a run that did not end well is returned as its report."""
    estimator, plain_inputs = estimator_of(simulation), replace(inputs, proposals=None)
    if stored is not None:
        try:
            baseline = estimator.baseline(plain_inputs, parameters, stored.output, feedback.span(0.0, 1.0))
            return BeforeRun(key, stored, baseline, inputs)
        except SimulationInputError:
            pass  # its grid is another: run again
    seed, scenario = secrets.randbits(63) if seed is None else seed, f"{name} before the proposals".strip()
    report = run_simulation(simulation, plain_inputs, parameters, seed=seed, scenario=scenario,
                            feedback=feedback.span(0.0, 0.94))
    if not report.ok:
        return report
    baseline = estimator.baseline(plain_inputs, parameters, report.output, feedback.span(0.94, 1.0))
    return BeforeRun(key, report, baseline, inputs)


def estimated_run(simulation: Simulation, inputs: SimulationInputs, before: BeforeRun, name: str,
                  feedback: Feedback) -> RunReport:
    """The run with `inputs.proposals` as the plugin estimates it, as a report named as an estimate;
    cancelled or failed as `run_simulation` reports them (a plugin's SimulationInputError is raised)."""
    report = RunReport(uuid.uuid4().hex[:12], simulation.name,
                       f"{name} with the proposals {ESTIMATE_LABEL}".strip(), RunStatus.OK,
                       before.report.seed, before.report.parameters, 0.0)
    started = time.perf_counter()
    try:
        estimate = estimator_of(simulation).estimate(inputs, before.baseline, feedback)
        report.output = _labelled(estimate)
        check_output(simulation, report.output)
        annotate(simulation, report.output.results)
    except SimulationInputError:
        raise
    except Canceled:
        report.status, report.error = RunStatus.CANCELED, "the estimate was cancelled; nothing was kept"
    except Exception as error:  # a plugin's failure is reported, never raised into the app
        report.status, report.traceback = RunStatus.FAILED, traceback.format_exc()
        report.error = f"the quick estimate of '{simulation.name}' failed: {type(error).__name__}: {error}"
    report.seconds = time.perf_counter() - started
    if not report.ok:
        report.output = None
        return report
    report.result_layers = result_layers_of(simulation, report)
    return report


def _labelled(estimate: QuickEstimate) -> SimulationOutput:
    """The estimate's output with its note in the summary's proposals record: what was computed
    where, and which outputs of a run were not estimated."""
    output = estimate.output
    record = dict(output.summary.get("proposals") or {})
    record["estimate"] = {"note": estimate.note, "not_estimated": list(estimate.not_estimated),
                          **estimate.details}
    output.summary["proposals"] = record
    return output


def refine(effect: ProposalEffect, simulation: Simulation, inputs: SimulationInputs,
           proposals: ProposalSet | None, *, name: str = "",
           feedback: Feedback | None = None) -> ProposalEffect:
    """The effect with the run with the proposals in full, beside the same run before them (its
    parameters and seed): what replaces a quick estimate."""
    before = effect.before
    after = run_simulation(simulation, replace(inputs, proposals=proposals), before.parameters,
                           seed=before.seed, feedback=feedback, scenario=f"{name} with the proposals".strip())
    return compare(before, after, effect.costs)


def quick_proposal_effect(scenario: Scenario, registry: SimulationRegistry, feedback: Feedback | None = None,
                          costs_file: Path | None = None, notes: list[str] | None = None) -> ProposalEffect:
    """`proposal_effect` with the run with the proposals a quick estimate (`main.py effect --quick`)."""
    inputs = scenario_inputs(scenario, notes)
    return quick_effect_of(registry.get(scenario.simulation)(), inputs, inputs.proposals, scenario.parameters,
                           seed=scenario.seed, name=scenario.name, feedback=feedback, costs_file=costs_file)
