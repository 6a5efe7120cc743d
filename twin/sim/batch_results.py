"""A batch's results: one table of every run's figures per quarter, charts of it, and a run's layers.

The table has one row per run and quarter (and one for the whole area), the varied parameters as
columns and every figure in the unit the reports use (twin.sim.presentation). It is written as
Parquet (each column's label and unit in its field metadata) and as CSV with a sidecar
`batch_columns.csv` (column, label, unit). A failed run is one row with its error.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from twin.core.atomic import write_atomic
from twin.core.charts import BarChartData, BarSeries, ChartData, LineChartData, LineSeries
from twin.core.data import ResultTable
from twin.core.layers import Layer, ResultLayer, result_layer
from twin.core.scenario import Scenario
from twin.core.scene import RunRecord
from twin.io import read_layer
from twin.io.errors import TwinIOError
from twin.io.runs import load_run
from twin.sim.batch import (
    RUN_SCENARIO_FILE,
    SAVED_FOLDER,
    BatchError,
    PlannedRun,
    read_summary,
    run_folder,
    shown,
)
from twin.sim.presentation import run_figures
from twin.sim.registry import SimulationRegistry, UnknownSimulationError

TABLE_PARQUET, TABLE_CSV, COLUMNS_CSV = "batch.parquet", "batch.csv", "batch_columns.csv"
DONE = ("ok", "reused")  # the statuses of runs with figures
_BASE = [("run", "run", pa.string()), ("key", "run folder (runs/KEY)", pa.string()),
         ("simulation", "simulation", pa.string()), ("status", "status", pa.string()),
         ("error", "error", pa.string()), ("seed", "seed", pa.int64()), ("quarter", "quarter", pa.string())]
_METADATA_KEY = b"twin_batch"


# ----------------------------------------------------------------------------- writing

def batch_table(runs: Sequence[PlannedRun], statuses: Mapping[str, Mapping[str, Any]],
                batch_folder: Path, registry: SimulationRegistry) -> pa.Table:
    """One row per run and quarter (and the whole area) with the varied parameters and figures."""
    varied = list(dict.fromkeys(name for run in runs for name in run.varied))
    rows: list[dict[str, Any]] = []
    described: dict[str, tuple[str, str]] = {name: _parameter_label(registry, runs, name) for name in varied}
    for run in runs:
        status = statuses.get(run.key, {"status": "not run"})
        base = {"run": run.name, "key": run.key, "simulation": run.simulation, "status": status["status"],
                "error": status.get("error"), "seed": run.scenario.seed,
                **{name: _cell(run.varied.get(name)) for name in varied}}
        if status["status"] not in DONE:
            rows.append({**base, "quarter": None})
            continue
        for place, figures in _figures_by_place(read_summary(batch_folder, run.key), registry, described,
                                                taken=set(base) | {"quarter"}):
            rows.append({**base, "quarter": place, **figures})
    figures = [key for key in described if key not in varied]
    return _arrow_table(rows, varied, figures, described)


def _parameter_label(registry: SimulationRegistry, runs: Sequence[PlannedRun], name: str) -> tuple[str, str]:
    run = next(run for run in runs if name in run.varied)
    try:
        spec = registry.get(run.simulation).parameter(name)
    except (UnknownSimulationError, KeyError):
        return name, ""
    return spec.title, spec.units


def _figures_by_place(summary: Mapping[str, Any], registry: SimulationRegistry,
                      described: dict[str, tuple[str, str]],
                      taken: set[str]) -> list[tuple[str, dict[str, float | None]]]:
    """The run's figures by place; a figure named like a column before it (the figure `backtest_year`
    beside the varied parameter) is called `figure.NAME`."""
    record = RunRecord(run_id=str(summary.get("run_id", "")), simulation=str(summary.get("simulation", "")),
                       scenario=str(summary.get("scenario", "")), seed=summary.get("seed") or 0,
                       parameters=summary.get("parameters") or {}, summary=summary.get("summary") or {},
                       per_quarter=summary.get("per_quarter") or {})
    table = run_figures(registry, record)
    names = {row.key: f"figure.{row.key}" if row.key in taken else row.key for row in table.rows}
    for row in table.rows:
        described.setdefault(names[row.key], (row.label, row.unit))
    return [(place, {names[row.key]: row.values[index] for row in table.rows})
            for index, place in enumerate(table.columns)]


def _cell(value: Any) -> Any:
    """A varied value as a table cell: lists and tables as text, as the run's name shows them."""
    return shown(value) if isinstance(value, list | tuple) else value


def _arrow_table(rows: list[dict[str, Any]], varied: list[str], figures: list[str],
                 described: dict[str, tuple[str, str]]) -> pa.Table:
    fields = [_field(name, kind, label, "") for name, label, kind in _BASE]
    for name in varied:
        fields.append(_field(name, _value_type([row.get(name) for row in rows]), *described[name]))
    fields += [_field(key, pa.float64(), *described[key]) for key in figures]
    metadata = {_METADATA_KEY: json.dumps({"varied": varied, "figures": figures}).encode()}
    return pa.Table.from_pylist(rows, schema=pa.schema(fields, metadata=metadata))


def _field(name: str, kind: pa.DataType, label: str, unit: str) -> pa.Field:
    return pa.field(name, kind, metadata={b"label": label.encode(), b"unit": unit.encode()})


def _value_type(values: list[Any]) -> pa.DataType:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return pa.bool_()
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return pa.int64()
    if present and all(isinstance(value, int | float) and not isinstance(value, bool) for value in present):
        return pa.float64()
    return pa.string()


def write_batch_table(table: pa.Table, batch_folder: Path) -> list[Path]:
    """batch.parquet, batch.csv and batch_columns.csv, each written atomically; return their paths."""
    parquet = pa.BufferOutputStream()
    pq.write_table(table, parquet)
    text = io.BytesIO()
    pa_csv.write_csv(table, text, pa_csv.WriteOptions(quoting_style="needed"))
    columns = io.StringIO()
    writer = csv.writer(columns, lineterminator="\n")
    writer.writerow(["column", "label", "unit"])
    for item in table.schema:
        writer.writerow([item.name, item.metadata[b"label"].decode(), item.metadata[b"unit"].decode()])
    written = {TABLE_PARQUET: parquet.getvalue().to_pybytes(), TABLE_CSV: text.getvalue(),
               COLUMNS_CSV: columns.getvalue()}
    for name, content in written.items():
        write_atomic(batch_folder / name, content)
    return [batch_folder / name for name in written]


# ----------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class BatchResults:
    """A batch folder's table: its rows, which columns were varied and which are figures."""

    folder: Path
    columns: list[str]
    rows: list[dict[str, Any]]
    varied: list[str]
    figures: list[str]
    labels: dict[str, str]
    units: dict[str, str]

    def heading(self, column: str) -> str:
        unit = self.units.get(column, "")
        return f"{self.labels.get(column, column)} ({unit})" if unit else self.labels.get(column, column)


def read_batch(folder: Path) -> BatchResults:
    """The table a batch wrote into `folder`; TwinIOError naming the folder where there is none."""
    path = folder / TABLE_PARQUET
    try:
        table = pq.read_table(path)
        described = json.loads(table.schema.metadata[_METADATA_KEY])
    except FileNotFoundError:
        raise TwinIOError(folder, f"is not a batch folder (it has no {TABLE_PARQUET}: "
                                  f"python main.py batch ... --out FOLDER writes one)") from None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise TwinIOError(path, f"the batch table cannot be read ({error})") from None
    schema = table.schema
    return BatchResults(folder, list(schema.names), table.to_pylist(), list(described["varied"]),
                        list(described["figures"]),
                        {item.name: (item.metadata or {}).get(b"label", b"").decode() or item.name
                         for item in schema},
                        {item.name: (item.metadata or {}).get(b"unit", b"").decode() for item in schema})


def batch_chart(batch: BatchResults, figure: str, parameter: str) -> ChartData:
    """A figure over a varied parameter, a line per quarter (and per value of the other varied
    parameters); bars where the parameter's values are not numbers (a strategy)."""
    others = [name for name in batch.varied if name != parameter]
    groups: dict[str, list[tuple[Any, float]]] = {}
    for row in batch.rows:
        if row["status"] in DONE and row.get(figure) is not None and row.get(parameter) is not None:
            name = ", ".join([str(row["quarter"]), *(f"{other}={row[other]}" for other in others)])
            groups.setdefault(name, []).append((row[parameter], row[figure]))
    title = f"{batch.labels.get(figure, figure)} over {batch.labels.get(parameter, parameter)}"
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool)
                  for points in groups.values() for x, _ in points)
    if numeric:
        series = [LineSeries(name, np.array([x for x, _ in sorted(points)], dtype=float),
                             np.array([y for _, y in sorted(points)], dtype=float), markers=True)
                  for name, points in groups.items()]
        return LineChartData(title, batch.heading(parameter), batch.heading(figure), series)
    categories = list(dict.fromkeys(str(x) for points in groups.values() for x, _ in points))
    bars = [BarSeries(name, np.array([dict((str(x), y) for x, y in points).get(category, np.nan)
                                      for category in categories], dtype=float))
            for name, points in groups.items()]
    return BarChartData(title, batch.heading(figure), categories, bars)


# ----------------------------------------------------------------------------- a run's layers

@dataclass
class RunToOpen:
    """A batch run ready for a scene: its record, result layers, and the input layers its tables
    are drawn on that the scene lacks (read from the scenario's files)."""

    record: RunRecord
    result_layers: list[ResultLayer]
    inputs: list[Layer]


def run_to_open(batch_folder: Path, key: str, scene_layers: Sequence[Layer],
                scene_crs: str | None) -> RunToOpen:
    """Read a batch run's saved layers; a table about an input (the streets) is drawn on the scene's
    layer of the same file, or on that file read anew where the scene has none."""
    folder = run_folder(batch_folder, key)
    saved = sorted(path for path in (folder / SAVED_FOLDER).glob("*") if path.is_dir())
    if not saved:
        raise BatchError(f"{folder}: the run has no saved layers (did it finish?)")
    record, layers = load_run(saved[0])
    scenario = Scenario.load(folder / RUN_SCENARIO_FILE)
    names = {layer.name for layer in scene_layers}
    inputs: list[Layer] = []
    opened = []
    for layer in layers:
        data = layer.data
        if isinstance(data, ResultTable) and data.target_layer in scenario.inputs:
            target = _input_layer(scenario, data.target_layer, [*scene_layers, *inputs], names, scene_crs)
            if all(target is not known for known in [*scene_layers, *inputs]):
                inputs.append(target)
            layer = result_layer(dataclasses.replace(data, target_layer=target.name), layer.name,
                                 run_id=record.run_id, visible=layer.visible, opacity=layer.opacity)
        opened.append(layer)
    return RunToOpen(record, opened, inputs)


def _input_layer(scenario: Scenario, slot: str, layers: Sequence[Layer], names: set[str],
                 scene_crs: str | None) -> Layer:
    file = scenario.inputs[slot].resolve()
    for layer in layers:
        if layer.source is not None and Path(layer.source).resolve() == file:
            return layer
    name = f"{file.stem} ({slot})"
    while name in names:
        name += "'"
    names.add(name)
    return read_layer(file, crs=scenario.crs, name=name, to=scene_crs)

