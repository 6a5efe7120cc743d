"""File > Open batch...: the runs' table (sorted, filtered), the chart of a figure over a varied
parameter, and a run's layers opened into the scene with one click."""

import os
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from PySide6.QtCore import QSettings, Qt

from data.demo import QUARTERS_FILE, default_cache, demo_project
from twin.core import Scene
from twin.core.charts import LineChartData
from twin.core.layers import ResultTableLayer
from twin.io import read_quarters
from twin.qt.batch_view import BatchView, open_batch
from twin.qt.charts import LineChart
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view
from twin.render.results import target_of
from twin.sim.batch_dask import run_and_write_batch
from twin.sim.batch_results import read_batch
from twin.sim.registry import SimulationRegistry

pytestmark = pytest.mark.gui
SCREENSHOT = Path("/tmp/h18batch/batch_view.png")


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory):
    demo_project()
    folder = tmp_path_factory.mktemp("batch")
    scenario = folder / "streets.toml"
    scenario.write_text(
        '[scenario]\nname = "Johannstadt streets"\nsimulation = "street_decay"\nseed = 5\n'
        f'quarters = ["Johannstadt"]\nquarters_file = "{QUARTERS_FILE.as_posix()}"\n\n'
        f'[inputs]\nstreets = "{(default_cache() / "johannstadt_streets.gpkg").as_posix()}"\n\n'
        '[parameters]\nhorizon_years = 8\nmonte_carlo_runs = 0\n', encoding="utf-8")
    # Real Dask, in this process: the table does not depend on where the runs ran.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:
        outcome = run_and_write_batch([scenario], ["budget_eur=1e5,1e6,3e6", "backtest_year=2024,2019"],
                                      folder / "out", SimulationRegistry.discover(), client=client)
    assert len(outcome.failed) == 3  # backtest_year=2019 is refused
    return folder / "out"


@pytest.fixture
def window(qtbot, tmp_path):
    scene = Scene("EPSG:25833")
    scene.set_quarters(read_quarters(QUARTERS_FILE)[0])
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


def test_the_table_shows_a_row_per_run_and_quarter_sorted_and_filtered(qtbot, batch_folder):
    view = BatchView(read_batch(batch_folder), Scene("EPSG:25833"))
    qtbot.addWidget(view)
    assert view.model.rowCount() == 3 * 2 + 3  # three runs x (Johannstadt, whole area), three refused
    headings = [view.model.headerData(column, Qt.Orientation.Horizontal) for column in range(view.model.columnCount())]
    assert "yearly budget (EUR)" in headings
    budget = view.model.names.index("budget_eur")
    view.table.sortByColumn(budget, Qt.SortOrder.DescendingOrder)
    assert view.proxy.index(0, budget).data() == "3,000,000"
    view.filter_edit.setText("refused")  # no row says it
    assert view.proxy.rowCount() == 0
    view.filter_edit.setText("failed")
    assert view.proxy.rowCount() == 3
    error = view.model.names.index("error")
    assert "must come after" in view.proxy.index(0, error).data()


def test_the_chart_draws_a_figure_over_a_varied_parameter_per_quarter(qtbot, batch_folder):
    view = BatchView(read_batch(batch_folder), Scene("EPSG:25833"))
    qtbot.addWidget(view)
    view.figure_box.setCurrentIndex(view.figure_box.findData("backlog_eur@2034"))
    view.parameter_box.setCurrentIndex(view.parameter_box.findData("budget_eur"))
    assert isinstance(view.chart, LineChart) and isinstance(view.chart.data, LineChartData)
    lines = {series.name: series for series in view.chart.data.series}
    assert set(lines) == {"Johannstadt, backtest_year=2024", "whole area, backtest_year=2024"}
    assert list(lines["Johannstadt, backtest_year=2024"].x) == [1e5, 1e6, 3e6]
    backlog = lines["Johannstadt, backtest_year=2024"].y
    assert backlog[0] > backlog[2]  # ten times the money, less backlog
    assert view.chart.data.x_label == "yearly budget (EUR)"
    view.show()
    previous = view.chart
    view.figure_box.setCurrentIndex(view.figure_box.findData("length_m"))
    assert view.chart is not previous and previous.isHidden()  # gone from sight at once, not left behind
    qtbot.waitUntil(view.chart.isVisible)


def test_a_run_opens_in_the_scene_with_one_click_drawn_on_its_streets(qtbot, batch_folder, window):
    view = open_batch(window, batch_folder)
    qtbot.addWidget(view)
    view.filter_edit.setText("budget_eur=1000000")
    view.table.selectRow(0)
    assert view.open_button.isEnabled()
    view.figure_box.setCurrentIndex(view.figure_box.findData("backlog_eur@2034"))
    view.open_button.click()
    qtbot.waitUntil(lambda: bool(window.scene.runs), timeout=30_000)
    run = window.scene.runs[0]
    assert "budget_eur=1000000" in run.scenario
    tables = [layer for layer in window.scene.layers if isinstance(layer, ResultTableLayer)]
    assert tables and all(layer.run_id == run.run_id for layer in tables)
    work_list = next(layer for layer in tables if layer.data.name == "work_list")
    streets = target_of(work_list, list(window.scene.layers))
    assert streets is not None and streets.kind == "streets"  # the run's streets, read from its scenario
    os.makedirs(SCREENSHOT.parent, exist_ok=True)
    view.resize(1200, 800)
    qtbot.wait(200)
    view.grab().save(str(SCREENSHOT))

    view.open_button.click()  # twice: the same run is not added again
    qtbot.waitUntil(lambda: "already in the scene" in view.status.text(), timeout=30_000)
    assert len(window.scene.runs) == 1


def test_a_folder_without_a_batch_is_one_sentence(qtbot, window, tmp_path):
    assert open_batch(window, tmp_path) is None
    assert "is not a batch folder" in window.last_error


def test_the_file_menu_offers_open_batch(window):
    file_menu = window.menuBar().actions()[0].menu()
    assert "Open &batch..." in [action.text() for action in file_menu.actions()]
