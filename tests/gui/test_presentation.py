"""Presentation mode: full screen without docks, a caption bar in large type, presenter keys step the stops."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget

from tests.conftest import ORIGIN_X, ORIGIN_Y
from twin.core import Scene
from twin.core.bookmarks import Bookmark, LayerLook
from twin.core.project import Camera
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

CENTRE = (ORIGIN_X + 100.0, ORIGIN_Y - 50.0)
STOPS = [Bookmark("Above", Camera((*CENTRE, 500.0), (*CENTRE, 110.0), (0.0, 1.0, 0.0)), caption="The bowl",
                  text="Seen from above"),
         Bookmark("Side", Camera((CENTRE[0] - 300, CENTRE[1] - 300, 300.0), (*CENTRE, 110.0)),
                  caption="From the south-west", layers=(LayerLook("terrain", opacity=0.5),))]


@pytest.fixture
def window(qtbot, dtm_file, quarters_file, tmp_path):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


def test_f5_presents_full_screen_with_a_large_caption_and_escape_gives_the_window_back(qtbot, window):
    docks = [dock for dock in window.findChildren(QDockWidget) if dock.isVisible()]
    window.presentation.enter(STOPS)
    assert window.isFullScreen() and not any(dock.isVisible() for dock in docks)
    assert not window.menuBar().isVisible()
    bar = window.presentation.bar
    assert bar.caption.text() == "The bowl" and bar.text.text() == "Seen from above"
    assert bar.caption.fontInfo().pixelSize() >= 28 and bar.text.fontInfo().pixelSize() >= 28
    assert np.allclose(window.scene_view.camera().position, STOPS[0].camera.position)
    legend = window.scene_view.legends._legends[0]  # the terrain's, 29 px type (tests/render measures it)
    assert legend.title.GetTextProperty().GetFontSize() >= 28
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isFullScreen() and all(dock.isVisible() for dock in docks)
    assert window.scene_view.legends._legends[0].title.GetTextProperty().GetFontSize() == 13
    assert window.menuBar().isVisible()


def test_presenter_keys_step_through_the_stops_and_the_camera_flies_there(qtbot, window):
    window.presentation.enter(STOPS)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.presentation.index == 1 and window.presentation.bar.caption.text() == "From the south-west"
    assert window.scene.layer("terrain").opacity == 0.5  # the stop's layer look at once
    qtbot.waitUntil(lambda: np.allclose(window.scene_view.camera().position, STOPS[1].camera.position),
                    timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # past the last stop: stays there
    assert window.presentation.index == 1
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.presentation.index == 0


def test_the_stops_are_the_projects_bookmarks_or_without_any_the_scene_and_its_quarters(qtbot, window):
    window.presentation.enter()
    assert [stop.caption for stop in window.presentation.stops] == ["The whole scene", "West", "East"]
    window.presentation.leave()
    window.session.set_presentation(STOPS, [])  # as the bookmarks panel keeps them, saved or not
    window.presentation.enter()
    assert [stop.name for stop in window.presentation.stops] == ["Above", "Side"]


def test_the_presentation_look_is_a_checkable_view_action(qtbot, window):
    before = window.scene_view.visual_of(window.scene.layer("terrain")).colouring
    window.presentation_look_action.setChecked(True)
    assert window.scene_view.visual_of(window.scene.layer("terrain")).colouring is None
    window.presentation_look_action.setChecked(False)
    assert window.scene_view.visual_of(window.scene.layer("terrain")).colouring.title == before.title
