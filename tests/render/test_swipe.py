"""The swipe view: left of the divider the left run's picture, right of it the right run's, and the
divider's place decides which run a pixel shows (off-screen pixel tests)."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from tests.render.test_linked_views import storm_scene
from twin.render.linked_views import PaneContent, PaneScene, run_content, scene_content
from twin.render.scene_view import SceneView
from twin.render.swipe import Swipe

pytestmark = pytest.mark.render

SIZE = (480, 320)
CAPTION_ROWS = 60  # the captions' band at the top is the swipe's own
NEAR_DIVIDER_PX = 4


@pytest.fixture
def plotter():
    made = pv.Plotter(off_screen=True, window_size=SIZE)
    yield made
    made.close()


def picture(plotter: pv.Plotter) -> np.ndarray:
    plotter.render()
    return np.asarray(plotter.screenshot(return_img=True), dtype=int)[CAPTION_ROWS:]


def alone(scene, content: PaneContent, camera) -> np.ndarray:
    """The content's own picture, drawn in a view of its own from the same camera."""
    own = pv.Plotter(off_screen=True, window_size=SIZE)
    view = SceneView(PaneScene(scene, content.layers).scene, own)
    view.set_camera(camera)
    try:
        return picture(own)
    finally:
        own.close()


def test_each_side_of_the_divider_shows_its_own_runs_picture(dtm_file, plotter):
    scene, run = storm_scene(dtm_file)
    today, storm = scene_content(scene, "today"), run_content(scene, run)
    swipe = Swipe(scene, plotter, today, storm, position=0.5)
    swipe.view.reset_camera()  # oblique: the divider's plane is no map axis
    camera = swipe.view.camera()
    left, right = alone(scene, today, camera), alone(scene, storm, camera)

    shown = picture(plotter)

    cut = SIZE[0] // 2
    left_side, right_side = slice(0, cut - NEAR_DIVIDER_PX), slice(cut + NEAR_DIVIDER_PX, SIZE[0])
    assert np.abs(left[:, right_side] - right[:, right_side]).mean() > 10  # the runs differ there
    assert np.abs(shown[:, left_side] - left[:, left_side]).mean() < 1.5
    assert np.abs(shown[:, right_side] - right[:, right_side]).mean() < 1.5


def test_moving_the_divider_changes_which_run_a_pixel_shows(dtm_file, plotter):
    scene, run = storm_scene(dtm_file)
    swipe = Swipe(scene, plotter, scene_content(scene, "today"), run_content(scene, run), position=0.5)
    swipe.view.reset_camera()
    swipe.view.set_legends_shown(False)  # they would cover the probe in this small view
    probe = (150 - CAPTION_ROWS, int(SIZE[0] * 0.62))  # on the bowl, right of the middle

    water = picture(plotter)[probe]
    swipe.set_position(0.8)
    ground = picture(plotter)[probe]

    assert water[2] > water[0] + 60  # the storm's depth, blue
    assert not ground[2] > ground[0] + 60  # today: the terrain's own colour
    assert swipe.divider_px() == pytest.approx(0.8 * SIZE[0])


def test_layers_both_sides_show_are_drawn_once_and_kept_when_a_side_changes(dtm_file, plotter):
    scene, run = storm_scene(dtm_file)
    swipe = Swipe(scene, plotter, run_content(scene, run), scene_content(scene))
    houses = swipe.view.actor_of(swipe.scene.layer("houses"))

    swipe.set_contents(scene_content(scene, "today"), run_content(scene, run))

    assert [layer.name for layer in swipe.scene.layers] == ["terrain", "houses", "100-year storm: max_depth"]
    assert swipe.view.actor_of(swipe.scene.layer("houses")) is houses
