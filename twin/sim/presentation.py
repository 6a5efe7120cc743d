"""A run's report from its simulation: figures labelled by the declared outputs, the plugin's charts.

A run whose simulation is not installed (a project from another machine) still reports its figures,
named as they are stored and without units or charts.
"""

from __future__ import annotations

from twin.core.charts import ChartData
from twin.core.fields import AttributeLegend, OutputCatalogue
from twin.core.report_tables import WHOLE_RUN, FigureTable, compared_table, figure_table, run_tables
from twin.core.scene import RunRecord, Scene
from twin.sim.contract import Simulation
from twin.sim.registry import SimulationRegistry, UnknownSimulationError


def run_figures(registry: SimulationRegistry, run: RunRecord, quarter: str | None = None,
                every_year: bool = False) -> FigureTable:
    """The run's figures per quarter (or of one), with the labels and units its simulation declares;
    series over the years with their first and last year, or `every_year`."""
    simulation = _simulation(registry, run.simulation)
    catalogue = simulation.catalogue() if simulation is not None else OutputCatalogue(())
    return figure_table(run, catalogue, quarter, every_year)


def compared_figures(registry: SimulationRegistry, runs: list[RunRecord], titles: list[str],
                     quarter: str | None = None) -> FigureTable:
    """Runs side by side for one quarter (or the whole area, with None), and their differences from
    the first run."""
    places = [run_figures(registry, run, quarter) if quarter in run.per_quarter
              else run_figures(registry, run).column(WHOLE_RUN) for run in runs]
    return compared_table(list(zip(titles, places, strict=True)))


def run_charts(registry: SimulationRegistry, run: RunRecord, scene: Scene,
               quarter: str | None = None) -> list[ChartData]:
    """The charts the run's simulation draws of it; none where it declares none or is not installed."""
    simulation = _simulation(registry, run.simulation)
    return [] if simulation is None else simulation.charts(run, run_tables(run, scene), quarter)


def attribute_legend(registry: SimulationRegistry, kind: str, attribute: str) -> AttributeLegend | None:
    """The classes an installed simulation lends to an attribute of input layers of a kind."""
    for simulation in registry.listed(include_hidden=True):
        for legend in simulation.legends:
            if (legend.kind, legend.attribute) == (kind, attribute):
                return legend
    return None


def _simulation(registry: SimulationRegistry, name: str) -> type[Simulation] | None:
    try:
        return registry.get(name)
    except UnknownSimulationError:
        return None
