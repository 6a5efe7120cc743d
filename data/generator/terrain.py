"""A plausible 1 m DTM per model quarter, in EPSG:25833 at the quarters' real positions.

Not surveyed terrain. What is modelled, and how:
- the Elbe valley floor: heights rise from about 106.5 m at the river (an approximate
  polyline of its course through Dresden) by 4 m per km away from it, so Friedrichstadt
  and Johannstadt lie at 107-115 m and Prohlis, 5 km south, higher;
- gentle undulation: a few long sine waves (0.3-0.8 m) with seeded phases;
- local depressions: seeded Gaussian hollows 0.4-1.5 m deep, 15-50 m wide, where rain ponds;
- one road underpass per quarter: a 12 m wide, 4.5 m deep trough with 40 m ramps;
- roughness: 2 cm noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from affine import Affine

from twin.core.data import RasterData
from twin.core.quarter import Quarter
from twin.io.raster import write_geotiff

CELL = 1.0
MARGIN = 100.0
# The Elbe through Dresden, roughly, west to east (EPSG:25833).
ELBE = shapely.LineString([(406500, 5659600), (408500, 5658700), (410000, 5658300),
                           (411500, 5657700), (412800, 5657400), (414200, 5657200),
                           (415600, 5656500), (417000, 5656200)])
RIVER_LEVEL, VALLEY_SLOPE = 106.5, 0.004


@dataclass(frozen=True)
class Underpass:
    """A straight road underpass: trough centre line from start to end."""

    start: tuple[float, float]
    end: tuple[float, float]
    depth: float = 4.5
    half_width: float = 6.0
    ramp: float = 40.0


def quarter_grid(quarter: Quarter) -> tuple[Affine, int, int]:
    """Transform, rows and columns of a 1 m grid over the quarter plus a margin."""
    minx, miny, maxx, maxy = quarter.bounds
    x0, y1 = np.floor(minx - MARGIN), np.ceil(maxy + MARGIN)
    cols = int(np.ceil(maxx + MARGIN - x0) / CELL)
    rows = int(np.ceil(y1 - (miny - MARGIN)) / CELL)
    return Affine(CELL, 0, x0, 0, -CELL, y1), rows, cols


def valley_floor(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Heights rising gently away from the Elbe."""
    coarse = 10  # distance to the river varies slowly: compute it on a coarse grid
    sample_x, sample_y = xs[::coarse, ::coarse], ys[::coarse, ::coarse]
    distance = shapely.distance(ELBE, shapely.points(sample_x, sample_y))
    coarse_heights = RIVER_LEVEL + VALLEY_SLOPE * distance
    repeated = np.repeat(np.repeat(coarse_heights, coarse, axis=0), coarse, axis=1)
    return repeated[:xs.shape[0], :xs.shape[1]]


def undulation(xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    heights = np.zeros_like(xs)
    for _ in range(3):
        amplitude, wavelength = rng.uniform(0.3, 0.8), rng.uniform(300, 900)
        angle, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        along = xs * np.cos(angle) + ys * np.sin(angle)
        heights += amplitude * np.sin(2 * np.pi * along / wavelength + phase)
    return heights


def depressions(xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator,
                count: int) -> np.ndarray:
    heights = np.zeros_like(xs)
    for _ in range(count):
        cx, cy = rng.uniform(xs.min(), xs.max()), rng.uniform(ys.min(), ys.max())
        depth, radius = rng.uniform(0.4, 1.5), rng.uniform(15, 50)
        heights -= depth * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius ** 2))
    return heights


def underpass_cut(xs: np.ndarray, ys: np.ndarray, underpass: Underpass) -> np.ndarray:
    """How far the trough lowers each cell: full depth in the middle, ramps at both ends."""
    start, end = np.asarray(underpass.start), np.asarray(underpass.end)
    direction = (end - start) / np.linalg.norm(end - start)
    length = float(np.linalg.norm(end - start))
    along = (xs - start[0]) * direction[0] + (ys - start[1]) * direction[1]
    across = np.abs(-(xs - start[0]) * direction[1] + (ys - start[1]) * direction[0])
    ramp_factor = np.clip(np.minimum(along, length - along) / underpass.ramp, 0.0, 1.0)
    return np.where(across <= underpass.half_width, underpass.depth * ramp_factor, 0.0)


def underpass_for(quarter: Quarter) -> Underpass:
    """An underpass across the middle of the quarter, west to east."""
    centre = quarter.polygon.representative_point()
    return Underpass((centre.x - 90.0, centre.y), (centre.x + 90.0, centre.y))


def generate_dtm(quarter: Quarter, rng: np.random.Generator) -> RasterData:
    transform, rows, cols = quarter_grid(quarter)
    probe = RasterData(np.zeros((rows, cols), dtype=np.float32), transform, "EPSG:25833")
    xs, ys = probe.cell_centres()
    heights = (valley_floor(xs, ys) + undulation(xs, ys, rng)
               + depressions(xs, ys, rng, count=6)
               - underpass_cut(xs, ys, underpass_for(quarter))
               + rng.normal(0.0, 0.02, xs.shape))
    return RasterData(heights.astype(np.float32), transform, "EPSG:25833", nodata=-9999.0)


def write_dtms(quarters: list[Quarter], directory: Path, seed: int) -> list[Path]:
    """One `<quarter>_dtm1.tif` per quarter; the same seed writes the same files."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, quarter in enumerate(quarters):
        rng = np.random.default_rng([seed, index])
        path = directory / f"{quarter.name.lower()}_dtm1.tif"
        write_geotiff(path, generate_dtm(quarter, rng))
        paths.append(path)
    return paths
