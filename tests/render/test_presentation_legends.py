"""Legends in presentation mode: text at least 28 px high at 1920x1080, measured in the rendered picture."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from tests.render.test_results_view import box_houses
from twin.core import Scene
from twin.core.layers import BuildingsLayer
from twin.io import read_layer
from twin.render import SceneView
from twin.render.legends import PRESENTATION_SCALE

pytestmark = pytest.mark.render

PROJECTOR = (1920, 1080)
LEGIBLE_PX = 28  # the least text height for the back of a room


@pytest.fixture
def projector_view(dtm_file):
    """Terrain (a colour bar legend) and houses (a legend of categories) at the projector's size."""
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    plotter = pv.Plotter(off_screen=True, window_size=list(PROJECTOR))
    view = SceneView(scene, plotter)
    yield view
    plotter.close()


def ink_lines(view: SceneView) -> list[list[int]]:
    """Per legend, the heights in pixel rows of its lines of dark text (title first), as rendered."""
    view.plotter.render()
    picture = view.plotter.screenshot(return_img=True).astype(int)
    lines = []
    for left, bottom, right, top in view.legends.boxes():
        panel = picture[PROJECTOR[1] - top:PROJECTOR[1] - bottom, left:right]
        rows = np.flatnonzero((panel.max(axis=2) < 100).any(axis=1))  # rows holding dark letters
        runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
        lines.append([len(run) for run in runs])
    return lines


def test_presentation_legends_have_text_at_least_28_px_high_at_1920x1080(projector_view):
    view = projector_view
    assert [colouring.title for colouring in view.legends.colourings] == ["Building surfaces",
                                                                          "Terrain height (m)"]
    window_lines = ink_lines(view)
    assert max(lines[0] for lines in window_lines) < 14  # the window's legends: 13 px type
    view.legends.set_scale(PRESENTATION_SCALE)
    presented = ink_lines(view)
    categories, bar = presented
    # "Building surfaces" and "Terrain height (m)" reach from ascender to descender: the type's size
    assert categories[0] >= LEGIBLE_PX and bar[0] >= LEGIBLE_PX
    assert len(categories) == 4 and min(categories[1:]) >= LEGIBLE_PX  # roof, wall, ground
    for legend in view.legends._legends:
        sizes = [actor.GetTextProperty().GetFontSize() for actor in (legend.title, *legend.labels)]
        assert min(sizes) >= LEGIBLE_PX  # px: VTK's points at its 72 dpi
    view.legends.set_scale(1.0)
    assert ink_lines(view) == window_lines  # back as they were
