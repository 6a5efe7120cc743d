"""A terrain split into sub-catchments, each a flood domain of its own with a buffer around it.

Rain that falls in one catchment flows to that catchment's outlet and nowhere else, so a city can
be flooded catchment by catchment and the results stitched. Flow directions (D8, steepest
descent over the depression-filled terrain) and the catchments draining to each outlet come from
pyflwdir (Deltares; numba-compiled, pip-installable with numpy/scipy/numba only, unlike pysheds,
which pulls in geopandas and scikit-image and works on its own Grid objects). Outlets are the
terrain's edge and, where given, sink cells (a river or lake the street water runs into).

Two places where the D8 split is not what water does are merged instead of cut:
- flats: where the filled terrain is flat (a plain, a square, a filled hollow that overflows),
  water spreads across the divide the flow directions drew through it, so every catchment a flat
  touches joins one group;
- the divide itself is a line in D8 but a ridge of finite width to the solver: the buffer
  around each domain carries the water that crosses it, and only the domain's own cells are kept.

Small catchments are packed into domains by the tile (`domain_m` square) their centre falls in,
so the city becomes domains of about one tile each; a catchment larger than that is a domain
alone (it cannot be cut without giving its downstream part an inflow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyflwdir
from affine import Affine
from scipy import ndimage

NODATA = -9999.0
FLAT_SLOPE = 1e-3  # filled terrain falling less than 1 mm per metre counts as flat
MIN_FLAT_CELLS = 4  # a flat smaller than this is a street's crown, not a place water spreads


@dataclass(frozen=True)
class FloodDomain:
    """One domain: the cells it owns (label in the split's `owner` grid) and the window it runs on."""

    number: int
    rows: slice  # the window: owned cells' bounding box grown by the buffer, within the terrain
    cols: slice
    owned_cells: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.stop - self.rows.start, self.cols.stop - self.cols.start


@dataclass(frozen=True)
class CatchmentSplit:
    """A terrain's cells assigned to domains (`owner`: the domain number per cell, 0 off the
    terrain), the domains, and how many catchments and flat merges made them."""

    owner: np.ndarray
    domains: tuple[FloodDomain, ...]
    catchments: int
    merged_by_flats: int


def split_into_domains(heights: np.ndarray, transform: Affine, *, domain_m: float, buffer_m: float,
                       sinks: np.ndarray | None = None, align: int = 1,
                       flat_slope: float = FLAT_SLOPE) -> CatchmentSplit:
    """Split a terrain (NaN off the terrain) into domains of about `domain_m` square, each run on
    its owned cells' bounding box grown by `buffer_m`. `sinks` (bool per cell): extra outlets
    such as a river. `align`: window edges fall on multiples of this many cells (a run that
    coarsens by a factor needs whole blocks)."""
    cell = abs(transform.a)
    filled, directions = _fill(heights, sinks)
    catchments = _basins(directions, transform, heights)
    groups, merges = merge_across_flats(catchments, filled, cell, flat_slope)
    owner = _pack(groups, max(1, round(domain_m / cell)))
    buffer_cells = math.ceil(buffer_m / cell)
    domains = tuple(_domain(number, window, owner, buffer_cells, align)
                    for number, window in enumerate(ndimage.find_objects(owner), start=1) if window)
    return CatchmentSplit(owner, domains, int(catchments.max()), merges)


def catchment_labels(heights: np.ndarray, transform: Affine, sinks: np.ndarray | None = None) -> np.ndarray:
    """The catchment of every cell (1..n; 0 off the terrain): the cells draining to one outlet."""
    return _basins(_fill(heights, sinks)[1], transform, heights)


def _fill(heights: np.ndarray, sinks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The terrain with its hollows filled to their spill height (NaN off the terrain), and the
    D8 flow directions over it."""
    filled, directions = pyflwdir.dem.fill_depressions(_dem(heights), outlets="edge", idxs_pit=_pits(sinks),
                                                       nodata=NODATA)
    return np.where(np.isfinite(heights), filled, np.nan), directions


def _basins(directions: np.ndarray, transform: Affine, heights: np.ndarray) -> np.ndarray:
    flow = pyflwdir.from_array(directions, ftype="d8", transform=transform, latlon=False, check_ftype=False)
    basins = flow.basins().astype(np.int64)
    basins[~np.isfinite(heights)] = 0
    return basins


def merge_across_flats(catchments: np.ndarray, filled: np.ndarray, cell: float,
                       flat_slope: float = FLAT_SLOPE) -> tuple[np.ndarray, int]:
    """Catchments relabelled so that those one flat (of the filled terrain) touches share a label;
    and how many catchments were merged into another."""
    flat = _flat_cells(filled, cell, flat_slope)
    regions, count = ndimage.label(flat, structure=np.ones((3, 3), bool))
    parent = np.arange(catchments.max() + 1)
    merges = 0
    # each flat region's catchments, including those just beyond its edge cells
    grown = ndimage.grey_dilation(regions, size=(3, 3))
    near_flat = grown > 0
    pairs = np.unique(np.stack([grown[near_flat], catchments[near_flat]]), axis=1)
    pairs = pairs[:, (pairs[0] > 0) & (pairs[1] > 0)]
    sizes = np.bincount(regions.ravel(), minlength=count + 1)
    for region in np.unique(pairs[0]):
        if sizes[region] < MIN_FLAT_CELLS:
            continue
        touched = pairs[1, pairs[0] == region]
        for other in touched[1:]:
            merges += _union(parent, int(touched[0]), int(other))
    roots = np.array([_find(parent, label) for label in range(len(parent))])
    return roots[catchments], merges


def _flat_cells(filled: np.ndarray, cell: float, flat_slope: float) -> np.ndarray:
    """Cells whose steepest drop to a neighbour is under `flat_slope` (and that lie on the terrain)."""
    padded = np.pad(np.where(np.isfinite(filled), filled, np.inf), 1, constant_values=np.inf)
    rows, cols = filled.shape
    steepest = np.zeros(filled.shape)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            neighbour = padded[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
            drop = np.where(np.isfinite(neighbour), (filled - neighbour) / (cell * math.hypot(dr, dc)), 0.0)
            steepest = np.maximum(steepest, np.abs(drop))
    return np.isfinite(filled) & (steepest < flat_slope)


def _pack(groups: np.ndarray, tile_cells: int) -> np.ndarray:
    """Merged catchments packed into domains: each by the tile its centre falls in; one larger
    than a tile is a domain alone. Domains numbered 1..n; 0 off the terrain."""
    labels = np.unique(groups[groups > 0])
    centres = ndimage.center_of_mass(np.ones_like(groups), groups, labels)
    sizes = ndimage.sum_labels(np.ones_like(groups), groups, labels)
    keys = {}
    for label, (row, col), size in zip(labels, centres, sizes, strict=True):
        alone = size > tile_cells * tile_cells
        keys[int(label)] = ("alone", int(label)) if alone else ("tile", int(row // tile_cells),
                                                                  int(col // tile_cells))
    numbers = {key: number for number, key in enumerate(sorted(set(keys.values())), start=1)}
    lookup = np.zeros(groups.max() + 1, dtype=np.int32)
    for label, key in keys.items():
        lookup[label] = numbers[key]
    return lookup[groups]


def _domain(number: int, window: tuple[slice, slice], owner: np.ndarray, buffer_cells: int,
            align: int) -> FloodDomain:
    rows, cols = owner.shape
    row_start = max(0, window[0].start - buffer_cells) // align * align
    col_start = max(0, window[1].start - buffer_cells) // align * align
    row_stop = min(rows, _ceil_to(window[0].stop + buffer_cells, align))
    col_stop = min(cols, _ceil_to(window[1].stop + buffer_cells, align))
    owned = int(np.count_nonzero(owner[window] == number))
    return FloodDomain(number, slice(row_start, row_stop), slice(col_start, col_stop), owned)


def _ceil_to(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _dem(heights: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(heights), heights, NODATA).astype(np.float64)


def _pits(sinks: np.ndarray | None) -> np.ndarray | None:
    if sinks is None or not sinks.any():
        return None
    return np.flatnonzero(sinks)


def _find(parent: np.ndarray, label: int) -> int:
    while parent[label] != label:
        parent[label] = parent[parent[label]]
        label = parent[label]
    return label


def _union(parent: np.ndarray, a: int, b: int) -> int:
    """Join a's and b's groups; 1 when they were apart."""
    root_a, root_b = _find(parent, a), _find(parent, b)
    if root_a == root_b:
        return 0
    parent[max(root_a, root_b)] = min(root_a, root_b)
    return 1
