"""What a planner reads off a flood run: per building, per street segment, per quarter."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from affine import Affine

from twin.core.data import RasterData, StreetData
from twin.core.quarter import Quarter

DEPTH_CLASSES = (0.05, 0.10, 0.50)  # m: flooded-area classes used on German hazard maps


def building_max_depth(max_depth: np.ndarray, rings: np.ndarray, count: int) -> np.ndarray:
    """Per building, the deepest water in the cells along its footprint (0 where none reached)."""
    deepest = np.zeros(count + 1)
    labelled = rings > 0
    np.maximum.at(deepest, rings[labelled], max_depth[labelled])
    return deepest[1:]


def street_flooded_length(max_depth: np.ndarray, transform: Affine, streets: StreetData,
                          threshold: float) -> np.ndarray:
    """Per segment, the length (m) where the maximum depth exceeds the threshold.

    Each segment is sampled every half cell; a sample stands for its share of the length.
    """
    lengths = streets.lengths()
    spacing = abs(transform.a) / 2.0
    samples = np.maximum(np.ceil(lengths / spacing).astype(int), 1)
    owner = np.repeat(np.arange(len(streets)), samples)
    starts = np.concatenate([[0], np.cumsum(samples)[:-1]])
    fraction = (np.arange(samples.sum()) - np.repeat(starts, samples) + 0.5) / np.repeat(samples, samples)
    points = shapely.line_interpolate_point(streets.geometries[owner], fraction, normalized=True)
    flooded = sample_grid(max_depth, transform, shapely.get_x(points), shapely.get_y(points)) > threshold
    return np.bincount(owner, weights=flooded * (lengths[owner] / samples[owner]), minlength=len(streets))


def sample_grid(grid: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Grid values at map points; NaN outside the grid."""
    cols, rows = ~transform @ (np.asarray(x, float), np.asarray(y, float))
    rows, cols = np.floor(rows).astype(int), np.floor(cols).astype(int)
    inside = (rows >= 0) & (rows < grid.shape[0]) & (cols >= 0) & (cols < grid.shape[1])
    values = np.full(len(rows), np.nan)
    values[inside] = grid[rows[inside], cols[inside]]
    return values


def area_figures(max_depth: np.ndarray, final_depth: np.ndarray, mask: np.ndarray,
                 cell_area: float) -> dict[str, Any]:
    """Flooded area per depth class, ponded volume at the end, and the deepest water, in a mask."""
    figures: dict[str, Any] = {
        f"flooded_area_m2_over_{threshold:.2f}m": float(np.count_nonzero(mask & (max_depth > threshold))
                                                        * cell_area)
        for threshold in DEPTH_CLASSES}
    figures["ponded_volume_m3"] = float(final_depth[mask].sum(dtype=np.float64) * cell_area)
    figures["max_depth_m"] = float(max_depth[mask].max()) if mask.any() else None
    return figures


def quarter_figures(quarter: Quarter, grid: RasterData, max_depth: np.ndarray, final_depth: np.ndarray,
                    building_footprints: np.ndarray | None, building_hit: np.ndarray | None,
                    streets: StreetData | None, street_flooded: np.ndarray | None) -> dict[str, Any]:
    """The per-quarter figures of the issue: areas by depth class, buildings hit, volume, depth."""
    resolution = grid.resolution
    figures = area_figures(max_depth, final_depth, quarter.cell_mask(grid), resolution[0] * resolution[1])
    if building_footprints is not None and building_hit is not None:
        mine = quarter.select_features(building_footprints)
        figures["buildings"] = int(mine.sum())
        figures["buildings_affected"] = int((mine & building_hit).sum())
    if streets is not None and street_flooded is not None:
        inside = quarter.lengths_inside(streets.geometries)
        share = np.divide(inside, streets.lengths(), out=np.zeros(len(streets)),
                          where=streets.lengths() > 0)
        figures["street_length_m"] = float(inside.sum())
        figures["flooded_street_length_m"] = float((street_flooded * share).sum())
    return figures
