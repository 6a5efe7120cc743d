"""The reports dock on the demo city: follows runs, quarters and result layers; exports CSV and PNG."""

from __future__ import annotations

import csv
import functools

import pytest
from PySide6.QtGui import QImage

from data.demo import demo_project
from twin.core.project import Project
from twin.core.report_tables import WHOLE_RUN
from twin.core.scene import Scene
from twin.io.project import open_project
from twin.qt.charts import PNG_SIZE
from twin.qt.reports import NO_RUN, ReportsPanel
from twin.sim.contract import SimulationInputs
from twin.sim.presentation import run_figures
from twin.sim.registry import SimulationRegistry, default_registry
from twin.sim.runner import run_simulation

pytestmark = pytest.mark.gui


@functools.cache
def demo_city() -> Scene:
    """The demo project opened once per test session (the inspector tests share it)."""
    return open_project(Project.load(demo_project())).scene


def run_in(scene: Scene, simulation: str, quarter: str = "Johannstadt", **parameters) -> str:
    """Run a simulation on the quarter's own layer of the demo city, stored in the scene; its run id."""
    slot, kind = {"street_decay": ("streets", "streets"), "energy": ("buildings", "buildings")}[simulation]
    layer = next(layer for layer in scene.layers_of_kind(kind) if layer.name.startswith(quarter))
    inputs = SimulationInputs({slot: layer}, [scene.quarter(quarter)], scene.crs)
    report = run_simulation(SimulationRegistry.discover().get(simulation)(), inputs, parameters, seed=5,
                            scenario=f"{quarter} {simulation}", scene=scene)
    assert report.ok, report.error
    return report.run_id


@pytest.fixture(scope="module")
def city() -> Scene:
    scene = demo_city()
    # the demo city is shared with other modules, which may have run one simulation but not the other
    if not any(run.simulation == "street_decay" for run in scene.runs):
        run_in(scene, "street_decay", monte_carlo_runs=20, horizon_years=15)
    if not any(run.simulation == "energy" for run in scene.runs):
        run_in(scene, "energy")
    return scene


@pytest.fixture
def panel(qtbot, city):
    panel = ReportsPanel(city)
    qtbot.addWidget(panel)
    panel.resize(680, 860)
    panel.show()
    return panel


def figure_table(run, quarter=None):
    return run_figures(default_registry(), run, quarter)


def table_text(panel: ReportsPanel) -> list[list[str]]:
    table = panel.table
    return [[table.item(row, column).text() for column in range(table.columnCount())]
            for row in range(table.rowCount())]


def test_an_empty_scene_says_how_to_get_a_report(qtbot):
    panel = ReportsPanel(Scene())
    qtbot.addWidget(panel)
    assert panel.info.text() == NO_RUN and panel.table.rowCount() == 0 and panel.charts.count() == 0
    assert not panel.csv_button.isEnabled()


def test_a_new_run_is_shown_at_once_with_its_table_and_charts(qtbot, panel, city):
    with qtbot.waitSignal(panel.run_shown) as shown:
        run_id = run_in(city, "street_decay", monte_carlo_runs=10, horizon_years=5, budget_eur=2e6)
    assert shown.args == [run_id] and panel.run_combo.currentData() == run_id
    run = panel.current_run
    headers = [panel.table.horizontalHeaderItem(column).text() for column in range(panel.table.columnCount())]
    assert headers == ["figure", "unit", "Johannstadt", WHOLE_RUN]
    expected = figure_table(run)
    rows = table_text(panel)
    assert [row[0] for row in rows] == [row.label for row in expected.rows]
    spent = next(row for row in rows if row[0] == f"money spent, {run.per_quarter['Johannstadt']['years'][-1]}")
    assert spent[1] == "EUR"
    assert float(spent[2].replace(",", "")) == pytest.approx(run.per_quarter["Johannstadt"]["spent_eur"][-1], abs=1)
    titles = [panel.charts.tabText(index) for index in range(panel.charts.count())]
    assert titles == ["Share of street length per condition class", "Mean condition", "Money spent and backlog"]


def test_choosing_a_run_and_a_quarter_changes_table_and_charts(qtbot, panel, city):
    energy = next(run for run in city.runs if run.simulation == "energy")
    with qtbot.waitSignal(panel.run_shown):
        panel.run_combo.setCurrentIndex(panel.run_combo.findData(energy.run_id))
    tabs = [panel.charts.tabText(i) for i in range(panel.charts.count())]
    assert tabs[:3] == ["Yearly electricity balance", "Monthly electricity balance", "Self-sufficiency"]
    panel.set_quarter("Johannstadt")
    assert panel.table.columnCount() == 3 and "Showing Johannstadt" in panel.info.text()
    panel.set_quarter("Prohlis")  # the run has no figures there: every quarter, and the panel says so
    assert panel.table.columnCount() == 4 and "no figures for Prohlis" in panel.info.text()
    panel.set_quarter(None)
    assert panel.quarter is None and "Showing" not in panel.info.text()


def test_exports_write_the_table_as_csv_and_the_charts_as_one_png(panel, city, tmp_path):
    street = next(run for run in reversed(city.runs) if run.simulation == "street_decay")
    panel.show_run(street.run_id)
    panel.export_csv(tmp_path / "figures.csv")
    with open(tmp_path / "figures.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["figure", "unit", "Johannstadt", WHOLE_RUN]
    mean = next(row for row in rows if row[0].startswith("mean condition") and row[0].endswith(
        str(street.per_quarter["Johannstadt"]["years"][0])))
    assert float(mean[2]) == street.per_quarter["Johannstadt"]["mean_condition"][0]
    years = street.per_quarter["Johannstadt"]["years"]
    spent = [row for row in rows if row[0].startswith("money spent, ")]
    assert [row[0] for row in spent] == [f"money spent, {year}" for year in years]  # every year, not two
    panel.export_png(tmp_path / "charts.png")
    image = QImage(str(tmp_path / "charts.png"))
    assert (image.width(), image.height()) == (PNG_SIZE.width(), PNG_SIZE.height() * panel.charts.count())


def test_removing_a_result_layer_drops_the_chart_drawn_from_it(qtbot, panel, city):
    run_id = run_in(city, "energy", week=10)
    assert any(panel.charts.tabText(i) == "Hourly balance" for i in range(panel.charts.count()))
    run = panel.current_run
    assert run.run_id == run_id
    city.remove_layer(next(name for name in run.layer_names if city.layer(name).data.name == "energy_week"))
    assert not any(panel.charts.tabText(i) == "Hourly balance" for i in range(panel.charts.count()))
    assert panel.table.rowCount() == len(figure_table(run).rows)  # the figures stay


def test_two_runs_of_a_simulation_side_by_side_with_their_difference(qtbot, panel, city):
    cheap = run_in(city, "street_decay", monte_carlo_runs=0, horizon_years=5, budget_eur=1e5)
    rich = run_in(city, "street_decay", monte_carlo_runs=0, horizon_years=5, budget_eur=3e6)
    panel.show_run(rich)
    energy = next(run for run in city.runs if run.simulation == "energy")
    choices = [panel.compare_combo.itemData(index) for index in range(panel.compare_combo.count())]
    assert cheap in choices and energy.run_id not in choices  # only runs of the same simulation
    panel.set_quarter("Johannstadt")
    panel.compare_with(cheap)
    headers = [panel.table.horizontalHeaderItem(column).text() for column in range(panel.table.columnCount())]
    assert headers[2:] == [f"Johannstadt street_decay ({rich[:6]})", f"Johannstadt street_decay ({cheap[:6]})",
                           f"Johannstadt street_decay ({cheap[:6]}) − Johannstadt street_decay ({rich[:6]})"]
    last = city.runs[-1].per_quarter["Johannstadt"]["years"][-1]
    row = next(row for row in panel.figures().rows if row.label == f"backlog (segments past 3.5), {last}")
    rich_figures = next(run for run in city.runs if run.run_id == rich).per_quarter["Johannstadt"]
    cheap_figures = next(run for run in city.runs if run.run_id == cheap).per_quarter["Johannstadt"]
    assert row.values == pytest.approx([rich_figures["backlog_eur"][-1], cheap_figures["backlog_eur"][-1],
                                        cheap_figures["backlog_eur"][-1] - rich_figures["backlog_eur"][-1]])
    assert row.values[2] > 0  # the smaller budget leaves more to do
    panel.compare_with(None)
    assert panel.table.columnCount() == 3


def test_a_quarter_shows_the_figures_only_the_whole_run_has(qtbot, panel, city):
    street = next(run for run in reversed(city.runs) if run.simulation == "street_decay")
    panel.show_run(street.run_id)
    panel.set_quarter("Johannstadt")
    rows = {row[0]: row for row in table_text(panel)}
    assert rows[f"street segments ({WHOLE_RUN})"][2] == str(street.summary["segments"])


def test_the_difference_of_two_compared_runs_becomes_a_layer_naming_both(qtbot, panel, city):
    import numpy as np

    from twin.sim.difference import DifferenceTableLayer, run_results

    cheap = run_in(city, "street_decay", monte_carlo_runs=0, horizon_years=5, budget_eur=1e5)
    rich = run_in(city, "street_decay", monte_carlo_runs=0, horizon_years=5, budget_eur=3e6)
    panel.show_run(rich)
    panel.compare_with(None)
    assert not panel.difference_button.isEnabled()  # nothing to subtract without a comparison
    panel.compare_with(cheap)
    assert "condition" in panel.difference_results() and panel.difference_button.isEnabled()
    assert "Δ condition" in [action.text() for action in panel.difference_button.menu().actions()]
    runs = {run.run_id: run for run in city.runs}
    layer = panel.add_difference_layer("condition")
    assert isinstance(layer, DifferenceTableLayer) and layer in city.layers
    assert layer.comparison == f"Johannstadt street_decay ({cheap[:6]}) − Johannstadt street_decay ({rich[:6]})"
    rich_table, cheap_table = (run_results(city, runs[run_id])["condition"] for run_id in (rich, cheap))
    assert not rich_table.visible and not cheap_table.visible  # the difference is what is seen
    year = layer.time_labels[-1]
    order = np.argsort(cheap_table.data.columns["segment_id"])
    expected = (cheap_table.data.columns[f"condition_{year}"][order]
                - rich_table.data.columns[f"condition_{year}"][np.argsort(rich_table.data.columns["segment_id"])])
    shown = layer.data.columns[f"condition_{year}"][np.argsort(layer.data.columns["segment_id"])]
    np.testing.assert_allclose(shown, expected)
    assert shown.max() > 0  # a smaller budget leaves streets in a worse condition
    city.remove_layer(layer.name)
