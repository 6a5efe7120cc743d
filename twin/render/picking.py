"""What lies under a pixel of the view, as a feature of a layer, and its outline for highlighting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from twin.core.data import RasterData, ResultRaster
from twin.core.layers import Layer
from twin.render.results import FEATURE_ARRAYS


@dataclass(frozen=True)
class Pick:
    """A picked feature.

    `index` is the feature within `layer.data`: a building, street segment, station or point
    index; a (row, col) cell for grids; the row of a result table. For a result table drawn on
    buildings or streets, `feature` is the building or segment index in the layer drawn on.
    `position` is the hit in map coordinates.
    """

    layer: Layer
    index: int | tuple[int, int]
    position: tuple[float, float, float]
    feature: int | None = None


def grid_cell(data: RasterData | ResultRaster, x: float, y: float) -> tuple[int, int] | None:
    """(row, col) of the cell holding a map point, or None outside the grid."""
    col, row = ~data.transform @ (x, y)
    height, width = data.values.shape[-2:]
    row, col = int(np.floor(row)), int(np.floor(col))
    return (row, col) if 0 <= row < height and 0 <= col < width else None


def element_feature(mesh: pv.PolyData, kind: str, cell: int) -> int:
    """The feature (building, segment, station, point) a picked cell of a layer's mesh belongs to."""
    if kind == "pointcloud":
        return int(mesh.GetCell(cell).GetPointId(0))
    ids = FEATURE_ARRAYS[kind]
    if ids in mesh.cell_data:
        return int(mesh.cell_data[ids][cell])
    return int(mesh.point_data[ids][mesh.GetCell(cell).GetPointId(0)])


def outline(mesh: pv.PolyData, kind: str, feature: int | None, cell: tuple[int, int] | None,
            data: RasterData | ResultRaster | None, origin: tuple[float, float, float],
            height: float) -> pv.PolyData:
    """Lines (or a point) around a picked feature, in the view's local coordinates."""
    if cell is not None and data is not None:
        return _cell_square(data, cell, origin, height)
    if kind == "pointcloud":
        return pv.PolyData(mesh.points[[feature]])
    ids = FEATURE_ARRAYS[kind]
    if ids not in mesh.cell_data:  # stations: points
        return pv.PolyData(mesh.points[mesh.point_data[ids] == feature])
    part = mesh.extract_cells(np.flatnonzero(mesh.cell_data[ids] == feature)).extract_surface(
        algorithm="dataset_surface")
    if kind == "streets":
        return part
    return part.extract_feature_edges(feature_angle=30.0, boundary_edges=True, non_manifold_edges=True,
                                      manifold_edges=False)


def _cell_square(data: RasterData | ResultRaster, cell: tuple[int, int], origin: tuple[float, float, float],
                 height: float) -> pv.PolyData:
    row, col = cell
    corners = [data.transform @ (col + dx, row + dy) for dx, dy in ((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))]
    points = np.array([(x - origin[0], y - origin[1], height - origin[2]) for x, y in corners])
    return pv.lines_from_points(points)
