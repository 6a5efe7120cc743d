"""The window opens on the first quarter's buildings, seen obliquely and filling the view; the whole
city is one click away; a project's saved view wins over the opening view."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from tests.render.test_results_view import box_houses
from twin.core import Scene
from twin.core.layers import BuildingsLayer
from twin.core.project import Camera, ViewState
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def town(dtm_file, quarters_file):
    """Two quarters, West and East, each with one 20 m x 20 m house 15 m high, on a 200 m x 100 m bowl."""
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    return scene


def open_window(qtbot, scene, settings, **options) -> MainWindow:
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings,
                        **options)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    qtbot.wait(10)  # the camera is placed on the first pass of the event loop after showing
    window.refresh_view()
    return window


def house_on_screen(window: MainWindow, house: int) -> tuple[float, float, float, float]:
    """The share of the view's width and height the house's projected corners span, and their
    lowest and highest display coordinate as shares of the view (x and y together)."""
    view = window.scene_view
    data = view.scene.layer("houses").data
    corners = data.vertices[np.unique(data.triangles[data.triangle_building == house])]
    renderer = view.plotter.renderer
    width, height = view.plotter.window_size
    pixels = []
    for point in corners - np.asarray(view.origin):
        renderer.SetWorldPoint(*point, 1.0)
        renderer.WorldToDisplay()
        pixels.append(renderer.GetDisplayPoint()[:2])
    pixels = np.asarray(pixels) / (width, height)
    spans = pixels.max(axis=0) - pixels.min(axis=0)
    return float(spans[0]), float(spans[1]), float(pixels.min()), float(pixels.max())


def test_the_window_opens_on_the_first_quarters_buildings_filling_the_view(qtbot, town, settings):
    window = open_window(qtbot, town, settings)

    assert window.quarter_box.currentText() == "West"
    across, upward, lowest, highest = house_on_screen(window, 0)
    assert max(across, upward) > 0.85  # the house fills the view (on the whole scene it spans < 0.2)
    assert lowest >= 0.0 and highest <= 1.0  # and is wholly in it
    camera = window.scene_view.camera()
    look = np.asarray(camera.focal_point) - np.asarray(camera.position)
    elevation = np.degrees(np.arcsin(-look[2] / np.linalg.norm(look)))
    assert 25 < elevation < 60  # oblique: neither a map from above nor a view along the ground


def test_the_whole_city_is_one_click_away(qtbot, town, settings):
    window = open_window(qtbot, town, settings)
    whole_city = next(action for action in window.toolbar.actions() if action.text() == "Whole city")

    whole_city.trigger()

    assert window.quarter_box.currentText() == "Whole scene"
    across, upward, _, _ = house_on_screen(window, 0)
    assert max(across, upward) < 0.3  # both quarters in view: one house is small
    assert max(house_on_screen(window, 1)[:2]) < 0.3


def test_a_saved_camera_wins_over_the_opening_view(qtbot, town, settings):
    saved = Camera((411_150.0, 5_653_900.0, 700.0), (411_150.0, 5_654_050.0, 110.0))
    window = open_window(qtbot, town, settings, camera=saved)

    np.testing.assert_allclose(window.scene_view.camera().position, saved.position, atol=1e-6)
    np.testing.assert_allclose(window.scene_view.camera().focal_point, saved.focal_point, atol=1e-6)


def test_a_saved_quarter_opens_on_that_quarters_buildings(qtbot, town, settings):
    window = open_window(qtbot, town, settings, view=ViewState(quarter="East"))

    assert window.quarter_box.currentText() == "East"
    assert max(house_on_screen(window, 1)[:2]) > 0.85
