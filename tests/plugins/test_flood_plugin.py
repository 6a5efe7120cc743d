"""The flood plugin through the contract and the CLI: layers in, rasters, tables and figures out."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import shapely
from affine import Affine

from plugins.flood import grid, rain
from plugins.flood.simulation import FloodSimulation
from tests.conftest import PROJECT_ROOT, write_dtm, write_quarters
from twin.core import RasterLayer, StreetsLayer
from twin.core.data import (
    BuildingData,
    Datastream,
    RasterData,
    ResultRaster,
    ResultTable,
    SensorData,
    StreetData,
    TimeSeries,
)
from twin.core.errors import TwinError
from twin.core.layers import BuildingsLayer, SensorsLayer
from twin.core.quarter import Quarter
from twin.sim import Feedback, RunStatus, SimulationInputError, SimulationInputs, run_simulation

X0, Y1, CELL, ROWS, COLS = 411_000.0, 5_654_100.0, 2.0, 50, 100


def hollow_terrain() -> RasterData:
    """A plane falling east with a hollow in its middle (200 m x 100 m, 2 m cells)."""
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    heights = 110.0 - 0.01 * cols - 0.8 * np.exp(-((cols - 50) ** 2 + (rows - 25) ** 2) / 60.0)
    heights += np.random.default_rng(0).normal(0.0, 0.02, heights.shape)
    return RasterData(heights.astype(np.float32), Affine(CELL, 0, X0, 0, -CELL, Y1), "EPSG:25833")


def boxes(*corners: tuple[float, float, float, float]) -> np.ndarray:
    return np.array([shapely.box(X0 + a, Y1 - d, X0 + c, Y1 - b) for a, b, c, d in corners], dtype=object)


def buildings() -> BuildingData:
    """Three houses: one beside the hollow, two far up the slope."""
    footprints = boxes((84, 30, 94, 44), (10, 10, 20, 20), (10, 70, 24, 84))
    return BuildingData(ids=np.array(["B1", "B2", "B3"]), attributes={}, vertices=np.zeros((0, 3)),
                        triangles=np.zeros((0, 3), int), triangle_building=np.zeros(0, int),
                        triangle_surface=np.zeros(0, int), footprints=footprints, crs="EPSG:25833")


def streets() -> StreetData:
    lines = np.array([shapely.LineString([(X0, Y1 - 50), (X0 + 200, Y1 - 50)]),
                      shapely.LineString([(X0 + 30, Y1), (X0 + 30, Y1 - 100)])], dtype=object)
    return StreetData(ids=np.array(["S1", "S2"]), geometries=lines,
                      attributes={"width_m": np.array([10.0, np.nan])}, crs="EPSG:25833")


def sensors() -> SensorData:
    times = np.datetime64("2026-07-10T15:00:00") + np.arange(1, 7) * np.timedelta64(10, "m")
    rain_mm = np.array([2.0, 12.0, 20.0, 8.0, 3.0, 0.0])
    level = np.array([0.0, 0.05, 0.2, 0.3, 0.3, 0.25])
    return SensorData(
        ids=np.array(["RG1", "WL1"]), xyz=np.array([[X0 + 20, Y1 - 50, 110.0], [X0 + 100, Y1 - 50, 109.0]]),
        attributes={}, crs="EPSG:25833", datastreams=[
            Datastream("RG1/precipitation", "RG1", "rain", "precipitation", "mm", TimeSeries(times, rain_mm)),
            Datastream("WL1/water_level", "WL1", "level", "water level", "m", TimeSeries(times, level))])


def scene_inputs() -> SimulationInputs:
    west = shapely.box(X0, Y1 - 100, X0 + 100, Y1)
    east = shapely.box(X0 + 100, Y1 - 100, X0 + 200, Y1)
    return SimulationInputs(
        layers={"terrain": RasterLayer(hollow_terrain(), "dtm"),
                "buildings": BuildingsLayer(buildings(), "houses"),
                "streets": StreetsLayer(streets(), "roads"),
                "sensors": SensorsLayer(sensors(), "gauges")},
        quarters=[Quarter("West", west), Quarter("East", east)], crs="EPSG:25833")


FAST = {"duration_min": 40.0, "rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 20.0,
        "snapshot_interval_min": 10.0, "hydrograph_points": [[X0 + 100, Y1 - 50]]}


@pytest.fixture(scope="module")
def flood_run():
    progress = []
    report = run_simulation(FloodSimulation(), scene_inputs(), FAST, seed=1,
                            feedback=Feedback(lambda fraction, message: progress.append(fraction)))
    assert report.status is RunStatus.OK, report.traceback
    return report, progress


def results_by_name(report) -> dict:
    return {result.name: result for result in report.output.results}


def test_a_run_gives_the_rasters_and_tables_of_the_issue(flood_run):
    report, progress = flood_run
    results = results_by_name(report)
    assert {"max_depth", "max_velocity", "arrival_time", "depth", "building_flood", "street_flood",
            "hydrographs"} <= set(results)
    for name in ("max_depth", "max_velocity", "arrival_time"):
        assert isinstance(results[name], ResultRaster) and results[name].values.shape == (ROWS, COLS)
    depth = results["depth"]
    assert depth.times.tolist() == [0.0, 600.0, 1200.0, 1800.0, 2400.0]
    assert np.nanmax(results["max_depth"].values) > 0.3  # the hollow fills
    assert progress == sorted(progress) and len(progress) >= 3


def test_water_ponds_in_the_hollow_and_reaches_the_building_beside_it(flood_run):
    report, _ = flood_run
    results = results_by_name(report)
    max_depth = results["max_depth"].values
    assert max_depth[25, 50] > 0.3 and max_depth[25, 50] > 5 * np.median(max_depth)
    buildings_table = results["building_flood"]
    assert isinstance(buildings_table, ResultTable) and buildings_table.target_layer == "houses"
    depth = dict(zip(buildings_table.columns["building_id"], buildings_table.columns["max_depth"], strict=True))
    assert depth["B1"] > 0.1 > depth["B2"]
    assert buildings_table.columns["affected"].tolist() == [True, False, False]
    # walls: no water on a footprint
    assert np.all(max_depth[15:22, 42:47] == 0)


def test_streets_hydrographs_and_quarters_are_reported(flood_run):
    report, _ = flood_run
    results = results_by_name(report)
    streets_table = results["street_flood"]
    flooded = dict(zip(streets_table.columns["segment_id"], streets_table.columns["flooded_length"], strict=True))
    assert 0 < flooded["S1"] < 200 and flooded["S2"] < flooded["S1"]
    hydrographs = results["hydrographs"]
    assert set(hydrographs.columns["point"]) == {"point 1", "WL1"}
    assert len(hydrographs) == 2 * 41
    # a design or block storm has no calendar time: measured values stay empty
    assert np.all(np.isnan(hydrographs.columns["measured"]))
    west, east = report.output.per_quarter["West"], report.output.per_quarter["East"]
    assert east["flooded_area_m2_over_0.05m"] >= east["flooded_area_m2_over_0.10m"] >= \
        east["flooded_area_m2_over_0.50m"]
    assert west["buildings"] == 3 and west["buildings_affected"] == 1 and east["buildings"] == 0
    assert min(west["max_depth_m"], east["max_depth_m"]) > 0.3  # the hollow straddles the line
    assert east["ponded_volume_m3"] > 0
    assert west["flooded_street_length_m"] + east["flooded_street_length_m"] == pytest.approx(
        summary_street_length(report))
    summary = report.output.summary
    assert summary["mass_balance_relative_error"] < 1e-6
    assert summary["volumes"]["rain_m3"] == pytest.approx(0.060 * ROWS * COLS * CELL * CELL)


def summary_street_length(report) -> float:
    return report.output.summary["flooded_street_length_m"]


def test_blocks_mode_raises_the_footprints_and_keeps_the_volume_balance():
    report = run_simulation(FloodSimulation(), scene_inputs(), {**FAST, "buildings_as": "blocks"}, seed=1)
    assert report.ok, report.traceback
    assert report.output.summary["mass_balance_relative_error"] < 1e-6
    assert report.output.summary["volumes"]["sewer_m3"] > 0


def test_a_gauge_replay_puts_the_measured_level_next_to_the_simulated_one():
    params = {**FAST, "rain": "gauge", "rain_gauge": "RG1", "duration_min": 70.0}
    report = run_simulation(FloodSimulation(), scene_inputs(), params, seed=1)
    assert report.ok, report.traceback
    summary = report.output.summary
    assert summary["rain_depth_mm"] == pytest.approx(45.0)
    assert summary["rain_start_utc"] == "2026-07-10T15:00:00"
    table = results_by_name(report)["hydrographs"]
    measured = table.columns["measured"][table.columns["point"] == "WL1"]
    assert measured[30] == pytest.approx(0.2)  # 30 min after the event start: the 15:30 reading


def test_a_wrong_gauge_reaches_the_caller_as_bad_input():
    with pytest.raises(SimulationInputError, match="no station 'X9'"):
        run_simulation(FloodSimulation(), scene_inputs(), {**FAST, "rain": "gauge", "rain_gauge": "X9"}, seed=1)


def test_euler_type2_from_the_illustrative_dresden_table():
    durations, depths = zip(*rain.DRESDEN_100_YEAR_TABLE, strict=True)
    storm = rain.euler_type2(durations, depths, 60.0)
    blocks = storm.intensities * 300.0 * 1000.0
    assert storm.depth_mm == pytest.approx(52.5)
    assert np.argmax(blocks) == 3  # the peak 5 minutes end at 20 min, about 30 % of the hour
    assert blocks.max() == pytest.approx(16.5)
    assert np.all(np.diff(blocks[:4]) > 0) and np.all(np.diff(blocks[3:]) <= 1e-12)
    with pytest.raises(rain.RainError, match="ends at 60"):
        rain.euler_type2(durations, depths, 90.0)


def test_the_cli_runs_a_flood_scenario_on_a_dtm_file(tmp_path):
    write_dtm(tmp_path / "dtm.tif", hollow_terrain().values)
    write_quarters(tmp_path / "quarters.geojson")
    (tmp_path / "flood.toml").write_text(
        '[scenario]\nname = "Flood"\nsimulation = "flood"\nseed = 1\nquarters_file = "quarters.geojson"\n\n'
        '[inputs]\nterrain = "dtm.tif"\n\n'
        '[parameters]\nrain = "euler2"\nduration_min = 30.0\nrain_duration_min = 30.0\n'
        'rain_table = [[5, 100, 12], [15, 100, 25], [30, 100, 35]]\n', encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "main.py"), "run", str(tmp_path / "flood.toml"),
                           "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"]["rain_depth_mm"] == pytest.approx(35.0)
    assert summary["summary"]["rain_table"] == "rain table of the scenario (3 rows), T = 100 a"
    assert summary["summary"]["mass_balance_relative_error"] < 1e-6
    assert set(summary["per_quarter"]) == {"West", "East"}
    assert {"max_depth.tif", "max_velocity.tif", "arrival_time.tif", "depth.tif"} <= set(summary["files"])


@pytest.mark.parametrize(("params", "words"), [
    ({"rain": "gauge", "rain_gauge": "X9"}, "no station 'X9'"),
    ({"rain": "euler2", "rain_table": [[5, 100, 16.5], [15, 50, 30.5], [60, 100, 52.5]]},
     "needs a depth for every return period"),
    ({"rain": "euler2", "rain_table": [[5, 100, 16.5], [15, 100, 3.05], [60, 100, 52.5]]},
     "must not fall"),
    ({"rain": "euler2", "rain_table": [[5, 100, 16.5], [60, 100, 52.5]], "return_period_a": 50.0},
     "no return period of 50 years"),
    ({"rain": "euler2", "kostra_file": "/nonexistent/kostra.csv"}, "cannot read the KOSTRA table"),
    ({"rain": "gauge", "rain_gauge": "RG1", "gauge_start_utc": "10.07.2026 15:00"}, "not an ISO 8601 time"),
    ({"hydrograph_points": [[X0 - 500, Y1]]}, "lies outside the terrain"),
    ({"cell_size_m": 3.0}, "whole multiple"),
])
def test_errors_a_user_causes_are_input_errors_of_one_sentence(params, words):
    """The CLI maps a TwinError to exit status 2 (bad input), anything else to 1 (failed)."""
    with pytest.raises(SimulationInputError, match=words) as caught:
        FloodSimulation().run(scene_inputs(), {**FloodSimulation.defaults(), **FAST, **params},
                              rng=np.random.default_rng(1), feedback=Feedback())
    assert "\n" not in str(caught.value) and isinstance(caught.value, TwinError)


def test_a_gauge_event_starts_where_the_user_says():
    params = {**FAST, "rain": "gauge", "rain_gauge": "RG1", "gauge_start_utc": "2026-07-10T15:20:00Z",
              "duration_min": 20.0}
    report = run_simulation(FloodSimulation(), scene_inputs(), params, seed=1)
    assert report.ok, report.traceback
    assert report.output.summary["rain_start_utc"] == "2026-07-10T15:20:00"
    assert report.output.summary["rain_depth_mm"] == pytest.approx(20.0 + 8.0)  # 15:30 and 15:40


def test_the_grid_is_coarsened_by_block_means_and_cropped_to_the_quarters():
    terrain = hollow_terrain()
    values = terrain.values.copy()
    values[0, 0] = np.nan
    coarse = grid.coarsen(RasterData(values, terrain.transform, terrain.crs), 4.0)
    assert coarse.shape == (ROWS // 2, COLS // 2) and coarse.resolution == (4.0, 4.0)
    assert np.isnan(coarse.values[0, 0])  # a block with a no-data cell is no-data
    assert coarse.values[3, 7] == pytest.approx(values[6:8, 14:16].mean(), abs=1e-5)
    assert coarse.transform.c == terrain.transform.c and coarse.transform.f == terrain.transform.f
    east = Quarter("East", shapely.box(X0 + 120, Y1 - 60, X0 + 160, Y1 - 20))
    cropped = grid.crop_to(terrain, [east], 10.0)
    assert cropped.bounds == (X0 + 110, Y1 - 70, X0 + 170, Y1 - 10)
    assert cropped.values[0, 0] == terrain.values[5, 55]
