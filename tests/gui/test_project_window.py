"""Projects in the window: the layout, legends, quarter and view come back; packs open elsewhere;
the demo opens untitled; closing during a run names it; a small window keeps the 3D view."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from data.demo import demo_project
from plugins.selftest.simulation import TerrainNoiseSelfTest
from twin.core import Scene
from twin.core.project import Project
from twin.io import read_layer, read_quarters
from twin.io.project import open_project
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession, session_for
from twin.qt.views import offscreen_view
from twin.sim.registry import SimulationRegistry

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def make_window(qtbot, scene, settings, session=None, **options) -> MainWindow:
    window = MainWindow(scene, offscreen_view, session=session or ProjectSession(scene, name="test"),
                        settings=settings, **options)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    qtbot.wait(10)  # the camera is placed on the first pass of the event loop after showing
    return window


def reopen(qtbot, path, settings) -> MainWindow:
    """A project file opened as the app opens one: a new window with its view state."""
    project = Project.load(path)
    opened = open_project(project)
    assert opened.problems == []
    return make_window(qtbot, opened.scene, settings, session=session_for(opened.scene, project),
                       camera=opened.camera, view=opened.view)


@pytest.fixture
def window(qtbot, dtm_file, quarters_file, settings):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    session = ProjectSession(scene, name="test", quarters_file=quarters_file)
    return make_window(qtbot, scene, settings, session=session)


def rearrange(window: MainWindow) -> None:
    """A user's own layout: layers on the right, the inspector on top, no legends, the East quarter."""
    window.resize(780, 600)  # within the offscreen platform's 800 x 800 screen, where Qt keeps a restored window
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.layers_dock)
    window.inspector_dock.raise_()
    window.legends_action.trigger()
    window.quarter_box.setCurrentText("East")
    window.scene_view.plotter.camera.azimuth += 30  # a view of their own, not the quarter's


def assert_same_look(window: MainWindow, saved_camera) -> None:
    assert window.dockWidgetArea(window.layers_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.size().width() == 780 and window.size().height() == 600
    assert window.quarter_box.currentText() == "East" and window.reports._quarter == "East"
    assert not window.legends_action.isChecked() and not window.scene_view.legends_shown
    assert window.scene_view.legends.boxes() == []
    for key in ("position", "focal_point", "view_up"):
        np.testing.assert_allclose(getattr(window.scene_view.camera(), key), getattr(saved_camera, key), atol=1e-6)


def test_a_reopened_project_has_its_layout_legends_quarter_and_view(qtbot, window, tmp_path, settings):
    rearrange(window)
    assert window.save_project(tmp_path / "look.toml")
    saved_camera = Project.load(tmp_path / "look.toml").camera
    window.close()

    reopened = reopen(qtbot, tmp_path / "look.toml", settings)
    assert_same_look(reopened, saved_camera)
    assert not reopened.session.dirty


def test_a_packed_project_opens_from_another_folder_with_its_layout(qtbot, window, tmp_path, settings):
    rearrange(window)
    assert window.save_project(tmp_path / "work" / "look.toml")
    saved_camera = Project.load(tmp_path / "work" / "look.toml").camera
    job = window.pack_project(tmp_path / "pack")
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass
    assert window.last_error == ""
    window.close()
    shutil.move(tmp_path / "pack", tmp_path / "laptop")
    for original in ("work", "dtm.tif", "quarters.geojson"):
        shutil.move(tmp_path / original, tmp_path / f"gone-{original}")  # the originals are not there

    reopened = reopen(qtbot, tmp_path / "laptop" / "look.toml", settings)
    assert [layer.name for layer in reopened.scene.layers] == ["dtm"]
    assert reopened.scene.layers[0].source.is_relative_to(tmp_path / "laptop")
    assert_same_look(reopened, saved_camera)


def test_packing_an_unsaved_project_saves_it_first_after_asking(qtbot, window, tmp_path, monkeypatch):
    window.scene.layers[0].opacity = 0.5
    asked = []
    monkeypatch.setattr(window, "ask_save_before_packing", lambda: asked.append(True) or False)
    assert window.pack_project(tmp_path / "pack") is None and asked == [True]
    assert not (tmp_path / "pack").exists()


def test_the_demo_opens_untitled_and_its_generated_project_is_never_overwritten(qtbot, settings, monkeypatch):
    generated = demo_project()
    before = generated.read_bytes()
    project = Project.load(generated)
    project.layers = [entry for entry in project.layers if entry.path.suffix == ".tif"][:1]  # quick to open
    opened = open_project(project)
    window = make_window(qtbot, opened.scene, settings, session=session_for(opened.scene, project))
    assert window.session.path is None and "Dresden demo city" in window.windowTitle()

    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, caption, start, *rest, **options: offered.append(start) or ("", ""))
    window.scene.layers[0].opacity = 0.5
    assert not window.save_project()  # Ctrl+S on the untitled demo asks where; the user cancels
    assert offered and offered[0].startswith(str(Path.home())) and "cache" not in offered[0]
    assert not window.save_project(generated)  # nor can the generated file be chosen
    assert "the demo city's generated project is kept as it is" in window.last_error
    assert generated.read_bytes() == before


class VisibleSelfTest(TerrainNoiseSelfTest):
    hidden = False  # offered in the window's panel, which lists only the shown simulations


def start_a_long_run(qtbot, window) -> object:
    panel = window.simulation_panel
    panel.select_simulation("selftest")
    panel.form.set_values({"passes": 1000, "pause": 0.05})
    panel.name_edit.setText("Johannstadt cloudburst")
    started = []
    panel.job_started.connect(started.append)
    panel.run_button.click()
    assert started, panel.message.text()
    qtbot.waitUntil(lambda: bool(started) and started[0].feedback.fraction > 0, timeout=20_000)
    return started[0]


@pytest.mark.parametrize("agree", [False, True])
def test_closing_during_a_run_names_the_run_and_cancels_it_when_agreed(qtbot, dtm_file, settings, monkeypatch,
                                                                     agree):
    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    window = make_window(qtbot, scene, settings, registry=SimulationRegistry([VisibleSelfTest]))
    job = start_a_long_run(qtbot, window)
    asked = []
    monkeypatch.setattr(window, "ask_cancel_run", lambda run: asked.append(run) or agree)
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: pytest.fail("nothing unsaved was asked about"))
    assert window.close() is agree
    assert asked == ["The Self-test run 'Johannstadt cloudburst'"]
    assert job.running is not agree
    if agree:
        assert job.feedback.canceled and scene.runs == []  # cancelled cleanly: nothing kept
    else:
        job.cancel()
        job.wait()


def test_at_the_minimum_window_size_the_3d_view_keeps_a_usable_size(window):
    window._show_result_docks()  # the most docks a window shows: layers, simulations, reports, tables
    window.resize(1166, 550)
    window.layout().activate()
    assert window.size().width() == 1166 and window.size().height() == 550  # the docks gave way
    view = window.view_widget.size()
    assert view.width() >= 300 and view.height() >= 200, view
    for dock in (window.layers_dock, window.simulations_dock, window.reports_dock):
        assert dock.isVisible() and dock.width() > 50 and dock.height() > 50  # smaller, still there


def test_saving_from_the_window_keeps_the_projects_bookmarks_and_tours(qtbot, window, tmp_path, settings):
    from twin.core.bookmarks import Bookmark, Tour
    from twin.core.project import Camera

    path = tmp_path / "presented.toml"
    assert window.save_project(path)
    project = Project.load(path)
    overview = Bookmark("Overview", Camera((411_000.0, 5_653_000.0, 900.0), (411_100.0, 5_654_050.0, 110.0)),
                        caption="The quarter")
    project.bookmarks, project.tours = [overview], [Tour("Walk", ("Overview",))]
    project.save(path)
    again = reopen(qtbot, path, settings)
    assert again.save_project(path)  # as Ctrl+S does after any change
    saved = Project.load(path)
    assert saved.bookmarks == [overview] and saved.tours == [Tour("Walk", ("Overview",))]
