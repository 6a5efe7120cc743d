"""Report figures and inspector rows from real runs on the demo city (no Qt)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import shapely
from affine import Affine

from data.demo import QUARTERS_FILE, demo_project
from plugins.flood.analysis import quarter_figures
from twin.core import Scene
from twin.core.charts import BarChartData, LineChartData
from twin.core.data import RasterData
from twin.core.layers import RasterLayer
from twin.core.quarter import Quarter
from twin.core.report_tables import (
    RATING_THRESHOLD,
    RATING_WARNING,
    WHOLE_RUN,
    feature_rows,
    format_value,
    joined_results,
    rating_history_chart,
    sensor_charts,
)
from twin.core.scene import RunRecord
from twin.io import read_layer, read_quarters
from twin.sim.contract import SimulationInputs
from twin.sim.presentation import run_charts as charts_of
from twin.sim.presentation import run_figures
from twin.sim.registry import SimulationRegistry, default_registry
from twin.sim.runner import run_simulation
from twin.sim.scenario_run import run_scenario


@pytest.fixture(scope="module")
def city() -> Scene:
    """Johannstadt's streets, buildings and terrain and the sensors, with a street-decay and an energy run."""
    cache = demo_project().parent
    scene = Scene()
    scene.set_quarters(read_quarters(QUARTERS_FILE)[0])
    for name in ("johannstadt_streets.gpkg", "johannstadt_lod2.gml", "johannstadt_dtm1.tif",
                 "sensors_stations.csv"):
        scene.add_layer(read_layer(cache / name))
    registry = SimulationRegistry.discover()
    johannstadt = [scene.quarter("Johannstadt")]
    for simulation, slot, kind, parameters in (
            ("street_decay", "streets", "streets", {"monte_carlo_runs": 20, "horizon_years": 10}),
            ("energy", "buildings", "buildings", {})):
        inputs = SimulationInputs({slot: scene.layers_of_kind(kind)[0]}, johannstadt, scene.crs)
        report = run_simulation(registry.get(simulation)(), inputs, parameters, seed=3, scene=scene)
        assert report.ok, report.error
    return scene


def run_of(scene: Scene, simulation: str) -> RunRecord:
    return next(run for run in scene.runs if run.simulation == simulation)


def figure_table(run: RunRecord, quarter: str | None = None):
    return run_figures(default_registry(), run, quarter)


def run_charts(run: RunRecord, scene: Scene, quarter: str | None = None):
    return charts_of(default_registry(), run, scene, quarter)


def test_a_selftest_run_tables_every_quarter_and_the_whole_area(selftest_scenario):
    from twin.core.scenario import Scenario

    scene, report = run_scenario(Scenario.load(selftest_scenario), SimulationRegistry.discover())
    run = scene.runs[0]
    table = figure_table(run)
    assert table.columns == ["West", "East", WHOLE_RUN]
    mean = next(row for row in table.rows if row.key == "mean_height_m")
    assert (mean.label, mean.unit) == ("mean height", "m")
    assert mean.values == [run.per_quarter["West"]["mean_height_m"], run.per_quarter["East"]["mean_height_m"],
                           run.summary["mean_height_m"]]
    west = figure_table(run, "West")
    assert west.columns == ["West"] and len(west.rows) == len(table.rows)
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows[0] == ["figure", "unit", "West", "East", WHOLE_RUN]
    written = next(row for row in rows if row[0] == "mean height")
    assert [float(value) for value in written[2:]] == pytest.approx(mean.values, rel=1e-9)
    assert run_charts(run, scene) == []  # the self-test has no charts of its own


def test_street_decay_table_shows_first_and_last_year_in_readable_units(city):
    run = run_of(city, "street_decay")
    figures = run.per_quarter["Johannstadt"]
    first, last = figures["years"][0], figures["years"][-1]
    table = figure_table(run, "Johannstadt")
    rows = {row.label: row for row in table.rows}
    assert rows[f"money spent, {last}"].unit == "EUR"
    assert rows[f"money spent, {last}"].values == [figures["spent_eur"][-1]]
    red = rows[f"share of length red (4.5-5.0 very poor), {first}"]
    assert red.unit == "%" and red.values[0] == pytest.approx(100 * figures["share_by_class"]["red"][0])
    shares = [row.values[0] for label, row in rows.items() if label.startswith("share of length")
              and label.endswith(f", {first}")]
    assert len(shares) == 5 and sum(shares) == pytest.approx(100.0, abs=0.05)


def test_street_decay_charts_show_class_shares_per_year_and_mean_condition(city):
    run = run_of(city, "street_decay")
    classes, condition, money = run_charts(run, city, "Johannstadt")
    figures = run.per_quarter["Johannstadt"]
    assert isinstance(classes, BarChartData) and classes.stacked
    # The classes the map draws (declared once by the plugin) are the chart's.
    table = next(city.layer(name).data for name in run.layer_names if name.endswith("condition"))
    assert [series.color for series in classes.series] == [category.colour for category in table.categories["class"]]
    assert all(category.upper is None for category in table.categories["class"])  # codes, not values
    assert classes.categories == [str(year) for year in figures["years"]]
    stacked = np.sum([series.values for series in classes.series], axis=0)
    assert stacked == pytest.approx(np.full(len(figures["years"]), 100.0), abs=0.05)
    assert isinstance(condition, LineChartData)
    assert [reference.value for reference in condition.references] == [RATING_WARNING, RATING_THRESHOLD]
    line = condition.series[0]
    assert line.name == "Johannstadt" and list(line.y) == figures["mean_condition"]
    assert np.all(line.low <= line.high)  # the Monte-Carlo band
    assert [series.name for series in money.series] == ["spent", "backlog"]


def test_energy_balance_adds_up_and_the_week_follows_the_table(city):
    run = run_of(city, "energy")
    balance, months, sufficiency, heat, week = run_charts(run, city)
    values = {series.name: series.values[0] for series in balance.series}
    # The PV the quarter did not export it used, at once or stored; with no battery that is the demand it
    # did not import.
    assert values["PV self-consumed"] + values["grid export"] == pytest.approx(values["PV yield"], rel=1e-9)
    assert values["PV self-consumed"] + values["grid import"] == pytest.approx(values["demand"], rel=1e-9)
    assert sufficiency.series[1].values[0] == pytest.approx(
        100 * run.per_quarter["Johannstadt"]["self_sufficiency_quarter"])
    assert len(heat.series) == 1 + len(run.parameters["scenario_years"])
    table = next(city.layer(name).data for name in run.layer_names if name.endswith("energy_week"))
    demand = next(series for series in week.series if series.name == "demand")
    assert week.time_axis and len(demand.x) == 168
    assert demand.y.sum() == pytest.approx(table.columns["demand"].sum())


@pytest.fixture(scope="module")
def split_energy_run() -> tuple[Scene, RunRecord]:
    """Johannstadt's buildings in a west and an east half, with home batteries, in an energy run."""
    johannstadt = next(quarter for quarter in read_quarters(QUARTERS_FILE)[0] if quarter.name == "Johannstadt")
    west, south, east, north = johannstadt.bounds
    middle = (west + east) / 2
    scene = Scene()
    scene.set_quarters([Quarter("West", johannstadt.polygon.intersection(shapely.box(west, south, middle, north))),
                        Quarter("East", johannstadt.polygon.intersection(shapely.box(middle, south, east, north)))])
    buildings = scene.add_layer(read_layer(demo_project().parent / "johannstadt_lod2.gml"))
    inputs = SimulationInputs({"buildings": buildings}, scene.quarters, scene.crs)
    report = run_simulation(SimulationRegistry.discover().get("energy")(), inputs, {"battery_kwh_per_kwp": 1.0},
                            seed=3, scene=scene)
    assert report.ok, report.error
    return scene, scene.runs[0]


def test_the_monthly_energy_balance_adds_up_to_the_year_per_quarter_and_for_all(split_energy_run):
    scene, run = split_energy_run
    assert list(run.per_quarter) == ["West", "East"]
    table = next(scene.layer(name).data for name in run.layer_names if name.endswith("energy_months"))
    for quarter in ("West", "East", None):
        balance, months = run_charts(run, scene, quarter)[:2]
        assert isinstance(months, BarChartData) and not months.stacked and months.y_label.endswith("per month)")
        assert months.title.endswith(quarter or "all quarters")
        assert months.categories == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                     "Nov", "Dec"]
        monthly = {series.name: series.values for series in months.series}
        assert list(monthly) == ["demand", "PV yield", "PV self-consumed", "grid import", "grid export"]
        yearly = {series.name: series.values.sum() for series in balance.series}  # the quarters' bars
        for name, values in monthly.items():
            assert values.sum() == pytest.approx(yearly[name], rel=1e-9), (quarter, name)
        np.testing.assert_allclose(monthly["PV self-consumed"] + monthly["grid export"], monthly["PV yield"],
                                   rtol=1e-9)
        # The batteries lose some of what they store: over the year self-consumed PV covers less demand.
        assert (monthly["PV self-consumed"] + monthly["grid import"]).sum() > monthly["demand"].sum()
        assert monthly["PV yield"][5] > 3 * monthly["PV yield"][11]  # June against December
        rows = table.columns["quarter"] == quarter if quarter else np.ones(len(table), dtype=bool)
        assert monthly["demand"].sum() == pytest.approx(table.columns["demand"][rows].sum(), rel=1e-12)
    west = run_charts(run, scene, "West")[1].series[0].values
    east = run_charts(run, scene, "East")[1].series[0].values
    np.testing.assert_allclose(run_charts(run, scene)[1].series[0].values, west + east, rtol=1e-12)
    assert 0 < west.sum() < (west + east).sum()


def test_flood_chart_splits_the_area_into_depth_classes(city):
    """Figures as the flood plugin computes them, on the Johannstadt terrain with known depths."""
    terrain = city.layers_of_kind("raster")[0].data
    depth = np.zeros(terrain.shape)
    depth[600:610, 700:720] = 0.07  # 200 cells of 1 m2 in the 5-10 cm class
    depth[620:625, 700:720] = 0.3  # 100 in 10-50 cm
    depth[640:642, 700:720] = 0.8  # 40 over 50 cm
    figures = quarter_figures(city.quarter("Johannstadt"), terrain, depth, depth, None, None, None, None)
    run = RunRecord("f1", "flood", "known depths", 1, {}, dict(figures), {"Johannstadt": figures})
    areas = run_charts(run, city)[0]
    assert areas.stacked and areas.categories == ["Johannstadt"]
    assert {series.name: series.values[0] for series in areas.series} == {
        "0.05-0.1 m": 200.0, "0.1-0.5 m": 100.0, "over 0.5 m": 40.0}


def test_numbers_read_well():
    assert [format_value(value) for value in (3284, 29810.904, 9218.4, 2.5987, float("nan"), True, None)] == \
        ["3,284", "29,811", "9,218", "2.6", "no data", "yes", ""]
    assert format_value(2026, name="year") == "2026"


def test_figures_read_as_their_simulation_declares_them(city):
    flood = RunRecord("f1", "flood", "", 1, {}, {"flooded_area_m2_over_0.10m": 5.0, "max_velocity_m_s": 1.0,
                                                 "volumes": {"rain_m3": 3.0}}, {})
    rows = {row.key: row for row in figure_table(flood).rows}
    assert (rows["flooded_area_m2_over_0.10m"].label, rows["flooded_area_m2_over_0.10m"].unit) == \
        ("flooded area deeper than 0.10 m", "m²")
    assert rows["max_velocity_m_s"].unit == "m/s"
    assert (rows["volumes_rain_m3"].label, rows["volumes_rain_m3"].unit) == ("water balance: rain", "m³")
    energy = {row.key: row for row in figure_table(run_of(city, "energy")).rows}
    assert energy["self_sufficiency"].unit == "%"
    assert energy["self_sufficiency"].values[0] == pytest.approx(
        100 * run_of(city, "energy").per_quarter["Johannstadt"]["self_sufficiency"])
    unknown = RunRecord("u1", "not_installed", "", 1, {}, {"area_m2": 2.0}, {})
    assert [(row.label, row.unit) for row in figure_table(unknown).rows] == [("area m2", "")]


def test_a_street_segment_shows_its_attributes_results_and_history(city):
    layer = city.layers_of_kind("streets")[0]
    streets = layer.data
    rows = {row.label: row for row in feature_rows(layer, 3)}
    assert rows["id"].value == str(streets.ids[3])
    assert rows["rut depth"].unit == "mm"
    assert float(rows["geometry length"].value.replace(",", "")) == pytest.approx(shapely.length(streets.geometries[3]), abs=0.5)
    joined = joined_results(city.layers, layer, 3)
    condition = next(section for section in joined if section.title.endswith("condition"))
    run = run_of(city, "street_decay")
    year = run.per_quarter["Johannstadt"]["years"][0]
    table = next(city.layer(name).data for name in run.layer_names if name.endswith("condition"))
    assert next(row.value for row in condition.rows if row.label == f"condition {year} (1 very good .. 5 very poor)") == \
        format_value(table.columns[f"condition_{year}"][3])
    chart = rating_history_chart(streets, 3)
    dates, ratings = streets.inspections.of_segment(3)
    assert list(chart.series[0].y) == list(ratings) and len(chart.series[0].x) == len(dates)
    assert chart.y_range == (1.0, 5.0)


def test_a_building_joins_its_energy_row_and_a_cell_shows_its_value(city):
    buildings = city.layers_of_kind("buildings")[0]
    rows = {row.label: row for row in feature_rows(buildings, 0)}
    assert float(rows["footprint area"].value.replace(",", "")) == pytest.approx(buildings.data.footprints[0].area, abs=0.5)
    joined = joined_results(city.layers, buildings, 0)
    assert [section.title for section in joined] == ["Energy scenarios: energy_buildings"]
    energy = {row.label: row for row in joined[0].rows}
    assert energy["conditioned floor area"].unit == "m²"
    year = energy["year of construction"]  # a date: no unit, no thousands separator
    assert year.unit == "" and 1700 <= int(year.value) <= 2100
    assert joined_results(city.layers, city.layers_of_kind("sensors")[0], 0) == []
    terrain = city.layers_of_kind("raster")[0]
    cell = {row.label: row for row in feature_rows(terrain, (100, 200))}
    assert cell["value"].value == format_value(terrain.data.values[100, 200])
    x, y = terrain.data.transform @ (200.5, 100.5)
    assert float(cell["x (cell centre)"].value) == pytest.approx(x)
    with pytest.raises(IndexError):
        feature_rows(terrain, (terrain.data.shape[0], 0))


def test_a_station_charts_each_unit_of_its_datastreams(city):
    sensors = city.layers_of_kind("sensors")[0].data
    station = next(str(name) for name in sensors.ids if str(name).startswith("AQ-"))
    charts = sensor_charts(sensors, station)
    streams = sensors.datastreams_of(station)
    assert sorted(len(chart.series) for chart in charts) == sorted(
        [sum(stream.unit == unit for stream in streams) for unit in {stream.unit for stream in streams}])
    assert all(chart.time_axis for chart in charts)
    rows = feature_rows(city.layers_of_kind("sensors")[0], list(sensors.ids).index(station))
    latest = [row for row in rows if "(latest" in row.label]
    assert len(latest) == len(streams)
    assert latest[0].value == format_value(streams[0].series.values[-1])


def test_a_cell_reads_row_and_column_the_way_the_grid_stores_them():
    grid = RasterData(np.arange(12.0).reshape(3, 4), Affine(2, 0, 100, 0, -2, 6), "EPSG:25833")
    cell = {row.label: row.value for row in feature_rows(RasterLayer(grid, "small"), (2, 1))}
    assert (cell["value"], cell["x (cell centre)"], cell["y (cell centre)"]) == ("9", "103.00", "1.00")
