"""CityJSON reader on the reference files, generated edge cases and the bad-input corpus."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from twin.core.crs import normalize_crs
from twin.core.data import SurfaceKind
from twin.io import building_mesh, cityjson
from twin.io.cityjson import cityjson_info, is_cityjson, read_cityjson
from twin.io.errors import TwinIOError
from twin.io.formats import file_info, format_for

BADINPUT = Path(__file__).resolve().parents[1] / "badinput" / "cityjson"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


def cityjson_file(reference: Path, name: str) -> Path:
    return reference / "cityjson" / name


def test_delft_keeps_every_object_and_counts_buildings_apart(reference):
    path = cityjson_file(reference, "delft_lod1_3dfier.city.json")
    info = file_info(path)
    assert (info["kind"], info["format"], info["version"]) == ("buildings", "CityJSON", "2.0")
    assert info["crs"] == "EPSG:28992"  # https://www.opengis.net/def/crs/EPSG/0/7415: RD New + NAP
    assert info["buildings"] == 160
    assert info["other_objects"] == {"Road": 143, "PlantCover": 126, "LandUse": 81, "GenericCityObject": 54,
                                     "Bridge": 3, "WaterBody": 3}
    data = read_cityjson(path)
    assert len(data) == 570
    types, counts = np.unique(data.attributes["object_type"], return_counts=True)
    assert dict(zip(types.tolist(), counts.tolist(), strict=True))["Building"] == 160
    assert set(np.unique(data.triangle_building)) == set(range(570))  # every object renders
    assert info["skipped_polygons"] == data.skipped_polygons


def test_the_transform_is_applied(reference):
    path = cityjson_file(reference, "delft_lod1_3dfier.city.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    scale, translate = (np.array(document["transform"][key]) for key in ("scale", "translate"))
    used = {i for obj in document["CityObjects"].values() for g in obj["geometry"]
            for i in json.dumps(g["boundaries"]).replace("[", " ").replace("]", " ").replace(",", " ").split()}
    expected = np.array(document["vertices"])[sorted(map(int, used))] * scale + translate
    np.testing.assert_allclose(read_cityjson(path).bounds, (*expected.min(axis=0), *expected.max(axis=0)))


def test_several_lods_per_building_one_is_chosen(reference):
    path = cityjson_file(reference, "3dbag_multi_lod.city.json")
    highest = read_cityjson(path)
    assert len(highest) == 10 and (highest.attributes["lod"] == "2.2").all()
    assert set(np.unique(highest.triangle_surface)) >= {SurfaceKind.ROOF, SurfaceKind.WALL, SurfaceKind.GROUND}
    lod12 = read_cityjson(path, lod="1.2")
    assert (lod12.attributes["lod"] == "1.2").all()
    assert len(lod12.triangles) < len(highest.triangles)
    assert (read_cityjson(path, lod="1").attributes["lod"] == "1.3").all()  # the highest 1.x
    assert (read_cityjson(path, lod="3").attributes["lod"] == "2.2").all()  # not there: the highest
    assert highest.attributes["oorspronkelijk_bouwjaar"].dtype == np.float64


def test_semantic_surfaces_give_surface_kinds(reference):
    path = cityjson_file(reference, "rotterdam_subset_lod2.city.json")
    info = cityjson_info(path)
    assert info["buildings"] == 16 and info["crs"] is None
    assert info["surfaces"] == {"roof": 16, "wall": 16, "ground": 16}
    data = read_cityjson(path, crs="EPSG:28992")
    assert data.crs == "EPSG:28992"  # the file names none: the given one
    assert set(np.unique(data.triangle_surface)) == {SurfaceKind.ROOF, SurfaceKind.WALL, SurfaceKind.GROUND}
    # 12 real surfaces have only two distinct corners: skipped, their buildings kept.
    assert data.skipped_polygons == 12
    assert all(footprint is not None and footprint.area > 0 for footprint in data.footprints)


def test_the_epsg_url_form_names_the_horizontal_crs():
    assert normalize_crs("https://www.opengis.net/def/crs/EPSG/0/7415") == "EPSG:28992"


def test_building_parts_add_their_triangles_to_their_building(tmp_path):
    vertices = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [20, 0, 0], [20, 10, 0]]
    document = {
        "type": "CityJSON", "version": "1.1", "vertices": vertices,
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/25833"},
        "CityObjects": {
            "house": {"type": "Building", "children": ["annex"], "attributes": {"measuredHeight": 7.5},
                      "geometry": [{"type": "MultiSurface", "lod": 2, "boundaries": [[[0, 1, 2, 3]]],
                                    "semantics": {"surfaces": [{"type": "RoofSurface"}], "values": [0]}}]},
            "annex": {"type": "BuildingPart", "parents": ["house"],
                      "geometry": [{"type": "MultiSurface", "lod": 2, "boundaries": [[[1, 4, 5, 2]]]}]},
            "street": {"type": "Road", "geometry": [{"type": "MultiSurface", "lod": 1,
                                                      "boundaries": [[[3, 0, 5]]]}]},
        },
    }
    path = tmp_path / "parts.city.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    info = cityjson_info(path)
    assert (info["buildings"], info["building_parts"], info["other_objects"]) == (1, 1, {"Road": 1})
    assert info["crs"] == "EPSG:25833" and info["version"] == "1.1"
    data = read_cityjson(path)
    assert data.ids.tolist() == ["house", "street"]
    assert np.bincount(data.triangle_building).tolist() == [4, 1]
    assert data.attributes["measured_height"][0] == 7.5
    assert data.attributes["building_parts"].tolist() == [1, 0]
    assert data.footprints[0].area == pytest.approx(200.0)


def test_the_sniffer_tells_cityjson_from_other_json(reference, tmp_path):
    for path in (reference / "cityjson").iterdir():
        assert is_cityjson(path.read_bytes()[:65536]), path.name
        assert format_for(path).read is read_cityjson
    geojson = tmp_path / "streets.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert not is_cityjson(geojson.read_bytes())


ERRORS = {
    "index_out_of_range.city.json": "refers to vertex 9, but the file has only 4 vertices",
    "negative_index.city.json": "refers to vertex -1",
    "index_not_a_number.city.json": "other than vertex numbers",
    "bad_vertices.city.json": "not lists of three numbers",
    "bad_transform.city.json": "not lists of three numbers",
    "geojson_not_cityjson.json": "not CityJSON",
    "cityobjects_not_an_object.city.json": "no CityObjects",
    "truncated.city.json": "not valid JSON",
    "not_json.city.json": "not valid JSON",
    "deep_nesting.city.json": "nests too deeply",
    "empty.city.json": "empty",
}


def test_the_corpus_is_covered():
    assert {p.name for p in BADINPUT.iterdir()} == set(ERRORS) | {"degenerate_and_cyclic.city.json"}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_files_are_refused_clearly(name):
    start = time.perf_counter()
    with pytest.raises(TwinIOError) as caught:
        read_cityjson(BADINPUT / name)
    assert time.perf_counter() - start < 5.0
    assert ERRORS[name] in caught.value.problem and "\n" not in caught.value.problem


def test_degenerate_surfaces_and_a_cycle_of_parents_are_not_fatal():
    data = read_cityjson(BADINPUT / "degenerate_and_cyclic.city.json")
    assert len(data) == 1 and len(data.triangles) == 2 and data.skipped_polygons == 2


def write_cityjson(path: Path, objects: dict, vertices: list) -> Path:
    document = {"type": "CityJSON", "version": "2.0", "CityObjects": objects, "vertices": vertices,
                "transform": {"scale": [1.0, 1.0, 1.0], "translate": [0.0, 0.0, 0.0]}}
    path.write_text(json.dumps(document), encoding="utf-8")  # NaN and Infinity as Python writes them
    return path


SQUARE_VERTICES = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]]
SQUARE_SURFACE = {"type": "MultiSurface", "lod": "2", "boundaries": [[[0, 1, 2, 3]]]}


def test_objects_without_geometry_empty_boundaries_or_templates_are_kept_and_counted(tmp_path):
    objects = {
        "attributes-only": {"type": "Building", "attributes": {"name": "x"}},
        "no-boundaries": {"type": "Building", "geometry": [{"type": "Solid", "lod": "2", "boundaries": []}]},
        "template": {"type": "Building", "geometry": [{"type": "GeometryInstance", "template": 0,
                                                       "boundaries": [0], "transformationMatrix": [0] * 16}]},
        "drawn": {"type": "Building", "geometry": [SQUARE_SURFACE]},
        "tree": {"type": "SolitaryVegetationObject"},
    }
    path = write_cityjson(tmp_path / "model.city.json", objects, SQUARE_VERTICES)
    model = read_cityjson(path)
    assert list(model.ids) == list(objects) and model.attributes["name"][0] == "x"
    info = file_info(path)
    assert info["buildings"] == 4 and info["buildings_without_geometry"] == 3
    assert info["bounds"] == [0.0, 0.0, 0.0, 10.0, 10.0, 0.0]


def test_info_of_a_model_without_any_geometry_has_null_bounds(tmp_path):
    path = write_cityjson(tmp_path / "model.city.json", {"a": {"type": "Building"}}, [])
    info = file_info(path)
    assert info["bounds"] == [None] * 6
    json.dumps(info, allow_nan=False)


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_surface_with_a_vertex_that_is_not_finite_is_skipped_and_counted(tmp_path, bad_value):
    vertices = [*SQUARE_VERTICES, [5, bad_value, 0]]
    objects = {"bad": {"type": "Building", "geometry": [{**SQUARE_SURFACE, "boundaries": [[[0, 1, 4]]]}]},
               "good": {"type": "Building", "geometry": [SQUARE_SURFACE]}}
    path = write_cityjson(tmp_path / "model.city.json", objects, vertices)
    model = read_cityjson(path)
    assert model.skipped_polygons == 1 and np.isfinite(model.vertices).all()
    info = file_info(path)
    assert info["buildings_without_geometry"] == 1
    json.dumps(info, allow_nan=False)


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_nested_thousands_deep_is_refused_in_one_sentence(tmp_path, depth):
    path = tmp_path / "model.city.json"
    path.write_text('{"type": "CityJSON", "CityObjects": {}, "vertices": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(TwinIOError, match="nests too deeply"):
        read_cityjson(path)


def test_a_file_larger_than_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    """A coordinate list of millions of points parses into Python objects ten times its size."""
    monkeypatch.setattr(cityjson, "MAX_FILE_BYTES", 100_000)
    path = write_cityjson(tmp_path / "model.city.json", {}, [[0, 0, 0]] * 20_000)
    with pytest.raises(TwinIOError, match="the twin reads CityJSON files of at most 0.1 MB"):
        read_cityjson(path)


def test_an_attribute_longer_than_the_limit_is_refused_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(building_mesh, "MAX_ATTRIBUTE_CHARS", 1_000)
    objects = {"a": {"type": "Building", "attributes": {"note": "x" * 1_001}}}
    with pytest.raises(TwinIOError, match="the attribute 'note' of city object 1 holds 1,001 characters"):
        read_cityjson(write_cityjson(tmp_path / "model.city.json", objects, []))
