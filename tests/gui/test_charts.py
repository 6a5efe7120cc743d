"""Line and bar charts drawn with matplotlib: geometry checked by probe pixels, tick labels, hover, PNG export."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage

from twin.core.charts import BarChartData, BarSeries, LineChartData, LineSeries, ReferenceLine
from twin.qt.charts import PNG_SIZE, BarChart, LineChart, chart_figure

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


def tick_labels(data: LineChartData | BarChartData, axis: str = "x", size: QSize = PNG_SIZE) -> list[str]:
    """The tick labels shown on one axis of `data` drawn at `size` (those within the axis' limits)."""
    figure = chart_figure(data, size)
    figure.canvas.draw()
    scale = getattr(figure.axes[0], f"{axis}axis")
    low, high = sorted(scale.get_view_interval())
    slack = (high - low) * 1e-9
    return [label.get_text() for location, label in zip(scale.get_majorticklocs(), scale.get_ticklabels(), strict=True)
            if low - slack <= location <= high + slack]


def over_time(start: str, end: str, step: str) -> LineChartData:
    times = np.arange(np.datetime64(start), np.datetime64(end), np.timedelta64(1, step))
    return LineChartData("t", "time (UTC)", "y", [LineSeries("a", times, np.arange(len(times), dtype=float))])


def test_time_axes_are_labelled_with_days_hours_and_whole_years():
    week = tick_labels(over_time("2026-07-06T00", "2026-07-13T00", "h"))
    assert week[:3] == ["06 Jul", "07 Jul", "08 Jul"]
    day = tick_labels(over_time("2026-07-06T00", "2026-07-07T01", "h"))
    assert day[0] == "06 Jul" and "06:00" in day and "12:00" in day and day[-1] == "07 Jul"
    years = tick_labels(over_time("2012-07-20", "2026-04-15", "D"))
    assert years and all(label.isdigit() and len(label) == 4 for label in years)
    assert years == sorted(years) and "2020" in years


def test_year_ticks_of_a_numeric_axis_are_whole_years():
    years = np.arange(2026, 2031)
    labels = tick_labels(LineChartData("Money", "year", "EUR", [LineSeries("spent", years, years * 1.0)]))
    assert labels == ["2026", "2027", "2028", "2029", "2030"]  # not 2026.5, not 2,026


def test_numeric_tick_labels_are_plain_with_grouped_thousands():
    def y_labels(low: float, high: float) -> list[str]:
        return tick_labels(LineChartData("t", "x", "y", [LineSeries("a", np.arange(2.0), np.array([low, high]))],
                                         y_range=(low, high)), "y")

    assert y_labels(0.0, 30000.0) == ["0", "5,000", "10,000", "15,000", "20,000", "25,000", "30,000"]
    assert y_labels(0.0, 5e6) == ["0", "1,000,000", "2,000,000", "3,000,000", "4,000,000", "5,000,000"]
    assert y_labels(1.0, 5.0) == ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]
    assert y_labels(0.0, 2000.0)[-1] == "2,000"  # four digits grouped, as in the tables (years apart)
    below = y_labels(0.0, 9500.0)
    assert below[-1] in {"8,000", "9,000"} and all("," in label for label in below if len(label) > 3)


def test_category_labels_of_a_narrow_chart_do_not_overlap(qtbot):
    years = [str(year) for year in range(2026, 2047)]
    chart = BarChart(BarChartData("Shares per year", "share (%)", years,
                                  [BarSeries("good", np.full(len(years), 60.0))], y_range=(0.0, 100.0)))
    qtbot.addWidget(chart)
    chart.resize(360, 240)
    chart.show()
    chart.draw()
    shown = [label for label in chart.axes.get_xticklabels() if label.get_text()]
    assert 3 <= len(shown) < len(years) and shown[0].get_text() == "2026"
    boxes = [label.get_window_extent() for label in shown]
    assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:], strict=False))


def test_hovering_near_a_point_of_a_sensor_series_shows_its_time_and_value(qtbot):
    times = np.array(["2026-03-01T10:00", "2026-03-01T11:00", "2026-03-01T12:00"], dtype="datetime64[s]")
    chart = LineChart(LineChartData("AQ-1: NO2", "time (UTC)", "NO2 (µg/m³)",
                                    [LineSeries("NO2", times, np.array([31.5, 42.25, 28.0]))]))
    qtbot.addWidget(chart)
    chart.resize(500, 300)
    chart.show()
    chart.draw()
    line = chart.axes.get_lines()[0]
    x, y = chart.axes.transData.transform(line.get_xydata()[1])
    MouseEvent("motion_notify_event", chart, x + 3, y - 2)._process()
    hover = next(text for text in chart.axes.texts if text.get_visible() and text.get_text())
    assert hover.get_text() == "NO2\n2026-03-01 11:00: 42.2"
    MouseEvent("motion_notify_event", chart, x, y + 80)._process()  # far from every point
    assert not any(text.get_visible() and text.get_text() for text in chart.axes.texts)


def test_a_chart_without_data_says_so_and_follows_new_data(qtbot):
    chart = LineChart()
    qtbot.addWidget(chart)
    chart.resize(500, 300)
    empty = chart.grab().toImage()
    assert not colour_mask(empty, "#0072B2").any()
    chart.set_data(LineChartData("t", "x", "y", [LineSeries("a", np.arange(5.0), np.arange(5.0))]))
    assert colour_mask(chart.grab().toImage(), "#0072B2").sum() > 100
