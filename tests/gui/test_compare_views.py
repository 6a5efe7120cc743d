"""Side by side and swipe from the window: the View menu and the reports open them on the runs,
the figures of the runs shown stand next to each other with their differences, captions can be
rewritten, four views share one camera, and the swipe's divider is dragged across the view."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from plugins.selftest.simulation import TerrainNoiseSelfTest
from tests.render.test_linked_views import flood_over_time
from tests.render.test_results_view import box_houses
from twin.core import Scene
from twin.core.layers import BuildingsLayer
from twin.io import read_layer, read_quarters
from twin.qt.compare_views import OPEN_WINDOWS, ContentChooser, SideBySideWindow, SwipeWindow
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view
from twin.sim.contract import SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import run_simulation

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path, dtm_file, quarters_file):
    """The bowl with two houses and two self-test runs on it: 'gentle' (0.2 m of noise), then 'rough'."""
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    terrain = scene.add_layer(read_layer(dtm_file))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    for name, noise in (("gentle", 0.2), ("rough", 3.0)):
        inputs = SimulationInputs({"terrain": terrain}, scene.quarters, scene.crs)
        report = run_simulation(TerrainNoiseSelfTest(), inputs, {"noise": noise, "passes": 1}, seed=3,
                                scenario=name, scene=scene)
        assert report.ok, report.error
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings,
                        registry=SimulationRegistry([TerrainNoiseSelfTest]))
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    yield window
    for opened in list(OPEN_WINDOWS):
        opened.close()


def run_named(window, name):
    return next(run for run in window.scene.runs if run.scenario == name)


def table_text(shown: SideBySideWindow) -> list[list[str]]:
    table = shown.table
    return [[table.horizontalHeaderItem(column).text() for column in range(table.columnCount())],
            *([table.item(row, column).text() for column in range(table.columnCount())]
              for row in range(table.rowCount()))]


def test_side_by_side_from_the_view_menu_shows_the_runs_with_their_figures_and_differences(qtbot, window):
    window.side_by_side_action.trigger()

    shown = OPEN_WINDOWS[-1]
    assert isinstance(shown, SideBySideWindow)
    assert [chooser.run.scenario for chooser in shown.choosers] == ["gentle", "rough"]
    assert [chooser.caption.text() for chooser in shown.choosers] == ["gentle", "rough"]
    assert shown.quarter_box.currentText() == "West"  # the first quarter the runs report on
    header, *rows = table_text(shown)
    assert header == ["figure", "unit", "gentle", "rough", "rough − gentle"]
    change = next(row for row in rows if row[0] == "mean absolute height change")
    gentle, rough = (run_named(window, name).per_quarter["West"]["mean_abs_change_m"] for name in ("gentle", "rough"))
    assert float(change[4]) == pytest.approx(rough - gentle, abs=0.01)
    assert rough - gentle > 0.5

    shown.choosers[0].caption.setText("today")
    shown.choosers[0].caption.textEdited.emit("today")  # as typing does
    assert table_text(shown)[0] == ["figure", "unit", "today", "rough", "rough − today"]


def test_four_views_share_one_camera(qtbot, window):
    window.side_by_side_action.trigger()
    shown = OPEN_WINDOWS[-1]
    shown.choosers[0].caption.setText("today")

    shown.count_box.setCurrentIndex(1)  # 4 views

    assert len(shown.panes.views) == 4 and len(shown.view_widgets) == 4
    qtbot.wait(20)  # a widget added to a shown window shows itself when the event loop comes round
    assert sum(chooser.isVisible() for chooser in shown.findChildren(ContentChooser)) == 4  # the old two went
    cameras = {id(view.plotter.renderer.GetActiveCamera()) for view in shown.panes.views}
    assert len(cameras) == 1
    shown.panes.views[3].plotter.camera.azimuth += 25
    positions = [np.asarray(view.plotter.camera.position) for view in shown.panes.views]
    for position in positions[1:]:
        np.testing.assert_allclose(position, positions[0])
    assert [chooser.run.scenario if chooser.run else None for chooser in shown.choosers][:2] == ["gentle", "rough"]
    assert [chooser.title() for chooser in shown.choosers][:2] == ["today", "rough"]


def test_the_reports_open_side_by_side_on_the_run_shown_and_the_one_compared(qtbot, window):
    reports = window.reports
    reports.show_run(run_named(window, "rough").run_id)
    reports.compare_with(run_named(window, "gentle").run_id)

    reports.side_by_side_button.click()

    shown = OPEN_WINDOWS[-1]
    assert [chooser.run.scenario for chooser in shown.choosers] == ["rough", "gentle"]
    assert table_text(shown)[0][2:] == ["rough", "gentle", "gentle − rough"]


def test_dragging_the_swipe_divider_moves_it_and_not_the_camera(qtbot, window):
    window.swipe_action.trigger()
    shown = OPEN_WINDOWS[-1]
    assert isinstance(shown, SwipeWindow)
    qtbot.waitExposed(shown)
    widget = shown.view_widget
    camera = shown.swipe.view.camera()
    middle_y = widget.height() // 2

    QTest.mousePress(widget, Qt.MouseButton.LeftButton, pos=QPoint(widget.width() // 2, middle_y))
    QTest.mouseMove(widget, QPoint(widget.width() // 4, middle_y))
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=QPoint(widget.width() // 4, middle_y))

    assert shown.swipe.position == pytest.approx(0.25, abs=0.01)
    assert shown.slider.value() == pytest.approx(250, abs=10)
    assert shown.swipe.view.camera() == camera
    assert [shown.left.run.scenario, shown.right.run.scenario] == ["gentle", "rough"]

    shown.slider.setValue(700)
    assert shown.swipe.position == pytest.approx(0.7)


def test_a_run_made_while_side_by_side_is_open_can_be_shown(qtbot, window):
    window.side_by_side_action.trigger()
    shown = OPEN_WINDOWS[-1]
    terrain = window.scene.layer("dtm")

    inputs = SimulationInputs({"terrain": terrain}, window.scene.quarters, window.scene.crs)
    run_simulation(TerrainNoiseSelfTest(), inputs, {"noise": 1.0, "passes": 1}, seed=4, scenario="medium",
                   scene=window.scene)

    combo = shown.choosers[1].combo
    qtbot.waitUntil(lambda: combo.itemText(1).startswith("medium"))
    assert shown.choosers[1].run.scenario == "rough"  # the pane keeps showing its run
    combo.setCurrentIndex(1)
    assert shown.choosers[1].caption.text() == "medium"
    assert table_text(shown)[0][2:] == ["gentle", "medium", "medium − gentle"]


def window_on_two_floods(qtbot, tmp_path, dtm_file) -> MainWindow:
    """The window on a terrain with two flood runs, depths every ten and every fifteen minutes."""
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    flood_over_time(scene, "every ten", "aaa111", [0, 10, 20, 30])
    flood_over_time(scene, "every fifteen", "bbb222", [0, 15, 30])
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings,
                        registry=SimulationRegistry([TerrainNoiseSelfTest]))
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


def test_the_panes_follow_the_time_slider_each_at_its_runs_nearest_step(qtbot, tmp_path, dtm_file):
    window = window_on_two_floods(qtbot, tmp_path, dtm_file)
    scene = window.scene
    window.side_by_side_action.trigger()
    shown = OPEN_WINDOWS[-1]
    assert [chooser.run.scenario for chooser in shown.choosers] == ["every ten", "every fifteen"]
    assert not any(chooser.time_label.isVisibleTo(shown) for chooser in shown.choosers)  # no step shown yet
    window.time_bar.set_layer(scene.layer("every ten: depth"))

    window.time_bar.slider.setValue(2)  # the user drags the main window's slider to 20 min

    assert [chooser.time_label.text() for chooser in shown.choosers] == \
        ["at 20 min", "at 15 min, its step nearest 20 min"]
    assert all(chooser.time_label.isVisibleTo(shown) for chooser in shown.choosers)
    for pane, name, step in zip(shown.panes.panes, ("every ten", "every fifteen"), (2, 1), strict=True):
        assert [layer.name for layer in pane.scene.layers] == ["terrain", f"{name}: depth"]
        assert pane.copy_of(scene.layer(f"{name}: depth")).time_index == step
    window.time_bar.slider.setValue(3)
    assert [chooser.time_label.text() for chooser in shown.choosers] == ["at 30 min", "at 30 min"]

    shown.choosers[1].combo.setCurrentIndex(0)  # the right pane shows the scene without results
    assert not shown.choosers[1].time_label.isVisibleTo(shown)
    shown.choosers[1].combo.setCurrentIndex(shown.choosers[1].combo.findData("bbb222"))
    assert shown.choosers[1].time_label.text() == "at 30 min"  # a run chosen again shows the time too
    shown.set_pane_count(4)
    assert [chooser.time_label.text() for chooser in shown.choosers][:2] == ["at 30 min", "at 30 min"]
    shown.close()
    window.time_bar.slider.setValue(0)  # a closed window follows no more (and does not fail)


def test_the_swipe_follows_the_time_slider_each_side_at_its_runs_nearest_step(qtbot, tmp_path, dtm_file):
    window = window_on_two_floods(qtbot, tmp_path, dtm_file)
    scene = window.scene
    window.time_bar.set_layer(scene.layer("every ten: depth"))
    window.time_bar.slider.setValue(1)  # 10 min before the swipe opens: it starts there
    window.swipe_action.trigger()
    swipe = OPEN_WINDOWS[-1]
    assert [chooser.run.scenario for chooser in (swipe.left, swipe.right)] == ["every ten", "every fifteen"]
    assert [chooser.time_label.text() for chooser in (swipe.left, swipe.right)] == \
        ["at 10 min", "at 15 min, its step nearest 10 min"]

    window.time_bar.slider.setValue(2)  # the user drags the main window's slider to 20 min

    assert [chooser.time_label.text() for chooser in (swipe.left, swipe.right)] == \
        ["at 20 min", "at 15 min, its step nearest 20 min"]
    copies = [swipe.swipe.pane.copy_of(scene.layer(f"{name}: depth")) for name in ("every ten", "every fifteen")]
    assert [copy.time_index for copy in copies] == [2, 1]
    swipe.right.combo.setCurrentIndex(0)  # the right side shows the scene without results
    assert not swipe.right.time_label.isVisibleTo(swipe)
    assert swipe.left.time_label.text() == "at 20 min"
    swipe.close()
    window.time_bar.slider.setValue(3)  # a closed swipe follows no more (and does not fail)
