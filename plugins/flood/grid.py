"""The grid the flood runs on: the terrain cropped to the quarters and coarsened to a cell size.

A quarter at 1 m has over a million cells and a time step half that of 2 m cells; at 2 m the
same storm runs about eight times faster, which is what an interactive planning question needs.
Coarsening averages whole blocks of cells (the mean height keeps the volume a block holds);
a block with any no-data cell is no-data, so walls of no-data never leak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from affine import Affine

from twin.core.data import RasterData
from twin.core.quarter import Quarter
from twin.sim import SimulationInputError


def crop_to(terrain: RasterData, quarters: Sequence[Quarter], margin_m: float) -> RasterData:
    """The terrain inside the quarters' bounding box grown by margin_m (whole cells)."""
    if not quarters:
        return terrain
    x0, y0, x1, y1 = (min(q.bounds[0] for q in quarters) - margin_m, min(q.bounds[1] for q in quarters)
                      - margin_m, max(q.bounds[2] for q in quarters) + margin_m,
                      max(q.bounds[3] for q in quarters) + margin_m)
    inverse = ~terrain.transform
    cols, rows = zip(inverse @ (x0, y1), inverse @ (x1, y0), strict=True)
    row_start, row_stop = max(math.floor(min(rows)), 0), min(math.ceil(max(rows)), terrain.shape[0])
    col_start, col_stop = max(math.floor(min(cols)), 0), min(math.ceil(max(cols)), terrain.shape[1])
    if row_stop <= row_start or col_stop <= col_start:
        raise SimulationInputError("the quarters lie outside the terrain, so there is nothing to crop to")
    transform = terrain.transform @ Affine.translation(col_start, row_start)
    return RasterData(terrain.values[row_start:row_stop, col_start:col_stop], transform, terrain.crs,
                      terrain.nodata, terrain.units)


def coarsen(terrain: RasterData, cell_size: float) -> RasterData:
    """The terrain averaged over blocks of cells to `cell_size`; 0 keeps it as it is."""
    own = terrain.resolution[0]
    if cell_size <= 0 or abs(cell_size - own) < 1e-9 * own:
        return terrain
    factor = int(round(cell_size / own))
    if factor < 2 or abs(factor * own - cell_size) > 1e-6 * own:
        raise SimulationInputError(f"cell_size_m must be a whole multiple of the terrain's {own:g} m "
                                   f"cells, got {cell_size:g} m")
    rows, cols = terrain.shape[0] // factor, terrain.shape[1] // factor
    if rows < 2 or cols < 2:
        raise SimulationInputError(f"a {cell_size:g} m grid leaves fewer than two cells a side")
    blocks = terrain.values[:rows * factor, :cols * factor].astype(np.float64)
    values = blocks.reshape(rows, factor, cols, factor).mean(axis=(1, 3))  # NaN where any cell is NaN
    return RasterData(values.astype(np.float32), terrain.transform @ Affine.scale(factor), terrain.crs,
                      terrain.nodata, terrain.units)
