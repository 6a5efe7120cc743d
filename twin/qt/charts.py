"""Line and bar charts drawn with matplotlib on its Qt canvas.

`LineChart` draws several series over a numeric or time axis, with Monte-Carlo style bands and
labelled reference lines, and shows the value under the mouse; `BarChart` draws grouped or
stacked bars per category. Both take the headless chart data of twin.core.charts, draw the same
way on screen and into a PNG of a fixed size (`save_png`), and use the Okabe-Ito colours and line
dashes so that colour-blind readers can tell the series apart.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.ticker import Formatter, MaxNLocator
from PySide6.QtCore import QBuffer, QIODevice, QSize
from PySide6.QtGui import QImage, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from twin.core.atomic import write_atomic
from twin.core.charts import BarChartData, ChartData, LineChartData
from twin.core.numbers import format_number, names_a_year

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
DASHES = ("-", "--", "-.", ":")
PNG_SIZE = QSize(960, 540)
DPI = 100  # of the PNG export; the canvas follows the screen
GRID_COLOUR = "#E3E3E3"
AXIS_COLOUR = "#444444"
TEXT_COLOUR = "#222222"
FONT_SIZE = 9.0
CHAR_WIDTH = 6.2  # pixels per character at FONT_SIZE and DPI, for guessing what fits before drawing
LEGEND_SWATCH = 40.0  # pixels of line sample and gaps beside a legend entry's name
TIME_TICK_WIDTH = 70.0  # pixels a time tick label ("06 Jul", "12:00") needs with room around it
HOVER_REACH = 12.0  # pixels from a point within which the mouse shows its value
BAND_ALPHA = 0.18
# Time axes: year, month, day, hour, minute, second labels; dates, not "2027.5" or day numbers.
TIME_FORMATS = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"]
TIME_ZERO_FORMATS = ["", "%Y", "%d %b", "%d %b", "%H:%M", "%H:%M"]
TIME_OFFSET_FORMATS = ["", "%Y", "%b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y %H:%M"]


@dataclass(frozen=True)
class Fit:
    """What a chart's layout chooses from its size: legend columns, category labels, time ticks, y label."""

    legend_columns: int
    categories: tuple[str, ...]  # the labels shown, wrapped at spaces; every n-th where they would collide
    category_step: int
    time_ticks: int
    y_label: str  # wrapped onto two lines where it is longer than the axis


def fit_to_width(data: ChartData | None, size: QSize) -> Fit:
    """How legend, category labels, time ticks and y label fit into `size` pixels without overlapping."""
    if data is None or not data.series:
        return Fit(1, (), 1, 3, "")
    width, height = size.width(), size.height()
    widest = max(len(series.name) for series in data.series) * CHAR_WIDTH + LEGEND_SWATCH
    most = max(1, min(len(data.series), int(width * 0.95 // widest)))
    columns = math.ceil(len(data.series) / math.ceil(len(data.series) / most))  # rows as even as can be
    categories, step = _fit_categories(data.categories if isinstance(data, BarChartData) else [], width)
    y_label = textwrap.fill(data.y_label, max(12, int(height * 0.7 / CHAR_WIDTH)), max_lines=2,
                            placeholder=" …")
    return Fit(columns, categories, step, max(3, int(width * 0.85 // TIME_TICK_WIDTH)), y_label)


def _fit_categories(names: list[str], width: float) -> tuple[tuple[str, ...], int]:
    """Category labels wrapped at spaces to their slot, and which n-th of them leaves room for each."""
    if not names:
        return (), 1
    slot = width * 0.8 / len(names)
    wrapped = tuple(textwrap.fill(name, max(4, int(slot / CHAR_WIDTH) - 1), break_long_words=False)
                    for name in names)
    longest = max(len(line) for name in wrapped for line in name.split("\n"))
    return wrapped, max(1, math.ceil((longest * CHAR_WIDTH + 8.0) / max(slot, 1.0)))


def draw_chart(figure: Figure, data: ChartData | None, fit: Fit) -> Axes | None:
    """Draw `data` into `figure` (cleared first); the axes drawn on, or None when there is no data."""
    figure.clear()
    figure.set_facecolor("white")
    if data is None or not data.series:
        figure.text(0.5, 0.5, "no data to show", ha="center", va="center", color=TEXT_COLOUR,
                    fontsize=FONT_SIZE)
        return None
    axes = figure.add_subplot()
    _style(axes)
    if isinstance(data, LineChartData):
        _draw_lines(axes, data, fit)
    else:
        _draw_bars(axes, data, fit)
    axes.set_title(data.title, fontsize=FONT_SIZE * 1.1, fontweight="bold", color=TEXT_COLOUR, wrap=True)
    _legend(figure, axes, fit.legend_columns)
    return axes


def _legend(figure: Figure, axes: Axes, columns: int) -> None:
    """The legend under the plot, outside it so that it never covers data, read row by row."""
    handles, labels = axes.get_legend_handles_labels()
    # matplotlib fills columns first; this order puts the series left to right, then onto the next row.
    order = [index for column in range(columns) for index in range(column, len(handles), columns)]
    figure.legend([handles[index] for index in order], [labels[index] for index in order],
                  loc="outside lower center", ncols=columns, frameon=False, fontsize=FONT_SIZE,
                  handlelength=2.4, columnspacing=1.6, labelcolor=TEXT_COLOUR)


def chart_figure(data: ChartData | None, size: QSize = PNG_SIZE) -> Figure:
    """`data` drawn into a figure of `size` pixels, off screen (for PNG export and tests)."""
    figure = Figure(figsize=(size.width() / DPI, size.height() / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    draw_chart(figure, data, fit_to_width(data, size))
    return figure


class _Chart(FigureCanvasQTAgg):
    """What both charts share: data, a figure redrawn when data or the fitting layout change, PNG export.

    The figure is built at its first draw, not when the data arrive: a dock makes a chart per tab, and
    only the tab shown pays for matplotlib.
    """

    def __init__(self, data: ChartData | None = None, parent: QWidget | None = None) -> None:
        super().__init__(Figure(layout="constrained"))
        self.setParent(parent)
        self._data = data
        self.axes: Axes | None = None
        self._fit: Fit | None = None
        self._changed_while_hidden = False
        self.setMinimumSize(360, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._outdate()

    @property
    def data(self) -> ChartData | None:
        return self._data

    def set_data(self, data: ChartData | None) -> None:
        self._data = data
        self._outdate()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(560, 340)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if fit_to_width(self._data, self.size()) != self._fit:
            self._outdate()

    def draw(self) -> None:
        self._changed_while_hidden = False  # this draw shows the change: the next paint needs none
        if self._fit is None:
            self._build()
        super().draw()

    def draw_idle(self) -> None:
        # matplotlib draws on a timer even when hidden (a tab not shown); this waits for the paint.
        if self.isVisible():
            super().draw_idle()
        else:
            self._changed_while_hidden = True

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if self._fit is None or self._changed_while_hidden:
            self._changed_while_hidden = False
            self.draw()
        super().paintEvent(event)

    def render_image(self, size: QSize = PNG_SIZE) -> QImage:
        """The chart drawn at a fixed size, independent of the widget's size on screen."""
        canvas = chart_figure(self._data, size).canvas
        canvas.draw()
        pixels = np.ascontiguousarray(canvas.buffer_rgba())
        height, width = pixels.shape[:2]
        image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
        return image.convertToFormat(QImage.Format.Format_ARGB32)  # a copy that owns its pixels

    def save_png(self, path: Path | str, size: QSize = PNG_SIZE) -> None:
        write_atomic(path, image_png_bytes(self.render_image(size)))

    def _outdate(self) -> None:
        """Build the figure anew at the next draw (a paint of the widget, or `draw()`)."""
        self._fit = None
        self.draw_idle()

    def _build(self) -> None:
        self._fit = fit_to_width(self._data, self.size())
        self.axes = draw_chart(self.figure, self._data, self._fit)


class LineChart(_Chart):
    """Several series over a numeric or time x axis; bands where a series has low/high.

    Moving the mouse near a point shows its series, x and y in a small label.
    """

    def __init__(self, data: LineChartData | None = None, parent: QWidget | None = None) -> None:
        self._hover: Annotation | None = None
        super().__init__(data, parent)
        self.mpl_connect("motion_notify_event", self._show_value)

    def _build(self) -> None:
        super()._build()
        self._hover = None if self.axes is None else self.axes.annotate(
            "", (0, 0), xytext=(10, 10), textcoords="offset points", fontsize=FONT_SIZE, color=TEXT_COLOUR,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": GRID_COLOUR, "alpha": 0.92},
            visible=False, annotation_clip=False)

    def _show_value(self, event: MouseEvent) -> None:
        if self._hover is None:
            return
        point = None if event.inaxes is not self.axes else _nearest_point(self.axes, event.x, event.y)
        if point is None:
            if self._hover.get_visible():
                self._hover.set_visible(False)
                self.draw_idle()
            return
        name, x, y = point
        self._hover.xy = (x, y)
        self._hover.set_text(f"{name}\n{_x_text(self._data, x)}: {_number_text(y)}")
        on_right = event.x > self.figure.bbox.width / 2  # the label turns inwards, not off the canvas
        self._hover.set_position((-10, 10) if on_right else (10, 10))
        self._hover.set_horizontalalignment("right" if on_right else "left")
        self._hover.set_visible(True)
        self.draw_idle()


class BarChart(_Chart):
    """Grouped or stacked bars, one group per category, one colour per series."""


def chart_widget(data: ChartData, parent: QWidget | None = None) -> _Chart:
    """The chart that draws `data`: a LineChart or a BarChart."""
    return (LineChart if isinstance(data, LineChartData) else BarChart)(data, parent)


def image_png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


# ----------------------------------------------------------------------------- drawing

def _style(axes: Axes) -> None:
    """A light horizontal grid behind the data, no top and right frame, quiet grey axes."""
    axes.set_facecolor("white")
    axes.set_axisbelow(True)
    axes.grid(True, axis="y", color=GRID_COLOUR, linewidth=0.8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(AXIS_COLOUR)
    axes.tick_params(colors=AXIS_COLOUR, labelcolor=TEXT_COLOUR, labelsize=FONT_SIZE)
    axes.yaxis.set_major_formatter(GroupedNumbers())


def _draw_lines(axes: Axes, data: LineChartData, fit: Fit) -> None:
    for index, series in enumerate(data.series):
        colour = series.color or PALETTE[index % len(PALETTE)]
        if series.low is not None and series.high is not None:
            axes.fill_between(series.x, series.low, series.high, color=colour, alpha=BAND_ALPHA, linewidth=0)
        markers = series.markers or len(series.x) == 1
        axes.plot(series.x, series.y, color=colour, linestyle=DASHES[index % len(DASHES)], linewidth=2.0,
                  marker="o" if markers else None, markersize=5, markerfacecolor="white",
                  markeredgewidth=1.5, label=series.name, gid="series")
    for reference in data.references:
        axes.axhline(reference.value, color=reference.color, linestyle="--", linewidth=1.5)
        axes.annotate(reference.label, (1.0, reference.value), xycoords=("axes fraction", "data"),
                      xytext=(-4, 2), textcoords="offset points", ha="right", va="bottom",
                      fontsize=FONT_SIZE, color=_darker(reference.color),
                      bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                            "alpha": 0.8})
    axes.margins(x=0.02 if any(series.markers for series in data.series) else 0.0)
    if data.y_range is not None:
        axes.set_ylim(*data.y_range)
    _x_axis(axes, data, fit)
    axes.set_xlabel(data.x_label, fontsize=FONT_SIZE, color=TEXT_COLOUR)
    axes.set_ylabel(fit.y_label, fontsize=FONT_SIZE, color=TEXT_COLOUR)


def _x_axis(axes: Axes, data: LineChartData, fit: Fit) -> None:
    """Dates on a time axis; whole numbers (years, steps) never get fractional ticks."""
    if data.time_axis:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=fit.time_ticks)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
            locator, formats=TIME_FORMATS, zero_formats=TIME_ZERO_FORMATS,
            offset_formats=TIME_OFFSET_FORMATS))
        return
    axes.xaxis.set_major_formatter(GroupedNumbers(years=names_a_year(data.x_label)))
    if all(_whole(series.x) for series in data.series):
        axes.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))


def _draw_bars(axes: Axes, data: BarChartData, fit: Fit) -> None:
    values = np.nan_to_num(np.array([series.values for series in data.series], dtype=float), nan=0.0)
    series_count, count = values.shape
    group = 0.8 if data.stacked else min(0.85, 0.18 * series_count + 0.3)
    width = group if data.stacked else group / series_count
    positions = np.arange(count, dtype=float)
    above, below = np.zeros(count), np.zeros(count)
    for index, series in enumerate(data.series):
        row = values[index]
        if data.stacked:  # positive values stack upwards from zero, negative ones downwards
            base = np.where(row >= 0, above, below)
            above, below = above + np.clip(row, 0, None), below + np.clip(row, None, 0)
            left = positions
        else:
            base = np.zeros(count)
            left = positions - group / 2 + (index + 0.5) * width
        axes.bar(left, row, width, bottom=base, color=series.color or PALETTE[index % len(PALETTE)],
                 edgecolor="white", linewidth=0.8, label=series.name)
    shown = positions[::fit.category_step]
    axes.set_xticks(shown, fit.categories[::fit.category_step])
    axes.tick_params(axis="x", length=0)
    axes.set_xlim(-0.5, count - 0.5)
    if data.y_range is not None:
        axes.set_ylim(*data.y_range)
    if _whole(values):  # counts (buildings) get no half ticks
        axes.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))
    axes.set_ylabel(fit.y_label, fontsize=FONT_SIZE, color=TEXT_COLOUR)


# ----------------------------------------------------------------------------- numbers and hover

class GroupedNumbers(Formatter):
    """Tick labels written as in the twin's tables (twin.core.numbers): thousands grouped, as many
    decimals as the tick step needs on every label alike; years (`years`) not grouped."""

    def __init__(self, years: bool = False) -> None:
        self.decimals = 0
        self.years = years

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        steps = np.diff(np.asarray(locs, dtype=float))
        self.decimals = _decimals(float(steps.min())) if len(steps) else 0

    def __call__(self, value: float, pos: int | None = None) -> str:
        return format_number(value, name="year" if self.years else "", decimals=self.decimals)


def _decimals(step: float) -> int:
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6 * 10**decimals:
        decimals += 1
    return decimals


def _number_text(value: float) -> str:
    """A single value for the hover label, as the tables write it."""
    return format_number(value)


def _x_text(data: LineChartData, x: float) -> str:
    if data.time_axis:
        return f"{mdates.num2date(x):%Y-%m-%d %H:%M}"
    return format_number(x, name=data.x_label)


def _nearest_point(axes: Axes, x: float, y: float) -> tuple[str, float, float] | None:
    """The series point nearest to the display position (x, y) within HOVER_REACH: name, x, y."""
    best: tuple[float, str, float, float] | None = None
    reach = HOVER_REACH * axes.figure.dpi / DPI
    for line in axes.get_lines():
        if line.get_gid() != "series":
            continue
        points = np.asarray(line.get_xydata(), dtype=float)
        if not len(points):
            continue
        distance = np.hypot(*(axes.transData.transform(points) - (x, y)).T)
        distance[~np.isfinite(distance)] = np.inf
        nearest = int(np.argmin(distance))
        if distance[nearest] <= reach and (best is None or distance[nearest] < best[0]):
            best = (float(distance[nearest]), line.get_label(), *points[nearest])
    return None if best is None else best[1:]


def _whole(values: np.ndarray) -> bool:
    numbers = np.asarray(values, dtype=float)
    finite = numbers[np.isfinite(numbers)]
    return bool(np.all(finite == np.round(finite)))


def _darker(colour: str) -> str:
    """The colour at 77 % brightness: reference labels read better than in the line's own colour."""
    return to_hex(tuple(channel / 1.3 for channel in to_rgb(colour)))

