"""The generated demo city: quarter plans in character, LoD2 CityGML and a LAZ survey that agree."""

from __future__ import annotations

import collections

import laspy
import numpy as np
import pytest
import shapely
from lxml import etree
from shapely.geometry import LineString, box

from data.generator.city import quarter_streams, write_quarter_city
from data.generator.layout import (
    HOSPITAL,
    ROOF_FLAT,
    ROOF_GABLED,
    ROOF_HIPPED,
    ROOF_MANSARD,
    SHOPPING_CENTRE,
    plan_quarter,
)
from data.generator.lidar import terrain_heights
from data.generator.terrain import generate_dtm, underpass_for
from tests.conftest import PROJECT_ROOT
from twin.core.quarter import Quarter
from twin.io import read_quarters, read_raster
from twin.io.raster import write_geotiff

SEED = 2026
CORE = "{http://www.opengis.net/citygml/2.0}"
BLDG = "{http://www.opengis.net/citygml/building/2.0}"
GML = "{http://www.opengis.net/gml}"
XLINK = "{http://www.w3.org/1999/xlink}"
SURFACES = ("RoofSurface", "WallSurface", "GroundSurface")


@pytest.fixture(scope="module")
def quarters() -> dict[str, Quarter]:
    return {quarter.name: quarter for quarter in read_quarters(PROJECT_ROOT / "data/quarters.geojson")[0]}


@pytest.fixture(scope="module")
def plans(quarters):
    return {name: plan_quarter(quarter, quarter_streams(quarter, SEED)[0])
            for name, quarter in quarters.items()}


@pytest.fixture(scope="module")
def city(quarters, tmp_path_factory):
    """A 500 m x 450 m part of Friedrichstadt (every roof type) on its generated DTM, written twice."""
    whole = quarters["Friedrichstadt"]
    x, y = underpass_for(whole).start
    quarter = Quarter("Friedrichstadt", box(x - 300, y - 150, x + 200, y + 300))
    folder = tmp_path_factory.mktemp("city")
    dtm_path = folder / "friedrichstadt_dtm1.tif"
    write_geotiff(dtm_path, generate_dtm(quarter, np.random.default_rng([SEED, 0])))
    first = write_quarter_city(quarter, dtm_path, folder / "first", SEED)
    again = write_quarter_city(quarter, dtm_path, folder / "again", SEED)
    return first, again, read_raster(dtm_path)


def footprints(plan) -> np.ndarray:
    return np.array([building.footprint for building in plan.buildings], dtype=object)


# --- plans ----------------------------------------------------------------------------------

def test_each_quarter_plans_hundreds_of_buildings_inside_it(plans, quarters):
    for name, plan in plans.items():
        assert 300 <= len(plan.buildings) <= 800, name
        assert shapely.contains(quarters[name].polygon, footprints(plan)).all(), name
        assert len({building.id for building in plan.buildings}) == len(plan.buildings)


def test_no_footprint_touches_a_street_or_overlaps_another(plans):
    for name, plan in plans.items():
        shapes = footprints(plan)
        for street in plan.streets:
            carriageway = street.geometry.buffer(street.width_m / 2, cap_style="flat")
            assert not shapely.intersects(carriageway, shapes).any(), (name, street.name)
        first, second = shapely.STRtree(shapes).query(shapes, predicate="intersects")
        pairs = first < second
        overlap = shapely.area(shapely.intersection(shapes[first[pairs]], shapes[second[pairs]]))
        assert overlap.max(initial=0.0) < 0.01, name


def test_a_main_street_runs_through_each_underpass(plans, quarters):
    for name, plan in plans.items():
        underpass = underpass_for(quarters[name])
        trough = LineString([underpass.start, underpass.end])
        carrying = [street for street in plan.streets if street.geometry.buffer(0.5).contains(trough)]
        assert [street.road_class for street in carrying] == ["main"], name
        assert {street.road_class for street in plan.streets} == {"main", "side"}


def test_each_quarter_shows_its_character_in_the_numbers(plans):
    storeys = {name: np.median([b.storeys for b in plan.buildings]) for name, plan in plans.items()}
    assert storeys["Prohlis"] > storeys["Johannstadt"] > storeys["Friedrichstadt"]

    roofs = {name: collections.Counter(b.roof_type for b in plan.buildings) for name, plan in plans.items()}
    friedrichstadt = plans["Friedrichstadt"].buildings
    assert (roofs["Friedrichstadt"][ROOF_GABLED] + roofs["Friedrichstadt"][ROOF_MANSARD]) / len(friedrichstadt) > 0.6
    assert roofs["Johannstadt"][ROOF_FLAT] / len(plans["Johannstadt"].buildings) > 0.9
    assert roofs["Prohlis"][ROOF_FLAT] == len(plans["Prohlis"].buildings)

    old = [b.year for b in friedrichstadt if b.roof_type in (ROOF_GABLED, ROOF_MANSARD)]
    assert np.mean([1870 <= year <= 1910 for year in old]) > 0.7
    pavilions = [b for b in friedrichstadt if b.function == HOSPITAL and b.roof_type == ROOF_HIPPED]
    assert len(pavilions) >= 10 and all(2 <= b.storeys <= 4 for b in pavilions)
    slabs = [b for b in plans["Johannstadt"].buildings if b.roof_type == ROOF_FLAT and b.storeys >= 5]
    assert np.mean([1969 <= b.year <= 1979 for b in slabs]) > 0.95
    assert max(b.storeys for b in plans["Prohlis"].buildings) == 17
    assert any(b.function == SHOPPING_CENTRE for b in plans["Prohlis"].buildings)


def test_heights_follow_storeys_and_roofs(plans):
    for plan in plans.values():
        for building in plan.buildings:
            assert 2.5 * building.storeys <= building.eaves_height <= 5.0 * building.storeys + 3.0
            if building.roof_type == ROOF_FLAT:
                assert building.ridge_height == building.eaves_height
            else:
                assert building.ridge_height > building.eaves_height + 2


def test_tree_crowns_keep_clear_of_buildings(plans, quarters):
    for name, plan in plans.items():
        trees = plan.trees
        assert len(trees) > 200
        nearest = shapely.STRtree(footprints(plan)).query_nearest(shapely.points(trees.x, trees.y),
                                                                 return_distance=True)[1]
        assert (nearest >= trees.crown_radius).all(), name
        assert quarters[name].contains_points(trees.x, trees.y).all()


# --- CityGML --------------------------------------------------------------------------------

def rings_of(element) -> list[np.ndarray]:
    return [np.array(pos.text.split(), dtype=float).reshape(-1, 3) for pos in element.iter(f"{GML}posList")]


def newell_normal(ring: np.ndarray) -> np.ndarray:
    current, following = ring[:-1], ring[1:]
    return np.array([np.sum((current[:, 1] - following[:, 1]) * (current[:, 2] + following[:, 2])),
                     np.sum((current[:, 2] - following[:, 2]) * (current[:, 0] + following[:, 0])),
                     np.sum((current[:, 0] - following[:, 0]) * (current[:, 1] + following[:, 1]))])


@pytest.fixture(scope="module")
def model(city):
    return etree.parse(str(city[0].buildings))


def test_the_citygml_is_a_citygml_2_model_in_the_adv_crs(model, city):
    root = model.getroot()
    assert root.tag == f"{CORE}CityModel"
    envelope = root.find(f"{GML}boundedBy/{GML}Envelope")
    assert envelope.get("srsName") == "urn:adv:crs:ETRS89_UTM33*DE_DHHN2016_NH"
    assert envelope.get("srsDimension") == "3"
    low = np.array(envelope.findtext(f"{GML}lowerCorner").split(), dtype=float)
    minx, miny, maxx, maxy = city[0].plan.quarter.bounds
    assert minx <= low[0] and miny <= low[1] and 100 < low[2] < 120
    buildings = root.findall(f"{CORE}cityObjectMember/{BLDG}Building")
    assert len(buildings) == len(city[0].plan.buildings) > 50


def test_every_building_has_its_attributes_and_a_closed_outward_solid(model, city):
    plan = {building.id: building for building in city[0].plan.buildings}
    roof_types = set()
    for element in model.getroot().iter(f"{BLDG}Building"):
        planned = plan[element.get(f"{GML}id")]
        assert element.find(f"{BLDG}function").text == planned.function
        assert element.find(f"{BLDG}function").get("codeSpace").endswith("BuildingFunctionTypeAdV.xml")
        assert int(element.findtext(f"{BLDG}yearOfConstruction")) == planned.year
        assert int(element.findtext(f"{BLDG}storeysAboveGround")) == planned.storeys
        roof_types.add(element.findtext(f"{BLDG}roofType"))
        height = element.find(f"{BLDG}measuredHeight")
        assert height.get("uom") == "m"

        surfaces = {kind: [rings_of(face) for face in element.iter(f"{BLDG}{kind}")] for kind in SURFACES}
        assert len(surfaces["GroundSurface"]) == 1 and len(surfaces["WallSurface"]) >= 4
        assert len(surfaces["RoofSurface"]) >= 1
        polygons = {polygon.get(f"{GML}id") for polygon in element.iter(f"{GML}Polygon")}
        members = [member.get(f"{XLINK}href") for member in element.find(f"{BLDG}lod2Solid").iter(f"{GML}surfaceMember")]
        assert sorted(href.lstrip("#") for href in members) == sorted(polygons)

        rings = {kind: [ring for face in faces for ring in face] for kind, faces in surfaces.items()}
        every = [ring for kind in SURFACES for ring in rings[kind]]
        assert all(np.array_equal(ring[0], ring[-1]) for ring in every)
        edges = collections.Counter((tuple(a), tuple(b)) for ring in every for a, b in zip(ring[:-1], ring[1:], strict=True))
        assert all(edges[(b, a)] == count for (a, b), count in edges.items()), "the solid is not closed"
        volume = sum(np.dot(ring[0], np.cross(ring[i], ring[i + 1])) / 6
                     for ring in every for i in range(1, len(ring) - 2))
        assert volume > 0
        assert newell_normal(rings["GroundSurface"][0])[2] < 0
        assert all(newell_normal(ring)[2] > 0 for ring in rings["RoofSurface"])
        assert all(abs(newell_normal(ring)[2]) < 1e-6 * np.abs(newell_normal(ring)).max() for ring in rings["WallSurface"])

        ground = rings["GroundSurface"][0][0, 2]
        top = max(ring[:, 2].max() for ring in rings["RoofSurface"])
        assert float(height.text) == pytest.approx(top - ground, abs=0.01)
    assert roof_types == {ROOF_FLAT, ROOF_GABLED, ROOF_HIPPED, ROOF_MANSARD}


def test_buildings_stand_on_the_terrain(model, city):
    dtm = city[2]
    for element in model.getroot().iter(f"{BLDG}Building"):
        ground = rings_of(element.find(f".//{BLDG}GroundSurface"))[0]
        under = terrain_heights(dtm, ground[:-1, 0], ground[:-1, 1])
        assert ground[0, 2] <= under.min() + 0.05  # never floating
        assert ground[0, 2] >= under.min() - 2.0  # nor sunk


# --- LiDAR ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cloud(city):
    return laspy.read(city[0].lidar)


def test_the_laz_is_las_1_4_format_6_in_epsg_25833_at_official_density(cloud, city):
    header = cloud.header
    assert (header.version.major, header.version.minor, header.point_format.id) == (1, 4, 6)
    assert np.allclose(header.scales, 0.01)
    assert header.parse_crs().to_epsg() == 25833
    minx, miny, maxx, maxy = city[0].plan.quarter.bounds
    assert 4.0 <= len(cloud.points) / ((maxx - minx) * (maxy - miny)) <= 10.0
    assert cloud.x.min() >= minx - 1 and cloud.x.max() <= maxx + 1
    assert set(np.unique(cloud.classification)) == {2, 5, 6}
    returns, count = np.asarray(cloud.return_number), np.asarray(cloud.number_of_returns)
    assert (returns >= 1).all() and (returns <= count).all()
    assert (np.diff(cloud.gps_time) >= 0).all()
    for kind in (2, 5, 6):
        assert 10 < np.median(cloud.intensity[cloud.classification == kind]) < 400


def test_ground_points_lie_on_the_terrain_and_never_under_a_roof(cloud, city):
    ground = cloud.classification == 2
    x, y, z = (np.asarray(cloud.x[ground]), np.asarray(cloud.y[ground]), np.asarray(cloud.z[ground]))
    assert np.abs(z - terrain_heights(city[2], x, y)).max() < 0.25
    roofs = shapely.union_all(footprints(city[0].plan)).buffer(-0.02)
    assert not shapely.contains_xy(roofs, x, y).any()


def test_roof_points_lie_on_the_citygml_roofs(cloud, model):
    faces = [ring for face in model.getroot().iter(f"{BLDG}RoofSurface") for ring in rings_of(face)]
    outlines = shapely.STRtree([shapely.Polygon(ring[:, :2]) for ring in faces])
    roof = np.flatnonzero(cloud.classification == 6)
    picked = np.random.default_rng(1).choice(roof, 500, replace=False)
    x, y, z = (np.asarray(cloud.x[picked]), np.asarray(cloud.y[picked]), np.asarray(cloud.z[picked]))
    point, face = outlines.query(shapely.points(x, y), predicate="intersects")
    assert len(np.unique(point)) == len(picked)  # every roof point is over a roof face
    for p, f in zip(point, face, strict=True):
        ring = faces[f]
        normal = newell_normal(ring)
        plane_z = ring[0, 2] - (normal[0] * (x[p] - ring[0, 0]) + normal[1] * (y[p] - ring[0, 1])) / normal[2]
        assert z[p] == pytest.approx(plane_z, abs=0.1)


def test_vegetation_points_are_in_tree_crowns_above_the_ground(cloud, city):
    trees = city[0].plan.trees
    vegetation = cloud.classification == 5
    x, y, z = (np.asarray(cloud.x[vegetation]), np.asarray(cloud.y[vegetation]), np.asarray(cloud.z[vegetation]))
    crowns = shapely.STRtree(shapely.buffer(shapely.points(trees.x, trees.y), trees.crown_radius + 0.05))
    assert len(np.unique(crowns.query(shapely.points(x, y), predicate="intersects")[0])) == len(x)
    assert (z > terrain_heights(city[2], x, y) + 0.5).all()
    returns, count = np.asarray(cloud.return_number), np.asarray(cloud.number_of_returns)
    under_crowns = (count > 1) & (returns == count)
    assert (cloud.classification[under_crowns] == 2).sum() > 1000  # pulses reaching the ground


# --- determinism ----------------------------------------------------------------------------

def test_the_same_seed_writes_the_same_city(city):
    first, again, _ = city
    assert first.buildings.read_bytes() == again.buildings.read_bytes()
    one, two = laspy.read(first.lidar), laspy.read(again.lidar)
    for dimension in ("X", "Y", "Z", "classification", "intensity", "gps_time", "return_number"):
        assert np.array_equal(one[dimension], two[dimension]), dimension


def test_another_seed_plans_another_city(quarters, plans):
    quarter = quarters["Johannstadt"]
    other = plan_quarter(quarter, quarter_streams(quarter, SEED + 1)[0])
    assert [b.footprint.wkb for b in other.buildings] != [b.footprint.wkb for b in plans["Johannstadt"].buildings]
