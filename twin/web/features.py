"""Buildings and streets as published layers: the features in the published area, coloured by
the layer's own attribute or by a result table joined to them, with the attributes a click shows."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin.core.data import BuildingData, StreetData
from twin.core.layers import Layer, ResultTableLayer
from twin.web.colours import Colouring, value_range
from twin.web.parts import (
    ColumnGroup,
    Features,
    Ground,
    LocalFrame,
    PublishedLayer,
    buildings_in,
    buildings_mesh,
    feature_table,
    id_column_of,
    joined_rows,
    streets_mesh,
)

_ID_TITLES = {"buildings": "building", "streets": "segment"}


def feature_layer(layer: Layer, frame: LocalFrame, ground: Ground, area: BaseGeometry | None,
                  result: ResultTableLayer | None = None) -> PublishedLayer | None:
    """A buildings or streets layer, or (with `result`) a result table drawn on its features.

    None where no feature lies in `area`, or the result names none of the features.
    """
    data: BuildingData | StreetData = layer.data
    rows = _rows_in(data, area)
    joined = None if result is None else _joined(result, data.ids[rows])
    if len(rows) == 0 or (joined is not None and not (joined >= 0).any()):
        return None
    colouring, values = _colouring(layer, rows, result, joined)
    rgb = None
    if colouring is not None:
        rgb = np.zeros((len(data), 3), dtype=np.uint8)
        rgb[rows] = colouring.rgb(values)
    if isinstance(data, BuildingData):
        mesh = buildings_mesh(data, rows, frame, rgb)
    else:
        mesh = streets_mesh(data.geometries[rows], ground, frame, None if rgb is None else rgb[rows])
    kind = "result" if result is not None else layer.kind
    source = result if result is not None else layer
    extras = {"drawn_on": layer.name, "time_step": _time_step(result) if colouring else ""}
    return PublishedLayer(source.name, kind, mesh, source.visible, source.opacity, colouring,
                          _features(layer, rows, result, joined), extras=extras)


def _time_step(result: ResultTableLayer | None) -> str:
    """The year shown where the colouring is a year series ("2030"), else ""."""
    if result is None or not result.time_labels:
        return ""
    attribute = result.color_by or result.default_color_by()
    return "" if attribute in result.data.columns else result.time_labels[result.time_index]


def _rows_in(data: BuildingData | StreetData, area: BaseGeometry | None) -> np.ndarray:
    if isinstance(data, BuildingData):
        return buildings_in(data, area)
    if area is None:
        return np.arange(len(data))
    return np.flatnonzero(shapely.intersects(data.geometries, area))


def _joined(result: ResultTableLayer, feature_ids: np.ndarray) -> np.ndarray | None:
    column = id_column_of(result)
    return None if column is None else joined_rows(result.data.columns[column], feature_ids)


def _colouring(layer: Layer, rows: np.ndarray, result: ResultTableLayer | None,
               joined: np.ndarray | None) -> tuple[Colouring | None, np.ndarray | None]:
    """The colouring and one value per feature in `rows`; (None, None) for the plain look."""
    source: Layer = result if result is not None else layer
    attribute = source.color_by or (result.default_color_by() if result is not None else None)
    if attribute is None:
        return None, None
    if result is not None:
        column = np.asarray(result.values_of(attribute), dtype=np.float64)
        values = np.where(joined >= 0, column[np.maximum(joined, 0)], np.nan)
        categories = result.data.categories.get(attribute, ())
    else:
        values = np.asarray(layer.data.attributes[attribute], dtype=np.float64)[rows]
        categories = ()
    colouring = Colouring(source.attribute_label(attribute), source.colormap,
                          value_range(source.attribute_values(attribute), source.color_range), categories)
    return colouring, values


def _features(layer: Layer, rows: np.ndarray, result: ResultTableLayer | None,
              joined: np.ndarray | None) -> Features:
    """The layer's attributes of each feature, followed by the joined result's figures."""
    data: BuildingData | StreetData = layer.data
    groups = [ColumnGroup("", {name: np.asarray(values)[rows] for name, values in data.attributes.items()})]
    if result is not None:
        missing = joined < 0  # features the result has no row for read as empty cells
        columns = {}
        for name, values in result.data.columns.items():
            cells = np.asarray(values)[np.maximum(joined, 0)]
            columns[name] = np.where(missing, None, cells.astype(object)) if missing.any() else cells
        groups.append(ColumnGroup(result.name, columns, result.data.units, result.data.labels))
    return feature_table(data.ids[rows], _ID_TITLES.get(layer.kind, "id"), groups)
