"""The damaged files the fuzzer found, kept as plain tests: each broke a reader before its fix.

Each is a valid seed with the one damage that mattered, made explicit: a header that announces
more than the file holds, a grid cut short, a model with nothing seen from above, a time that
is a list, a quarters file of the wrong shape, a NUL in a file name. Every one must be read or
refused with the twin's own error naming the file.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import rasterio
from affine import Affine

from tests.fuzz import seeds
from twin.core.errors import ScenarioError
from twin.core.scenario import Scenario
from twin.io import raster
from twin.io.errors import TwinIOError
from twin.io.formats import file_info, read_layer
from twin.io.quarters import read_quarters_in
from twin.io.runs import RESULTS_FILE, load_run

SCENE_CRS = "EPSG:25833"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


def refusal(path: Path, header_damaged: bool = True) -> str:
    """The problem the reader names; `info`, which reads headers, refuses a damaged header too."""
    with pytest.raises(TwinIOError) as read_error:
        read_layer(path, crs=SCENE_CRS)
    assert read_error.value.path == path
    assert "\n" not in str(read_error.value)
    if header_damaged:
        with pytest.raises(TwinIOError) as info_error:
            file_info(path, crs=SCENE_CRS)
        assert info_error.value.problem == read_error.value.problem
    return read_error.value.problem


def patched(seed: bytes, offset: int, fmt: str, *values: int) -> bytearray:
    data = bytearray(seed)
    struct.pack_into(fmt, data, offset, *values)
    return data


def test_an_ascii_grid_with_fewer_rows_than_it_announces_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtm.asc"
    path.write_bytes(seeds.ascii_grid()["dtm.asc"].replace(b"nrows 4", b"nrows 9"))
    assert "truncated or damaged" in refusal(path, header_damaged=False)


def test_a_raster_announcing_more_cells_than_memory_holds_is_refused_before_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sparse GeoTIFF of 60,000 x 60,000 cells is a few kilobytes; reading it takes 61 GB."""
    monkeypatch.setattr(raster, "_memory_bytes", lambda: 16 * 1024**3)  # this machine's size, fixed
    path = tmp_path / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=60_000, height=60_000, count=1, dtype="float32",
                       crs=SCENE_CRS, transform=Affine(1.0, 0, 411_000.0, 0, -1.0, 5_654_000.0),
                       tiled=True, blockxsize=2048, blockysize=2048, sparse_ok=True):
        pass
    assert path.stat().st_size < 100_000
    assert "60,000 x 60,000 cells" in refusal(path, header_damaged=False)


def test_a_laz_chunk_table_announcing_four_billion_chunks_is_refused(tmp_path: Path) -> None:
    """lazrs allocated the announced table and aborted the whole process when that failed."""
    laz = seeds.laz()["cloud.laz"]
    (point_offset,) = struct.unpack_from("<I", laz, 96)
    (table_offset,) = struct.unpack_from("<q", laz, point_offset)
    path = tmp_path / "cloud.laz"
    path.write_bytes(patched(laz, table_offset + 4, "<I", 0xFFFFFFFF))
    assert "4,294,967,295 chunks" in refusal(path)


def test_a_las_header_announcing_four_billion_records_is_refused_at_once(tmp_path: Path) -> None:
    """laspy read as many records as announced, past the end of the file: hours."""
    path = tmp_path / "cloud.las"
    path.write_bytes(patched(seeds.las()["cloud.las"], 100, "<I", 0xFFFFFFFF))
    assert "4,294,967,295 variable-length records" in refusal(path)


def test_a_las_header_whose_records_fit_only_before_a_point_offset_past_the_end_is_refused(
        tmp_path: Path) -> None:
    """Fifty million records fit before a point offset of 4 GB, but not in a file of 2 kB."""
    path = tmp_path / "cloud.las"
    path.write_bytes(patched(seeds.las()["cloud.las"], 96, "<II", 0xFFFFFFFF, 50_000_000))
    assert "50,000,000 variable-length records" in refusal(path)


def test_a_las_header_announcing_four_billion_extended_records_is_refused_at_once(tmp_path: Path) -> None:
    laz = seeds.laz()["cloud.laz"]
    path = tmp_path / "cloud.laz"
    path.write_bytes(patched(laz, 235, "<QI", len(laz) - 60, 0xFFFFFFFF))
    assert "4,294,967,295 extended records" in refusal(path)


def test_an_extended_record_longer_than_memory_is_refused(tmp_path: Path) -> None:
    """laspy asked for the announced 4 EiB in one read and a MemoryError escaped."""
    laz = seeds.laz()["cloud.laz"]
    record = b"\0\0" + b"twin".ljust(16, b"\0") + struct.pack("<HQ", 1, 2**62) + b"\0" * 32
    path = tmp_path / "cloud.laz"
    path.write_bytes(patched(laz, 235, "<QI", len(laz), 1) + record)
    assert "more data than memory holds" in refusal(path)


def test_a_building_model_with_nothing_seen_from_above_reads_without_footprints(tmp_path: Path) -> None:
    """Only walls: no polygon qualified for a footprint and the footprint union failed."""
    wall = "411000 5654000 110 411010 5654000 110 411010 5654000 120 411000 5654000 120 411000 5654000 110"
    path = tmp_path / "walls.gml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" '
        'xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gml="http://www.opengis.net/gml">'
        '<core:cityObjectMember><bldg:Building gml:id="wall-only"><bldg:lod2MultiSurface>'
        '<gml:MultiSurface srsName="EPSG:25833"><gml:surfaceMember><gml:Polygon><gml:exterior>'
        f'<gml:LinearRing><gml:posList srsDimension="3">{wall}</gml:posList></gml:LinearRing>'
        '</gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface>'
        '</bldg:Building></core:cityObjectMember></core:CityModel>\n', encoding="utf-8")
    buildings = read_layer(path).data
    assert len(buildings) == 1 and len(buildings.triangles) == 2
    assert buildings.footprints[0] is None


def test_an_observation_time_that_is_a_list_is_refused(tmp_path: Path) -> None:
    document = json.loads(seeds.sensorthings()["gauges.sta.json"])
    observations = document["value"][0]["Datastreams"][0]["Observations"]
    observations[2]["phenomenonTime"] = ["2026-07-10T15:00:00Z", "2026-07-10T15:05:00Z"]
    path = tmp_path / "gauges.sta.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert "observation 3 of Datastream '11'" in refusal(path)


@pytest.mark.parametrize("crs_member, features", [
    ({"type": "name", "properties": {"name": 0}}, None),
    (None, [[411000.0, 5654000.0]]),
    (None, {"West": "a polygon"}),
], ids=["crs-name-a-number", "feature-a-list", "features-an-object"])
def test_a_quarters_file_of_the_wrong_shape_is_refused(tmp_path: Path, crs_member: dict | None,
                                                        features: object) -> None:
    document = json.loads(seeds.quarters()["quarters.geojson"])
    if crs_member is not None:
        document["crs"] = crs_member
    if features is not None:
        document["features"] = features
    path = tmp_path / "quarters.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(TwinIOError) as error:
        read_quarters_in(path, SCENE_CRS)
    assert error.value.path == path and "\n" not in str(error.value)


def test_a_scenario_naming_a_file_with_a_nul_character_is_refused(tmp_path: Path) -> None:
    for name, content in seeds.scenario().items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / "scenario.toml"
    path.write_text(path.read_text().replace('"quarters.geojson"', '"quarters\\u0000.geojson"'))
    with pytest.raises(ScenarioError, match="NUL character"):
        Scenario.load(path)


def cityjson_with(tmp_path: Path, damage: Callable[[dict], None]) -> Path:
    document = json.loads(seeds.cityjson()["model.city.json"])
    damage(document)
    path = tmp_path / "model.city.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def first_surface_geometry(document: dict) -> dict:
    return next(geometry for obj in document["CityObjects"].values() for geometry in obj.get("geometry", [])
                if geometry["type"] in ("Solid", "MultiSurface"))


def test_a_cityjson_surface_without_rings_is_skipped(tmp_path: Path) -> None:
    """The triangulator took the next polygon's ring as its outer ring, then failed."""
    def empty_surfaces(document: dict) -> None:  # the first surface of every geometry of every LoD
        for obj in document["CityObjects"].values():
            for geometry in obj.get("geometry", []):
                if geometry["type"] in ("Solid", "MultiSurface"):
                    shell = geometry["boundaries"][0] if geometry["type"] == "Solid" else geometry["boundaries"]
                    shell[0] = [7]
    whole = read_layer(seeds.REFERENCE / "cityjson" / "3dbag_multi_lod.city.json").data
    damaged = read_layer(cityjson_with(tmp_path, empty_surfaces)).data
    assert damaged.skipped_polygons >= whole.skipped_polygons + len(damaged)


def test_a_cityjson_type_that_is_not_text_reads_as_an_object_of_no_known_type(tmp_path: Path) -> None:
    def object_type(document: dict) -> None:
        first_surface_geometry(document)["semantics"] = {"surfaces": [{"type": {"roof": True}}],
                                                         "values": None}
        next(iter(document["CityObjects"].values()))["type"] = ["Building"]
    buildings = read_layer(cityjson_with(tmp_path, object_type)).data
    assert "" in set(buildings.attributes["object_type"])


def streets_with(tmp_path: Path, damage: Callable[[dict], None]) -> Path:
    document = json.loads(seeds.geojson_streets()["streets.geojson"])
    damage(document)
    path = tmp_path / "streets.geojson"
    path.write_bytes(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    return path


def test_a_street_line_of_one_point_is_skipped(tmp_path: Path) -> None:
    """GEOS refused the one-point line and its GEOSException escaped."""
    def one_point(document: dict) -> None:
        document["features"][0]["geometry"]["coordinates"] = [[411000.0, 5654000.0]]
    path = streets_with(tmp_path, one_point)
    assert len(read_layer(path).data) == 2
    assert file_info(path)["skipped_features"] == 2


def test_a_street_file_with_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = streets_with(tmp_path, lambda document: None)
    path.write_bytes(path.read_bytes().replace("Pfotenhauerstraße".encode(), "Pfotenhauerstraße".encode("latin-1")))
    assert "not UTF-8" in refusal(path)


def test_a_las_creation_date_past_the_year_9999_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cloud.las"
    path.write_bytes(patched(seeds.las()["cloud.las"], 90, "<HH", 400, 9999))
    assert "date value out of range" in refusal(path)


def sensorthings_with(tmp_path: Path, damage: Callable[[dict], None]) -> Path:
    document = json.loads(seeds.sensorthings()["gauges.sta.json"])
    damage(document["value"][0]["Datastreams"][0])
    path = tmp_path / "gauges.sta.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_datastream_without_observations_reads_as_an_empty_series(tmp_path: Path) -> None:
    """numpy could not find the latest of no times."""
    path = sensorthings_with(tmp_path, lambda stream: stream.pop("Observations"))
    (stream,) = read_layer(path).data.datastreams
    assert len(stream.series.times) == 0
    assert file_info(path)["observations"] == 0


def test_a_datastream_whose_observed_property_is_a_list_reads_without_its_name(tmp_path: Path) -> None:
    def listed(stream: dict) -> None:
        stream["ObservedProperty"] = [stream["ObservedProperty"]]
    (stream,) = read_layer(sensorthings_with(tmp_path, listed)).data.datastreams
    assert stream.quantity == "rain"  # the Datastream's own name stands in


def test_a_zip_whose_compressed_data_is_damaged_is_refused(tmp_path: Path) -> None:
    """zlib's own error escaped the zip reader."""
    archive = bytearray(seeds.zipped_streets()["tile.zip"])
    archive[60:68] = b"\xff" * 8  # inside the deflated member, after its 30-byte header and name
    path = tmp_path / "tile.zip"
    path.write_bytes(archive)
    assert "cannot be unpacked" in refusal(path)


def test_a_saved_run_whose_results_are_not_a_zip_is_refused(tmp_path: Path) -> None:
    """zipfile.BadZipFile escaped load_run, and with it the project's opening."""
    for name, content in seeds.saved_run().items():
        (tmp_path / name).write_bytes(content[:-200] if name == RESULTS_FILE else content)
    with pytest.raises(TwinIOError, match="the saved run cannot be read") as error:
        load_run(tmp_path)
    assert error.value.path == tmp_path


def quarters_with(tmp_path: Path, damage: Callable[[dict], None]) -> Path:
    document = json.loads(seeds.quarters()["quarters.geojson"])
    damage(document)
    path = tmp_path / "quarters.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")  # NaN as Python writes it
    return path


@pytest.mark.parametrize("damage, problem", [
    (lambda document: document["features"][1]["properties"].update(name="West"), "two quarters are named 'West'"),
    (lambda document: document["features"][0]["geometry"]["coordinates"][0][1].__setitem__(0, float("nan")),
     "not a finite number"),
], ids=["duplicate-name", "nan-corner"])
def test_a_quarters_file_the_scene_cannot_take_is_refused(tmp_path: Path, damage: Callable[[dict], None],
                                                          problem: str) -> None:
    """Two quarters of one name ended in the scene's ValueError when a project opened (long fuzzer)."""
    with pytest.raises(TwinIOError, match=problem):
        read_quarters_in(quarters_with(tmp_path, damage), SCENE_CRS)


def test_a_quarters_file_nested_thousands_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quarters.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(TwinIOError, match="nests too deeply"):
        read_quarters_in(path, SCENE_CRS)


def test_a_scenario_crs_that_is_a_table_is_refused(tmp_path: Path) -> None:
    """normalize_crs called .strip() on the table (AttributeError, long fuzzer)."""
    for name, content in seeds.scenario().items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / "scenario.toml"
    path.write_text(path.read_text().replace('crs = "EPSG:25833"', "crs = { a = 1 }"))
    with pytest.raises(ScenarioError, match="is not the name of a coordinate reference system"):
        Scenario.load(path)
