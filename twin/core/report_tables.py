"""What the reports dock and the inspector show, computed without Qt.

A run's figures become a table (rows = figures with readable names and units, columns =
quarters) and chart data suited to its simulation; a picked feature becomes attribute rows,
the result-table rows joined to it, and its time series. The Qt shell only draws these.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from twin.core.charts import (
    LineChartData,
    LineSeries,
    ReferenceLine,
)
from twin.core.data import (
    STREET_SCHEMA,
    BuildingData,
    PointCloudData,
    RasterData,
    ResultRaster,
    ResultTable,
    SensorData,
    StreetData,
)
from twin.core.fields import DType, OutputCatalogue, flatten_figures
from twin.core.layers import Layer
from twin.core.numbers import format_value
from twin.core.scene import RunRecord, Scene

WHOLE_RUN = "whole area"  # the column of a run's summary, next to its quarters
RATING_WARNING = 3.5  # German condition scale: the warning value (ZEB/ZTV)
RATING_THRESHOLD = 4.5  # ... and the threshold value that calls for works
ID_COLUMNS = ("building_id", "segment_id", "station_id")
_STREET_LABELS = {name: label for name, (label, _) in STREET_SCHEMA.items()}
_STREET_UNITS = {name: unit for name, (_, unit) in STREET_SCHEMA.items()}


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

    def column(self, name: str) -> FigureTable:
        """The table of one of its columns (a quarter, or the whole area)."""
        index = self.columns.index(name)
        return FigureTable([name], [FigureRow(row.key, row.label, row.unit, [row.values[index]])
                                    for row in self.rows])

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["figure", "unit", *self.columns])
        for row in self.rows:
            writer.writerow([row.label, row.unit,
                             *("" if value is None else f"{value:.10g}" for value in row.values)])
        return buffer.getvalue()


def figure_table(run: RunRecord, catalogue: OutputCatalogue, quarter: str | None = None,
                 every_year: bool = False) -> FigureTable:
    """The figures of a run per quarter, or of one quarter, labelled from the simulation's declared
    outputs (`catalogue`); yearly series show their first and last year, or `every_year`. A
    quarter's table ends with the figures only the whole run has (the rain's depth), marked so."""
    if quarter is not None:
        places = {quarter: run.per_quarter[quarter]}
    else:
        places = {**run.per_quarter, WHOLE_RUN: run.summary}
    flat = {name: _flatten(catalogue, figures, every_year) for name, figures in places.items()}
    keys = list(dict.fromkeys(key for figures in flat.values() for key in figures))
    rows = [_figure_row(catalogue, key, [flat[name].get(key) for name in places]) for key in keys]
    if quarter is not None:
        whole = _flatten(catalogue, run.summary, every_year)
        rows += [_figure_row(catalogue, key, [whole[key]], f" ({WHOLE_RUN})")
                 for key in whole if key not in flat[quarter] and not _per_quarter(run, key)]
    return FigureTable(list(places), rows)


def _figure_row(catalogue: OutputCatalogue, key: str, values: list[float | None],
                suffix: str = "") -> FigureRow:
    base, _, year = key.partition("@")
    quantity = catalogue.figure_quantity(base)
    label = f"{quantity.label}, {year}" if year else quantity.label
    return FigureRow(key, label + suffix, quantity.unit,
                     [None if value is None else value * quantity.scale for value in values])


def _per_quarter(run: RunRecord, key: str) -> bool:
    """Whether some quarter has the figure (a quarter lacking it has none, not the run's)."""
    base = key.partition("@")[0]
    return any(base in figures or key in figures for figures in run.per_quarter.values())


def compared_table(titled: list[tuple[str, FigureTable]]) -> FigureTable:
    """Runs side by side, one column each (their tables of one place), and each one's difference
    from the first: the figures of a scenario against a baseline."""
    first_title = titled[0][0]
    columns = [title for title, _ in titled] + [f"{title} − {first_title}" for title, _ in titled[1:]]
    rows_by_key: dict[str, FigureRow] = {}
    values: dict[str, list[float | None]] = {}
    for number, (_, table) in enumerate(titled):
        for row in table.rows:
            rows_by_key.setdefault(row.key, row)
            values.setdefault(row.key, [None] * len(titled))[number] = row.values[0]
    rows = []
    for key, row in rows_by_key.items():
        shown = values[key]
        base = shown[0]
        differences = [None if base is None or value is None else value - base for value in shown[1:]]
        rows.append(FigureRow(key, row.label, row.unit, [*shown, *differences]))
    return FigureTable(columns, rows)


_NOT_REPORTED = (DType.AXIS, DType.RECORD, DType.TEXT, DType.TIME)


def _flatten(catalogue: OutputCatalogue, figures: Mapping[str, Any],
             every_year: bool = False) -> dict[str, float | None]:
    """Numeric figures by flattened key; series over the run's years as 'key@first/last year'."""
    years = figures.get("years")
    flat: dict[str, float | None] = {}
    for key, (spec, value) in flatten_figures(catalogue, figures).items():
        if spec is not None and spec.dtype in _NOT_REPORTED:
            continue
        if isinstance(value, list | tuple):
            if years is not None and len(value) == len(years) and key != "years" \
                    and all(_is_number(item) or item is None for item in value):
                for index in range(len(years)) if every_year else (0, len(years) - 1):
                    flat[f"{key}@{years[index]}"] = _number(value[index])
        elif _is_number(value) or value is None:
            flat[key] = _number(value)
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


# ----------------------------------------------------------------------------- chart data



def run_tables(run: RunRecord, scene: Scene) -> dict[str, ResultTable]:
    """The run's result tables by name, those still in the scene (the user may remove layers)."""
    tables = {}
    for layer_name in run.layer_names:
        try:
            data = scene.layer(layer_name).data
        except KeyError:
            continue
        if isinstance(data, ResultTable):
            tables[data.name] = data
    return tables


def figure_values(run: RunRecord, places: list[str], key: str, scale: float = 1.0) -> np.ndarray:
    """One figure of a run for each of the places (quarters), NaN where a quarter lacks it."""
    return np.array([np.nan if run.per_quarter[place].get(key) is None
                     else float(run.per_quarter[place][key]) * scale for place in places])


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
        return _column_rows(data.columns, row, data.units, data.labels)
    if not 0 <= row < _feature_count(data):
        raise IndexError(f"layer '{layer.name}' has no feature {row}")
    if isinstance(data, BuildingData):
        area = shapely.area(data.footprints[row]) if data.footprints[row] is not None else None
        return [AttributeRow("id", str(data.ids[row]), ""), *_column_rows(data.attributes, row),
                AttributeRow("footprint area", format_value(area), "m²")]
    if isinstance(data, StreetData):
        return [AttributeRow("id", str(data.ids[row]), ""),
                *_column_rows(data.attributes, row, _STREET_UNITS, _STREET_LABELS),
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


def _column_rows(columns: Mapping[str, np.ndarray], row: int, units: Mapping[str, str] | None = None,
                 labels: Mapping[str, str] | None = None) -> list[AttributeRow]:
    units, labels = units or {}, labels or {}
    return [AttributeRow(labels.get(name) or name.replace("_", " "),
                         format_value(values[row], units.get(name, ""), name=name), units.get(name, ""))
            for name, values in columns.items()]


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
    units = data.units
    if isinstance(data, ResultRaster) and data.times is not None:
        step = getattr(layer, "time_index", 0)
        rows.append(AttributeRow("time", format_value(data.times[step] / 60.0), "min"))
        rows.append(AttributeRow(data.name, format_value(data.values[step, row, col], units), units))
        rows.append(AttributeRow(f"{data.name}, highest over time",
                                 format_value(np.nanmax(data.values[:, row, col]), units), units))
    else:
        label = data.name if isinstance(data, ResultRaster) else "value"
        rows.append(AttributeRow(label, format_value(data.values[row, col], units), units))
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
            rows.append(AttributeRow(label, format_value(series.values[-1], stream.unit), stream.unit))
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
            joined.append(JoinedRows(title, _column_rows(columns, int(match), table.units, table.labels)))
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
