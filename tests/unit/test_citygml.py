"""CityGML 1.0/2.0/3.0 reader on the reference files, the bad-input corpus and the re-open cache."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from lxml import etree

from twin.core.data import SurfaceKind
from twin.io import building_mesh, citygml, triangulate
from twin.io.citygml import citygml_info, read_citygml
from twin.io.errors import TwinIOError
from twin.io.formats import file_info

BADINPUT = Path(__file__).resolve().parents[1] / "badinput" / "citygml"
SECRET = (BADINPUT / "secret.txt").read_text(encoding="utf-8").strip()


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def citygml_file(reference: Path, name: str) -> Path:
    return reference / "citygml" / name


def triangle_areas(data) -> np.ndarray:
    corners = data.vertices[data.triangles]
    return np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1) / 2


def polygon_areas_from_xml(path: Path) -> float:
    """Independent of the reader: every gml:Polygon once, drawn in the plane of its outer ring
    with shapely, minus whatever its holes cover."""
    total = 0.0
    for polygon in etree.parse(str(path)).iter("{*}Polygon"):
        rings = []
        for ring in polygon.iter("{*}LinearRing"):
            pos_list = ring.find("{*}posList")
            text = pos_list.text if pos_list is not None else " ".join(p.text for p in ring.iter("{*}pos"))
            rings.append(np.array(text.split(), dtype=float).reshape(-1, 3))
        origin = rings[0][0]
        normal = np.cross(rings[0][:-1] - origin, rings[0][1:] - origin).sum(axis=0)
        normal /= np.linalg.norm(normal)
        u_axis = np.cross(normal, np.eye(3)[np.argmin(np.abs(normal))])
        u_axis /= np.linalg.norm(u_axis)
        basis = np.column_stack((u_axis, np.cross(normal, u_axis)))
        outer, *holes = [shapely.Polygon((ring - origin) @ basis) for ring in rings]
        holes = [hole for hole in holes if outer.contains(hole)]  # a "hole" outside cuts nothing
        total += outer.difference(shapely.union_all(holes)).area if holes else outer.area
    return total


# Counts from tests/data/PROVENANCE.md.
@pytest.mark.parametrize("name, version, crs, buildings, parts, surfaces", [
    ("dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml", "1.0", "EPSG:25833", 14, 7,
     {"roof": 187, "wall": 373, "ground": 26}),
    ("berlin_open_data_sample_lod2_citygml1.gml", "1.0", "EPSG:25833", 61, 0,
     {"roof": 249, "wall": 793, "ground": 83}),
    ("FZK-Haus-LoD0_citygml2.gml", "2.0", "EPSG:25832", 1, 0, {}),
    ("FZK-Haus-LoD1_citygml3.gml", "3.0", "EPSG:25832", 1, 0, {}),
    ("FZK-Haus-LoD2_citygml3.gml", "3.0", "EPSG:25832", 1, 0, {"roof": 2, "wall": 4, "ground": 1}),
    ("FZK-Haus-LoD3_citygml3.gml", "3.0", "EPSG:25832", 1, 0,
     {"roof": 2, "wall": 4, "ground": 1, "window": 11, "door": 2}),
    ("ogc_building_and_garage_lod2_citygml2.gml", "2.0", "EPSG:25832", 1, 1,
     {"roof": 3, "wall": 8, "ground": 2}),
    ("ogc_building_and_garage_lod2_citygml3.gml", "3.0", "EPSG:25832", 1, 1,
     {"roof": 3, "wall": 8, "ground": 2}),
    ("ogc_building_lod2_dynamizer_sensor_citygml3.gml", "3.0", "EPSG:31468", 1, 0,
     {"roof": 2, "wall": 8, "ground": 1}),
    ("citygml4j_lod2_100bldg_synthetic_citygml3.gml", "3.0", "EPSG:3068", 100, 0,
     {"roof": 200, "wall": 400, "ground": 100}),
])
def test_reference_files_give_the_documented_counts(reference, name, version, crs, buildings, parts, surfaces):
    path = citygml_file(reference, name)
    info = file_info(path)
    assert info["kind"] == "buildings"
    assert (info["format"], info["version"], info["crs"]) == ("CityGML", version, crs)
    assert (info["buildings"], info["building_parts"]) == (buildings, parts)
    assert info["surfaces"] == surfaces
    data = read_citygml(path)
    assert len(data) == buildings and info["triangles"] == len(data.triangles) > 0
    assert np.bincount(data.triangle_building, minlength=buildings).min() > 0  # every building has a mesh
    np.testing.assert_allclose(info["bounds"], data.bounds)
    assert all(footprint is not None and footprint.is_valid and footprint.area > 0
               for footprint in data.footprints)


@pytest.mark.parametrize("name", ["dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml",
                                  "berlin_open_data_sample_lod2_citygml1.gml",
                                  "FZK-Haus-LoD3_citygml3.gml"])
def test_mesh_area_equals_the_polygons_minus_their_holes(reference, name):
    """Dresden has 1 polygon with a hole (which encloses its outer ring), Berlin 5, FZK LoD3 13 (windows
    and doors). Real polygons are not quite planar: their triangles cover a little more."""
    path = citygml_file(reference, name)
    data = read_citygml(path)
    assert data.skipped_polygons == 0
    assert triangle_areas(data).sum() == pytest.approx(polygon_areas_from_xml(path), rel=2e-6)


def test_the_2_0_and_3_0_encodings_of_one_building_give_the_same_mesh(reference):
    old = read_citygml(citygml_file(reference, "ogc_building_and_garage_lod2_citygml2.gml"))
    new = read_citygml(citygml_file(reference, "ogc_building_and_garage_lod2_citygml3.gml"))
    assert len(old.triangles) == len(new.triangles)
    assert triangle_areas(old).sum() == pytest.approx(triangle_areas(new).sum(), rel=1e-12)
    for kind in SurfaceKind:
        assert triangle_areas(old)[old.triangle_surface == kind].sum() == pytest.approx(
            triangle_areas(new)[new.triangle_surface == kind].sum(), rel=1e-12)


def test_a_closed_lod2_solid_has_outward_normals_and_its_volume(reference):
    data = read_citygml(citygml_file(reference, "FZK-Haus-LoD2_citygml3.gml"))
    corners = data.vertices[data.triangles] - data.vertices.mean(axis=0)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    up = normals[:, 2] / np.linalg.norm(normals, axis=1)
    assert (up[data.triangle_surface == SurfaceKind.ROOF] > 0.3).all()
    assert (up[data.triangle_surface == SurfaceKind.GROUND] < -0.99).all()
    assert (np.abs(up[data.triangle_surface == SurfaceKind.WALL]) < 1e-9).all()
    # Divergence theorem: the right volume only where every face points outwards. The house is
    # a 12 m x 10 m box up to its eaves plus a gable roof: more than the box, less than a box to the ridge.
    volume = np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])).sum() / 6
    roof_heights = data.vertices[data.triangles[data.triangle_surface == SurfaceKind.ROOF]][:, :, 2]
    ground, eaves, ridge = data.bounds[2], roof_heights.min(), data.bounds[5]
    assert data.footprints[0].area == pytest.approx(120.0)
    assert volume == pytest.approx(120.0 * (eaves - ground) + 120.0 * (ridge - eaves) / 2, rel=1e-9)


def test_a_solid_made_of_boundary_surface_polygons_counts_each_polygon_once(reference):
    path = citygml_file(reference, "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml")
    data = read_citygml(path)
    assert (data.triangle_surface != SurfaceKind.UNCLASSIFIED).all()
    roof = triangle_areas(data)[data.triangle_surface == SurfaceKind.ROOF].sum()
    # FACEAREA of each roof face as the producer (GeoSN) computed it, in square metres.
    stated = sum(float(e.find("{*}value").text) for e in etree.parse(str(path)).iter("{*}stringAttribute")
                 if e.get("name") == "FACEAREA" and e.getparent().tag.endswith("RoofSurface"))
    assert roof == pytest.approx(stated, rel=1e-3)


def test_footprints_come_from_the_ground_surfaces(reference):
    data = read_citygml(citygml_file(reference, "berlin_open_data_sample_lod2_citygml1.gml"))
    ground = data.triangle_surface == SurfaceKind.GROUND
    corners = data.vertices[data.triangles[ground]][:, :, :2]
    ab, ac = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    flat = np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]) / 2
    per_building = np.bincount(data.triangle_building[ground], weights=flat, minlength=len(data))
    areas = np.array([f.area for f in data.footprints])
    # Equal, except where two ground polygons of a building overlap a little (counted once).
    assert (areas <= per_building * (1 + 1e-9)).all() and (areas >= 0.99 * per_building).all()
    assert np.isclose(areas, per_building, rtol=1e-9).sum() >= 55


def test_attributes_of_buildings_and_their_parts(reference):
    dresden = read_citygml(citygml_file(reference, "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"))
    row = int(np.flatnonzero(dresden.ids == "DESNALK0pF0007iT")[0])
    assert dresden.attributes["MaxHBuilding"][row] == "14.32"  # gen:stringAttribute stays text
    assert dresden.attributes["function"][row] == "31001_9998"
    assert (dresden.attributes["object_type"] == "Building").all()
    assert dresden.attributes["building_parts"].sum() == 7
    assert np.isfinite(dresden.attributes["measured_height"]).all()  # from the parts where needed
    assert (dresden.attributes["lod"] == "2").all()
    fzk = read_citygml(citygml_file(reference, "FZK-Haus-LoD2_citygml3.gml"))
    assert fzk.attributes["storeys_above_ground"][0] == 2
    assert fzk.attributes["ConstructionMethod"][0] == "New Building"  # CityGML 3.0 generic attribute
    garage = read_citygml(citygml_file(reference, "ogc_building_and_garage_lod2_citygml2.gml"))
    assert garage.attributes["year_of_construction"][0] == 1985
    assert garage.attributes["measured_height"][0] == pytest.approx(6.0)


def test_a_citygml_3_sensor_connection_is_kept_as_a_link(reference):
    data = read_citygml(citygml_file(reference, "ogc_building_lod2_dynamizer_sensor_citygml3.gml"))
    assert data.attributes["sensor_links"][0] == "http://127.0.0.1:8080/FROST-Server/v1.0/Datastreams(1)"


def write_two_lod_building(path: Path) -> Path:
    """A 10 m cube as LoD1 solid and, in LoD2, the same cube with a roof at 12 m (no real file
    among the references carries two LoDs in one building)."""
    def face(coords: str) -> str:
        return (f"<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>{coords}"
                "</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>")
    lod1 = face("0 0 10 10 0 10 10 10 10 0 10 10 0 0 10")
    lod2 = face("0 0 12 10 0 12 10 10 12 0 10 12 0 0 12")
    path.write_text(
        '<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml" '
        'xmlns:bldg="http://www.opengis.net/citygml/building/2.0"><cityObjectMember><bldg:Building>'
        f"<bldg:lod1MultiSurface><gml:MultiSurface>{lod1}</gml:MultiSurface></bldg:lod1MultiSurface>"
        "<bldg:boundedBy><bldg:RoofSurface><bldg:lod2MultiSurface><gml:MultiSurface>"
        f"{lod2}</gml:MultiSurface></bldg:lod2MultiSurface></bldg:RoofSurface></bldg:boundedBy>"
        "</bldg:Building></cityObjectMember></CityModel>", encoding="utf-8")
    return path


def test_one_lod_per_building_highest_unless_asked(tmp_path):
    path = write_two_lod_building(tmp_path / "two_lods.gml")
    highest = read_citygml(path)
    assert highest.attributes["lod"][0] == "2" and highest.bounds[5] == 12
    assert (highest.triangle_surface == SurfaceKind.ROOF).all()
    lod1 = read_citygml(path, lod=1)
    assert lod1.attributes["lod"][0] == "1" and lod1.bounds[5] == 10
    assert read_citygml(path, lod=3).attributes["lod"][0] == "2"  # not there: the highest it has


def test_a_crs_in_the_file_wins_and_a_file_without_one_takes_the_given(reference, tmp_path):
    dresden = citygml_file(reference, "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml")
    assert read_citygml(dresden, crs="EPSG:4326").crs == "EPSG:25833"
    bare = write_two_lod_building(tmp_path / "no_crs.gml")
    assert read_citygml(bare).crs is None
    assert read_citygml(bare, crs="EPSG:25833").crs == "EPSG:25833"
    assert citygml_info(bare, crs="urn:adv:crs:ETRS89_UTM33*DE_DHHN2016_NH")["crs"] == "EPSG:25833"


# Every file of the corpus must end quickly in a TwinIOError or in a result without the secret.
ERRORS = {
    "billion_laughs.gml": "expand",
    "quadratic_blowup.gml": "expand",
    "not_xml.gml": "not a CityGML file",
    "binary_noise.gml": "not a CityGML file",
    "secret.txt": "not a CityGML file",
    "empty.gml": "empty",
    "truncated.gml": "broken",
    "not_citygml.xml": "not CityGML",
    "unknown_namespace.gml": "not CityGML",
}
SAFE_RESULTS = {  # file: (buildings, skipped polygons)
    "xxe_local_file.gml": (1, 0),
    "xxe_absolute_path.gml": (1, 0),
    "xxe_url.gml": (1, 0),
    "xxe_parameter_entity.gml": (1, 0),
    "external_dtd.gml": (1, 0),
    "xinclude.gml": (1, 0),
    "degenerate_polygons.gml": (1, 3),
    "bad_coordinates.gml": (1, 3),
    "unresolved_href.gml": (1, 1),
}


def test_the_corpus_is_covered():
    assert {p.name for p in BADINPUT.iterdir()} == set(ERRORS) | set(SAFE_RESULTS)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_files_are_refused_quickly_and_clearly(name):
    start = time.perf_counter()
    with pytest.raises(TwinIOError) as caught:
        read_citygml(BADINPUT / name)
    assert time.perf_counter() - start < 5.0
    assert ERRORS[name] in caught.value.problem
    assert "\n" not in caught.value.problem and SECRET not in str(caught.value)


@pytest.mark.parametrize("name", sorted(SAFE_RESULTS))
def test_hostile_or_broken_content_gives_a_safe_result(name):
    start = time.perf_counter()
    data = read_citygml(BADINPUT / name)
    assert time.perf_counter() - start < 5.0
    assert (len(data), data.skipped_polygons) == SAFE_RESULTS[name]
    assert len(data.triangles) >= 2  # the good square of every file is kept
    everything = " ".join(" ".join(map(str, column)) for column in data.attributes.values())
    assert SECRET not in everything and "root:" not in everything
    assert SECRET not in " ".join(data.ids)


def test_a_reopened_file_comes_from_the_cache(reference, monkeypatch, private_cache):
    path = citygml_file(reference, "berlin_open_data_sample_lod2_citygml1.gml")
    first = read_citygml(path)
    assert len(list((private_cache / "models").glob("*.npz"))) == 1

    def no_parsing(*_args):
        raise AssertionError("parsed again although the file did not change")

    monkeypatch.setattr(citygml, "_parse", no_parsing)
    again = read_citygml(path)
    for name in ("ids", "vertices", "triangles", "triangle_building", "triangle_surface"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert first.attributes.keys() == again.attributes.keys()
    for name, column in first.attributes.items():
        np.testing.assert_array_equal(column, again.attributes[name])
    assert all(a.equals(b) for a, b in zip(first.footprints, again.footprints, strict=True))
    assert citygml_info(path)["surfaces"] == {"roof": 249, "wall": 793, "ground": 83}


def test_a_changed_file_or_a_broken_cache_entry_is_read_again(reference, tmp_path, private_cache):
    path = tmp_path / "two.gml"
    write_two_lod_building(path)
    assert read_citygml(path).bounds[5] == 12
    (entry,) = (private_cache / "models").glob("*.npz")
    entry.write_bytes(b"not an npz")
    assert read_citygml(path).bounds[5] == 12  # a broken entry is no error ...
    assert entry.stat().st_size > 100  # ... and is written again
    path.write_text(path.read_text().replace(" 12 ", " 15 "), encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert read_citygml(path).bounds[5] == 15
    assert read_citygml(path, lod=1).bounds[5] == 10  # another LoD choice is another entry


def citygml_model(path: Path, buildings: str) -> Path:
    """A CityGML 2.0 model whose cityObjectMembers hold the given Building elements."""
    members = "".join(f"<core:cityObjectMember>{building}</core:cityObjectMember>"
                      for building in buildings.split("\n") if building.strip())
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" '
        'xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gml="http://www.opengis.net/gml" '
        'xmlns:gen="http://www.opengis.net/citygml/generics/2.0">'
        f'{members}</core:CityModel>\n', encoding="utf-8")
    return path


def lod_surface(property_name: str, points: np.ndarray, solid: bool = False) -> str:
    ring = " ".join(f"{value:.3f}" for value in np.asarray(points).ravel())
    polygon = (f'<gml:Polygon><gml:exterior><gml:LinearRing><gml:posList srsDimension="3">{ring}'
               '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>')
    surface = f'<gml:MultiSurface srsName="EPSG:25833"><gml:surfaceMember>{polygon}</gml:surfaceMember></gml:MultiSurface>'
    if solid:
        surface = (f'<gml:Solid srsName="EPSG:25833"><gml:exterior><gml:CompositeSurface><gml:surfaceMember>'
                   f'{polygon}</gml:surfaceMember></gml:CompositeSurface></gml:exterior></gml:Solid>')
    return f"<bldg:{property_name}>{surface}</bldg:{property_name}>"


SQUARE = np.array([[411000, 5654000, 110], [411010, 5654000, 110], [411010, 5654010, 110],
                   [411000, 5654010, 110], [411000, 5654000, 110]], dtype=float)


def test_a_building_without_geometry_is_kept_with_its_attributes_and_counted(tmp_path):
    path = citygml_model(tmp_path / "model.gml",
                         '<bldg:Building gml:id="b1"><gml:name>x</gml:name></bldg:Building>\n'
                         f'<bldg:Building gml:id="b2">{lod_surface("lod2MultiSurface", SQUARE)}</bldg:Building>')
    buildings = read_citygml(path)
    assert list(buildings.ids) == ["b1", "b2"] and buildings.attributes["name"][0] == "x"
    info = file_info(path)
    assert info["buildings"] == 2 and info["buildings_without_geometry"] == 1
    assert info["bounds"] == [411000.0, 5654000.0, 110.0, 411010.0, 5654010.0, 110.0]


def test_info_of_a_model_with_no_geometry_at_all_has_null_bounds_not_nan(tmp_path):
    path = citygml_model(tmp_path / "model.gml", '<bldg:Building gml:id="b1"><gml:name>x</gml:name></bldg:Building>')
    info = file_info(path)
    assert info["bounds"] == [None] * 6 and info["buildings_without_geometry"] == 1
    json.dumps(info, allow_nan=False)


@pytest.mark.parametrize("geometry", [
    lod_surface("lod0FootPrint", SQUARE), lod_surface("lod1Solid", SQUARE, solid=True),
    lod_surface("lod1MultiSurface", SQUARE), lod_surface("lod2MultiSurface", SQUARE)],
    ids=["lod0-footprint", "lod1-solid", "lod1-multisurface", "lod2-multisurface-without-solid"])
def test_a_building_with_only_lod0_lod1_or_a_multisurface_reads(tmp_path, geometry):
    path = citygml_model(tmp_path / "model.gml", f'<bldg:Building gml:id="b1">{geometry}</bldg:Building>')
    buildings = read_citygml(path)
    assert len(buildings.triangles) == 2 and buildings.footprints[0].area == pytest.approx(100.0)
    assert file_info(path)["buildings_without_geometry"] == 0


@pytest.mark.parametrize("bad_value", ["nan", "inf", "-1e400"])
def test_a_polygon_with_a_coordinate_that_is_not_finite_is_skipped_and_counted(tmp_path, bad_value):
    ring = " ".join(f"{value:.3f}" for value in SQUARE.ravel()).replace("5654010.000", bad_value, 1)
    square = lod_surface("lod2MultiSurface", SQUARE)
    damaged = lod_surface("lod2MultiSurface", SQUARE).replace(
        " ".join(f"{value:.3f}" for value in SQUARE.ravel()), ring)
    path = citygml_model(tmp_path / "model.gml", f'<bldg:Building gml:id="b1">{damaged}</bldg:Building>\n'
                                                 f'<bldg:Building gml:id="b2">{square}</bldg:Building>')
    info = file_info(path)
    assert info["skipped_polygons"] == 1 and info["buildings_without_geometry"] == 1
    assert np.isfinite(read_citygml(path).vertices).all()
    json.dumps(info, allow_nan=False)


def test_a_polygon_of_a_hundred_thousand_points_is_skipped_not_triangulated(tmp_path):
    """earcut took minutes on such a ring; the building stays, the polygon is counted."""
    angles = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    jagged = 10 + np.where(np.arange(len(angles)) % 2, 3.0, 0.0)  # a star: earcut's worst case
    ring = np.column_stack((411000 + jagged * np.cos(angles), 5654000 + jagged * np.sin(angles),
                            np.full(len(angles), 110.0)))
    assert len(ring) > triangulate.MAX_POLYGON_POINTS
    path = citygml_model(tmp_path / "model.gml",
                         f'<bldg:Building gml:id="star">{lod_surface("lod2MultiSurface", ring)}</bldg:Building>')
    buildings = read_citygml(path)
    assert list(buildings.ids) == ["star"] and buildings.skipped_polygons == 1
    assert file_info(path)["buildings_without_geometry"] == 1


def test_an_attribute_longer_than_the_limit_is_refused_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(building_mesh, "MAX_ATTRIBUTE_CHARS", 1_000)
    path = citygml_model(tmp_path / "model.gml", f'<bldg:Building gml:id="b1"><gml:name>{"x" * 1_001}'
                                                 '</gml:name></bldg:Building>')
    with pytest.raises(TwinIOError, match="the attribute 'name' of city object 1 holds 1,001 characters"):
        read_citygml(path)


def test_a_coordinate_list_of_millions_of_points_is_refused_quickly(tmp_path):
    """libxml2 refuses a text node over 10 MB (huge_tree is off): no multi-gigabyte parse."""
    ring = "411000.000 5654000.000 110.000 " * 1_000_000
    path = citygml_model(tmp_path / "model.gml", f'<bldg:Building gml:id="b1"><bldg:lod2MultiSurface>'
                         '<gml:MultiSurface><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing>'
                         f'<gml:posList>{ring}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>'
                         '</gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface></bldg:Building>')
    with pytest.raises(TwinIOError, match="XML is broken"):
        read_citygml(path)


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_elements_nested_thousands_deep_are_refused_in_one_sentence(tmp_path, depth):
    path = citygml_model(tmp_path / "model.gml", "<a>" * depth + "</a>" * depth)
    with pytest.raises(TwinIOError, match="nest deeper than 256 levels"):
        read_citygml(path)
