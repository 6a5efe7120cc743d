"""Reading a GeoSN DGM1 tile as delivered (.xyz, 2 km x 2 km at 1 m: 4 million lines) against
reading the same grid as a GeoTIFF, in the same run.

Writes a 2000 x 2000 terrain once into benchmarks/.cache/ as `dgm1_33412_5654_2_sn.xyz` (shuffled
lines, as a delivery need not be sorted), the same zipped, and as a deflate-compressed tiled
GeoTIFF; then, median of repetitions, through read_layer as the app opens them:

    geotiff    read_layer(tile.tif)              rasterio/GDAL
    xyz        read_layer(tile.xyz)              numba parser, grid by integer index
    xyz.zip    read_layer(tile_xyz.zip)          the same after unpacking the member

Checks that the three give the same cells. Target: an .xyz tile in a few seconds.
    nice python benchmarks/bench_xyz.py [--size 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import zipfile
from pathlib import Path

import numpy as np
from affine import Affine

from twin.core.data import RasterData
from twin.io import read_layer, write_geotiff

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
WEST, NORTH = 412_000.0, 5_656_000.0
ROWS_PER_WRITE = 100


def terrain(size: int) -> np.ndarray:
    """Elbe-valley-like heights in centimetres with a surveyed surface's roughness (a few cm), as
    float32 (the GeoTIFF's type); smooth heights would flatter the GeoTIFF's compression."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    heights = 106.5 + 0.004 * rows + 2.0 * np.sin(cols / 97.0) * np.cos(rows / 131.0)
    heights += np.random.default_rng(2).normal(0.0, 0.03, heights.shape)
    return np.round(heights, 2).astype(np.float32)


def write_tiles(size: int) -> tuple[Path, Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    tif, xyz = CACHE / f"dgm1_{size}.tif", CACHE / "dgm1_33412_5654_2_sn.xyz"
    zipped = CACHE / "dgm1_33412_5654_2_sn_xyz.zip"
    heights = terrain(size)
    transform = Affine(1.0, 0, WEST, 0, -1.0, NORTH)
    if not tif.exists():
        write_geotiff(tif, RasterData(heights, transform, "EPSG:25833"))
    if not xyz.exists() or not zipped.exists():
        _write_xyz(xyz, heights, transform)
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(xyz, xyz.name)
    return tif, xyz, zipped


def _write_xyz(path: Path, heights: np.ndarray, transform: Affine) -> None:
    """Cell centres and heights with two decimals, lines in a shuffled order of row blocks."""
    size = heights.shape[0]
    xs = transform.c + (np.arange(size) + 0.5) * transform.a
    blocks = np.random.default_rng(1).permutation(size // ROWS_PER_WRITE)
    with path.open("w", encoding="ascii") as out:
        for block in blocks:
            rows = range(block * ROWS_PER_WRITE, (block + 1) * ROWS_PER_WRITE)
            lines = [f"{x:.2f} {transform.f + (row + 0.5) * transform.e:.2f} {z:.2f}\n"
                     for row in rows for x, z in zip(xs, heights[row].tolist(), strict=True)]
            out.writelines(lines)


def timed(path: Path, repeat: int) -> tuple[float, np.ndarray]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        values = read_layer(path).data.values
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="cells per side (a multiple of 100)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tif, xyz, zipped = write_tiles(args.size)
    read_layer(xyz)  # compiles (or loads) the numba parser once, as the app's first .xyz does
    cells = args.size * args.size
    results = {}
    for label, path in (("geotiff", tif), ("xyz", xyz), ("xyz.zip", zipped)):
        seconds, values = timed(path, args.repeat)
        results[label] = (seconds, values)
        megabytes = path.stat().st_size / 1e6
        print(f"{label:>8}: {seconds:6.2f} s  {cells / seconds / 1e6:6.2f} M cells/s  "
              f"{megabytes / seconds:7.1f} MB/s of file  ({megabytes:.0f} MB)")
    reference = results["geotiff"][1]
    for label in ("xyz", "xyz.zip"):
        assert np.array_equal(results[label][1], reference), f"{label} differs from the GeoTIFF"
    print(f"   ratio: xyz takes {results['xyz'][0] / results['geotiff'][0]:.1f}x the GeoTIFF's time, "
          f"xyz.zip {results['xyz.zip'][0] / results['geotiff'][0]:.1f}x; all three give the same cells")


if __name__ == "__main__":
    main()
