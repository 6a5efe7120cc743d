"""Terrain (DTM) and surface (DSM) grids from a LiDAR point cloud, for the simulations.

The file is streamed chunk by chunk (memory holds two grids and one chunk); a numba kernel
keeps per cell the lowest ground point (ASPRS class 2) for the DTM and the highest point for
the DSM, leaving out noise (classes 7 and 18) and withheld points. Empty cells are then
filled by inverse-distance interpolation (GDAL's fillnodata) from cells with data within a
search distance: far, because buildings leave the ground unseen under their whole
footprint, for the DTM; near, for the small gaps between scan lines, for the DSM. Cells
farther from any point stay NaN.
"""

from __future__ import annotations

import math
from pathlib import Path

import laspy
import numba
import numpy as np
from affine import Affine
from rasterio.fill import fillnodata

from twin.core.data import RasterData
from twin.core.feedback import Feedback
from twin.io.errors import TwinIOError
from twin.io.lidar import crs_of, open_point_cloud, stream_chunks

GROUND_CLASS = 2
NOISE_CLASSES = (7, 18)
DTM_FILL_METRES = 50.0  # reaches the middle of a 100 m wide hall from the ground around it
DSM_FILL_METRES = 3.0
MAX_CELLS = 64_000_000  # two float32 grids of 256 MB each, plus the filling's copies
GRID_SELECTION = (laspy.DecompressionSelection.base() | laspy.DecompressionSelection.Z
                  | laspy.DecompressionSelection.CLASSIFICATION | laspy.DecompressionSelection.FLAGS)


def point_cloud_rasters(path: Path | str, resolution: float = 1.0, crs: str | None = None,
                        feedback: Feedback | None = None) -> tuple[RasterData, RasterData]:
    """(DTM, DSM) of a point cloud at `resolution` map units, on a grid aligned to multiples of it."""
    if not resolution > 0:
        raise ValueError(f"the resolution must be positive, got {resolution}")
    path = Path(path)
    gridding = feedback.span(0.0, 0.9) if feedback is not None else None
    with open_point_cloud(path, selection=GRID_SELECTION) as reader:
        header = reader.header
        file_crs = crs_of(path, header, crs)
        transform, shape = _grid_over(path, header, resolution)
        lowest_ground = np.full(shape, np.inf, dtype=np.float32)
        highest = np.full(shape, -np.inf, dtype=np.float32)
        outside = 0
        for _start, chunk in stream_chunks(path, reader, gridding, "Gridding points"):
            outside += _bin_extremes(
                chunk.array["X"], chunk.array["Y"], chunk.array["Z"],
                np.asarray(chunk.classification), np.asarray(chunk.withheld),
                header.scales, header.offsets, transform.c, transform.f, resolution,
                max(header.scales[:2]) / resolution, lowest_ground, highest)
    if outside:
        raise TwinIOError(path, f"{outside:,} points lie outside the bounds given in the file header")
    if feedback is not None:
        feedback.progress(0.9, "Filling gaps")
    dtm = _filled(lowest_ground, DTM_FILL_METRES / resolution)
    dsm = _filled(highest, DSM_FILL_METRES / resolution)
    if feedback is not None:
        feedback.progress(1.0, "Terrain and surface ready")
    return RasterData(dtm, transform, file_crs), RasterData(dsm, transform, file_crs)


def _grid_over(path: Path, header: laspy.LasHeader, resolution: float) -> tuple[Affine, tuple[int, int]]:
    """North-up grid covering the header bounds, its edges on multiples of the resolution."""
    (min_x, min_y), (max_x, max_y) = header.mins[:2], header.maxs[:2]
    left = math.floor(min_x / resolution) * resolution
    top = math.ceil(max_y / resolution) * resolution
    columns = math.floor((max_x - left) / resolution) + 1
    rows = math.floor((top - min_y) / resolution) + 1
    if columns * rows > MAX_CELLS:
        raise TwinIOError(path, f"a {resolution:g} m grid over the header bounds would have "
                                f"{columns * rows:,} cells; choose a coarser resolution")
    return Affine(resolution, 0.0, left, 0.0, -resolution, top), (rows, columns)


@numba.njit(cache=True, nogil=True)
def _bin_extremes(X, Y, Z, classification, withheld, scales, offsets, left, top, resolution, slack,
                  lowest_ground, highest):  # pragma: no cover - compiled
    """Update per-cell ground minimum and overall maximum; return the points outside the grid.

    Header bounds are often rounded by a stored unit, so points up to `slack` cells beyond
    the grid count as on its edge.
    """
    rows, columns = highest.shape
    outside = 0
    for i in range(X.shape[0]):
        code = classification[i]
        if withheld[i] or code == NOISE_CLASSES[0] or code == NOISE_CLASSES[1]:
            continue
        column = (X[i] * scales[0] + offsets[0] - left) / resolution
        row = (top - (Y[i] * scales[1] + offsets[1])) / resolution
        if not (-slack <= column < columns + slack and -slack <= row < rows + slack):
            outside += 1
            continue
        column = min(max(int(math.floor(column)), 0), columns - 1)
        row = min(max(int(math.floor(row)), 0), rows - 1)
        z = Z[i] * scales[2] + offsets[2]
        if z > highest[row, column]:
            highest[row, column] = z
        if code == GROUND_CLASS and z < lowest_ground[row, column]:
            lowest_ground[row, column] = z
    return outside


def _filled(extremes: np.ndarray, max_distance_cells: float) -> np.ndarray:
    """The grid with NaN for empty cells, gaps within `max_distance_cells` of data interpolated."""
    has_data = np.isfinite(extremes)
    values = np.where(has_data, extremes, np.nan).astype(np.float32)
    if has_data.all() or not has_data.any():
        return values
    filled = fillnodata(values, mask=has_data.astype(np.uint8),
                        max_search_distance=max(max_distance_cells, 1.0), smoothing_iterations=0)
    return np.where(has_data, values, filled).astype(np.float32)
