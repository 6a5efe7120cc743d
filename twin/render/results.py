"""Result tables drawn on the layer they describe: table rows joined to that layer's features."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.core.data import ResultTable
from twin.core.layers import Layer, ResultTableLayer

ID_COLUMNS = ("building_id", "segment_id", "station_id")
TARGET_KINDS = ("buildings", "streets", "sensors")
# The id array each target mesh carries: which feature a cell (or a station's point) belongs to.
FEATURE_ARRAYS = {"buildings": "building", "streets": "feature", "sensors": "station"}


def id_column(table: ResultTable, ids: np.ndarray) -> str | None:
    """The column naming the feature of each row: building_id / segment_id / station_id where its
    values are unique and some of them are among `ids` (a row about a feature the layer lacks, such as
    a proposed new building in a difference, is kept and drawn nowhere), else the first column of
    unique values that are all among `ids`. None when no column fits (a long table with several rows
    per feature, such as hydrographs, is not drawn)."""
    names = [*(name for name in ID_COLUMNS if name in table.columns),
             *(name for name in table.columns if name not in ID_COLUMNS)]
    known = np.asarray(ids).astype(str)
    for name in names:
        values = np.asarray(table.columns[name])
        if values.dtype.kind not in "iuUSO" or len(values) == 0:
            continue
        values = values.astype(str)
        if len(np.unique(values)) != len(values):
            continue
        among = np.isin(values, known)
        if among.all() or (name in ID_COLUMNS and among.any()):
            return name
    return None


def rows_of_features(table: ResultTable, ids: np.ndarray) -> np.ndarray | None:
    """The table row of each feature (-1 where the table has no row for it); None when the
    table cannot be joined to these features."""
    column = id_column(table, ids)
    if column is None:
        return None
    known = np.asarray(ids).astype(str)
    values = np.asarray(table.columns[column]).astype(str)
    joined = np.isin(values, known)  # rows about features the layer lacks join none
    order = np.argsort(known, kind="stable")
    features = order[np.searchsorted(known, values[joined], sorter=order)]
    rows = np.full(len(known), -1, dtype=np.int64)
    rows[features] = np.flatnonzero(joined)
    return rows


def row_of(table: ResultTable, feature_id: str) -> int | None:
    """The row of a table about the feature with this id (in its building, segment or station id
    column), or None where it has none."""
    column = next((name for name in ID_COLUMNS if name in table.columns), None)
    if column is None:
        return None
    rows = np.flatnonzero(np.asarray(table.columns[column]).astype(str) == feature_id)
    return int(rows[0]) if len(rows) else None


def target_of(layer: Layer, layers: list[Layer]) -> Layer | None:
    """The buildings, streets or sensors layer a result table is drawn on, if the scene has it."""
    if not isinstance(layer.data, ResultTable):
        return None
    return next((candidate for candidate in layers if candidate.name == layer.data.target_layer
                 and candidate.kind in TARGET_KINDS), None)


def feature_values(layer: ResultTableLayer, attribute: str, rows: np.ndarray,
                   step: int | None = None) -> np.ndarray:
    """One float per target feature: the joined row's value, NaN where there is no row.

    In a column of class codes, a code the table declares no class for (such as -1, not rated)
    becomes NaN too, so it is drawn like a missing row.
    """
    column = np.asarray(layer.values_of(attribute, step), dtype=np.float64)
    values = np.where(rows >= 0, column[np.maximum(rows, 0)], np.nan)
    classes = layer.data.categories.get(attribute, ())
    if classes and all(category.upper is None for category in classes):
        values[~np.isin(values, [category.code for category in classes])] = np.nan
    return values


def paint(mesh: pv.PolyData, kind: str, values: np.ndarray, name: str) -> None:
    """Write per-feature values onto the mesh elements of those features, in place when present."""
    ids = FEATURE_ARRAYS[kind]
    data = mesh.cell_data if ids in mesh.cell_data else mesh.point_data
    element_values = values[data[ids]]
    if name in data:
        data[name][:] = element_values  # pyvista marks the VTK array modified: no new actor
    else:
        data[name] = element_values
