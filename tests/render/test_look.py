"""The presentation look: sun from pvlib, shadows swept from footprints, crowns from LiDAR, and back again."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from tests.conftest import ORIGIN_X
from tests.render.test_export import OBLIQUE, town_of
from tests.render.test_results_view import HOUSES, Y0, box_houses
from twin.core.data import PointCloudData, SurfaceKind
from twin.render.export import OffscreenView
from twin.render.look import BERLIN_TIME, PresentationLook, building_shadows, sun_direction, tree_crowns
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
