"""*Compute effect*: the simulation chosen in the Simulations panel run before and with the proposals
for the chosen quarter, in the background (progress and Cancel in the status bar).

The work is twin/sim/proposal_effect.py's `effect_of`, the command line's `main.py effect` path,
given the window's own layers (nothing is read again), the chosen quarter, the panel's parameters
and seed and the drawn proposal set (applied as a modifier of the inputs of the second run:
twin/sim/proposal_inputs.py and the plugins' measures). So the window and the command line compute
the same figures, differences and costs. Both runs join the scene, so the Reports panel shows the
run before with the run with proposals beside it (figures side by side with their differences),
and the effect's first difference (a grid where there is one: the flood's depth change; else per
building or segment: the energy's demand and PV change, a street's condition change) becomes a
layer in the 3D view (with minus before: blue where the measures lower a value). A run the plugin
refuses or that fails is one sentence; nothing is added then.

A simulation with a quick estimate (the flood: twin/sim/quick_effect.py) answers first with it: the
run before in full (kept for the next Compute effect on the same quarter, layers and parameters, or
a matching run the scene holds already), the run with the proposals estimated, labelled as such in
its name, the legend and the status line. A full run with the proposals then refines it in the
background (its own job: progress and Cancel in the status bar) and replaces the estimate's run,
layers and difference when it ends; cancelled, the estimate stays. Energy and street runs are fast
and run in full at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from twin.core.data import ResultRaster
from twin.core.errors import TwinError
from twin.core.feedback import Canceled, Feedback
from twin.core.numbers import format_number
from twin.core.proposals import ProposalSet
from twin.qt.jobs import Job
from twin.qt.reports import ReportsPanel
from twin.qt.simulation_panel import SimulationPanel
from twin.sim.contract import ParameterError, Simulation, SimulationInputs
from twin.sim.difference import (
    DELTA,
    DifferenceLayer,
    DifferenceRasterLayer,
    DifferenceTableLayer,
)
from twin.sim.proposal_effect import ProposalEffect, effect_of
from twin.sim.quick_effect import BeforeRuns, before_parameters, quick_effect_of, refine, stored_before
from twin.sim.runner import RunStatus, check_inputs, store_run


class EffectAction(QObject):
    """Runs before/with for the Proposals panel and shows the outcome in the reports and the view."""

    job_started = Signal(object)
    shown = Signal(object)  # the ProposalEffect, once its runs and difference layer are in the scene
    refined = Signal(object)  # the effect of two full runs that replaced a quick estimate
    said = Signal(str)  # a note: how a refinement ended without replacing the estimate
    refused = Signal(str)

    def __init__(self, simulations: SimulationPanel, reports: ReportsPanel,
                 proposals: Callable[[], ProposalSet], quarter: Callable[[], str | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.simulations, self.reports = simulations, reports
        self._proposals, self._quarter = proposals, quarter
        self.job: Job | None = None
        self.refinement: Job | None = None  # the full run replacing the shown quick estimate
        self.difference: DifferenceLayer | None = None
        self.before_runs = BeforeRuns()  # the quick estimates' before runs, for the next Compute effect

    def compute(self) -> Job | None:
        """Start the runs; None (with one sentence) where they cannot start. A refinement still
        running is cancelled: its estimate is of measures since changed."""
        if self.job is not None:
            self.refused.emit("the effect of the proposals is being computed already")
            return None
        try:
            work, refinement = self._work()
        except (TwinError, ParameterError) as error:
            self.refused.emit(str(error))
            return None
        if self.refinement is not None:  # superseded: it goes without a word
            self.refinement.cancel()
            self.refinement = None
        job = self.job = Job("Effect of the proposals", work, self)
        job.succeeded.connect(lambda effect: self._shown(effect, refinement))
        job.failed.connect(self.refused.emit)
        job.canceled.connect(lambda: self.refused.emit("the effect was not computed: cancelled"))
        job.finished.connect(self._job_ended)
        self.job_started.emit(job)
        job.start()
        return job

    def _work(self) -> tuple[Callable[[Feedback], ProposalEffect], Callable[[ProposalEffect], None] | None]:
        """The runs' work, with everything it needs taken on the GUI thread now, and for a quick
        estimate what starts its refinement."""
        panel, proposals, quarter = self.simulations, self._proposals(), self._quarter()
        simulation = panel.simulation
        if simulation is None:
            raise TwinError("choose a simulation in the Simulations panel first")
        if not len(proposals):
            raise TwinError("draft at least one measure before computing its effect")
        if not simulation.proposal_kinds:
            raise TwinError(f"the {simulation.title} simulation takes no proposals; choose flood, "
                            f"energy or street decay")
        layers, parameters, seed = panel.selected_layers(), panel.form.values(), panel.seed()
        check_inputs(simulation, layers)
        quarters = [panel.scene.quarter(quarter)] if quarter else panel.selected_quarters()
        inputs = SimulationInputs(layers=layers, quarters=quarters, crs=panel.scene.crs)
        where = quarter or "the chosen quarters"
        if simulation().quick_estimator() is None:
            return lambda feedback: _ended_well(effect_of(simulation(), inputs, proposals, parameters,
                                                          seed=seed, name=where, feedback=feedback)), None
        stored = stored_before(panel.scene, simulation(), inputs, before_parameters(simulation(), parameters),
                               seed)

        def work(feedback: Feedback) -> ProposalEffect:
            return _ended_well(quick_effect_of(simulation(), inputs, proposals, parameters, seed=seed,
                                               name=where, feedback=feedback, before_runs=self.before_runs,
                                               stored=stored))

        return work, lambda effect: self._refine(effect, simulation, inputs, proposals, where)

    def _shown(self, effect: ProposalEffect, refinement: Callable[[ProposalEffect], None] | None) -> None:
        self._show(effect)
        self.shown.emit(effect)
        if refinement is not None:
            refinement(effect)

    def _show(self, effect: ProposalEffect) -> None:
        scene = self.simulations.scene
        for report in (effect.before, effect.with_proposals):
            if any(run.run_id == report.run_id for run in scene.runs):
                continue  # the run before kept from an earlier effect, or the scene's own
            store_run(scene, report)
            for layer in report.result_layers:  # the difference is what is to be seen, not either run
                layer.visible = False
        self.reports.show_run(effect.before.run_id)
        self.reports.compare_with(effect.with_proposals.run_id)
        if self.difference is not None:  # the latest effect is the one to see; the earlier stays listed
            self.difference.visible = False
        self.difference = difference_layer(effect)
        if self.difference is not None:
            scene.add_layer(self.difference)

    def _refine(self, estimate: ProposalEffect, simulation: type[Simulation], inputs: SimulationInputs,
                proposals: ProposalSet, where: str) -> None:
        """Start the full run with the proposals that replaces the estimate when it ends."""
        def work(feedback: Feedback) -> ProposalEffect:
            return _ended_well(refine(estimate, simulation(), inputs, proposals, name=where,
                                      feedback=feedback))

        job = self.refinement = Job("Full run refining the quick estimate", work, self)
        job.succeeded.connect(lambda effect: self._replace(job, estimate, effect))
        job.failed.connect(lambda sentence: self._say_for(job, f"The full run failed ({sentence}); the "
                                                               f"quick estimate stays."))
        job.canceled.connect(lambda: self._say_for(job, "The full run was cancelled; the quick estimate "
                                                        "stays."))
        job.finished.connect(lambda: self._refinement_ended(job))
        self.job_started.emit(job)
        job.start()

    def _replace(self, job: Job, estimate: ProposalEffect, effect: ProposalEffect) -> None:
        """The full answer in the estimate's place: its run, layers and difference go (unless a newer
        Compute effect superseded it)."""
        if job is not self.refinement:
            return
        scene = self.simulations.scene
        for layer in [*estimate.with_proposals.result_layers, self.difference]:
            if layer is not None and layer in scene.layers:
                scene.remove_layer(layer.name)
        scene.runs[:] = [run for run in scene.runs if run.run_id != estimate.with_proposals.run_id]
        self.difference = None
        self._show(effect)
        self.refined.emit(effect)

    def _say_for(self, job: Job, note: str) -> None:
        """Say how the refinement ended, unless a newer Compute effect superseded it."""
        if job is self.refinement:
            self.said.emit(note)

    def _job_ended(self) -> None:
        self.job = None

    def _refinement_ended(self, job: Job) -> None:
        if self.refinement is job:
            self.refinement = None


def _ended_well(effect: ProposalEffect) -> ProposalEffect:
    """The effect whose runs both ended well; else Canceled, or the failed run's sentence."""
    for run in (effect.before, effect.with_proposals):
        if run.status is RunStatus.CANCELED:
            raise Canceled()
        if not run.ok:
            raise TwinError(run.error or f"the run {run.scenario} did not end well")
    return effect


def difference_layer(effect: ProposalEffect) -> DifferenceLayer | None:
    """The effect's first difference as a layer, a grid before tables (the flood's depth change
    rather than its per-building table); None where the runs share nothing to subtract."""
    differences = sorted(effect.differences, key=lambda result: not isinstance(result, ResultRaster))
    if not differences:
        return None
    result = differences[0]
    names = (effect.with_proposals.scenario, effect.before.scenario)
    title = f"{DELTA} {result.name}: {names[0]} − {names[1]}"
    if isinstance(result, ResultRaster):
        return DifferenceRasterLayer(result, title, names)
    # Every row, a new building's too: the view colours the buildings the layer it is drawn on has, and
    # the proposals' own block of a new building takes its row's colour (twin/render/proposal_visuals.py).
    return DifferenceTableLayer(result, title, names)


def cost_lines(effect: ProposalEffect) -> list[str]:
    """One line per measure: its quantity times the unit cost, or why it is not costed here; then the
    total of the costed ones (the unit costs are estimates: twin/sim/measure_costs.csv)."""
    lines = []
    for row in effect.costs:
        if row["cost_eur"] is None:  # the table's reason ("not costed", "costed by the street-decay run")
            reason = "not costed: its quantity is unknown (no buildings layer)" \
                if row["eur_per_unit"] is not None else row["source"].split(":")[0]
            lines.append(f"{row['title']}: {reason}")
            continue
        quantity = format_number(row["quantity"], row["unit"])
        price = format_number(row["eur_per_unit"], "EUR")
        lines.append(f"{row['title']}: {quantity} {row['unit']} × {price} EUR = "
                     f"{format_number(row['cost_eur'], 'EUR')} EUR")
    costed = [row["cost_eur"] for row in effect.costs if row["cost_eur"] is not None]
    if costed:
        lines.append(f"Total: {format_number(sum(costed), 'EUR')} EUR (estimates)")
    return lines


def effect_note(effect: ProposalEffect, refined: bool = False) -> str:
    """One line for the status bar: what was compared (a quick estimate: of how many cells, and that
    a full run refines it) and what the measures cost where costed."""
    costs = [row["cost_eur"] for row in effect.costs if row["cost_eur"] is not None]
    priced = f"; the {len(costs)} costed measure(s) come to about {sum(costs):,.0f} EUR (estimates)" \
        if costs else ""
    if effect.estimate:
        estimate = f"{effect.estimate[0].upper()}{effect.estimate[1:]}"
        return f"{estimate}; a full run refines it in the background{priced}"
    replaced = " (full runs, in place of the quick estimate)" if refined else ""
    return f"Before and with the proposals{replaced}: see the Reports panel and the difference layer{priced}"
