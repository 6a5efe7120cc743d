"""Result tables (values per building, segment or station) as CSV, or with their features' geometry
as a GeoPackage."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.errors
import pyogrio.raw
import shapely

from twin.core.atomic import write_atomic
from twin.core.data import BuildingData, ResultTable, SensorData, StreetData
from twin.io.errors import TwinIOError


def write_table_csv(path: Path, table: ResultTable) -> None:
    """One row per feature; column headers carry their units, e.g. 'max_depth [m]'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(table.columns)
    writer.writerow(_headings(table))
    columns = [np.asarray(table.columns[name]).tolist() for name in names]
    writer.writerows(zip(*columns, strict=True))
    write_atomic(path, buffer.getvalue())


def write_table_gpkg(path: Path, table: ResultTable, features: Any, feature_of_row: np.ndarray) -> None:
    """The table as a GeoPackage layer: each row with the geometry of its feature (`feature_of_row`,
    -1 where a row has none) of `features` (buildings' footprints, street lines or stations), in their
    CRS; units go into the field names as in the CSV. Built in memory, then written atomically."""
    geometry = np.array([_geometry_of(features, int(feature)) if feature >= 0 else None
                         for feature in feature_of_row], dtype=object)
    names = list(table.columns)
    fields = _headings(table)
    data = [_field_values(np.asarray(table.columns[name])) for name in names]
    package = io.BytesIO()
    try:
        pyogrio.raw.write(package, shapely.to_wkb(geometry), data, fields, crs=features.crs,
                          geometry_type="Unknown", driver="GPKG", layer=table.name)
    except pyogrio.errors.DataSourceError as error:
        raise TwinIOError(path, f"cannot be written as a GeoPackage: {error}") from None
    write_atomic(path, package.getvalue())


def _headings(table: ResultTable) -> list[str]:
    """Column names with their units, e.g. 'max_depth [m]'."""
    return [f"{name} [{table.units[name]}]" if table.units.get(name) else name for name in table.columns]


def _geometry_of(features: Any, index: int) -> Any:
    if isinstance(features, BuildingData):
        return features.footprints[index]
    if isinstance(features, StreetData):
        return features.geometries[index]
    if isinstance(features, SensorData):
        return shapely.Point(features.xyz[index][:2])
    raise TypeError(f"a table cannot be joined to {type(features).__name__}")


def _field_values(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.astype(np.int8)  # GeoPackage has no boolean type GDAL writes from numpy
    if values.dtype.kind in "USM":
        return values.astype(str).astype(object)
    return values
