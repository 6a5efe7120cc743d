"""Fixtures of the off-screen rendering tests: a plotter and a small town seen from above."""

from __future__ import annotations

import pytest
import pyvista as pv

from tests.render.test_results_view import SIZE, VIEW_CENTRE, box_houses, two_streets
from twin.core import Scene
from twin.core.layers import BuildingsLayer, StreetsLayer
from twin.core.project import Camera
from twin.io import read_layer


@pytest.fixture
def plotter():
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    yield plotter
    plotter.close()


@pytest.fixture
def town(plotter, dtm_file):
    """(scene, view) with terrain, houses and streets, looked at from straight above (in the left
    part of the view: the legends take the right)."""
    from twin.render import SceneView

    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    scene.add_layer(StreetsLayer(two_streets(), "streets"))
    view = SceneView(scene, plotter)
    view.set_camera(Camera((*VIEW_CENTRE, 530.0), (*VIEW_CENTRE, 110.0), (0.0, 1.0, 0.0)))
    plotter.screenshot(return_img=True)  # the first frame: pyvista skips render() before it
    return scene, view
