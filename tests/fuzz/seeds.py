"""Small valid files of every format the twin reads: the seeds the fuzzer damages.

Each seed is a real file written by the real library (rasterio, laspy, pyogrio) or taken from
tests/data, small enough that one damaged variant reads in milliseconds. A seed is a dict of
file name -> bytes: the CSV sensor format is a pair of files; the first name is the one opened.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import laspy
import numpy as np
import pyogrio
import rasterio
from affine import Affine
from pyproj import CRS

from twin.core.data import ResultRaster, ResultTable
from twin.core.fields import Category
from twin.core.layers import result_layer
from twin.core.scene import RunRecord, Scene
from twin.io.runs import RESULTS_FILE, RUN_FILE, save_runs

REFERENCE = Path(__file__).resolve().parents[1] / "data"
ORIGIN_X, ORIGIN_Y = 411_000.0, 5_654_000.0

Seed = dict[str, bytes]


def geotiff() -> Seed:
    heights = 110.0 + np.arange(48, dtype=np.float32).reshape(6, 8) / 10
    heights[0, 0] = -9999.0
    buffer = io.BytesIO()
    with rasterio.MemoryFile() as memory:
        with memory.open(driver="GTiff", width=8, height=6, count=1, dtype="float32", nodata=-9999.0,
                         crs="EPSG:25833", transform=Affine(2.0, 0, ORIGIN_X, 0, -2.0, ORIGIN_Y)) as target:
            target.write(heights, 1)
        buffer.write(memory.read())
    return {"dtm.tif": buffer.getvalue()}


def ascii_grid() -> Seed:
    rows = "\n".join(" ".join(f"{110 + row + column / 10:.1f}" for column in range(5)) for row in range(4))
    text = (f"ncols 5\nnrows 4\nxllcorner {ORIGIN_X}\nyllcorner {ORIGIN_Y}\ncellsize 2\n"
            f"NODATA_value -9999\n{rows}\n")
    return {"dtm.asc": text.encode()}


def _point_cloud(point_format: int, version: str, compressed: bool) -> bytes:
    count = 40
    header = laspy.LasHeader(point_format=point_format, version=version)
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([ORIGIN_X, ORIGIN_Y, 0.0])
    header.add_crs(CRS.from_epsg(25833))
    points = laspy.LasData(header)
    steps = np.arange(count, dtype=np.float64)
    points.x, points.y, points.z = ORIGIN_X + steps, ORIGIN_Y + steps % 7, 110.0 + steps / 4
    points.classification = (steps % 3 + 1).astype(np.uint8)
    points.intensity = (steps * 100).astype(np.uint16)
    buffer = io.BytesIO()
    points.write(buffer, do_compress=compressed, laz_backend=laspy.LazBackend.Lazrs if compressed else None)
    return buffer.getvalue()


def las() -> Seed:
    return {"cloud.las": _point_cloud(3, "1.2", compressed=False)}


def laz() -> Seed:
    return {"cloud.laz": _point_cloud(6, "1.4", compressed=True)}


def copc() -> Seed:
    return {"cloud.copc.laz": (REFERENCE / "lidar" / "laspy_simple.copc.laz").read_bytes()}


def citygml2() -> Seed:
    return {"model.gml": (REFERENCE / "citygml" / "ogc_building_and_garage_lod2_citygml2.gml").read_bytes()}


def citygml3() -> Seed:
    return {"model.gml": (REFERENCE / "citygml" / "FZK-Haus-LoD2_citygml3.gml").read_bytes()}


def cityjson() -> Seed:
    return {"model.city.json": (REFERENCE / "cityjson" / "3dbag_multi_lod.city.json").read_bytes()}


def _street_document() -> dict:
    def line(number: int) -> list[list[float]]:
        return [[ORIGIN_X + 10 * number, ORIGIN_Y], [ORIGIN_X + 10 * number + 8, ORIGIN_Y + 5]]
    history = [{"date": "2019-05-03", "rating": 2.1}, {"date": "2023-06-01", "rating": 2.8}]
    features = [{"type": "Feature", "id": number,
                 "properties": {"segment_id": f"S{number}", "name": "Pfotenhauerstraße",
                                "road_class": "side", "width_m": 6.5, "built_year": 1975,
                                "inspected": "2023-06-01", "inspections": history},
                 "geometry": {"type": "LineString", "coordinates": line(number)}}
                for number in range(3)]
    features.append({"type": "Feature", "properties": {"segment_id": "P"},
                     "geometry": {"type": "Point", "coordinates": [ORIGIN_X, ORIGIN_Y]}})
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
            "features": features}


def geojson_streets() -> Seed:
    return {"streets.geojson": json.dumps(_street_document()).encode()}


def geopackage_streets() -> Seed:
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch) / "streets.geojson", Path(scratch) / "streets.gpkg"
        source.write_bytes(geojson_streets()["streets.geojson"])
        meta, _fids, geometries, fields = pyogrio.raw.read(source)
        lines = slice(0, 3)
        pyogrio.raw.write(target, geometries[lines], [values[lines] for values in fields], meta["fields"],
                          driver="GPKG", geometry_type="LineString", crs="EPSG:25833")
        return {"streets.gpkg": target.read_bytes()}


def sensorthings() -> Seed:
    observations = [{"phenomenonTime": f"2026-07-10T15:0{minute}:00Z", "result": minute / 2}
                    for minute in range(4)]
    thing = {"@iot.id": 7, "name": "RG-Johannstadt", "description": "rain gauge",
             "properties": {"operator": "city"},
             "Locations": [{"encodingType": "application/geo+json",
                            "location": {"type": "Point", "coordinates": [13.76, 51.05, 112.0]}}],
             "Datastreams": [{"@iot.id": 11, "name": "rain", "unitOfMeasurement": {"symbol": "mm"},
                              "ObservedProperty": {"name": "precipitation"},
                              "Observations": observations}]}
    return {"gauges.sta.json": json.dumps({"value": [thing], "@iot.nextLink": "next"}).encode()}


def sensor_csv() -> Seed:
    stations = ("station_id,name,x,y,z,crs,type\n"
                "RG-1,Johannstadt,411010.5,5654020.0,112.0,EPSG:25833,rain\n"
                "AQ-2,Prohlis,411050.0,5654080.0,,EPSG:25833,air\n")
    observations = ("station_id,quantity,unit,time,value,datastream\n"
                    "RG-1,precipitation,mm,2026-07-10T15:05:00Z,13.3,\n"
                    "RG-1,precipitation,mm,2026-07-10T17:10:00+02:00,2.5,\n"
                    "AQ-2,NO2,µg/m³,2026-07-10T06:00:00Z,31.5,no2\n")
    return {"city_stations.csv": stations.encode(), "city_observations.csv": observations.encode()}


def zipped_streets() -> Seed:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tile/streets.geojson", geojson_streets()["streets.geojson"])
    return {"tile.zip": buffer.getvalue()}


def quarters() -> Seed:
    def square(x0: float) -> dict:
        corners = [[x0, ORIGIN_Y], [x0 + 100, ORIGIN_Y], [x0 + 100, ORIGIN_Y + 100], [x0, ORIGIN_Y + 100]]
        return {"type": "Polygon", "coordinates": [[*corners, corners[0]]]}
    document = {"type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
                "features": [{"type": "Feature", "properties": {"name": "West"}, "geometry": square(ORIGIN_X)},
                             {"type": "Feature", "properties": {"name": "East", "approximate": True},
                              "geometry": square(ORIGIN_X + 100)}]}
    return {"quarters.geojson": json.dumps(document).encode()}


def project() -> Seed:
    text = ('[project]\nname = "Fuzz"\ncrs = "EPSG:25833"\nquarters_file = "quarters.geojson"\n'
            'scenarios = ["flood.toml"]\n\n'
            '[[layers]]\npath = "dtm.tif"\nname = "Terrain"\nvisible = true\nopacity = 0.8\n'
            'color_by = "elevation"\ncolormap = "gist_earth"\ncolor_range = [105.0, 125.0]\n'
            'crs = "EPSG:25833"\n\n'
            '[camera]\nposition = [411000.0, 5654000.0, 2500.0]\n'
            'focal_point = [411100.0, 5654100.0, 110.0]\nview_up = [0.0, 0.0, 1.0]\n')
    return {"project.toml": text.encode(), **quarters(), **geotiff()}


def scenario() -> Seed:
    text = ('[scenario]\nname = "Fuzz"\nsimulation = "selftest"\nseed = 42\ncrs = "EPSG:25833"\n'
            'quarters = ["West"]\nquarters_file = "quarters.geojson"\n\n'
            '[inputs]\nterrain = "dtm.tif"\n\n[parameters]\nnoise = 0.3\npasses = 10\n')
    return {"scenario.toml": text.encode(), **quarters(), **geotiff()}


LAYER_SEEDS: dict[str, Callable[[], Seed]] = {
    "geotiff": geotiff, "ascii_grid": ascii_grid, "las": las, "laz": laz, "copc": copc,
    "citygml2": citygml2, "citygml3": citygml3, "cityjson": cityjson,
    "geojson_streets": geojson_streets, "geopackage_streets": geopackage_streets,
    "sensorthings": sensorthings, "sensor_csv": sensor_csv, "zipped_streets": zipped_streets,
}


def saved_run() -> Seed:
    """A simulation run as a project keeps it: run.json and results.npz (twin.io.runs)."""
    depth = ResultRaster("depth", np.arange(24, dtype=np.float32).reshape(2, 3, 4),
                         Affine(2.0, 0, ORIGIN_X, 0, -2.0, ORIGIN_Y), "EPSG:25833", "m", "depth over time",
                         times=np.array([0.0, 300.0]), label="water depth", palette="water")
    table = ResultTable("condition", "streets", {"segment_id": np.array(["a-1", "b-2"]),
                                                 "condition_2026": np.array([1.25, 4.5])}, {"length": "m"},
                        labels={"condition_2026": "condition 2026"}, headline="condition",
                        categories={"condition": (Category(0, "good", "#009E73", 2.5),
                                                  Category(1, "poor", "#D55E00", 5.0))})
    scene = Scene("EPSG:25833")
    scene.add_run(RunRecord("run1", "flood", "hand-made", 3, {"passes": 2}, {"volume": 2.5},
                            {"East": {"area": 1.0}}),
                  [result_layer(depth, "Flood: depth", run_id="run1"),
                   result_layer(table, "Flood: condition", run_id="run1")])
    with tempfile.TemporaryDirectory() as scratch:
        (folder,) = save_runs(scene, Path(scratch))
        return {name: (folder / name).read_bytes() for name in (RUN_FILE, RESULTS_FILE)}
