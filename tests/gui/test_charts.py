"""Line and bar charts drawn with QPainter: geometry checked by probe pixels, ticks, PNG export."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from twin.core.charts import BarChartData, BarSeries, LineChartData, LineSeries, ReferenceLine
from twin.qt.charts import PNG_SIZE, BarChart, LineChart, nice_ticks, time_ticks

pytestmark = pytest.mark.gui


def colour_mask(image: QImage, colour: str, tolerance: int = 12) -> np.ndarray:
    """Pixels of `image` within `tolerance` of `colour`, as a boolean (rows, cols) array."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    pixels = pixels[:, : width * 3].reshape(height, width, 3).astype(int)
    target = QColor(colour)
    return np.all(np.abs(pixels - [target.red(), target.green(), target.blue()]) <= tolerance, axis=2)


def test_stacked_bars_stack_in_order_and_to_scale(qtbot, tmp_path):
    chart = BarChart(BarChartData("Shares", "share (%)", ["2026", "2027"], [
        BarSeries("first", np.array([50.0, 20.0]), "#0072B2"),
        BarSeries("second", np.array([30.0, 80.0]), "#D55E00")], stacked=True, y_range=(0.0, 100.0)))
    qtbot.addWidget(chart)
    path = tmp_path / "bars.png"
    chart.save_png(path)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (PNG_SIZE.width(), PNG_SIZE.height())
    blue, orange = colour_mask(image, "#0072B2"), colour_mask(image, "#D55E00")
    columns = np.flatnonzero(blue.sum(axis=0) > 50)  # bar columns, not the legend swatch
    first_bar = columns[columns < PNG_SIZE.width() / 2]
    middle = int(first_bar.mean())
    blue_rows, orange_rows = np.flatnonzero(blue[:, middle]), np.flatnonzero(orange[:, middle])
    assert orange_rows.max() < blue_rows.min()  # the second series sits on the first
    assert orange_rows.size / blue_rows.size == pytest.approx(30 / 50, rel=0.05)
    second = int(columns[columns > PNG_SIZE.width() / 2].mean())
    assert np.count_nonzero(orange[:, second]) / np.count_nonzero(blue[:, second]) == pytest.approx(4.0, rel=0.05)


def test_grouped_bars_stand_side_by_side_from_zero(qtbot):
    chart = BarChart(BarChartData("Balance", "MWh/a", ["Johannstadt"], [
        BarSeries("demand", np.array([300.0]), "#000000"), BarSeries("PV", np.array([150.0]), "#E69F00")]))
    qtbot.addWidget(chart)
    image = chart.render_image()
    black, yellow = colour_mask(image, "#000000", 5), colour_mask(image, "#E69F00")
    black_column = int(np.flatnonzero(black.sum(axis=0) > 100).mean())
    yellow_column = int(np.flatnonzero(yellow.sum(axis=0) > 50).mean())
    assert black_column < yellow_column
    black_height = np.count_nonzero(black[:, black_column])
    assert np.count_nonzero(yellow[:, yellow_column]) / black_height == pytest.approx(0.5, rel=0.05)
    assert np.flatnonzero(black[:, black_column]).max() == np.flatnonzero(yellow[:, yellow_column]).max()


def test_line_chart_draws_series_bands_and_reference_lines(qtbot):
    years = np.arange(2026, 2047)
    data = LineChartData("Mean condition", "year", "condition value", [
        LineSeries("Johannstadt", years, np.linspace(2.6, 1.4, len(years)), np.linspace(2.5, 1.3, len(years)),
                   np.linspace(2.7, 1.5, len(years)), color="#0072B2")],
        [ReferenceLine(4.5, "threshold value 4.5", "#D55E00")], y_range=(1.0, 5.0))
    chart = LineChart(data)
    qtbot.addWidget(chart)
    image = chart.render_image()
    line = colour_mask(image, "#0072B2")
    rows, cols = np.nonzero(line)
    left, right = cols < np.median(cols) - 100, cols > np.median(cols) + 100
    assert rows[left].mean() < rows[right].mean()  # condition improves: the line falls to the right
    reference = colour_mask(image, "#D55E00")
    reference_row = np.bincount(np.nonzero(reference)[0]).argmax()
    assert reference_row < rows.min()  # 4.5 lies above every value of the line
    band = colour_mask(image, "#D6E7F1", 14)  # the line colour at 18 % on white
    assert band.sum() > 500


def test_time_axis_ticks_fall_on_whole_days_and_years():
    start = np.datetime64("2026-07-06T00:00:00").astype(np.int64)
    week = time_ticks(float(start), float(start + 7 * 86400), 8)
    assert [tick.label for tick in week[:2]] == ["06 Jul", "07 Jul"]
    assert all(tick.position % 86400 == 0 for tick in week)
    day = time_ticks(float(start), float(start + 86400), 6)
    assert day[0].label == "00:00\n06 Jul" and day[1].label == "06:00"
    years = time_ticks(float(np.datetime64("2012-07-20T00:00:00").astype(np.int64)),
                       float(np.datetime64("2026-04-15T00:00:00").astype(np.int64)), 8)
    assert [tick.label for tick in years] == ["2014", "2016", "2018", "2020", "2022", "2024", "2026"]


def test_numeric_ticks_are_round_and_large_numbers_short():
    assert [tick.label for tick in nice_ticks(0.0, 29811.0, 6)] == ["0", "5 k", "10 k", "15 k", "20 k", "25 k", "30 k"]
    assert [tick.label for tick in nice_ticks(1.0, 5.0, 8)] == ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0",
                                                               "4.5", "5.0"]
    assert [tick.label for tick in nice_ticks(0.0, 5.2e6, 5)] == ["0", "2 M", "4 M", "6 M"]
    assert [tick.label for tick in nice_ticks(2026, 2046, 5)] == ["2025", "2030", "2035", "2040", "2045", "2050"]


def test_a_chart_without_data_says_so_and_follows_new_data(qtbot):
    chart = LineChart()
    qtbot.addWidget(chart)
    chart.resize(500, 300)
    empty = chart.grab().toImage()
    assert not colour_mask(empty, "#0072B2").any()
    chart.set_data(LineChartData("t", "x", "y", [LineSeries("a", np.arange(5.0), np.arange(5.0))]))
    assert colour_mask(chart.grab().toImage(), "#0072B2").sum() > 100
