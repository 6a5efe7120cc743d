"""The difference between two runs of one simulation: run B minus run A, as a layer of its own.

A planner compares a scenario with a baseline cell by cell (deepest water of a 100-year storm
against a 30-year one, on the same grid) or feature by feature (each building's deepest water,
each segment's condition per year, joined by id). Only runs that describe the same things can
be subtracted: the same simulation, the same grid (shape, cell placement, CRS, time steps), the
same buildings or segments. Anything else is a `DifferenceError` of one sentence.

    layer = difference_layer(scene, baseline, scenario, "max_depth")   # scenario − baseline
    scene.add_layer(layer)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.core.crs import normalize_crs
from twin.core.data import ResultRaster, ResultTable
from twin.core.errors import TwinError
from twin.core.layers import Layer, ResultRasterLayer, ResultTableLayer, year_series
from twin.core.scene import RunRecord, Scene

DELTA = "Δ"
ID_COLUMNS = ("building_id", "segment_id", "station_id")
_PLACE_TOLERANCE = 1e-6  # of a cell: grids placed this close are the same grid


class DifferenceError(TwinError):
    """Two runs, or two of their results, cannot be subtracted from each other."""


class DifferenceLayer:
    """What a layer of differences adds to a result layer: the runs it compares, B minus A."""

    compared: tuple[str, str]  # (name of run B, name of run A)

    @property
    def comparison(self) -> str:
        """'run B − run A', for legends and tooltips."""
        return f"{self.compared[0]} − {self.compared[1]}"


class DifferenceRasterLayer(DifferenceLayer, ResultRasterLayer):
    """A grid of differences between two runs' grids."""

    def __init__(self, data: ResultRaster, name: str, compared: tuple[str, str], **kwargs: Any) -> None:
        super().__init__(data, name, **kwargs)
        self.compared = compared


class DifferenceTableLayer(DifferenceLayer, ResultTableLayer):
    """Differences per building, segment or station between two runs' tables."""

    def __init__(self, data: ResultTable, name: str, compared: tuple[str, str], **kwargs: Any) -> None:
        super().__init__(data, name, **kwargs)
        self.compared = compared


def run_results(scene: Scene, run: RunRecord) -> dict[str, Layer]:
    """The run's result layers still in the scene, by result name ('max_depth', 'building_flood')."""
    results: dict[str, Layer] = {}
    for layer in scene.layers:
        if layer.name in run.layer_names and isinstance(layer.data, ResultRaster | ResultTable):
            results.setdefault(layer.data.name, layer)
    return results


def comparable_results(scene: Scene, run_a: RunRecord, run_b: RunRecord) -> list[str]:
    """Names of the results both runs have in the scene that can be subtracted, in run A's order."""
    if run_a.simulation != run_b.simulation:
        return []
    first, second = run_results(scene, run_a), run_results(scene, run_b)
    names = []
    for name, layer in first.items():
        if name not in second:
            continue
        try:
            check_comparable(layer.data, second[name].data)
        except DifferenceError:
            continue
        names.append(name)
    return names


def difference_layer(scene: Scene, run_a: RunRecord, run_b: RunRecord, result: str,
                     names: tuple[str, str] | None = None) -> DifferenceLayer:
    """A new layer of run B's result minus run A's (not yet in the scene).

    `names` are what the runs are called in the legend, B first; by default their scenario names.
    Raises DifferenceError when the runs or their results cannot be subtracted.
    """
    if run_a.simulation != run_b.simulation:
        raise DifferenceError(f"runs of different simulations cannot be subtracted: {run_b.simulation} "
                              f"run {run_b.run_id} and {run_a.simulation} run {run_a.run_id}")
    if run_a.run_id == run_b.run_id:
        raise DifferenceError(f"run {run_a.run_id} cannot be compared with itself")
    name_b, name_a = names or (run_b.scenario or run_b.run_id, run_a.scenario or run_a.run_id)
    layers = run_results(scene, run_a).get(result), run_results(scene, run_b).get(result)
    for layer, run, name in zip(layers, (run_a, run_b), (name_a, name_b), strict=True):
        if layer is None:
            raise DifferenceError(f"run '{name}' ({run.run_id}) has no result '{result}' in the scene")
    a, b = layers[0].data, layers[1].data
    title = f"{DELTA} {result}: {name_b} − {name_a}"
    if isinstance(a, ResultRaster):
        return DifferenceRasterLayer(grid_difference(a, b, (name_b, name_a)), title, (name_b, name_a))
    return DifferenceTableLayer(table_difference(a, b, (name_b, name_a)), title, (name_b, name_a))


def check_comparable(a: ResultRaster | ResultTable, b: ResultRaster | ResultTable) -> None:
    """Raise DifferenceError unless b minus a means something: same kind, same grid or features."""
    if type(a) is not type(b):
        raise DifferenceError(f"result '{a.name}' is a {_kind(a)} in one run and a {_kind(b)} in the other")
    if isinstance(a, ResultRaster):
        _check_grids(a, b)
    else:
        _check_tables(a, b)


def grid_difference(a: ResultRaster, b: ResultRaster, compared: tuple[str, str]) -> ResultRaster:
    """b minus a, cell by cell (and time step by time step); NaN where either has no value."""
    check_comparable(a, b)
    values = b.values.astype(np.float32) - a.values.astype(np.float32)
    label = a.label or a.name.replace("_", " ")
    return ResultRaster(a.name, values, a.transform, a.crs, a.units,
                        f"{label}: {compared[0]} minus {compared[1]}",
                        None if a.times is None else np.asarray(a.times).copy(),
                        f"{DELTA} {label}", "difference")


def table_difference(a: ResultTable, b: ResultTable, compared: tuple[str, str]) -> ResultTable:
    """b minus a for every numeric column both share, joined by the building/segment/station id."""
    check_comparable(a, b)
    id_column = _id_column(a)
    ids = np.asarray(a.columns[id_column]).astype(str)
    b_ids = np.asarray(b.columns[id_column]).astype(str)
    order = np.argsort(b_ids, kind="stable")
    row_in_b = order[np.searchsorted(b_ids, ids, sorter=order)]
    columns: dict[str, np.ndarray] = {id_column: a.columns[id_column].copy()}
    for name in _subtractable(a, b):
        columns[name] = (np.asarray(b.columns[name], dtype=np.float64)[row_in_b]
                         - np.asarray(a.columns[name], dtype=np.float64))
    labels = {name: f"{DELTA} {a.labels.get(name) or name.replace('_', ' ')}" for name in columns
              if name != id_column}
    labels[id_column] = a.labels.get(id_column, id_column.replace("_", " "))
    return ResultTable(a.name, a.target_layer, columns, {name: a.units.get(name, "") for name in columns},
                       f"{a.name}: {compared[0]} minus {compared[1]}", labels, _headline(a, columns))


def _check_grids(a: ResultRaster, b: ResultRaster) -> None:
    if a.values.shape != b.values.shape:
        raise DifferenceError(f"the runs' '{a.name}' grids differ in shape ({_shape(b)} against "
                              f"{_shape(a)}): only runs on the same grid can be subtracted")
    tolerance = _PLACE_TOLERANCE * abs(a.transform.a)
    if not np.allclose(tuple(a.transform)[:6], tuple(b.transform)[:6], rtol=0.0, atol=tolerance):
        raise DifferenceError(f"the runs' '{a.name}' grids lie in different places or cell sizes: "
                              "only runs on the same grid can be subtracted")
    if normalize_crs(a.crs) != normalize_crs(b.crs):
        raise DifferenceError(f"the runs' '{a.name}' grids are in different coordinate systems "
                              f"({b.crs} against {a.crs})")
    if a.units != b.units:
        raise DifferenceError(f"the runs' '{a.name}' grids are in different units "
                              f"({b.units} against {a.units})")
    times_a, times_b = (None if grid.times is None else np.asarray(grid.times, dtype=float)
                        for grid in (a, b))
    if (times_a is None) != (times_b is None) or (times_a is not None and not np.allclose(times_a, times_b)):
        raise DifferenceError(f"the runs' '{a.name}' grids have different time steps: "
                              "only runs saving the same moments can be subtracted step by step")


def _check_tables(a: ResultTable, b: ResultTable) -> None:
    id_column = _id_column(a)
    if id_column is None or id_column not in b.columns:
        raise DifferenceError(f"table '{a.name}' has no building, segment or station id to join the runs by")
    if a.target_layer != b.target_layer:
        raise DifferenceError(f"the runs' '{a.name}' tables describe different layers "
                              f"('{b.target_layer}' against '{a.target_layer}')")
    ids_a = np.asarray(a.columns[id_column]).astype(str)
    ids_b = np.asarray(b.columns[id_column]).astype(str)
    if len(np.unique(ids_a)) != len(ids_a) or len(np.unique(ids_b)) != len(ids_b):
        raise DifferenceError(f"table '{a.name}' has several rows per {id_column.removesuffix('_id')}: "
                              "the runs cannot be joined row by row")
    only_a, only_b = np.setdiff1d(ids_a, ids_b), np.setdiff1d(ids_b, ids_a)
    if len(only_a) or len(only_b):
        missing = only_a if len(only_a) else only_b
        raise DifferenceError(f"the runs' '{a.name}' tables cover different {id_column.removesuffix('_id')}s "
                              f"({len(only_a)} only in the first, {len(only_b)} only in the second, "
                              f"such as '{missing[0]}'): only runs over the same features can be subtracted")
    if not _subtractable(a, b):
        raise DifferenceError(f"the runs' '{a.name}' tables share no numeric column to subtract")


def _subtractable(a: ResultTable, b: ResultTable) -> list[str]:
    """Numeric columns of both tables that differences mean something for (not ids, flags, class codes)."""
    names = []
    for name, values in a.columns.items():
        if name in ID_COLUMNS or name not in b.columns:
            continue
        if values.dtype.kind not in "iuf" or np.asarray(b.columns[name]).dtype.kind not in "iuf":
            continue
        if _coded_classes(a, name):
            continue
        names.append(name)
    return names


def _coded_classes(table: ResultTable, name: str) -> bool:
    """A column of class codes (or a year series of them): their difference is no quantity."""
    series = name.rsplit("_", 1)[0] if name[-4:].isdigit() else name
    classes = table.categories.get(name) or table.categories.get(series) or ()
    return bool(classes) and all(category.upper is None for category in classes)


def _headline(table: ResultTable, differences: dict[str, np.ndarray]) -> str | None:
    """What the difference shows first: the table's headline where it is a quantity, else its first
    year series of differences (condition per year), else its first column of differences."""
    _years, series = year_series(differences)
    if table.headline in differences or table.headline in series:
        return table.headline
    if series:
        return next(iter(series))
    return next((name for name in differences if name not in ID_COLUMNS), None)


def _id_column(table: ResultTable) -> str | None:
    return next((name for name in ID_COLUMNS if name in table.columns), None)


def _kind(result: ResultRaster | ResultTable) -> str:
    return "grid" if isinstance(result, ResultRaster) else "table"


def _shape(grid: ResultRaster) -> str:
    return " x ".join(str(size) for size in grid.values.shape[-2:]) + (
        f" x {grid.values.shape[0]} steps" if grid.times is not None else "")
