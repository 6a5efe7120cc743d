"""Bring a reader's data into the scene's CRS (pyproj for coordinates, rasterio for grids).

A scene has one CRS; files come in theirs (SensorThings in WGS84, Dutch data in RD New...).
Heights are kept as they come: only the horizontal datum changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import TypeVar

import numpy as np
import shapely
from pyproj import CRS, Transformer
from rasterio.warp import Resampling, calculate_default_transform
from rasterio.warp import reproject as warp

from twin.core.crs import normalize_crs
from twin.core.data import BuildingData, PointCloudData, RasterData, SensorData, StreetData
from twin.core.errors import CRSError
from twin.core.quarter import Quarter

Data = TypeVar("Data", RasterData, PointCloudData, BuildingData, StreetData, SensorData)


def to_crs(data: Data, target: str) -> Data:
    """The same data in `target`; data already there comes back unchanged.

    Raises CRSError where the data has no CRS (the caller must ask the user for one).
    """
    target = normalize_crs(target)
    if data.crs is None:
        raise CRSError(f"the data has no coordinate reference system to convert to {target} from")
    if normalize_crs(data.crs) == target:
        return data
    if isinstance(data, RasterData):
        return _warp_raster(data, target)
    move = _mover(normalize_crs(data.crs), target)
    if isinstance(data, PointCloudData):
        return replace(data, xyz=move(data.xyz), crs=target)
    if isinstance(data, BuildingData):
        return replace(data, vertices=move(data.vertices), crs=target,
                       footprints=_move_geometries(data.footprints, move))
    if isinstance(data, StreetData):
        return replace(data, geometries=_move_geometries(data.geometries, move), crs=target)
    if isinstance(data, SensorData):
        return replace(data, xyz=move(data.xyz), crs=target)
    raise TypeError(f"cannot reproject {type(data).__name__}")


def quarters_to_crs(quarters: list[Quarter], source: str | None, target: str) -> list[Quarter]:
    """Quarters read in `source` moved into `target`. A file without a CRS is in WGS84 when its
    coordinates are longitudes and latitudes (GeoJSON, RFC 7946), else taken to be in `target`."""
    polygons = np.array([quarter.polygon for quarter in quarters], dtype=object)
    if source is None:
        minx, miny, maxx, maxy = shapely.total_bounds(polygons)
        lon_lat = -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0
        source = "EPSG:4326" if lon_lat else target
    source, target = normalize_crs(source), normalize_crs(target)
    if source == target:
        return quarters
    moved = _move_geometries(polygons, _mover(source, target))
    return [replace(quarter, polygon=polygon) for quarter, polygon in zip(quarters, moved, strict=True)]


def _mover(source: str, target: str) -> Callable[[np.ndarray], np.ndarray]:
    """Coordinates from `source` into `target`; a CRSError where they cannot be in `source`
    (metres labelled as degrees) or do not arrive as finite numbers (proj answers inf)."""
    transformer = _transformer(source, target)
    in_degrees = _is_geographic(source)

    def move(coords: np.ndarray) -> np.ndarray:
        moved = np.array(coords, dtype=np.float64, copy=True)
        if len(moved):
            if in_degrees:
                _check_degrees(moved, source)
            finite = np.isfinite(moved[:, :2]).all(axis=1)
            moved[:, 0], moved[:, 1] = transformer.transform(moved[:, 0], moved[:, 1])
            lost = finite & ~np.isfinite(moved[:, :2]).all(axis=1)
            if lost.any():
                x, y = np.asarray(coords, dtype=np.float64)[np.argmax(lost), :2]
                raise CRSError(f"{int(lost.sum()):,} coordinates (the first x = {x:.6g}, y = {y:.6g}) "
                               f"cannot be brought from {source} into {target}")
        return moved

    return move


def _check_degrees(coords: np.ndarray, source: str) -> None:
    x, y = coords[:, 0], coords[:, 1]
    outside = (np.abs(x) > 360.0) | (np.abs(y) > 90.0)
    if outside.any():
        first = int(np.argmax(outside))
        raise CRSError(f"the coordinates (x = {x[first]:.6g}, y = {y[first]:.6g} among them) cannot be "
                       f"degrees, but the file names {source}, a CRS in degrees; give the file's true CRS")


@lru_cache(maxsize=16)
def _is_geographic(crs: str) -> bool:
    return CRS.from_user_input(crs).is_geographic


@lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _move_geometries(geometries: np.ndarray, move: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    # include_z=None keeps each geometry's dimension; `move` leaves heights alone.
    return shapely.transform(geometries, move, include_z=None)


def _warp_raster(raster: RasterData, target: str) -> RasterData:
    rows, cols = raster.shape
    left, bottom, right, top = raster.bounds
    transform, width, height = calculate_default_transform(
        raster.crs, target, cols, rows, left=left, bottom=bottom, right=right, top=top)
    values = np.full((height, width), np.nan, dtype=np.float32)
    warp(source=raster.values.astype(np.float32), destination=values,
         src_transform=raster.transform, src_crs=raster.crs, src_nodata=np.nan,
         dst_transform=transform, dst_crs=target, dst_nodata=np.nan,
         resampling=Resampling.bilinear)
    if not np.isfinite(values).any():
        raise CRSError(f"the raster does not reach into {target}'s area of use")
    return replace(raster, values=values, transform=transform, crs=target)
