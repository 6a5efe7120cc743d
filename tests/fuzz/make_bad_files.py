"""Write the regression files of tests/data/bad/: every damaged or hostile input that once broke
a reader, as a small file, with what the twin must make of it.

    .venv/bin/python -m tests.fuzz.make_bad_files

writes the files, expected.json (file -> the reader's answer: "read", or a fragment of its
one-sentence refusal) and README.md (file -> what it exercises). The files are generated once
and committed; tests/fuzz/test_bad_files.py reads every one of them. Running this again gives
the same bytes.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.fuzz import seeds

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
READ = "read"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
CITYGML_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" '
                'xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gml="http://www.opengis.net/gml">')
SQUARE = [[411000, 5654000, 110], [411010, 5654000, 110], [411010, 5654010, 110], [411000, 5654010, 110],
          [411000, 5654000, 110]]

# name -> (what it exercises, what the twin must answer, how its bytes are made)
Case = tuple[str, str, Callable[[], dict[str, bytes]]]


def patched(data: bytes, offset: int, fmt: str, *values: float) -> bytes:
    changed = bytearray(data)
    struct.pack_into(fmt, changed, offset, *values)
    return bytes(changed)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def citygml(*buildings: str) -> bytes:
    members = "".join(f"<core:cityObjectMember>{building}</core:cityObjectMember>" for building in buildings)
    return f"{CITYGML_HEAD}{members}</core:CityModel>\n".encode()


def gml_surface(points: list | np.ndarray, srs: bool = True) -> str:
    ring = " ".join(str(value) for value in np.asarray(points).ravel().tolist())
    srs_name = ' srsName="EPSG:25833"' if srs else ""
    return (f'<bldg:lod2MultiSurface><gml:MultiSurface{srs_name}><gml:surfaceMember><gml:Polygon><gml:exterior>'
            f'<gml:LinearRing><gml:posList srsDimension="3">{ring}</gml:posList></gml:LinearRing></gml:exterior>'
            '</gml:Polygon></gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface>')


def star(points: int) -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    radius = 100 + 30 * (np.arange(points) % 2)
    return np.column_stack((411000 + np.round(radius * np.cos(angles)), 5654000 + np.round(radius * np.sin(angles)),
                            np.full(points, 110))).astype(int)


def cityjson(objects: dict, vertices: list) -> bytes:
    document = {"type": "CityJSON", "version": "2.0", "CityObjects": objects, "vertices": vertices,
                "transform": {"scale": [1.0, 1.0, 1.0], "translate": [0.0, 0.0, 0.0]},
                "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/25833"}}
    return json.dumps(document).encode()  # NaN and Infinity as Python writes them


def damaged_json(seed: dict[str, bytes], damage: Callable[[dict], None]) -> dict[str, bytes]:
    (content,) = seed.values()
    document = json.loads(content)
    damage(document)
    return {"": json.dumps(document, ensure_ascii=False).encode()}


def streets(features: list) -> bytes:
    return json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::25833"}}, "features": features}).encode()


def line(segment: str, coordinates: list | None) -> dict:
    geometry = None if coordinates is None else {"type": "LineString", "coordinates": coordinates}
    return {"type": "Feature", "properties": {"segment_id": segment}, "geometry": geometry}


def sensorthings_stream(damage: Callable[[dict], None]) -> Callable[[], dict[str, bytes]]:
    return lambda: damaged_json(seeds.sensorthings(), lambda document: damage(document["value"][0]["Datastreams"][0]))


def laz_chunk_table_of_four_billion_chunks() -> dict[str, bytes]:
    laz = seeds.laz()["cloud.laz"]
    (point_offset,) = struct.unpack_from("<I", laz, 96)
    (table_offset,) = struct.unpack_from("<q", laz, point_offset)
    return {"": patched(laz, table_offset + 4, "<I", 0xFFFFFFFF)}


def laz_extended_record_of_four_exbibytes() -> dict[str, bytes]:
    laz = seeds.laz()["cloud.laz"]
    record = b"\0\0" + b"twin".ljust(16, b"\0") + struct.pack("<HQ", 1, 2**62) + b"\0" * 32
    return {"": patched(laz, 235, "<QI", len(laz), 1) + record}


def utm_metres_labelled_degrees() -> dict[str, bytes]:
    import laspy
    from pyproj import CRS

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.array([0.01, 0.01, 0.01]), np.array([411000.0, 5654000.0, 0.0])
    header.add_crs(CRS.from_epsg(4326))
    cloud = laspy.LasData(header)
    steps = np.arange(20, dtype=np.float64)
    cloud.x, cloud.y, cloud.z = 411000 + steps, 5654000 + steps, 110 + steps
    buffer = io.BytesIO()
    cloud.write(buffer, do_compress=True, laz_backend=laspy.LazBackend.Lazrs)
    return {"": buffer.getvalue()}


def zipped_streets() -> bytes:
    """The zipped streets seed with a fixed date, so that the file is the same on every run."""
    return zipped({"tile/streets.geojson": seeds.geojson_streets()["streets.geojson"]})


def zip_needing_a_future_version() -> dict[str, bytes]:
    archive = zipped_streets()
    directory = archive.find(b"PK\x01\x02")
    return {"": patched(archive, directory + 6, "<H", 255)}


def csv_pair(stations: str, observations: str) -> Callable[[], dict[str, bytes]]:
    return lambda: {"_stations.csv": stations.encode(), "_observations.csv": observations.encode()}


LAS = seeds.las()["cloud.las"]
LAZ = seeds.laz()["cloud.laz"]
STATIONS = seeds.sensor_csv()["city_stations.csv"].decode()
OBSERVATIONS = seeds.sensor_csv()["city_observations.csv"].decode()
EMPTY_HISTORY = "station_id,quantity,unit,time,value,datastream\n"


def first_surface_without_rings(document: dict) -> None:
    for obj in document["CityObjects"].values():
        for geometry in obj.get("geometry", []):
            if geometry["type"] in ("Solid", "MultiSurface"):
                shell = geometry["boundaries"][0] if geometry["type"] == "Solid" else geometry["boundaries"]
                shell[0] = [7]


def type_not_text(document: dict) -> None:
    next(iter(document["CityObjects"].values()))["type"] = ["Building"]


CASES: dict[str, Case] = {
    # Found by the first fuzzer (tests/fuzz/test_hostile_files.py keeps them as code too).
    "ascii_grid_fewer_rows_than_announced.asc": (
        "an ASCII grid announcing 9 rows and holding 4", "truncated or damaged",
        lambda: {"": seeds.ascii_grid()["dtm.asc"].replace(b"nrows 4", b"nrows 9")}),
    "laz_chunk_table_of_four_billion_chunks.laz": (
        "a LAZ chunk table announcing 4,294,967,295 chunks (lazrs allocated them and aborted the process)",
        "4,294,967,295 chunks", laz_chunk_table_of_four_billion_chunks),
    "las_four_billion_records.las": (
        "a LAS header announcing 4,294,967,295 variable-length records (laspy read for hours)",
        "4,294,967,295 variable-length records", lambda: {"": patched(LAS, 100, "<I", 0xFFFFFFFF)}),
    "las_records_before_a_point_offset_past_the_end.las": (
        "fifty million records that fit only before a 4 GB point offset, in a file of a few kB",
        "50,000,000 variable-length records", lambda: {"": patched(LAS, 96, "<II", 0xFFFFFFFF, 50_000_000)}),
    "laz_four_billion_extended_records.laz": (
        "a LAS 1.4 header announcing 4,294,967,295 extended records", "4,294,967,295 extended records",
        lambda: {"": patched(LAZ, 235, "<QI", len(LAZ) - 60, 0xFFFFFFFF)}),
    "laz_extended_record_of_four_exbibytes.laz": (
        "an extended record 4 EiB long (MemoryError escaped laspy)", "more data than memory holds",
        laz_extended_record_of_four_exbibytes),
    "las_created_in_the_year_10000.las": (
        "a creation date past the year 9999 (OverflowError)", "date value out of range",
        lambda: {"": patched(LAS, 90, "<HH", 400, 9999)}),
    "citygml_walls_only.gml": (
        "a building of walls only: nothing seen from above for a footprint", READ,
        lambda: {"": citygml('<bldg:Building gml:id="walls">' + gml_surface(
            [[411000, 5654000, 110], [411010, 5654000, 110], [411010, 5654000, 120], [411000, 5654000, 120],
             [411000, 5654000, 110]]) + "</bldg:Building>")}),
    "cityjson_surfaces_without_rings.city.json": (
        "CityJSON surfaces that hold a number instead of rings", READ,
        lambda: damaged_json(seeds.cityjson(), first_surface_without_rings)),
    "cityjson_type_that_is_a_list.city.json": (
        "a CityObject whose type is a list", READ, lambda: damaged_json(seeds.cityjson(), type_not_text)),
    "streets_line_of_one_point.geojson": (
        "a street line of one point (GEOS refused it)", READ,
        lambda: {"": streets([line("one", [[411000.0, 5654000.0]]),
                              line("two", [[411000.0, 5654000.0], [411010.0, 5654000.0]])])}),
    "streets_latin1_text.geojson": (
        "a street name in Latin-1, not UTF-8", "not UTF-8",
        lambda: {"": streets([line("Pfotenhauerstraße", [[411000.0, 5654000.0], [411010.0, 5654000.0]])])
                 .replace(b"\\u00df", "ß".encode("latin-1"))}),
    "sensorthings_time_that_is_a_list.sta.json": (
        "an observation time that is a list", "observation 3 of Datastream '11'",
        sensorthings_stream(lambda stream: stream["Observations"][2].update(
            phenomenonTime=["2026-07-10T15:00:00Z", "2026-07-10T15:05:00Z"]))),
    "sensorthings_datastream_without_observations.sta.json": (
        "a Datastream without Observations (numpy failed on no times)", READ,
        sensorthings_stream(lambda stream: stream.pop("Observations"))),
    "sensorthings_observed_property_a_list.sta.json": (
        "an ObservedProperty that is a list, not an object", READ,
        sensorthings_stream(lambda stream: stream.update(ObservedProperty=[stream["ObservedProperty"]]))),
    "zip_with_damaged_deflate_stream.zip": (
        "a zip whose compressed member is damaged (zlib.error escaped)", "cannot be unpacked",
        lambda: {"": patched(zipped_streets(), 60, "<Q", 2**64 - 1)}),  # inside the deflated member
    # Found in the second round (issue 15's remaining list).
    "citygml_building_without_geometry.gml": (
        "a building known by its attributes only (info printed NaN bounds)", READ,
        lambda: {"": citygml('<bldg:Building gml:id="b1"><gml:name>x</gml:name></bldg:Building>')}),
    "citygml_coordinate_nan.gml": (
        "a polygon with a NaN coordinate (passed on as NaN)", READ,
        lambda: {"": citygml('<bldg:Building gml:id="b1">' + gml_surface(SQUARE).replace("5654010", "nan", 1)
                             + "</bldg:Building>")}),
    "citygml_polygon_of_6000_points.zip": (
        "a CityGML polygon of 6,000 points, past MAX_POLYGON_POINTS (earcut took minutes on such rings); zipped",
        READ, lambda: {"": zipped({"star.gml": citygml('<bldg:Building gml:id="star">' + gml_surface(star(6000))
                                                          + "</bldg:Building>")})}),
    "citygml_nested_5000_deep.gml": (
        "XML elements nested 5,000 deep", "nest deeper than 256 levels",
        lambda: {"": citygml("<a>" * 5000 + "</a>" * 5000)}),
    "citygml_attribute_of_10001_characters.gml": (
        "an attribute value past MAX_ATTRIBUTE_CHARS (a text column is as wide as its longest value)",
        "holds 10,001 characters",
        lambda: {"": citygml(f'<bldg:Building gml:id="b1"><gml:name>{"x" * 10_001}</gml:name></bldg:Building>')}),
    "cityjson_nested_5000_deep.city.json": (
        "CityJSON nested 5,000 deep", "nests too deeply",
        lambda: {"": b'{"type": "CityJSON", "CityObjects": {}, "vertices": ' + b"[" * 5000 + b"]" * 5000 + b"}"}),
    "cityjson_nested_100000_deep.zip": (
        "CityJSON nested 100,000 deep; zipped", "nests too deeply",
        lambda: {"": zipped({"deep.city.json": b'{"type": "CityJSON", "CityObjects": {}, "vertices": '
                                                + b"[" * 100_000 + b"]" * 100_000 + b"}"})}),
    "cityjson_objects_without_geometry.city.json": (
        "CityJSON objects without geometry, with empty boundaries, with a template (GeometryInstance)", READ,
        lambda: {"": cityjson({
            "attributes-only": {"type": "Building", "attributes": {"name": "x"}},
            "no-boundaries": {"type": "Building", "geometry": [{"type": "Solid", "lod": "2", "boundaries": []}]},
            "template": {"type": "Building", "geometry": [{"type": "GeometryInstance", "template": 0,
                                                           "boundaries": [0], "transformationMatrix": [0] * 16}]}},
            [[411000, 5654000, 110]])}),
    "cityjson_vertex_infinite.city.json": (
        "a CityJSON surface with an infinite vertex (passed on as inf)", READ,
        lambda: {"": cityjson({"b": {"type": "Building", "geometry": [
            {"type": "MultiSurface", "lod": "2", "boundaries": [[[0, 1, 2]], [[0, 2, 3]]]}]}},
            [[411000, 5654000, 110], [411010, 5654000, 110], [411010, float("inf"), 110], [411000, 5654010, 110]])}),
    "streets_coordinate_nan.geojson": (
        "a street line with a NaN coordinate (passed on as NaN)", READ,
        lambda: {"": streets([line("nan", [[411000.0, float("nan")], [411010.0, 5654000.0]]),
                              line("ok", [[411000.0, 5654000.0], [411010.0, 5654000.0]])])}),
    "streets_null_geometry_and_mixed_types.geojson": (
        "a feature with null geometry, a point and a line in one collection", READ,
        lambda: {"": streets([line("none", None), line("ok", [[411000.0, 5654000.0], [411010.0, 5654000.0]]),
                              {"type": "Feature", "properties": {}, "geometry": {
                                  "type": "Point", "coordinates": [411000.0, 5654000.0]}}])}),
    "streets_empty_collection.geojson": (
        "a FeatureCollection without features", "holds no features", lambda: {"": streets([])}),
    "streets_nested_5000_deep.geojson": (
        "GeoJSON nested 5,000 deep", "nests too deeply",
        lambda: {"": b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"a": '
                     + b"[" * 5000 + b"]" * 5000 + b'}, "geometry": null}]}'}),
    "sensorthings_nested_5000_deep.sta.json": (
        "SensorThings JSON nested 5,000 deep", "nests too deeply",
        lambda: {"": b'{"value": [{"@iot.id": 1, "Datastreams": ' + b"[" * 5000 + b"]" * 5000 + b"}]}"}),
    "sensorthings_location_nan.sta.json": (
        "a Thing located at a NaN longitude", "not a finite number",
        lambda: damaged_json(seeds.sensorthings(), lambda document: document["value"][0]["Locations"][0][
            "location"].update(coordinates=[float("nan"), 51.05]))),
    "sensors_csv_pair.zip": (
        "a zipped sensor CSV pair (refused as two readable files)", READ,
        lambda: {"": zipped({"export/city_stations.csv": STATIONS.encode(),
                             "export/city_observations.csv": OBSERVATIONS.encode()})}),
    "sensors_station_without_observations": (
        "a sensor CSV pair whose stations have no observations at all", READ,
        csv_pair(STATIONS, EMPTY_HISTORY)),
    "laz_utm_metres_labelled_epsg4326.laz": (
        "a LAZ whose header says EPSG:4326 and holds UTM metres (every x and y became inf)", "cannot be degrees",
        utm_metres_labelled_degrees),
    "las_scale_nan.las": (
        "a LAS header whose x scale is NaN (every point NaN)", "is not a finite number",
        lambda: {"": patched(LAS, 131, "<d", float("nan"))}),
    "las_points_outside_header_bounds.las": (
        "a LAS header whose maximum x is below the points' (read; info counts them)", READ,
        lambda: {"": patched(LAS, 179, "<d", seeds.ORIGIN_X + 20)}),
    # Found by the long fuzzer (python -m tests.fuzz --minutes 12 --seed 20261206).
    "zip_needing_version_25.5.zip": (
        "a zip whose directory asks for zip version 25.5 (NotImplementedError escaped)",
        "not a readable zip file", zip_needing_a_future_version),
    "citygml_parser_error_quoting_line_breaks.gml": (
        "broken XML whose parser error quotes text with line breaks (the error was two lines)", "XML is broken",
        lambda: {"": citygml('<bldg:Building gml:id="b1"><!-- a -- b\n\t\tc --></bldg:Building>')}),
    "sensors_cell_with_a_line_break": (
        "a sensor CSV whose bad x value holds a line break (the error was two lines)", "is not a number",
        csv_pair(STATIONS.replace("411010.5", '"4110\n10.5"'), OBSERVATIONS)),
}


def main() -> None:
    BAD.mkdir(parents=True, exist_ok=True)
    for old in BAD.iterdir():
        old.unlink()
    expected = {}
    rows = []
    for name, (exercises, answer, make) in CASES.items():
        for suffix, content in make().items():
            (BAD / f"{name}{suffix}").write_bytes(content)
        opened = name + next(iter(make()))
        expected[opened] = answer
        shown = "read" if answer == READ else f'refused: "{answer}"'
        rows.append(f"| `{opened}` | {exercises} | {shown} |")
    (BAD / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (BAD / "README.md").write_text(
        "# Regression files: inputs that once broke a reader\n\n"
        "Generated by `python -m tests.fuzz.make_bad_files` (do not edit by hand); read by\n"
        "`tests/fuzz/test_bad_files.py`, which asserts the rule for each: the twin reads the file,\n"
        "or refuses it in one sentence naming the file, within the fuzzer's time and memory bounds.\n"
        "`expected.json` holds the answer below for the test. A sensor CSV pair is two files; the\n"
        "stations file is the one opened.\n\n"
        "| file | what it exercises | the twin's answer |\n|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
