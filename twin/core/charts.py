"""Chart data as plain values: what a chart shows, without how it is drawn.

Plugins build these for their reports (their `charts` hook), the inspector for sensors and ratings;
the Qt shell draws them (twin/qt/charts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LineSeries:
    """One line: x as numbers or datetime64, y; optional low/high band (a spread around it)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    color: str | None = None
    markers: bool = False


@dataclass(frozen=True)
class ReferenceLine:
    value: float
    label: str
    color: str = "#555555"


@dataclass(frozen=True)
class LineChartData:
    title: str
    x_label: str
    y_label: str
    series: list[LineSeries]
    references: list[ReferenceLine] = field(default_factory=list)
    y_range: tuple[float, float] | None = None

    @property
    def time_axis(self) -> bool:
        return any(np.issubdtype(series.x.dtype, np.datetime64) for series in self.series)


@dataclass(frozen=True)
class BarSeries:
    name: str
    values: np.ndarray  # one per category; NaN for none
    color: str | None = None


@dataclass(frozen=True)
class BarChartData:
    title: str
    y_label: str
    categories: list[str]
    series: list[BarSeries]
    stacked: bool = False
    y_range: tuple[float, float] | None = None


ChartData = LineChartData | BarChartData
