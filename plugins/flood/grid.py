"""The grid the flood runs on: the terrain cropped to the quarters and coarsened to a cell size.

A quarter at 1 m has over a million cells and a time step half that of 2 m cells; at 2 m the
same storm runs about eight times faster, which is what an interactive planning question needs.
Coarsening averages whole blocks of cells (the mean height keeps the volume a block holds);
a block with any no-data cell is no-data, so walls of no-data never leak.

Averaging 1 m cells to 2 m flattens the 10-15 cm kerbs and the gutters that steer street flow:
a kerb half inside a block becomes half its height, and a street's water spills over it into
gardens and yards. Given the street area at the fine resolution, coarsen keeps them: a block
that is mostly street takes the lowest height of its street cells (the channel stays the lowest
path along the street) and a block beside the street takes its highest cell (the kerb keeps its
top). The street blocks then hold a little more water than the mean would; the barrier they
keep is the point.
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


def coarsen(terrain: RasterData, cell_size: float, streets: np.ndarray | None = None) -> RasterData:
    """The terrain averaged over blocks of cells to `cell_size`; 0 keeps it as it is.

    `streets` (bool per fine cell), where given, keeps street channels and kerbs (see the module
    text); None averages every block.
    """
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
    blocks = blocks.reshape(rows, factor, cols, factor).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    values = blocks.mean(axis=2)  # NaN where any cell is NaN
    if streets is not None:
        street_cells = streets[:rows * factor, :cols * factor].reshape(rows, factor, cols, factor)
        values = _keep_channels(values, blocks, street_cells.transpose(0, 2, 1, 3).reshape(rows, cols, -1))
    return RasterData(values.astype(np.float32), terrain.transform @ Affine.scale(factor), terrain.crs,
                      terrain.nodata, terrain.units)


def _keep_channels(means: np.ndarray, blocks: np.ndarray, street_cells: np.ndarray) -> np.ndarray:
    """Block means, with the street blocks at their lowest street cell and the blocks beside
    them (4-neighbours) at their highest cell; no-data blocks stay no-data."""
    street_block = street_cells.mean(axis=2) >= 0.5
    channel = np.where(street_cells, blocks, np.inf).min(axis=2)
    beside = np.zeros_like(street_block)
    beside[1:] |= street_block[:-1]
    beside[:-1] |= street_block[1:]
    beside[:, 1:] |= street_block[:, :-1]
    beside[:, :-1] |= street_block[:, 1:]
    kerb_block = beside & ~street_block
    values = np.where(street_block, channel, np.where(kerb_block, blocks.max(axis=2), means))
    return np.where(np.isnan(means), np.nan, values)
