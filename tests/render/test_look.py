"""The presentation look: sun from pvlib, shadows swept from footprints, crowns from LiDAR, and back again."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from affine import Affine

from tests.conftest import ORIGIN_X
from tests.render.test_export import OBLIQUE, town_of
from tests.render.test_results_view import HOUSES, Y0, box_houses
from twin.core import Scene
from twin.core.data import PointCloudData, RasterData, SurfaceKind
from twin.core.layers import RasterLayer
from twin.core.project import Camera
from twin.render.export import OffscreenView
from twin.render.look import (
    BERLIN_TIME,
    PresentationLook,
    building_shadows,
    ssao_scale,
    sun_direction,
    tree_crowns,
)
from twin.render.meshes import FLAT_GROUND

pytestmark = pytest.mark.render


def test_the_sun_over_dresden_stands_high_at_midsummer_noon_and_low_at_midwinter():
    azimuth, elevation = sun_direction(datetime(2026, 6, 21, 13, 10, tzinfo=BERLIN_TIME))
    assert 175 < azimuth < 185 and 61 < elevation < 63.5  # 90 - 51.05 + 23.44 = 62.4 degrees
    _, winter = sun_direction(datetime(2026, 12, 21, 12, 10, tzinfo=BERLIN_TIME))
    assert 14.5 < winter < 16.5


def test_a_house_casts_its_shadow_away_from_the_sun_as_long_as_its_height_over_the_elevations_tangent():
    houses = box_houses()  # 20 m x 20 m, from 110 m to 125 m; on flat ground at 0 the height is 125 m
    houses.vertices[:, 2] -= 110.0  # 15 m high on flat ground at 0 m
    shadow = building_shadows(houses, (270.0, 45.0), (0.0, 0.0, 0.0), FLAT_GROUND)  # sun in the west
    west, east, south, north = shadow.bounds[:4]
    first_x, first_y = HOUSES["B1"]
    assert west == pytest.approx(ORIGIN_X + first_x)
    assert east == pytest.approx(ORIGIN_X + HOUSES["B2"][0] + 20 + 15.0)  # 15 m to the east at 45 degrees
    assert (south, north) == (pytest.approx(Y0 + first_y), pytest.approx(Y0 + first_y + 20))
    assert building_shadows(houses, (270.0, 1.0), (0.0, 0.0, 0.0), FLAT_GROUND) is None  # sunset: none


def test_each_tree_of_high_vegetation_gets_one_crown_and_low_bushes_none():
    rng = np.random.default_rng(1)
    tree = rng.normal((10.0, 10.0, 12.0), (1.5, 1.5, 1.0), (300, 3))
    other = rng.normal((40.0, 10.0, 9.0), (1.5, 1.5, 1.0), (300, 3))
    bush = rng.normal((70.0, 10.0, 1.0), (1.0, 1.0, 0.2), (300, 3))
    cloud = PointCloudData(np.vstack([tree, other, bush]), "EPSG:25833",
                           {"classification": np.full(900, 5, dtype=np.uint8)})
    crowns = tree_crowns(cloud, (0.0, 0.0, 0.0), FLAT_GROUND)
    assert crowns.split_bodies().n_blocks == 2
    assert crowns.bounds[1] < 60.0  # none over the bush


def test_the_look_draws_a_model_with_darker_roofs_and_removing_it_gives_the_analytic_look_back(dtm_file):
    scene = town_of(dtm_file)
    with OffscreenView(scene, (320, 180)) as off:
        off.show_bookmark(OBLIQUE)
        analytic = np.asarray(off.picture(legends=False)).astype(int)
        look = PresentationLook(ambient_occlusion=False, anti_aliasing=None)
        look.apply(off.view)
        houses = off.view.visual_of(scene.layer("houses"))
        colours = houses.mesh.cell_data["look_rgb"].sum(axis=1)
        surface = houses.mesh.cell_data["surface"]
        assert colours[surface == SurfaceKind.ROOF].max() < colours[surface == SurfaceKind.WALL].min()
        assert houses.colouring is None  # no legend for plain buildings in this look
        presented = np.asarray(off.picture(legends=False)).astype(int)
        assert np.abs(presented - analytic).mean() > 10.0
        scene.layer("houses").set_style("height")  # a layer drawn again while presenting keeps the look
        redrawn = off.view.visual_of(scene.layer("houses"))
        assert redrawn.colouring is None and "look_rgb" in redrawn.mesh.cell_data
        scene.layer("houses").set_style(None)
        look.remove(off.view)
        assert np.abs(np.asarray(off.picture(legends=False)).astype(int) - analytic).mean() < 1.0


def rolling_ground() -> Scene:
    """Two kilometres of gently rolling ground (a few metres of hills), 10 m cells."""
    rows, cols = np.mgrid[0:150, 0:200]
    heights = 110.0 + 3.0 * np.sin(cols / 17.0) * np.cos(rows / 23.0) + 0.01 * cols
    scene = Scene()
    scene.add_layer(RasterLayer(RasterData(heights.astype(np.float32), Affine(10.0, 0, 400_000.0, 0, -10.0,
                                                                              5_650_000.0), "EPSG:25833"),
                                "ground"))
    return scene


def test_ambient_occlusion_leaves_open_ground_unshaded_seen_from_afar():
    # VTK's SSAO keeps depths as half floats (0.5 m steps at 600 m): a bias below the step drew
    # contour lines of self-occlusion over the ground
    scene = rolling_ground()
    camera = Camera((400_700.0, 5_647_500.0, 900.0), (401_000.0, 5_649_200.0, 110.0))
    pictures = []
    for occlusion in (False, True):
        with OffscreenView(scene, (480, 270), PresentationLook(ambient_occlusion=occlusion, anti_aliasing=None,
                                                                 shadows=False, trees=False)) as off:
            off.view.set_camera(camera)
            pictures.append(np.asarray(off.picture(legends=False)).astype(int).sum(axis=2))
    plain, occluded = pictures
    ground = plain < 3 * 240  # the ground is a shade darker than the pale sky
    assert ground.mean() > 0.3
    darkened = (plain - occluded)[ground] > 3 * 8
    assert darkened.mean() < 0.05  # hollows only (2 % here); the old bias darkened two thirds of it


@pytest.mark.parametrize("distance", [40.0, 300.0, 700.0, 1_000.0, 2_647.0, 9_000.0])
def test_the_ambient_occlusion_bias_covers_the_depth_step_at_twice_the_distance(distance):
    radius, bias = ssao_scale(distance)
    step = 2.0 ** np.floor(np.log2(2 * distance)) / 1024  # a half float's step at that depth
    assert step <= bias <= 2 * step and radius >= 4 * bias and radius >= 2.0
