"""The inspector on the demo city: a station's series, a segment's ratings and results, a cell, clear."""

from __future__ import annotations

import pytest

from tests.gui.test_reports import demo_city, run_in
from twin.core.report_tables import RATING_THRESHOLD, RATING_WARNING, format_value
from twin.qt.inspector import NOTHING_PICKED, InspectorPanel

pytestmark = pytest.mark.gui


@pytest.fixture
def inspector(qtbot):
    panel = InspectorPanel(demo_city())
    qtbot.addWidget(panel)
    panel.resize(520, 820)
    panel.show()
    return panel


def rows(panel: InspectorPanel) -> dict[str, str]:
    table = panel.table
    return {table.item(row, 0).text(): table.item(row, 1).text() if table.item(row, 1) else ""
            for row in range(table.rowCount())}


def test_a_sensor_station_shows_its_attributes_and_one_chart_per_unit(inspector):
    layer = demo_city().layers_of_kind("sensors")[0]
    sensors = layer.data
    row = next(index for index, name in enumerate(sensors.ids) if str(name).startswith("AQ-"))
    inspector.show_feature(layer, row)
    shown = rows(inspector)
    assert shown["id"] == str(sensors.ids[row]) and shown["x"].endswith(" m")
    streams = sensors.datastreams_of(str(sensors.ids[row]))
    no2 = next(stream for stream in streams if stream.quantity == "NO2")
    label = next(label for label in shown if label.startswith("NO2 (latest"))
    assert shown[label] == f"{format_value(no2.series.values[-1])} µg/m³"
    charts = inspector.chart_widgets()
    assert len(charts) == len({stream.unit for stream in streams}) and inspector.charts.isVisible()
    drawn = {series.name: series for chart in charts for series in chart.data.series}
    assert list(drawn["NO2"].y) == list(no2.series.values)


def test_a_street_segment_shows_its_rating_history_and_joined_results(inspector):
    scene = demo_city()
    run_in(scene, "street_decay", monte_carlo_runs=5, horizon_years=5)
    layer = scene.layer("Johannstadt streets")
    inspector.show_feature(layer.name, 3)  # by name, as a pick handler may pass it
    assert str(layer.data.ids[3]) in inspector.title.text()
    shown = rows(inspector)
    assert shown["width"] == f"{format_value(layer.data.attributes['width_m'][3])} m"
    assert any(label.startswith("Johannstadt street_decay: condition") for label in shown)  # the run's name
    (chart,) = inspector.chart_widgets()
    dates, ratings = layer.data.inspections.of_segment(3)
    assert list(chart.data.series[0].y) == list(ratings)
    assert [reference.value for reference in chart.data.references] == [RATING_WARNING, RATING_THRESHOLD]


def test_a_terrain_cell_and_clear(inspector):
    terrain = demo_city().layers_of_kind("raster")[0]
    inspector.show_feature(terrain, (200, 300))
    assert rows(inspector)["value"] == f"{format_value(terrain.data.values[200, 300])} m"
    assert not inspector.charts.isVisible() and inspector.shown == (terrain, (200, 300))
    inspector.clear()
    assert inspector.table.rowCount() == 0 and inspector.title.text() == NOTHING_PICKED and inspector.shown is None


def test_removing_the_shown_layer_clears_the_inspector(inspector):
    scene = demo_city()
    run_id = run_in(scene, "energy")
    run = next(run for run in scene.runs if run.run_id == run_id)
    table_layer = next(scene.layer(name) for name in run.layer_names
                       if scene.layer(name).data.name == "energy_buildings")
    inspector.show_feature(table_layer, 0)
    assert rows(inspector)["building"] == str(table_layer.data.columns["building_id"][0])  # as declared
    scene.remove_layer(table_layer.name)
    assert inspector.shown is None and inspector.table.rowCount() == 0
