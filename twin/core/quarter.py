"""Model quarters: named polygons in the scene CRS, with vectorised selection helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin.core.data import RasterData


@dataclass(frozen=True, eq=False)
class Quarter:
    """A named area every simulation reports on (Friedrichstadt, Johannstadt, Prohlis...)."""

    name: str
    polygon: BaseGeometry
    approximate: bool = False

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a quarter needs a name")
        if self.polygon.geom_type not in ("Polygon", "MultiPolygon") or self.polygon.is_empty:
            raise ValueError(f"quarter '{self.name}' needs a polygon, got {self.polygon.geom_type}")
        if not self.polygon.is_valid:
            raise ValueError(f"the outline of quarter '{self.name}' is not a valid polygon: "
                             f"{shapely.is_valid_reason(self.polygon)}")
        shapely.prepare(self.polygon)

    @property
    def area(self) -> float:
        return float(self.polygon.area)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(self.polygon.bounds)  # type: ignore[return-value]

    def contains_points(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean mask of the points (x, y) inside the quarter."""
        return shapely.contains_xy(self.polygon, x, y)

    def cell_mask(self, raster: RasterData) -> np.ndarray:
        """Boolean mask of the raster cells whose centre lies inside the quarter."""
        mask = np.zeros(raster.shape, dtype=bool)
        window = self._window(raster)
        if window is None:
            return mask
        rows, cols = window
        mask[rows, cols] = self.contains_points(*raster.cell_centres(rows, cols))
        return mask

    def select_features(self, geometries: np.ndarray) -> np.ndarray:
        """Mask of the features (buildings, stations) whose representative point lies inside.

        A building straddling the outline counts in exactly one quarter this way.
        """
        points = shapely.point_on_surface(geometries)
        present = ~shapely.is_missing(points)
        mask = np.zeros(len(geometries), dtype=bool)
        mask[present] = shapely.contains(self.polygon, points[present])
        return mask

    def lengths_inside(self, lines: np.ndarray) -> np.ndarray:
        """Length of each line (street segment) that runs inside the quarter."""
        return shapely.length(shapely.intersection(lines, self.polygon))

    def _window(self, raster: RasterData) -> tuple[slice, slice] | None:
        """The rows and columns of the raster the quarter's bounding box covers."""
        inverse = ~raster.transform
        minx, miny, maxx, maxy = self.bounds
        cols, rows = zip(*(inverse @ corner for corner in
                           ((minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy))),
                         strict=True)
        height, width = raster.shape
        row0, row1 = max(int(np.floor(min(rows))), 0), min(int(np.ceil(max(rows))), height)
        col0, col1 = max(int(np.floor(min(cols))), 0), min(int(np.ceil(max(cols))), width)
        if row0 >= row1 or col0 >= col1:
            return None
        return slice(row0, row1), slice(col0, col1)
