"""Buildings and streets onto the terrain grid: building labels, rings around them, land cover.

Land cover without a land-cover layer (the documented default): street cells (each segment
buffered by half its `width_m`, or half the default width) are sealed asphalt; a building's
footprint and a belt of `yard_m` around it (pavements, yards) are sealed; every other cell is
`open_land` (green: grass and gardens that infiltrate; or sealed where the user says the quarter
is paved through).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from rasterio.features import rasterize

from plugins.flood.kernels import OUTSIDE, ROOF, SEALED, UNSEALED
from twin.core.data import BuildingData, StreetData


@dataclass(frozen=True)
class Roughness:
    """Manning's n (s/m^(1/3)) per land-cover class."""

    street: float = 0.015  # asphalt
    sealed: float = 0.020  # pavements, yards, roofs
    green: float = 0.050  # grass, gardens


def building_labels(buildings: BuildingData | None, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Per cell, 1 + the row of the building whose footprint covers the cell centre; 0 elsewhere."""
    if buildings is None or len(buildings) == 0:
        return np.zeros(shape, dtype=np.int32)
    shapes = [(footprint, row + 1) for row, footprint in enumerate(buildings.footprints)
              if _usable(footprint)]
    return _burn(shapes, transform, shape)


def ring_labels(buildings: BuildingData | None, labels: np.ndarray, transform: Affine) -> np.ndarray:
    """The cells just outside each footprint (within one cell of it), labelled like building_labels.

    Where two buildings' rings meet, the cell goes to one of them; cells inside a footprint
    are never part of a ring.
    """
    if buildings is None or len(buildings) == 0:
        return np.zeros(labels.shape, dtype=np.int32)
    cell = abs(transform.a)
    rings = [(shapely.difference(shapely.buffer(footprint, cell), footprint), row + 1)
             for row, footprint in enumerate(buildings.footprints) if _usable(footprint)]
    burned = _burn(rings, transform, labels.shape, all_touched=True)
    return np.where(labels > 0, 0, burned).astype(np.int32)


def street_mask(streets: StreetData | None, transform: Affine, shape: tuple[int, int],
                default_width: float) -> np.ndarray:
    """Cells under a street: segments buffered by half their width_m (or the default width)."""
    if streets is None or len(streets) == 0:
        return np.zeros(shape, dtype=bool)
    areas = shapely.buffer(streets.geometries, _widths(streets, default_width) / 2.0, cap_style="flat")
    shapes = [(area, 1) for area in areas if _usable(area)]
    return _burn(shapes, transform, shape).astype(bool)


def _widths(streets: StreetData, default_width: float) -> np.ndarray:
    """Each segment's width_m, or the default where the layer has none."""
    widths = np.full(len(streets), default_width, dtype=float)
    if "width_m" in streets.attributes:
        given = np.asarray(streets.attributes["width_m"], dtype=float)
        widths = np.where(np.isfinite(given) & (given > 0), given, default_width)
    return widths


def kerb_depths(streets: StreetData | None, transform: Affine, shape: tuple[int, int],
                default_width: float, default_height: float) -> np.ndarray:
    """How far to lower each cell under a street to burn its kerbs into a DTM that lacks them (m):
    a segment's `kerb_height_m` where the layer has one, else `default_height`."""
    if streets is None or len(streets) == 0:
        return np.zeros(shape)
    heights = np.full(len(streets), default_height, dtype=float)
    if "kerb_height_m" in streets.attributes:
        given = np.asarray(streets.attributes["kerb_height_m"], dtype=float)
        heights = np.where(np.isfinite(given) & (given >= 0), given, default_height)
    areas = shapely.buffer(streets.geometries, _widths(streets, default_width) / 2.0, cap_style="flat")
    shapes = [(area, height) for area, height in zip(areas, heights, strict=True)
              if _usable(area) and height > 0]
    if not shapes:
        return np.zeros(shape)
    return rasterize(shapes, out_shape=shape, transform=transform, fill=0.0, dtype="float64")


def land_cover(terrain: np.ndarray, buildings: np.ndarray, streets: np.ndarray, cell_size: float,
               *, buildings_as_walls: bool, yard_m: float, open_land_sealed: bool,
               roughness: Roughness) -> tuple[np.ndarray, np.ndarray]:
    """Cell classes (OUTSIDE, UNSEALED, SEALED, ROOF) and Manning's n per cell."""
    inside = np.isfinite(terrain)
    yards = _dilate(buildings > 0, int(round(yard_m / cell_size)))
    sealed = streets | yards | open_land_sealed
    cell_class = np.where(sealed, SEALED, UNSEALED).astype(np.uint8)
    manning = np.where(streets, roughness.street, np.where(sealed, roughness.sealed, roughness.green))
    if buildings_as_walls:
        cell_class[buildings > 0] = ROOF
    else:
        cell_class[buildings > 0] = SEALED
        manning[buildings > 0] = roughness.sealed
    cell_class[~inside] = OUTSIDE
    return cell_class, manning


def _dilate(mask: np.ndarray, cells: int) -> np.ndarray:
    """The mask grown by `cells` in the four directions, step by step (a diamond)."""
    grown = mask.copy()
    for _ in range(max(cells, 0)):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    return grown


def _usable(geometry: object) -> bool:
    return geometry is not None and not shapely.is_empty(geometry) and shapely.is_valid(geometry)


def _burn(shapes: list, transform: Affine, shape: tuple[int, int], all_touched: bool = False) -> np.ndarray:
    if not shapes:
        return np.zeros(shape, dtype=np.int32)
    return rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="int32",
                     all_touched=all_touched)
