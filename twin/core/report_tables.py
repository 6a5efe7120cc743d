"""What the reports dock and the inspector show, computed without Qt.

A run's figures become a table (rows = figures with readable names and units, columns =
quarters) and chart data suited to its simulation; a picked feature becomes attribute rows,
the result-table rows joined to it, and its time series. The Qt shell only draws these.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from twin.core.charts import (
    BarChartData,
    BarSeries,
    ChartData,
    LineChartData,
    LineSeries,
    ReferenceLine,
)
from twin.core.data import (
    BuildingData,
    PointCloudData,
    RasterData,
    ResultRaster,
    ResultTable,
    SensorData,
    StreetData,
)
from twin.core.layers import Layer
from twin.core.scene import RunRecord, Scene

WHOLE_RUN = "whole area"  # the column of a run's summary, next to its quarters
RATING_WARNING = 3.5  # German condition scale: the warning value (ZEB/ZTV)
RATING_THRESHOLD = 4.5  # ... and the threshold value that calls for works
# The condition classes are named after their map colours; these shades keep the names and stay
# apart for colour-blind readers (Okabe-Ito blue, bluish green, a light green, yellow, vermillion).
CONDITION_CLASSES = (("blue", "very good (<= 1.5)", "#0072B2"), ("dark_green", "good", "#009E73"),
                     ("light_green", "fair (<= 3.5)", "#9AD29B"), ("yellow", "poor (<= 4.5)", "#F0E442"),
                     ("red", "very poor (> 4.5)", "#D55E00"))
ID_COLUMNS = ("building_id", "segment_id", "station_id")


# ----------------------------------------------------------------------------- names and units

@dataclass(frozen=True)
class Quantity:
    """How a figure or attribute reads: a label, its unit, and the factor to that unit."""

    label: str
    unit: str = ""
    scale: float = 1.0


_KNOWN: dict[str, Quantity] = {
    "length_m": Quantity("street length", "m"),
    "mean_condition": Quantity("mean condition (1 very good .. 5 very poor)"),
    "spent_eur": Quantity("money spent", "EUR"),
    "backlog_eur": Quantity("backlog (segments past 3.5)", "EUR"),
    "monte_carlo_runs": Quantity("Monte-Carlo runs"),
    "segments": Quantity("street segments"),
    "electricity_mwh": Quantity("electricity demand", "MWh/a"),
    "pv_mwh": Quantity("PV yield", "MWh/a"),
    "pv_kwp": Quantity("PV potential", "kWp"),
    "self_sufficiency": Quantity("self-sufficiency (each building)", "%", 100.0),
    "self_sufficiency_quarter": Quantity("self-sufficiency (quarter)", "%", 100.0),
    "self_consumption": Quantity("PV self-consumption (each building)", "%", 100.0),
    "self_consumption_quarter": Quantity("PV self-consumption (quarter)", "%", 100.0),
    "grid_import_mwh": Quantity("grid import", "MWh/a"),
    "grid_export_mwh": Quantity("grid export", "MWh/a"),
    "peak_demand_kw": Quantity("peak demand", "kW"),
    "peak_import_after_pv_kw": Quantity("peak import after PV", "kW"),
    "peak_import_after_batteries_kw": Quantity("peak import after batteries", "kW"),
    "peak_export_kw": Quantity("peak export", "kW"),
    "heat_now_mwh": Quantity("heat demand today", "MWh/a"),
    "buildings": Quantity("buildings"),
    "buildings_affected": Quantity("buildings affected"),
    "ponded_volume_m3": Quantity("water standing at the end", "m³"),
    "max_depth_m": Quantity("deepest water", "m"),
    "street_length_m": Quantity("street length", "m"),
    "flooded_street_length_m": Quantity("flooded street length", "m"),
    "cells": Quantity("grid cells"),
    "measured_height": Quantity("measured height", "m"),
    "year_of_construction": Quantity("year of construction"),
    "floor_area": Quantity("floor area", "m²"),
}
_PATTERNS: tuple[tuple[str, Any], ...] = (
    (r"heat_(\d{4})_mwh", lambda m: Quantity(f"heat demand {m[1]}", "MWh/a")),
    (r"flooded_area_m2_over_([\d.]+)m", lambda m: Quantity(f"flooded area deeper than {m[1]} m", "m²")),
    (r"share_by_class_(\w+)", lambda m: Quantity(f"share of length {_class_label(m[1])}", "%", 100.0)),
    (r"share_(\w+)", lambda m: Quantity(f"share of length {_class_label(m[1])}", "%", 100.0)),
    (r"monte_carlo_(\w+)_p(\d\d)", lambda m: Quantity(
        f"{describe(m[1]).label}, {int(m[2])}th percentile", describe(m[1]).unit)),
    (r"(?:class|condition)_(\d{4})", lambda m: Quantity(m[0].replace("_", " "))),
)
# Longest first, so `_mm_h` is not read as `_h`.
_SUFFIX_UNITS = (("_m_s", "m/s"), ("_mm_h", "mm/h"), ("_eur_m2", "EUR/m²"), ("_mwh", "MWh/a"),
                 ("_kwh", "kWh"), ("_kwp", "kWp"), ("_kw", "kW"), ("_eur", "EUR"), ("_m2", "m²"),
                 ("_m3", "m³"), ("_mm", "mm"), ("_pct", "%"), ("_deg", "°"), ("_min", "min"), ("_m", "m"))
_UNIT_NAMES = {"m2": "m²", "m3": "m³", "EUR/m2": "EUR/m²"}


def describe(key: str, unit: str | None = None) -> Quantity:
    """A readable label and unit for a figure or column name (`unit` where the data declares one)."""
    if key in _KNOWN:
        return _KNOWN[key]
    for pattern, make in _PATTERNS:
        match = re.fullmatch(pattern, key)
        if match:
            return make(match)
    if unit is not None:
        return Quantity(key.replace("_", " "), _UNIT_NAMES.get(unit, unit))
    for suffix, suffix_unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return Quantity(key[: -len(suffix)].replace("_", " "), suffix_unit)
    return Quantity(key.replace("_", " "))


def _class_label(name: str) -> str:
    for class_name, label, _ in CONDITION_CLASSES:
        if class_name == name:
            return f"{name.replace('_', ' ')}: {label}"
    return name.replace("_", " ")


def format_value(value: Any) -> str:
    """A value as a person reads it: grouped thousands, three significant digits for small numbers."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="m")).replace("T", " ")
    if not isinstance(value, int | float | np.number):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "no data"
    if abs(number) >= 10_000:  # four-digit numbers (years among them) stay ungrouped
        return f"{number:,.0f}"
    if number == round(number):
        return f"{number:.0f}"
    if abs(number) >= 10:
        return f"{number:.1f}"
    return f"{number:.3g}"


# ----------------------------------------------------------------------------- the figures table

@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    unit: str
    values: list[float | None]  # one per column, already in `unit`


@dataclass(frozen=True)
class FigureTable:
    """A run's figures: one row per figure, one column per quarter (and the whole area)."""

    columns: list[str]
    rows: list[FigureRow]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["figure", "unit", *self.columns])
        for row in self.rows:
            writer.writerow([row.label, row.unit,
                             *("" if value is None else f"{value:.10g}" for value in row.values)])
        return buffer.getvalue()


def figure_table(run: RunRecord, quarter: str | None = None) -> FigureTable:
    """The figures of a run per quarter, or of one quarter; yearly series show first and last year."""
    if quarter is not None:
        places = {quarter: run.per_quarter[quarter]}
    else:
        places = {**run.per_quarter, WHOLE_RUN: run.summary}
    flat = {name: _flatten(figures) for name, figures in places.items()}
    keys = list(dict.fromkeys(key for figures in flat.values() for key in figures))
    rows = []
    for key in keys:
        base, _, year = key.partition("@")
        quantity = describe(base)
        label = f"{quantity.label}, {year}" if year else quantity.label
        values = [flat[name].get(key) for name in places]
        rows.append(FigureRow(key, label, quantity.unit,
                              [None if value is None else value * quantity.scale for value in values]))
    return FigureTable(list(places), rows)


def _flatten(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """Numeric figures by key; nested dicts joined with '_', yearly lists as 'key@first/last year'."""
    years = figures.get("years")
    flat: dict[str, float | None] = {}

    def visit(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for name, item in value.items():
                visit(f"{prefix}_{name}" if prefix else str(name), item)
        elif isinstance(value, list | tuple) and years is not None and len(value) == len(years) \
                and prefix != "years" and all(_is_number(item) or item is None for item in value):
            for index in (0, len(years) - 1):
                flat[f"{prefix}@{years[index]}"] = _number(value[index])
        elif _is_number(value) or value is None:
            flat[prefix] = _number(value)

    visit("", figures)
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


# ----------------------------------------------------------------------------- chart data



def run_charts(run: RunRecord, scene: Scene, quarter: str | None = None) -> list[ChartData]:
    """The charts suited to a run's simulation, for one quarter or all; none for unknown kinds."""
    makers = {"flood": _flood_charts, "street_decay": _street_charts, "energy": _energy_charts}
    maker = makers.get(run.simulation)
    return [] if maker is None else maker(run, scene, quarter)


def result_table(run: RunRecord, scene: Scene, name: str) -> ResultTable | None:
    """The run's result table called `name`, or None where it is gone from the scene."""
    for layer_name in run.layer_names:
        try:
            data = scene.layer(layer_name).data
        except KeyError:  # the user removed the result layer
            continue
        if isinstance(data, ResultTable) and data.name == name:
            return data
    return None


def _places(run: RunRecord, quarter: str | None) -> list[str]:
    return [quarter] if quarter is not None else list(run.per_quarter)


def _values(run: RunRecord, places: list[str], key: str, scale: float = 1.0) -> np.ndarray:
    return np.array([np.nan if run.per_quarter[place].get(key) is None
                     else float(run.per_quarter[place][key]) * scale for place in places])


def _flood_charts(run: RunRecord, scene: Scene, quarter: str | None) -> list[ChartData]:
    places = _places(run, quarter)
    thresholds = sorted({float(match[1]) for figures in run.per_quarter.values() for key in figures
                         if (match := re.fullmatch(r"flooded_area_m2_over_([\d.]+)m", key))})
    charts: list[ChartData] = []
    if thresholds:
        over = np.array([_values(run, places, f"flooded_area_m2_over_{threshold:.2f}m")
                         for threshold in thresholds])
        between = over - np.vstack([over[1:], np.zeros(len(places))])  # area of each depth class
        names = [f"{low:g}-{high:g} m" for low, high in zip(thresholds, thresholds[1:], strict=False)]
        names.append(f"over {thresholds[-1]:g} m")
        colours = ("#56B4E9", "#0072B2", "#CC79A7", "#D55E00")
        charts.append(BarChartData("Flooded area by depth class", "flooded area (m²)", places,
                                   [BarSeries(name, values, colour) for name, values, colour
                                    in zip(names, between, colours, strict=False)], stacked=True))
    if any("buildings_affected" in run.per_quarter[place] for place in places):
        charts.append(BarChartData("Buildings reached by the water", "buildings", places, [
            BarSeries("buildings in the quarter", _values(run, places, "buildings"), "#BBBBBB"),
            BarSeries("affected", _values(run, places, "buildings_affected"), "#D55E00")]))
    return charts


def _street_charts(run: RunRecord, scene: Scene, quarter: str | None) -> list[ChartData]:
    figures = run.per_quarter[quarter] if quarter is not None else run.summary
    place = quarter or "the whole network"
    years = np.asarray(figures["years"])
    shares = figures["share_by_class"]
    classes = BarChartData(
        f"Share of street length per condition class, {place}", "share of length (%)",
        [str(year) for year in years],
        [BarSeries(_class_label(name), np.asarray(shares[name], dtype=float) * 100.0, colour)
         for name, _, colour in CONDITION_CLASSES if name in shares], stacked=True, y_range=(0.0, 100.0))
    lines = [_condition_line(name, run.per_quarter[name], years) for name in _places(run, quarter)]
    if quarter is None and len(run.per_quarter) > 1:
        lines.append(_condition_line("whole network", run.summary, years))
    spread = "; band: Monte-Carlo 5-95 %" if any(line.low is not None for line in lines) else ""
    condition = LineChartData(
        f"Mean condition (length-weighted{spread})", "year", "condition value",
        lines, [ReferenceLine(RATING_WARNING, "warning value 3.5", "#E69F00"),
                ReferenceLine(RATING_THRESHOLD, "threshold value 4.5", "#D55E00")], y_range=(1.0, 5.0))
    money = LineChartData(f"Money spent and backlog, {place}", "year", "EUR", [
        LineSeries("spent", years, np.asarray(figures["spent_eur"], dtype=float), markers=True),
        LineSeries("backlog", years, np.asarray(figures["backlog_eur"], dtype=float),
                   *_band(figures, "backlog_eur"))])
    return [classes, condition, money]


def _condition_line(name: str, figures: Mapping[str, Any], years: np.ndarray) -> LineSeries:
    return LineSeries(name, years, np.asarray(figures["mean_condition"], dtype=float),
                      *_band(figures, "mean_condition"))


def _band(figures: Mapping[str, Any], key: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    spread = figures.get("monte_carlo", {})
    if f"{key}_p05" not in spread:
        return None, None
    return np.asarray(spread[f"{key}_p05"], dtype=float), np.asarray(spread[f"{key}_p95"], dtype=float)


# The electricity balance as figures (yearly) and as columns of energy_months, with its bars' names.
ENERGY_BALANCE = (("electricity_mwh", "demand", "demand", "#000000"), ("pv_mwh", "pv", "PV yield", "#E69F00"),
                  ("self_consumed", "self_consumed", "PV self-consumed", "#009E73"),
                  ("grid_import_mwh", "grid_import", "grid import", "#0072B2"),
                  ("grid_export_mwh", "grid_export", "grid export", "#CC79A7"))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEK_LINES = (("demand", "demand", "#000000"), ("pv", "PV", "#E69F00"),
              ("import_after_pv", "import after PV", "#56B4E9"),
              ("import_after_batteries", "import after batteries", "#0072B2"),
              ("export", "export", "#CC79A7"))


def _energy_charts(run: RunRecord, scene: Scene, quarter: str | None) -> list[ChartData]:
    places = _places(run, quarter)
    # PV kept within the quarter, used at once or stored: what it did not export.
    self_consumed = _values(run, places, "pv_mwh") * _values(run, places, "self_consumption_quarter")
    balance = [BarSeries(name, self_consumed if key == "self_consumed" else _values(run, places, key), colour)
               for key, _, name, colour in ENERGY_BALANCE]
    charts: list[ChartData] = [BarChartData("Yearly electricity balance", "energy (MWh/a)", places, balance)]
    months = result_table(run, scene, "energy_months")
    if months is not None:
        charts.append(_month_chart(months, quarter))
    charts += [
        BarChartData("Self-sufficiency", "share of demand (%)", places, [
            BarSeries("each building on its own", _values(run, places, "self_sufficiency", 100.0), "#56B4E9"),
            BarSeries("the quarter together", _values(run, places, "self_sufficiency_quarter", 100.0),
                      "#0072B2")], y_range=(0.0, 100.0)),
    ]
    heat_keys = sorted(key for key in run.per_quarter[places[0]] if re.fullmatch(r"heat_\d{4}_mwh", key))
    if "heat_now_mwh" in run.per_quarter[places[0]]:
        charts.append(BarChartData("Heat demand, today and after refurbishment", "heat (MWh/a)", places, [
            BarSeries(describe(key).label, _values(run, places, key))
            for key in ("heat_now_mwh", *heat_keys)]))
    week = result_table(run, scene, "energy_week")
    if week is not None:
        charts.append(_week_chart(week, quarter))
    return charts


def _month_chart(months: ResultTable, quarter: str | None) -> BarChartData:
    """The balance per calendar month of a quarter; all quarters summed when none is chosen."""
    rows = np.ones(len(months), dtype=bool) if quarter is None else months.columns["quarter"] == quarter
    month = np.asarray(months.columns["month"])[rows] - 1
    series = [BarSeries(name, np.bincount(month, weights=months.columns[column][rows], minlength=12), colour)
              for _, column, name, colour in ENERGY_BALANCE]
    return BarChartData(f"Monthly electricity balance, {quarter or 'all quarters'}", "energy (MWh per month)",
                        list(MONTHS), series)


def _week_chart(week: ResultTable, quarter: str | None) -> LineChartData:
    """Hourly flows of the week; all quarters summed when none is chosen."""
    rows = np.ones(len(week), dtype=bool) if quarter is None else week.columns["quarter"] == quarter
    times = week.columns["hour_ending_utc"][rows].astype("datetime64[m]")
    hours, where = np.unique(times, return_inverse=True)
    series = [LineSeries(name, hours, np.bincount(where, weights=week.columns[key][rows],
                                                  minlength=len(hours)), color=colour)
              for key, name, colour in WEEK_LINES if key in week.columns]
    first = str(hours[0].astype("datetime64[D]")) if len(hours) else ""
    return LineChartData(f"Hourly balance, week from {first} ({quarter or 'all quarters'})",
                         "time (UTC)", "power (kW)", series)


# ----------------------------------------------------------------------------- the inspector

@dataclass(frozen=True)
class AttributeRow:
    label: str
    value: str
    unit: str


@dataclass(frozen=True)
class JoinedRows:
    """One row of a result table that belongs to the inspected feature."""

    title: str
    rows: list[AttributeRow]


def feature_rows(layer: Layer, index: int | tuple[int, int]) -> list[AttributeRow]:
    """The attributes of one feature of a layer (a (row, col) cell for grids), with units."""
    data = layer.data
    if isinstance(data, RasterData | ResultRaster):
        return _cell_rows(layer, data, *index)
    row = int(index)
    if isinstance(data, ResultTable):
        return _column_rows(data.columns, row, data.units)
    if not 0 <= row < _feature_count(data):
        raise IndexError(f"layer '{layer.name}' has no feature {row}")
    if isinstance(data, BuildingData):
        area = shapely.area(data.footprints[row]) if data.footprints[row] is not None else None
        return [AttributeRow("id", str(data.ids[row]), ""), *_column_rows(data.attributes, row),
                AttributeRow("footprint area", format_value(area), "m²")]
    if isinstance(data, StreetData):
        return [AttributeRow("id", str(data.ids[row]), ""), *_column_rows(data.attributes, row),
                AttributeRow("geometry length", format_value(shapely.length(data.geometries[row])), "m"),
                *_latest_rating(data, row)]
    if isinstance(data, SensorData):
        return [AttributeRow("id", str(data.ids[row]), ""), *_position_rows(data.xyz[row]),
                *_column_rows(data.attributes, row), *_latest_observations(data, str(data.ids[row]))]
    if isinstance(data, PointCloudData):
        return [*_position_rows(data.xyz[row]), *_column_rows(data.attributes, row)]
    raise TypeError(f"cannot inspect a {type(data).__name__}")


def _feature_count(data: Any) -> int:
    return len(data.xyz) if isinstance(data, PointCloudData) else len(data)


def _column_rows(columns: Mapping[str, np.ndarray], row: int,
                 units: Mapping[str, str] | None = None) -> list[AttributeRow]:
    rows = []
    for name, values in columns.items():
        quantity = describe(name, (units or {}).get(name))
        value = values[row]
        if quantity.scale != 1.0 and _is_number(value):
            value = float(value) * quantity.scale
        rows.append(AttributeRow(quantity.label, format_value(value), quantity.unit))
    return rows


def _position_rows(xyz: np.ndarray) -> list[AttributeRow]:
    return [AttributeRow(axis, f"{value:.2f}" if np.isfinite(value) else "no data", "m")
            for axis, value in zip(("x", "y", "z"), xyz, strict=False)]


def _cell_rows(layer: Layer, data: RasterData | ResultRaster, row: int, col: int) -> list[AttributeRow]:
    height, width = data.values.shape[-2:]
    if not (0 <= row < height and 0 <= col < width):
        raise IndexError(f"layer '{layer.name}' has no cell ({row}, {col})")
    x, y = data.transform @ (col + 0.5, row + 0.5)
    rows = [AttributeRow("row, column", f"{row}, {col}", ""),
            AttributeRow("x (cell centre)", f"{x:.2f}", "m"),
            AttributeRow("y (cell centre)", f"{y:.2f}", "m")]
    units = _UNIT_NAMES.get(data.units, data.units)
    if isinstance(data, ResultRaster) and data.times is not None:
        step = getattr(layer, "time_index", 0)
        rows.append(AttributeRow("time", format_value(data.times[step] / 60.0), "min"))
        rows.append(AttributeRow(data.name, format_value(data.values[step, row, col]), units))
        rows.append(AttributeRow(f"{data.name}, highest over time",
                                 format_value(np.nanmax(data.values[:, row, col])), units))
    else:
        label = data.name if isinstance(data, ResultRaster) else "value"
        rows.append(AttributeRow(label, format_value(data.values[row, col]), units))
    return rows


def _latest_rating(streets: StreetData, row: int) -> list[AttributeRow]:
    if streets.inspections is None:
        return []
    dates, ratings = streets.inspections.of_segment(row)
    if not len(dates):
        return [AttributeRow("ratings", "none", "")]
    return [AttributeRow("ratings", str(len(dates)), ""),
            AttributeRow("latest rating", f"{ratings[-1]:.2f} on {dates[-1]}", "1-5")]


def _latest_observations(sensors: SensorData, station_id: str) -> list[AttributeRow]:
    rows = []
    for stream in sensors.datastreams_of(station_id):
        series = stream.series
        if len(series.times):
            when = format_value(series.times[-1].astype("datetime64[m]"))
            label = f"{stream.name.replace('_', ' ')} (latest, {when} UTC)"
            rows.append(AttributeRow(label, format_value(series.values[-1]), stream.unit))
    return rows


def joined_results(layers: Iterable[Layer], layer: Layer, index: int) -> list[JoinedRows]:
    """Rows of result tables about this layer whose building/segment/station id is the feature's."""
    ids = getattr(layer.data, "ids", None)
    if ids is None:
        return []
    feature_id = str(ids[int(index)])
    joined = []
    for candidate in layers:
        table = candidate.data
        if not isinstance(table, ResultTable) or table.target_layer != layer.name:
            continue
        id_column = next((name for name in ID_COLUMNS if name in table.columns), None)
        if id_column is None:
            continue
        matches = np.flatnonzero(np.asarray(table.columns[id_column]).astype(str) == feature_id)
        for number, match in enumerate(matches, start=1):
            title = candidate.name if len(matches) == 1 else f"{candidate.name} ({number} of {len(matches)})"
            columns = {name: values for name, values in table.columns.items() if name != id_column}
            joined.append(JoinedRows(title, _column_rows(columns, int(match), table.units)))
    return joined


def sensor_charts(sensors: SensorData, station_id: str) -> list[LineChartData]:
    """The station's datastreams as line charts over time, one chart per unit."""
    by_unit: dict[str, list[LineSeries]] = {}
    for stream in sensors.datastreams_of(station_id):
        by_unit.setdefault(stream.unit, []).append(
            LineSeries(stream.name.replace("_", " "), stream.series.times.astype("datetime64[s]"),
                       stream.series.values.astype(float)))
    return [LineChartData(f"{station_id}: {', '.join(series.name for series in lines)}", "time (UTC)",
                          f"{', '.join(series.name for series in lines)} ({unit})" if unit else
                          ", ".join(series.name for series in lines), lines)
            for unit, lines in by_unit.items()]


def rating_history_chart(streets: StreetData, row: int) -> LineChartData | None:
    """A segment's condition ratings over time against the warning and threshold values."""
    if streets.inspections is None:
        return None
    dates, ratings = streets.inspections.of_segment(row)
    if not len(dates):
        return None
    return LineChartData(
        f"Rating history of {streets.ids[row]}", "inspection date", "condition (1 very good .. 5 very poor)",
        [LineSeries("rating", dates.astype("datetime64[D]"), ratings.astype(float), color="#0072B2",
                    markers=True)],
        [ReferenceLine(RATING_WARNING, "warning value 3.5", "#E69F00"),
         ReferenceLine(RATING_THRESHOLD, "threshold value 4.5", "#D55E00")], y_range=(1.0, 5.0))
