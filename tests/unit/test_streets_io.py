"""Street networks from GeoJSON and GeoPackage: geometry, attributes, CRS, inspection history."""

import json
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely

from tests.conftest import PROJECT_ROOT
from twin.core import StreetsLayer
from twin.io import TwinIOError, file_info, read_layer
from twin.io.formats import format_for
from twin.io.streets import read_streets, streets_info

BAD_INPUT = PROJECT_ROOT / "tests" / "badinput" / "streets"
UTM33 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}

# Three segments of the street-decay schema in Friedrichstadt (EPSG:25833).
DEMO_SEGMENTS = [
    {"segment_id": "FR-0001", "name": "Friedrichstraße", "road_class": "main", "surface": "asphalt",
     "width_m": 9.5, "length_m": 250.0, "built_year": 1962, "last_treatment_year": 2009,
     "inspected": "2024-05-03", "unevenness_max_mm": 14.0, "unevenness_mean_mm": 6.5,
     "rut_depth_mm": 11.0, "water_depth_mm": 2.0, "cracks_pct": 12.5, "patches_pct": 4.0,
     "other_damage_pct": 1.0,
     "inspections": [{"date": "2014-05-03", "rating": 2.1}, {"date": "2019-04-28", "rating": 2.6},
                     {"date": "2024-05-03", "rating": 3.2}]},
    {"segment_id": "FR-0002", "name": "Schäferstraße", "road_class": "side", "surface": "paving",
     "width_m": 6.0, "length_m": 180.0, "built_year": 1978, "last_treatment_year": 1995,
     "inspected": "2023-09-12", "unevenness_max_mm": 22.0, "unevenness_mean_mm": 9.0,
     "rut_depth_mm": 4.0, "water_depth_mm": 3.5, "cracks_pct": 3.0, "patches_pct": 15.0,
     "other_damage_pct": 6.5,
     "inspections": [{"date": "2023-09-12", "rating": 3.9}]},
    {"segment_id": "FR-0003", "name": "Löbtauer Straße", "road_class": "main", "surface": "concrete",
     "width_m": 12.0, "length_m": 300.0, "built_year": 2001, "last_treatment_year": 2001,
     "inspected": "2024-06-20", "unevenness_max_mm": 5.0, "unevenness_mean_mm": 2.5,
     "rut_depth_mm": 1.5, "water_depth_mm": 0.0, "cracks_pct": 0.5, "patches_pct": 0.0,
     "other_damage_pct": 0.0,
     "inspections": [{"date": "2019-06-01", "rating": 1.4}, {"date": "2024-06-20", "rating": 1.7}]},
]
DEMO_LINES = [
    shapely.LineString([(408950, 5657100), (409200, 5657100)]),
    shapely.LineString([(409200, 5657100), (409200, 5657280)]),
    shapely.MultiLineString([[(409200, 5657280), (409350, 5657280)],
                             [(409350, 5657280), (409350, 5657430)]]),
]


def feature(geometry: shapely.Geometry | None, properties: dict, **members) -> dict:
    return {"type": "Feature", **members, "properties": properties,
            "geometry": None if geometry is None else shapely.geometry.mapping(geometry)}


def write_geojson(path: Path, features: list[dict], crs: dict | None = UTM33) -> Path:
    document = {"type": "FeatureCollection", **({"crs": crs} if crs else {}), "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def write_demo_gpkg(path: Path, segments: list[dict], lines: list) -> Path:
    """The demo schema as a GeoPackage: the history as JSON text, dates as DATE fields."""
    names = list(segments[0])
    columns = []
    for name in names:
        values = [segment[name] for segment in segments]
        if name == "inspections":
            columns.append(np.array([json.dumps(value) for value in values], dtype=object))
        elif name == "inspected":
            columns.append(np.array(values, dtype="datetime64[D]"))
        else:
            columns.append(np.array(values, dtype=object if isinstance(values[0], str) else None))
    pyogrio.raw.write(path, shapely.to_wkb(np.array(lines, dtype=object)), columns, names,
                      geometry_type="MultiLineString", crs="EPSG:25833", driver="GPKG",
                      promote_to_multi=True)
    return path


@pytest.fixture
def demo_geojson(tmp_path):
    features = [feature(line, segment) for line, segment in zip(DEMO_LINES, DEMO_SEGMENTS, strict=True)]
    return write_geojson(tmp_path / "streets.geojson", features)


def test_the_demo_schema_reads_into_columns_and_a_rating_history(demo_geojson):
    streets = read_streets(demo_geojson)
    assert streets.crs == "EPSG:25833"
    assert streets.ids.tolist() == ["FR-0001", "FR-0002", "FR-0003"]
    assert [geometry.geom_type for geometry in streets.geometries] == [
        "LineString", "LineString", "MultiLineString"]
    attributes = streets.attributes
    assert "segment_id" not in attributes and "inspections" not in attributes
    assert attributes["name"].tolist() == ["Friedrichstraße", "Schäferstraße", "Löbtauer Straße"]
    assert attributes["surface"].dtype.kind == "U"
    assert attributes["built_year"].dtype == np.int64 and attributes["built_year"][1] == 1978
    assert attributes["cracks_pct"].dtype == np.float64
    assert attributes["inspected"][2] == np.datetime64("2024-06-20")
    history = streets.inspections
    assert len(history) == 6
    dates, ratings = history.of_segment(0)
    assert dates.tolist() == np.array(["2014-05-03", "2019-04-28", "2024-05-03"],
                                      dtype="datetime64[D]").tolist()
    assert ratings.tolist() == [2.1, 2.6, 3.2]
    assert history.of_segment(1)[1].tolist() == [3.9]


def test_info_sums_the_metric_length_and_counts_the_history(demo_geojson):
    info = file_info(demo_geojson)
    assert info["kind"] == "streets" and info["format"] == "GeoJSON" and info["version"] is None
    assert info["crs"] == "EPSG:25833"
    assert info["bounds"] == [408950.0, 5657100.0, 409350.0, 5657430.0]
    assert info["features"] == 3 and info["skipped_features"] == 0
    assert info["total_length_m"] == pytest.approx(250 + 180 + 150 + 150)
    assert info["inspections"] == 6
    assert set(info["fields"]) == set(DEMO_SEGMENTS[0]) - {"segment_id", "inspections"}


def test_a_geopackage_of_the_demo_schema_reads_like_the_geojson(tmp_path, demo_geojson):
    gpkg = write_demo_gpkg(tmp_path / "streets.gpkg", DEMO_SEGMENTS, DEMO_LINES)
    from_json, from_gpkg = read_streets(demo_geojson), read_streets(gpkg)
    assert from_gpkg.crs == "EPSG:25833"
    assert from_gpkg.ids.tolist() == from_json.ids.tolist()
    assert all(shapely.equals(from_gpkg.geometries, from_json.geometries))
    assert set(from_gpkg.attributes) == set(from_json.attributes)
    for name, values in from_json.attributes.items():
        assert from_gpkg.attributes[name].tolist() == values.tolist(), name
    for column in ("segment", "date", "rating"):
        assert getattr(from_gpkg.inspections, column).tolist() == \
            getattr(from_json.inspections, column).tolist()
    info = file_info(gpkg)
    assert info["format"] == "GPKG" and info["features"] == 3 and info["inspections"] == 6


def test_geojson_without_crs_is_wgs84_and_has_no_metric_length(tmp_path):
    line = shapely.LineString([(13.720, 51.055), (13.725, 51.056)])
    path = write_geojson(tmp_path / "wgs84.geojson", [feature(line, {"name": "a"})], crs=None)
    assert read_streets(path).crs == "EPSG:4326"
    info = streets_info(path)
    assert info["crs"] == "EPSG:4326" and "total_length_m" not in info
    assert read_streets(path, crs="EPSG:25833").crs == "EPSG:4326"  # the file's CRS wins


def test_projected_coordinates_without_crs_member_take_the_users_crs(tmp_path):
    path = write_geojson(tmp_path / "utm.geojson", [feature(DEMO_LINES[0], {})], crs=None)
    assert read_streets(path).crs is None
    assert read_streets(path, crs="EPSG:25833").crs == "EPSG:25833"
    assert file_info(path, crs="EPSG:25833")["total_length_m"] == pytest.approx(250.0)


def test_ids_come_from_segment_id_then_id_then_the_feature_id(tmp_path):
    line = DEMO_LINES[0]
    by_id = write_geojson(tmp_path / "id.geojson", [feature(line, {"id": 17}), feature(line, {"id": 18})])
    assert read_streets(by_id).ids.tolist() == ["17", "18"]
    by_feature = write_geojson(tmp_path / "fid.geojson", [feature(line, {"name": "x"}, id=41),
                                                         feature(line, {"name": "y"}, id=42)])
    assert read_streets(by_feature).ids.tolist() == ["41", "42"]
    by_row = write_geojson(tmp_path / "row.geojson", [feature(line, {"name": "x"}),
                                                     feature(line, {"name": "y"})])
    assert read_streets(by_row).ids.tolist() == ["0", "1"]
    partly = write_geojson(tmp_path / "partly.geojson", [feature(line, {"segment_id": "A"}),
                                                        feature(line, {"segment_id": None})])
    assert read_streets(partly).ids.tolist() == ["A", "1"]


def test_missing_values_are_nan_and_empty_text(tmp_path):
    line = DEMO_LINES[0]
    path = write_geojson(tmp_path / "gaps.geojson", [
        feature(line, {"name": "a", "width_m": 7.5, "built_year": 1960}),
        feature(line, {"name": None, "width_m": None, "built_year": None})])
    attributes = read_streets(path).attributes
    assert attributes["name"].tolist() == ["a", ""]
    assert attributes["width_m"][0] == 7.5 and np.isnan(attributes["width_m"][1])
    assert attributes["built_year"][0] == 1960 and np.isnan(attributes["built_year"][1])
    assert read_streets(path).inspections is None  # no history field at all


def test_a_mixed_file_keeps_the_lines_and_counts_what_it_skipped(tmp_path):
    path = write_geojson(tmp_path / "mixed.geojson", [
        feature(DEMO_LINES[0], {"segment_id": "L1"}),
        feature(shapely.Point(409000, 5657100), {"segment_id": "P1"}),
        feature(DEMO_LINES[1], {"segment_id": "L2"}),
        feature(shapely.box(409000, 5657000, 409100, 5657100), {"segment_id": "A1"}),
        feature(None, {"segment_id": "N1"})])
    assert read_streets(path).ids.tolist() == ["L1", "L2"]
    info = file_info(path)
    assert info["features"] == 2 and info["skipped_features"] == 3


def test_a_geopackage_of_points_only_is_refused(tmp_path):
    path = tmp_path / "hydrants.gpkg"
    points = shapely.to_wkb(np.array([shapely.Point(409000, 5657100), shapely.Point(409010, 5657100)]))
    pyogrio.raw.write(path, points, [np.array(["a", "b"], dtype=object)], ["name"],
                      geometry_type="Point", crs="EPSG:25833", driver="GPKG")
    with pytest.raises(TwinIOError, match=r"no street lines \(LineString or MultiLineString\), only 2 Point"):
        read_streets(path)


def test_json_suffix_is_told_apart_by_its_content(demo_geojson, tmp_path):
    as_json = tmp_path / "streets.json"
    as_json.write_bytes(demo_geojson.read_bytes())
    assert format_for(as_json).kind == "streets"
    layer = read_layer(as_json)
    assert isinstance(layer, StreetsLayer) and len(layer.data) == 3
    sensorthings = tmp_path / "things.json"
    sensorthings.write_text(json.dumps({"value": [{"@iot.id": 1, "Locations": [
        {"location": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.7, 51.0]}}}]}]}))
    assert format_for(sensorthings).kind == "sensors"


# Every file of the bad-input corpus, and the sentence it must produce.
BAD_FILES = {
    "truncated.geojson": r"the GeoJSON does not parse: .* at line 5, column \d+",
    "empty_file.geojson": "the GeoJSON does not parse: Expecting value at line 1, column 1",
    "not_geojson.geojson": "valid JSON but not GeoJSON",
    "no_features.geojson": "the file holds no features",
    "points_only.geojson": r"no street lines \(LineString or MultiLineString\), only 2 Point, 1 without geometry",
    "polygons.json": r"no street lines \(LineString or MultiLineString\), only 1 Polygon",
    "history_bad_date.geojson": "inspection date '3 May 2019' of segment 'FR-002' is not an ISO date",
    "history_bad_rating.geojson": "inspection rating 7.5 of segment 'FR-002' is not a grade from 1.0 to 5.0",
    "history_not_entries.geojson": "the inspection history of segment 'FR-002' must be a list of",
    "history_no_rating.geojson": r"history of segment 'FR-001' .*found \{\"date\": \"2014-05-03\"\}",
    "not_sqlite.gpkg": "not a GeoPackage: the file is not an SQLite database",
    "damaged.gpkg": "not a readable GeoPackage",
}


def test_every_bad_input_file_has_an_expected_message():
    assert sorted(path.name for path in BAD_INPUT.iterdir()) == sorted(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_street_files_are_one_clear_sentence(name, capsys):
    path = BAD_INPUT / name
    with pytest.raises(TwinIOError, match=BAD_FILES[name]) as caught:
        file_info(path)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in caught.value.problem
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_line_with_a_coordinate_that_is_not_finite_is_skipped_and_counted(tmp_path, bad_value):
    features = [{"type": "Feature", "properties": {"segment_id": "bad"},
                 "geometry": {"type": "LineString", "coordinates": [[411000.0, bad_value], [411010.0, 5654000.0]]}},
                {"type": "Feature", "properties": {"segment_id": "good"},
                 "geometry": {"type": "LineString", "coordinates": [[411000.0, 5654000.0], [411010.0, 5654000.0]]}}]
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))  # NaN, Infinity
    streets = read_streets(path, crs="EPSG:25833")
    assert streets.ids.tolist() == ["good"]
    info = streets_info(path, crs="EPSG:25833")
    assert info["skipped_features"] == 1 and info["bounds"] == [411000.0, 5654000.0, 411010.0, 5654000.0]


def test_a_feature_with_null_geometry_is_skipped_and_counted(tmp_path):
    line = shapely.LineString([(411000.0, 5654000.0), (411010.0, 5654000.0)])
    path = write_geojson(tmp_path / "streets.geojson", [feature(None, {"segment_id": "nothing"}),
                                                         feature(line, {"segment_id": "line"})])
    assert file_info(path)["skipped_features"] == 1 and file_info(path)["features"] == 1


def test_an_empty_feature_collection_is_refused_in_one_sentence(tmp_path):
    path = write_geojson(tmp_path / "streets.geojson", [])
    with pytest.raises(TwinIOError, match="holds no features"):
        read_streets(path)


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_geojson_nested_thousands_deep_is_refused_in_one_sentence(tmp_path, depth):
    path = tmp_path / "streets.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"a": '
                    + "[" * depth + "]" * depth + '}, "geometry": null}]}')
    with pytest.raises(TwinIOError, match="nests too deeply"):
        read_streets(path)
