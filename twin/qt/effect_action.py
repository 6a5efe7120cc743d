"""*Compute effect*: the simulation chosen in the Simulations panel run before and with the proposals
for the chosen quarter, in the background (progress and Cancel in the status bar).

Both runs take the window's own layers (nothing is read again) and the same seed; the second gets
the proposal set as a modifier of its inputs (twin/sim/proposal_inputs.py and the plugins'
measures). The comparison is twin/sim/proposal_effect.py's `compare`. Both runs join the scene,
so the Reports panel shows the run before with the run with proposals beside it (figures side by
side with their differences), and the first result both runs share on one grid or the same
features becomes a difference layer in the 3D view (with minus before: blue where the measures
lower a value). A run the plugin refuses or that fails is one sentence; nothing is added then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.layers import Layer, ResultRasterLayer
from twin.core.proposals import ProposalSet
from twin.qt.jobs import Job
from twin.qt.reports import ReportsPanel
from twin.qt.simulation_panel import SimulationPanel
from twin.sim.contract import ParameterError, SimulationInputs
from twin.sim.difference import DifferenceError
from twin.sim.proposal_effect import UNIT_COSTS, ProposalEffect, compare, measure_costs, read_unit_costs
from twin.sim.runner import check_inputs, run_simulation, store_run


class EffectAction(QObject):
    """Runs before/with for the Proposals panel and shows the outcome in the reports and the view."""

    job_started = Signal(object)
    shown = Signal(object)  # the ProposalEffect, once its runs and difference layer are in the scene
    refused = Signal(str)

    def __init__(self, simulations: SimulationPanel, reports: ReportsPanel,
                 proposals: Callable[[], ProposalSet], quarter: Callable[[], str | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.simulations, self.reports = simulations, reports
        self._proposals, self._quarter = proposals, quarter
        self.job: Job | None = None
        self.difference: Layer | None = None

    def compute(self) -> Job | None:
        """Start the two runs; None (with one sentence) where they cannot start."""
        if self.job is not None:
            self.refused.emit("the effect of the proposals is being computed already")
            return None
        try:
            work = self._work()
        except (TwinError, ParameterError) as error:
            self.refused.emit(str(error))
            return None
        job = self.job = Job("Effect of the proposals", work, self)
        job.succeeded.connect(self._show)
        job.failed.connect(self.refused.emit)
        job.canceled.connect(lambda: self.refused.emit("the effect was not computed: cancelled"))
        job.finished.connect(self._job_ended)
        self.job_started.emit(job)
        job.start()
        return job

    def _work(self) -> Callable[[Feedback], ProposalEffect]:
        """The runs' work, with everything it needs taken on the GUI thread now."""
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
        with_measures = SimulationInputs(layers=layers, quarters=quarters, crs=panel.scene.crs,
                                         proposals=proposals)
        costs = measure_costs(proposals, getattr(layers.get("buildings"), "data", None),
                              read_unit_costs(UNIT_COSTS))
        where = quarter or "the chosen quarters"

        def work(feedback: Feedback) -> ProposalEffect:
            before = run_simulation(simulation(), replace(with_measures, proposals=None), parameters,
                                    seed=seed, feedback=feedback.span(0.0, 0.5),
                                    scenario=f"{where} before the proposals")
            if not before.ok:
                raise TwinError(before.error or "the run before the proposals did not end well")
            after = run_simulation(simulation(), with_measures, parameters, seed=before.seed,
                                   feedback=feedback.span(0.5, 1.0), scenario=f"{where} with the proposals")
            if not after.ok:
                raise TwinError(after.error or "the run with the proposals did not end well")
            return compare(before, after, costs)

        return work

    def _show(self, effect: ProposalEffect) -> None:
        scene = self.simulations.scene
        for report in (effect.before, effect.with_proposals):
            store_run(scene, report)
            for layer in report.result_layers:  # the difference is what is to be seen, not either run
                layer.visible = False
        self.reports.show_run(effect.before.run_id)
        self.reports.compare_with(effect.with_proposals.run_id)
        self.difference = self._difference_layer()
        self.shown.emit(effect)

    def _difference_layer(self) -> Layer | None:
        """The first shared result as a difference layer: a grid where there is one (the flood's)."""
        results = self.reports.difference_results()
        own = self.reports.scene.layers
        grids = [name for name in results if any(isinstance(layer, ResultRasterLayer)
                                                 and layer.name.endswith(f": {name}") for layer in own)]
        for name in grids + [name for name in results if name not in grids]:
            try:
                return self.reports.add_difference_layer(name)
            except DifferenceError:
                continue
        return None

    def _job_ended(self) -> None:
        self.job = None


def effect_note(effect: ProposalEffect) -> str:
    """One line for the status bar: what was compared and what the measures cost where costed."""
    costs = [row["cost_eur"] for row in effect.costs if row["cost_eur"] is not None]
    priced = f"; the {len(costs)} costed measure(s) come to about {sum(costs):,.0f} EUR (estimates)" \
        if costs else ""
    return f"Before and with the proposals: see the Reports panel and the difference layer{priced}"
