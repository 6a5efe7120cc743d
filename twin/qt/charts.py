"""Line and bar charts drawn with QPainter (PySide6-Essentials has no QtCharts).

`LineChart` draws several series over a numeric or time axis, with Monte-Carlo style bands and
labelled reference lines; `BarChart` draws grouped or stacked bars per category. Both take the
headless chart data of twin.core.report_tables, draw the same way on screen and into a PNG of a
fixed size (`save_png`), and use the Okabe-Ito colours and line dashes so that colour-blind
readers can tell the series apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from twin.core.atomic import write_atomic
from twin.core.charts import BarChartData, ChartData, LineChartData

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DotLine)
PNG_SIZE = QSize(960, 540)
GRID_COLOUR = QColor("#E3E3E3")
AXIS_COLOUR = QColor("#444444")
TEXT_COLOUR = QColor("#222222")
PAD = 8.0
SECOND, MINUTE, HOUR, DAY = 1, 60, 3600, 86400
# Tick steps of a time axis, shortest first: (length in seconds, calendar unit for months/years).
TIME_STEPS = ((MINUTE, ""), (5 * MINUTE, ""), (15 * MINUTE, ""), (30 * MINUTE, ""), (HOUR, ""),
              (3 * HOUR, ""), (6 * HOUR, ""), (12 * HOUR, ""), (DAY, ""), (2 * DAY, ""), (7 * DAY, ""),
              (30 * DAY, "M1"), (91 * DAY, "M3"), (182 * DAY, "M6"), (365 * DAY, "Y1"), (730 * DAY, "Y2"),
              (1826 * DAY, "Y5"), (3652 * DAY, "Y10"), (7305 * DAY, "Y20"), (18262 * DAY, "Y50"))
SHORT_NUMBERS = ((1e9, " G", 1e9), (1e6, " M", 1e6), (1e3, " k", 1e4))
MONDAY_OFFSET = 4 * DAY  # 1970-01-01 was a Thursday; week ticks fall on Mondays


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


class _Chart(QWidget):
    """What both charts share: data, layout of title, legend and axes, painting and PNG export."""

    def __init__(self, data: ChartData | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data
        self.setMinimumSize(360, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def data(self) -> ChartData | None:
        return self._data

    def set_data(self, data: ChartData | None) -> None:
        self._data = data
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(560, 340)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        self.paint(painter, QRectF(self.rect()))
        painter.end()

    def render_image(self, size: QSize = PNG_SIZE) -> QImage:
        """The chart drawn at a fixed size, independent of the widget's size on screen."""
        image = QImage(size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setFont(self.font())
        self.paint(painter, QRectF(0, 0, size.width(), size.height()))
        painter.end()
        return image

    def save_png(self, path: Path | str, size: QSize = PNG_SIZE) -> None:
        write_atomic(path, image_png_bytes(self.render_image(size)))

    def paint(self, painter: QPainter, area: QRectF) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(TEXT_COLOUR)
        if self._data is None or not self._data.series:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "no data to show")
            return
        inner = area.adjusted(PAD, PAD, -PAD, -PAD)
        inner.setTop(inner.top() + self._draw_title(painter, inner, self._data.title))
        inner.setBottom(inner.bottom() - self._draw_legend(painter, inner, self._legend()))
        self._draw_plot(painter, inner)

    def _draw_title(self, painter: QPainter, area: QRectF, title: str) -> float:
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.save()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        text = metrics.elidedText(title, Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(QRectF(area.left(), area.top(), area.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
        return metrics.height() + PAD

    def _draw_legend(self, painter: QPainter, area: QRectF, entries: list[tuple[str, QPen, bool]]) -> float:
        """Entries (name, pen, filled box) in rows under the plot; returns the height used."""
        metrics = QFontMetricsF(painter.font())
        swatch, gap = 22.0, 16.0
        rows: list[list[tuple[str, QPen, bool, float]]] = [[]]
        used = 0.0
        for name, pen, filled in entries:
            width = swatch + 4.0 + metrics.horizontalAdvance(name)
            if rows[-1] and used + width > area.width():
                rows.append([])
                used = 0.0
            rows[-1].append((name, pen, filled, width))
            used += width + gap
        line_height = metrics.height() + 2.0
        top = area.bottom() - len(rows) * line_height
        for number, row in enumerate(rows):
            total = sum(width for *_, width in row) + gap * (len(row) - 1)
            x = area.left() + (area.width() - total) / 2
            y = top + number * line_height + line_height / 2
            for name, pen, filled, width in row:
                _draw_swatch(painter, QRectF(x, y - 6.0, swatch, 12.0), pen, filled)
                painter.setPen(TEXT_COLOUR)
                painter.drawText(QPointF(x + swatch + 4.0, y + metrics.ascent() / 2 - 1.0), name)
                x += width + gap
        return len(rows) * line_height + PAD

    def _draw_axes(self, painter: QPainter, area: QRectF, x_ticks: list[Tick], y_ticks: list[Tick],
                   x_label: str, y_label: str, x_to: Callable, y_to: Callable) -> None:
        """Grid, tick labels and axis titles around the plot rectangle `area`."""
        metrics = QFontMetricsF(painter.font())
        painter.setPen(QPen(GRID_COLOUR, 1.0))
        for tick in y_ticks:
            y = y_to(tick.position)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        painter.setPen(TEXT_COLOUR)
        for tick in y_ticks:
            box = QRectF(area.left() - 200.0 - PAD / 2, y_to(tick.position) - metrics.height() / 2, 200.0,
                         metrics.height())
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tick.label)
        for tick in x_ticks:
            lines = tick.label.count("\n") + 1
            box = QRectF(x_to(tick.position) - 80.0, area.bottom() + PAD / 2, 160.0, metrics.height() * lines)
            painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, tick.label)
        painter.setPen(QPen(AXIS_COLOUR, 1.2))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        painter.setPen(TEXT_COLOUR)
        below_ticks = area.bottom() + PAD / 2 + metrics.height() * _label_lines(x_ticks)
        painter.drawText(QRectF(area.left(), below_ticks, area.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignHCenter, x_label)
        painter.save()
        painter.translate(area.left() - self._y_label_space(painter, y_ticks) + metrics.height() / 2,
                          area.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-area.height() / 2, -metrics.height() / 2, area.height(), metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, y_label)
        painter.restore()

    @staticmethod
    def _y_label_space(painter: QPainter, y_ticks: list[Tick]) -> float:
        metrics = QFontMetricsF(painter.font())
        widest = max((metrics.horizontalAdvance(tick.label) for tick in y_ticks), default=0.0)
        return widest + metrics.height() + PAD * 1.5

    def _plot_area(self, painter: QPainter, area: QRectF, y_ticks: list[Tick], x_label_lines: int) -> QRectF:
        metrics = QFontMetricsF(painter.font())
        bottom = metrics.height() * (x_label_lines + 1) + PAD
        return area.adjusted(self._y_label_space(painter, y_ticks), metrics.height() / 2, -PAD, -bottom)

    def _legend(self) -> list[tuple[str, QPen, bool]]:
        raise NotImplementedError

    def _draw_plot(self, painter: QPainter, area: QRectF) -> None:
        raise NotImplementedError


class LineChart(_Chart):
    """Several series over a numeric or time x axis; bands where a series has low/high."""

    def _pens(self) -> list[QPen]:
        pens = []
        for index, series in enumerate(self._data.series):
            pen = QPen(QColor(series.color or PALETTE[index % len(PALETTE)]), 2.0)
            pen.setStyle(DASHES[index % len(DASHES)])
            pens.append(pen)
        return pens

    def _legend(self) -> list[tuple[str, QPen, bool]]:
        return [(series.name, pen, False)
                for series, pen in zip(self._data.series, self._pens(), strict=True)]

    def _draw_plot(self, painter: QPainter, area: QRectF) -> None:
        data: LineChartData = self._data
        xs = [_as_float(series.x) for series in data.series]
        x_low, x_high = _span(np.concatenate(xs))
        if any(series.markers for series in data.series):  # room for the first and last marker
            x_low, x_high = x_low - (x_high - x_low) * 0.02, x_high + (x_high - x_low) * 0.02
        y_low, y_high = data.y_range or _span(np.concatenate(
            [values for series in data.series for values in (series.y, series.low, series.high)
             if values is not None] + [np.array([ref.value for ref in data.references])]))
        y_ticks = nice_ticks(y_low, y_high, max(2, int(area.height() / 45)))
        if data.y_range is None:
            y_low, y_high = min(y_low, y_ticks[0].position), max(y_high, y_ticks[-1].position)
        make_ticks = time_ticks if data.time_axis else nice_ticks
        x_ticks = [tick for tick in make_ticks(x_low, x_high, max(2, int(area.width() / 110)))
                   if x_low <= tick.position <= x_high]
        plot = self._plot_area(painter, area, y_ticks, _label_lines(x_ticks))
        x_to = _scale(x_low, x_high, plot.left(), plot.right())
        y_to = _scale(y_low, y_high, plot.bottom(), plot.top())
        self._draw_axes(painter, plot, x_ticks, y_ticks, data.x_label, data.y_label, x_to, y_to)
        painter.save()
        painter.setClipRect(plot.adjusted(-5, -5, 5, 5))
        for reference in data.references:
            _draw_reference(painter, plot, y_to(reference.value), reference.label, QColor(reference.color))
        for series, x, pen in zip(data.series, xs, self._pens(), strict=True):
            if series.low is not None and series.high is not None:
                _draw_band(painter, x, series.low, series.high, x_to, y_to, pen.color())
            _draw_line(painter, x, series.y, x_to, y_to, pen, series.markers or len(x) == 1)
        painter.restore()


class BarChart(_Chart):
    """Grouped or stacked bars, one group per category, one colour per series."""

    def _colours(self) -> list[QColor]:
        return [QColor(series.color or PALETTE[index % len(PALETTE)])
                for index, series in enumerate(self._data.series)]

    def _legend(self) -> list[tuple[str, QPen, bool]]:
        return [(series.name, QPen(colour), True)
                for series, colour in zip(self._data.series, self._colours(), strict=True)]

    def _draw_plot(self, painter: QPainter, area: QRectF) -> None:
        data: BarChartData = self._data
        values = np.nan_to_num(np.array([series.values for series in data.series], dtype=float), nan=0.0)
        tops = np.cumsum(np.clip(values, 0, None), axis=0) if data.stacked else values
        bottoms = np.cumsum(np.clip(values, None, 0), axis=0) if data.stacked else values
        y_low, y_high = data.y_range or (min(0.0, float(bottoms.min())), max(0.0, float(tops.max())))
        y_ticks = nice_ticks(y_low, y_high, max(2, int(area.height() / 45)))
        if data.y_range is None:
            y_low, y_high = y_ticks[0].position, y_ticks[-1].position
        count = len(data.categories)
        metrics = QFontMetricsF(painter.font())
        slot_guess = (area.width() - self._y_label_space(painter, y_ticks)) / max(count, 1)
        widest = max((metrics.horizontalAdvance(name) for name in data.categories), default=0.0)
        every = max(1, math.ceil((widest + PAD) / max(slot_guess, 1.0)))  # leave out colliding labels
        x_ticks = [Tick(index + 0.5, name) for index, name in enumerate(data.categories)
                   if index % every == 0]
        plot = self._plot_area(painter, area, y_ticks, 1)
        x_to = _scale(0.0, float(count), plot.left(), plot.right())
        y_to = _scale(y_low, y_high, plot.bottom(), plot.top())
        self._draw_axes(painter, plot, x_ticks, y_ticks, "", data.y_label, x_to, y_to)
        painter.save()
        painter.setClipRect(plot)
        self._draw_bars(painter, values, x_to, y_to, data.stacked)
        painter.restore()

    def _draw_bars(self, painter: QPainter, values: np.ndarray, x_to, y_to, stacked: bool) -> None:
        series_count, count = values.shape
        group = 0.8 if stacked else min(0.85, 0.18 * series_count + 0.3)
        width = group if stacked else group / series_count
        positive = np.zeros(count)
        negative = np.zeros(count)
        painter.setPen(QPen(Qt.GlobalColor.white, 0.8))
        for index, colour in enumerate(self._colours()):
            painter.setBrush(colour)
            for category in range(count):
                value = values[index, category]
                if value == 0:
                    continue
                if stacked:
                    stack = positive if value > 0 else negative
                    base, stack[category] = stack[category], stack[category] + value
                    left = category + (1.0 - width) / 2
                else:
                    base = 0.0
                    left = category + (1.0 - group) / 2 + index * width
                top, bottom = y_to(base + value), y_to(base)
                painter.drawRect(QRectF(QPointF(x_to(left), min(top, bottom)),
                                        QPointF(x_to(left + width), max(top, bottom))))


def chart_widget(data: ChartData, parent: QWidget | None = None) -> _Chart:
    """The chart that draws `data`: a LineChart or a BarChart."""
    return (LineChart if isinstance(data, LineChartData) else BarChart)(data, parent)


def image_png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


# ----------------------------------------------------------------------------- drawing helpers

def _draw_swatch(painter: QPainter, box: QRectF, pen: QPen, filled: bool) -> None:
    if filled:
        painter.fillRect(box.adjusted(4, 0, -4, 0), pen.color())
    else:
        painter.setPen(pen)
        painter.drawLine(QPointF(box.left(), box.center().y()), QPointF(box.right(), box.center().y()))


def _draw_reference(painter: QPainter, plot: QRectF, y: float, label: str, colour: QColor) -> None:
    pen = QPen(colour, 1.5, Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
    metrics = QFontMetricsF(painter.font())
    width = metrics.horizontalAdvance(label) + 6.0
    box = QRectF(plot.right() - width - 2.0, y - metrics.height() - 1.0, width, metrics.height())
    painter.fillRect(box, QColor(255, 255, 255, 210))  # the label stays readable over the lines
    painter.setPen(colour.darker(130))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


def _draw_band(painter: QPainter, x: np.ndarray, low: np.ndarray, high: np.ndarray, x_to, y_to,
               colour: QColor) -> None:
    ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(x)
    if ok.sum() < 2:
        return
    path = QPainterPath(QPointF(x_to(x[ok][0]), y_to(high[ok][0])))
    for xv, yv in zip(x[ok][1:], high[ok][1:], strict=True):
        path.lineTo(x_to(xv), y_to(yv))
    for xv, yv in zip(x[ok][::-1], low[ok][::-1], strict=True):
        path.lineTo(x_to(xv), y_to(yv))
    path.closeSubpath()
    fill = QColor(colour)
    fill.setAlphaF(0.18)
    painter.fillPath(path, fill)


def _draw_line(painter: QPainter, x: np.ndarray, y: np.ndarray, x_to, y_to, pen: QPen, markers: bool) -> None:
    """A polyline that breaks at gaps (NaN), with round markers where asked."""
    path = QPainterPath()
    drawing = False
    for xv, yv in zip(x, y, strict=True):
        if not (np.isfinite(xv) and np.isfinite(yv)):
            drawing = False
            continue
        point = QPointF(x_to(xv), y_to(yv))
        if drawing:
            path.lineTo(point)
        else:
            path.moveTo(point)
            drawing = True
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    if markers:
        painter.setPen(QPen(pen.color(), 1.5))
        painter.setBrush(Qt.GlobalColor.white)
        for xv, yv in zip(x, y, strict=True):
            if np.isfinite(xv) and np.isfinite(yv):
                painter.drawEllipse(QPointF(x_to(xv), y_to(yv)), 3.5, 3.5)


def _label_lines(ticks: list[Tick]) -> int:
    return max((tick.label.count("\n") + 1 for tick in ticks), default=1)


def _scale(low: float, high: float, start: float, end: float):
    span = high - low if high > low else 1.0
    return lambda value: start + (float(value) - low) / span * (end - start)


def _as_float(x: np.ndarray) -> np.ndarray:
    """x as floats: datetimes as seconds since 1970 UTC."""
    if np.issubdtype(x.dtype, np.datetime64):
        seconds = x.astype("datetime64[s]")
        return np.where(np.isnat(seconds), np.nan, seconds.astype(np.int64).astype(float))
    return np.asarray(x, dtype=float)


def _span(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        pad = abs(low) * 0.05 or 1.0
        return low - pad, high + pad
    return low, high


# ----------------------------------------------------------------------------- ticks

def nice_ticks(low: float, high: float, most: int) -> list[Tick]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering low..high, at most `most`+1."""
    span = high - low if high > low else 1.0
    raw = span / max(most, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1.0, 2.0, 2.5, 5.0, 10.0) if factor * power >= raw)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    values = [index * step for index in range(first, last + 1)]
    return [Tick(value, label) for value, label in zip(values, tick_labels(values, step), strict=True)]


def tick_labels(values: list[float], step: float) -> list[str]:
    """Labels of one axis: thousands as k and millions as M, the same for every tick."""
    largest = max(abs(value) for value in values)
    # (factor, suffix, from which largest value): four-digit numbers, years among them, stay whole.
    factor, suffix = next(((factor, suffix) for factor, suffix, start in SHORT_NUMBERS
                           if largest >= start and step >= factor / 10), (1.0, ""))
    decimals = _decimals(step / factor)
    return [f"{value / factor:.{decimals}f}{suffix}" if abs(value) >= step * 1e-6 else "0"
            for value in values]


def _decimals(step: float) -> int:
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6 * 10**decimals:
        decimals += 1
    return decimals


def time_ticks(low: float, high: float, most: int) -> list[Tick]:
    """Ticks of a time axis (seconds since 1970 UTC) on whole minutes, hours, days, months or years."""
    span = max(high - low, 1.0)
    step, calendar = next(((length, unit) for length, unit in TIME_STEPS if span / length <= most),
                          TIME_STEPS[-1])
    if calendar:
        unit, count = calendar[0], int(calendar[1:])
        start = np.datetime64(int(low), "s").astype(f"datetime64[{unit}]")
        stamps = np.arange(start, np.datetime64(int(high), "s").astype(f"datetime64[{unit}]") + count)
        stamps = stamps[(stamps.astype(np.int64) % count) == 0] if unit == "Y" else stamps[
            (stamps.astype(np.int64) % 12) % count == 0]
        positions = stamps.astype("datetime64[s]").astype(np.int64).astype(float)
    else:
        offset = MONDAY_OFFSET if step == 7 * DAY else 0
        first = math.ceil((low - offset) / step) * step + offset
        positions = np.arange(first, high + 1.0, step)
    positions = positions[(positions >= low) & (positions <= high)]
    return [Tick(float(position), _time_label(position, step, previous))
            for position, previous in zip(positions, [None, *positions[:-1]], strict=True)]


def _time_label(position: float, step: float, previous: float | None) -> str:
    stamp = np.datetime64(int(position), "s").astype(object)  # a datetime.datetime, UTC
    if step >= 365 * DAY:
        return f"{stamp:%Y}"
    if step >= 30 * DAY:
        return f"{stamp:%b %Y}"
    if step >= DAY:
        return f"{stamp:%d %b}"
    new_day = previous is None or int(previous // DAY) != int(position // DAY)
    return f"{stamp:%H:%M}\n{stamp:%d %b}" if new_day else f"{stamp:%H:%M}"
