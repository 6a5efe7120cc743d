"""Pictures of the scene without the window: the asked size, tiles past the limit, legends and caption."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.render.test_results_view import VIEW_CENTRE, box_houses, two_streets
from twin.core import Scene
from twin.core.bookmarks import Bookmark, LayerLook
from twin.core.layers import BuildingsLayer, StreetsLayer
from twin.core.project import Camera
from twin.io import read_layer
from twin.render.export import (
    Caption,
    ExportError,
    OffscreenView,
    apply_bookmark,
    bookmark_of,
    parse_size,
    render_scene,
    save_picture,
)

pytestmark = pytest.mark.render

ABOVE = Camera((*VIEW_CENTRE, 530.0), (*VIEW_CENTRE, 110.0), (0.0, 1.0, 0.0))
OBLIQUE = Bookmark("Oblique", Camera((VIEW_CENTRE[0] - 250, VIEW_CENTRE[1] - 300, 380.0), (*VIEW_CENTRE, 110.0)),
                   view_angle=35.0, caption="Two houses by the street", text="Seen from the south-west",
                   layers=(LayerLook("streets", visible=False), LayerLook("houses", opacity=0.6)))


@pytest.fixture
def town_scene(dtm_file):
    return town_of(dtm_file)


def town_of(dtm_file) -> Scene:
    """Terrain, two houses and two streets (tests/render/test_results_view.py)."""
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    scene.add_layer(StreetsLayer(two_streets(), "streets"))
    return scene


@pytest.fixture
def offscreen(town_scene):
    with OffscreenView(town_scene, (320, 180)) as view:
        view.view.set_camera(ABOVE)
        yield view


def test_a_picture_has_the_asked_size_and_its_caption_in_dark_type_on_a_pale_bar(offscreen, tmp_path):
    plain = np.asarray(offscreen.picture((800, 450), legends=False))
    captioned = offscreen.picture((800, 450), Caption("Two houses by the street", "Seen from above"),
                                  legends=False)
    save_picture(captioned, tmp_path / "view.png")
    with Image.open(tmp_path / "view.png") as written:
        assert written.size == (800, 450)
        pixels = np.asarray(written.convert("RGB")).astype(int)
    bar = pixels[-60:, 30:400]  # where the caption is written: bottom left, 48 px type at 1080 -> 20 px
    assert (bar.sum(axis=2) < 200).sum() > 300  # dark letters
    assert np.abs(bar - plain[-60:, 30:400].astype(int)).mean() > 20  # the bar and words are not the scene
    assert np.array_equal(pixels[:200], plain[:200].astype(int))  # above the bar the scene is untouched


def test_legends_are_drawn_to_the_pictures_scale(offscreen):
    small = np.asarray(offscreen.picture((480, 270))).astype(int)
    large = np.asarray(offscreen.picture((1920, 1080))).astype(int)
    small_panel = _pale_columns(small[:60])
    large_panel = _pale_columns(large[:240])
    assert small_panel > 50  # a legend panel at the right edge (300 px at 1080 -> 75 px)
    assert large_panel == pytest.approx(4 * small_panel, rel=0.1)  # four times as wide at four times the size


def _pale_columns(rows: np.ndarray) -> int:
    """How many columns of the right half are legend panel (near white) in most of these rows."""
    right_half = rows[:, rows.shape[1] // 2:]
    return int(((right_half.min(axis=2) > 235).mean(axis=0) > 0.5).sum())


def test_a_picture_past_the_tile_limit_is_drawn_in_tiles_that_match_one_frame(offscreen):
    plotter = offscreen.plotter
    whole = render_scene(plotter, (400, 240)).astype(int)
    tiled = render_scene(plotter, (400, 240), tile_limit=200).astype(int)
    assert tiled.shape == whole.shape == (240, 400, 3)
    assert np.abs(tiled - whole).mean() < 3.0  # the same picture, up to the rasteriser's edges
    odd = render_scene(plotter, (401, 241), tile_limit=150)  # three tiles a side, cut to size
    assert odd.shape == (241, 401, 3)


def test_a_bookmark_sets_layers_camera_and_view_angle_and_is_read_back_from_the_view(offscreen, town_scene):
    apply_bookmark(offscreen.view, OBLIQUE)
    assert not town_scene.layer("streets").visible and town_scene.layer("houses").opacity == 0.6
    kept = bookmark_of(offscreen.view, "again", OBLIQUE.caption, OBLIQUE.text)
    assert np.allclose(kept.camera.position, OBLIQUE.camera.position)
    assert np.allclose(kept.camera.focal_point, OBLIQUE.camera.focal_point)
    assert kept.view_angle == pytest.approx(35.0)
    looks = {look.name: look for look in kept.layers}
    assert looks["streets"].visible is False and looks["houses"].opacity == 0.6


@pytest.mark.parametrize(("text", "problem"), [
    ("1920*1080", "must be WIDTHxHEIGHT"), ("8000x4320", "outside 16x16 .. 7680x4320"), ("10x10", "outside")])
def test_a_bad_size_is_one_sentence(text, problem):
    with pytest.raises(ExportError, match=problem):
        parse_size(text)


def test_a_picture_is_written_as_png_only(offscreen, tmp_path):
    with pytest.raises(ExportError, match="name the file .png"):
        save_picture(offscreen.picture((64, 36)), tmp_path / "view.jpg")
    assert not (tmp_path / "view.jpg").exists()
