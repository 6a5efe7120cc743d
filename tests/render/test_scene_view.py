"""Off-screen rendering of a scene: the picture follows the layers' events."""

import numpy as np
import pytest
import pyvista as pv

from twin.core import Scene
from twin.io import read_layer, read_quarters

pytestmark = pytest.mark.render


@pytest.fixture
def plotter():
    plotter = pv.Plotter(off_screen=True, window_size=(320, 240))
    yield plotter
    plotter.close()


def changed_pixels(plotter, before: np.ndarray) -> int:
    image = plotter.screenshot(return_img=True).astype(int)
    return int((np.abs(image - before).sum(axis=2) > 30).sum())


def test_terrain_and_quarters_are_drawn_and_follow_visibility(plotter, dtm_file, quarters_file):
    from twin.render import SceneView

    scene = Scene()
    view = SceneView(scene, plotter)
    background = plotter.screenshot(return_img=True).astype(int)
    scene.add_layer(read_layer(dtm_file))
    scene.set_quarters(read_quarters(quarters_file)[0])
    view.reset_camera()
    assert changed_pixels(plotter, background) > 320 * 240 * 0.15
    scene.layers[0].visible = False
    scene.set_quarters([])
    assert changed_pixels(plotter, background) < 320 * 240 * 0.01


def test_layers_added_later_get_an_actor_and_removed_ones_lose_it(plotter, dtm_file):
    from twin.render import SceneView

    scene = Scene()
    view = SceneView(scene, plotter)
    layer = scene.add_layer(read_layer(dtm_file))
    assert view.actor_of(layer) is not None
    layer.opacity = 0.3
    assert view.actor_of(layer).GetProperty().GetOpacity() == pytest.approx(0.3)
    scene.remove_layer(layer.name)
    assert view.actor_of(layer) is None
