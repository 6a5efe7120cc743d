"""The result tables dock: the work list of a street-decay run sorted, filtered, exported, and its rows
leading to their street segments."""

from __future__ import annotations

import csv

import numpy as np
import pyogrio.raw
import pytest
from PySide6.QtCore import Qt

from tests.gui.test_reports import demo_city, run_in
from twin.core.layers import ResultTableLayer
from twin.qt.result_table import ResultTablePanel, feature_of_row

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def city():
    scene = demo_city()
    run_in(scene, "street_decay", "Prohlis", monte_carlo_runs=0, horizon_years=5, budget_eur=150_000.0)
    return scene


@pytest.fixture
def panel(qtbot, city):
    panel = ResultTablePanel(city)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    work_list = next(layer for layer in reversed(city.layers) if layer.name.endswith(": work_list"))
    panel.show_layer(work_list)
    return panel


def column(panel: ResultTablePanel, name: str) -> int:
    return list(panel.layer.data.columns).index(name)


def test_every_table_result_is_offered_and_shown_under_its_declared_labels(panel, city):
    offered = [panel.layer_combo.itemData(index) for index in range(panel.layer_combo.count())]
    tables = [layer.name for layer in city.layers if isinstance(layer, ResultTableLayer)]
    assert sorted(offered) == sorted(tables)
    model = panel.proxy
    headers = [model.headerData(index, Qt.Orientation.Horizontal) for index in range(model.columnCount())]
    assert headers[:3] == ["rank", "segment", "street name"] and "cost (EUR)" in headers
    assert model.rowCount() == len(panel.layer.data) > 0
    classes = {category.code: category.label for category in panel.layer.data.categories["class"]}
    code = int(panel.layer.data.columns["class"][0])
    assert model.sourceModel().index(0, column(panel, "class")).data() == classes[code]  # a class reads by name


def test_sorting_compares_numbers_and_the_filter_searches_every_column(panel):
    cost = panel.layer.data.columns["cost"]
    panel.view.sortByColumn(column(panel, "cost"), Qt.SortOrder.DescendingOrder)
    np.testing.assert_array_equal(cost[panel.shown_rows()], np.sort(cost)[::-1])
    name = next(str(value) for value in panel.layer.data.columns["name"] if str(value))
    panel.filter_edit.setText(name.upper()[:6])
    shown = panel.shown_rows()
    assert shown and all(name.upper()[:6] in " ".join(str(values[row]) for values in panel.layer.data.columns.values()).upper()
                         for row in shown)
    panel.filter_edit.clear()
    assert len(panel.shown_rows()) == len(panel.layer.data)


def test_choosing_a_row_names_the_segment_it_is_about(qtbot, panel, city):
    layer = panel.layer
    with qtbot.waitSignal(panel.row_chosen) as chosen:
        panel.view.selectRow(2)
    chosen_layer, row = chosen.args
    assert chosen_layer is layer and row == panel.shown_rows()[2]
    streets = city.layer(layer.data.target_layer)
    feature = feature_of_row(layer, streets, row)
    assert str(streets.data.ids[feature]) == str(layer.data.columns["segment_id"][row])


def test_the_work_list_exports_as_csv_and_as_a_geopackage_with_its_segments(panel, city, tmp_path):
    table = panel.layer.data
    panel.export(tmp_path / "work_list.csv")
    with open(tmp_path / "work_list.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) == len(table) + 1 and "cost [EUR]" in rows[0]
    panel.export(tmp_path / "work_list.gpkg")
    meta, _, geometry, fields = pyogrio.raw.read(tmp_path / "work_list.gpkg")
    assert len(geometry) == len(table) and meta["crs"] == "EPSG:25833"
    values = dict(zip(meta["fields"], fields, strict=True))
    np.testing.assert_allclose(values["cost [EUR]"], table.columns["cost"])
    assert list(values["segment_id"]) == [str(value) for value in table.columns["segment_id"]]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["work_list.csv", "work_list.gpkg"]  # no temporaries


def test_numbers_read_one_way_grouped_and_with_one_number_of_decimals_per_column(panel):
    from twin.core.numbers import column_decimals, format_number

    source = panel.proxy.sourceModel()
    columns = panel.layer.data.columns
    big = int(np.flatnonzero(columns["cumulative_cost"] >= 1000)[0])
    shown = source.index(big, column(panel, "cumulative_cost")).data()
    assert shown == format_number(columns["cumulative_cost"][big], "EUR") and "," in shown
    assert "." not in shown  # whole euros
    condition = [source.index(row, column(panel, "condition")).data() for row in range(source.rowCount())]
    decimals = column_decimals(columns["condition"])
    assert decimals == 2 and all(len(text.split(".")[1]) == 2 for text in condition)  # "2.70" under "2.01"
    exact = source.index(0, column(panel, "condition")).data(Qt.ItemDataRole.ToolTipRole)
    assert float(exact) == pytest.approx(columns["condition"][0])  # the exact value in the tooltip


def test_columns_are_as_wide_as_their_heading_and_a_heading_tells_itself_in_full(panel):
    header = panel.view.horizontalHeader()
    metrics = header.fontMetrics()
    index = column(panel, "condition")
    label = panel.proxy.headerData(index, Qt.Orientation.Horizontal)
    assert label == "condition (1 very good .. 5 very poor)"
    assert header.sectionSize(index) >= metrics.horizontalAdvance(label)  # not cut to "very good .. 5"
    assert panel.proxy.headerData(index, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == label
