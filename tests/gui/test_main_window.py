"""The main window on the offscreen Qt platform, with the off-screen 3D view injected."""

import json

import numpy as np
import pytest
from pyproj import Transformer
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from tests.conftest import write_dtm
from twin.core import Scene
from twin.core.data import ResultRaster
from twin.core.layers import result_layer
from twin.core.project import Project
from twin.core.scene import RunRecord
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, dtm_file, quarters_file, settings):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    # Closing at teardown must not stop to ask about saving.
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


def _open_and_wait(qtbot, window, paths):
    window.open_files(paths)
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)


def test_an_opened_file_joins_the_scene_and_the_recent_list(qtbot, window, tmp_path):
    second = write_dtm(tmp_path / "second.tif")
    _open_and_wait(qtbot, window, [second])
    assert [layer.name for layer in window.scene.layers] == ["dtm", "second"]
    assert window.session.dirty and window.isWindowModified()
    assert window.recent.paths() == [second.resolve()]
    assert [action.text() for action in window.recent_menu.actions()] == [str(second.resolve())]


def test_a_broken_file_is_one_sentence_and_the_scene_stays(qtbot, window, tmp_path):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 not really a tiff")
    _open_and_wait(qtbot, window, [broken])
    assert window.last_error.startswith(f"{broken}: ") and "\n" not in window.last_error
    assert [layer.name for layer in window.scene.layers] == ["dtm"]


def test_a_file_without_crs_asks_for_one(qtbot, window, tmp_path, monkeypatch):
    no_crs = write_dtm(tmp_path / "no_crs.tif", crs=None)
    asked = []
    monkeypatch.setattr(window, "ask_crs", lambda path, crs: asked.append(path) or "EPSG:25833")
    window.loader._ask_crs = window.ask_crs
    _open_and_wait(qtbot, window, [no_crs])
    assert asked == [no_crs] and window.scene.layers[-1].name == "no_crs"


def test_giving_no_crs_leaves_the_file_out_with_a_reason(qtbot, window, tmp_path):
    window.loader._ask_crs = lambda path, crs: None
    _open_and_wait(qtbot, window, [write_dtm(tmp_path / "no_crs.tif", crs=None)])
    assert "names no coordinate reference system and none was given" in window.last_error
    assert len(window.scene.layers) == 1


def test_dropped_files_are_opened(qtbot, window, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(write_dtm(tmp_path / "dropped.tif")))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=20_000)
    assert window.scene.layers[-1].name == "dropped"


def test_a_saved_project_reopens_and_the_window_is_clean(window, tmp_path):
    window.scene.layers[0].opacity = 0.5
    assert window.session.dirty
    assert window.save_project(tmp_path / "mine.toml")
    assert not window.session.dirty and not window.isWindowModified()
    assert "mine.toml" in window.windowTitle()
    project = Project.load(tmp_path / "mine.toml")
    assert [entry.opacity for entry in project.layers] == [0.5] and project.camera is not None


@pytest.mark.parametrize(("answer", "closes"), [(QMessageBox.StandardButton.Cancel, False),
                                                 (QMessageBox.StandardButton.Discard, True)])
def test_closing_with_unsaved_changes_asks_first(window, monkeypatch, answer, closes):
    window.scene.layers[0].visible = False
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: answer)
    assert window.close() is closes


def test_choosing_a_quarter_brings_it_into_view(window):
    quarter = window.scene.quarters[1]
    window.quarter_box.setCurrentText(quarter.name)
    focal = np.asarray(window.scene_view.camera().focal_point)
    minx, miny, maxx, maxy = quarter.bounds
    assert minx <= focal[0] <= maxx and miny <= focal[1] <= maxy


def test_the_window_renders_the_scene(window):
    image = window.grab().toImage()
    assert image.width() > 600 and not window.view_widget.pixmap().isNull()


def test_a_result_over_time_gets_the_time_slider(window):
    terrain = window.scene.layers[0].data
    stack = np.stack([terrain.values * 0, terrain.values * 0 + 0.5, terrain.values * 0 + 1.0])
    depth = ResultRaster("depth", stack, terrain.transform, terrain.crs, "m", times=np.array([0., 300., 600.]))
    window.scene.add_run(RunRecord("r1", "flood", "test", 1, {}, {}, {}),
                         [result_layer(depth, "Flood: depth", run_id="r1")])
    bar = window.time_bar
    assert bar.isVisible() and bar.layer.name == "Flood: depth" and bar.slider.maximum() == 2
    window.toolbar.layout().activate()
    placed = QRect(bar.mapTo(window.toolbar, QPoint(0, 0)), bar.size())
    assert bar.width() > 200 and window.toolbar.rect().contains(placed)  # laid out, not just flagged
    bar.slider.setValue(2)
    assert bar.layer.time_index == 2 and bar.step_label.text() == "10 min"
    layer = bar.layer
    layer.visible = False
    assert bar.layer is None and not bar.isVisible()
    layer.visible = True  # ticking a result with time steps brings the slider back
    assert bar.layer is layer and bar.isVisible()
    window.scene.layers.remove(layer)
    assert bar.layer is None and not bar.isVisible()


def test_a_click_on_the_view_shows_what_lies_there_in_the_inspector(window, qtbot):
    view = window.view_widget
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.rect().center())
    layer, (row, col) = window.inspector.shown
    assert layer is window.scene.layers[0]
    assert 0 <= row < layer.data.shape[0] and 0 <= col < layer.data.shape[1]
    assert window.scene_view.highlighted is not None


def test_a_users_quarters_in_wgs84_are_moved_into_the_scene_and_drive_the_picker(window, tmp_path):
    lon_lat = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
    minx, miny, maxx, maxy = window.scene.layers[0].data.bounds
    ring = [lon_lat.transform(x, y) for x, y in ((minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy), (minx, miny))]
    path = tmp_path / "mine.geojson"  # RFC 7946: no crs member, longitudes and latitudes
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Schoolyard"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    assert window.open_quarters(path)
    (quarter,) = window.scene.quarters
    assert quarter.name == "Schoolyard" and quarter.polygon.bounds == pytest.approx((minx, miny, maxx, maxy))
    assert [window.quarter_box.itemText(i) for i in range(window.quarter_box.count())][1:] == ["Schoolyard"]
    assert window.session.dirty and window.session.quarters_file == path.resolve()


def test_a_quarters_file_without_names_is_one_message_and_keeps_the_quarters(window, tmp_path):
    before = list(window.scene.quarters)
    path = tmp_path / "nameless.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                    '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}', encoding="utf-8")
    assert not window.open_quarters(path)
    assert window.scene.quarters == before and "has no 'name'" in window.last_error


def test_the_legends_can_be_switched_off_from_the_view_menu(window):
    assert window.legends_action.isChecked() and window.scene_view.legends.boxes()
    window.legends_action.trigger()
    assert not window.scene_view.legends_shown and window.scene_view.legends.boxes() == []
    window.legends_action.trigger()
    assert window.scene_view.legends.boxes()
