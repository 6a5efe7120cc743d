"""LAZ reading speed: the point-cloud layer against laspy + lazrs decoding the same file alone.

Generates realistic LAZ files (EPSG:25833, points in scan-line order over a Dresden-like
tile: terrain, buildings, trees, a little noise) into benchmarks/.cache/, then, in the same
run, interleaved, median of repetitions:

    baseline   laspy.read(file) with the parallel lazrs backend: decoding only
    layer      twin.io.read_layer(file): decoding, checks, CRS, xyz + attributes (and, for a
               file over the 3,000,000-point budget, the spatially fair sample)

For each size (one below the budget: every point converted; one above: sampled) in two
point formats: 6 (LAS 1.4, where the reader decodes only the layers it keeps: XYZ,
classification, intensity, colour) and 3 (LAS 1.2 with colour, decoded whole, as AHN3 and
many older surveys are).
Target: layer <= 1.15 x baseline.
    python benchmarks/bench_laz_read.py [--points N N] [--formats 6 3] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import laspy
import numpy as np
from pyproj import CRS

from twin.io import read_layer
from twin.io.lidar import BACKEND

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
TARGET_RATIO = 1.15
DENSITY = 10.0  # points per square metre, like a modern city survey
WRITE_CHUNK = 2_000_000


def synthetic_laz(points: int, point_format: int = 6) -> Path:
    """A LAZ of `points` points in the cache, written once, chunk by chunk (bounded memory)."""
    path = CACHE / f"synthetic_city_{points}_pf{point_format}.laz"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    header = laspy.LasHeader(point_format=point_format, version="1.4" if point_format >= 6 else "1.2")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([411_000.0, 5_654_000.0, 0.0])
    header.add_crs(CRS.from_epsg(25833))
    side = np.sqrt(points / DENSITY)
    partial = path.with_suffix(".part")
    with laspy.open(partial, mode="w", header=header, do_compress=True, laz_backend=BACKEND) as writer:
        for start in range(0, points, WRITE_CHUNK):
            writer.write_points(_city_points(header, start, min(WRITE_CHUNK, points - start), side))
    partial.rename(path)
    return path


def _city_points(header: laspy.LasHeader, start: int, count: int, side: float) -> laspy.ScaleAwarePointRecord:
    """Points start..start+count of a serpentine scan over a square tile of `side` metres."""
    rng = np.random.default_rng(start)
    index = np.arange(start, start + count)
    per_line = max(int(side * np.sqrt(DENSITY)), 1)
    line, along = np.divmod(index, per_line)
    along = np.where(line % 2 == 0, along, per_line - 1 - along)  # the scanner sweeps back and forth
    x = (along + rng.random(count)) * (side / per_line)
    y = (line + rng.random(count) * 0.5) * (side / per_line)
    ground = 110.0 + 8.0 * np.sin(x / 400.0) + 5.0 * np.cos(y / 300.0)
    block_x, block_y = np.mod(x, 60.0), np.mod(y, 45.0)
    building = (block_x > 10) & (block_x < 40) & (block_y > 8) & (block_y < 32)
    roof = 12.0 + 3.0 * (1 - np.abs(block_y - 20.0) / 12.0) + np.floor(x / 60.0) % 3 * 3.0
    tree = ~building & (np.sin(x / 7.0) * np.cos(y / 9.0) > 0.7)
    classification = np.full(count, 2, dtype=np.uint8)
    classification[building] = 6
    classification[tree] = 5
    z = ground + np.where(building, roof, 0.0) + np.where(tree, rng.random(count) * 15.0, 0.0)
    noise = rng.random(count) < 1e-4
    classification[noise] = 7
    z[noise] += rng.normal(0.0, 50.0, int(noise.sum()))
    records = laspy.ScaleAwarePointRecord.zeros(count, header=header)
    records.x = header.offsets[0] + x
    records.y = header.offsets[1] + y
    records.z = z
    records.classification = classification
    records.intensity = (rng.normal(900.0, 150.0, count) + 600 * building).clip(0, 65535).astype(np.uint16)
    records.return_number = np.ones(count, dtype=np.uint8)
    records.number_of_returns = np.where(tree, 2, 1).astype(np.uint8)
    records.gps_time = 3.0e8 + (index + rng.random(count)) * 2e-6
    records.point_source_id = np.full(count, 7, dtype=np.uint16)
    if "red" in header.point_format.dimension_names:
        grey = (records.intensity.astype(np.uint32) * 40).clip(0, 65535).astype(np.uint16)
        records.red, records.green, records.blue = grey, grey, np.where(tree, grey // 2, grey)
    return records


def _seconds(action) -> tuple[float, float]:
    """Wall and CPU seconds (all threads: the lazrs decoder runs on every core)."""
    begun, begun_cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - begun, time.process_time() - begun_cpu


def compare(path: Path, repeat: int) -> float:
    """Interleaved repetitions of baseline and layer read; prints both medians and the ratio."""
    read_layer(path)  # compile the numba kernels and warm the file cache outside the timing
    baseline_times, layer_times = [], []
    for _ in range(repeat):
        baseline_times.append(_seconds(lambda: laspy.read(path, laz_backend=BACKEND)))
        layer_times.append(_seconds(lambda: read_layer(path)))
    baseline, layer = (statistics.median(wall for wall, _cpu in runs)
                       for runs in (baseline_times, layer_times))
    baseline_cpu, layer_cpu = (statistics.median(cpu for _wall, cpu in runs)
                               for runs in (baseline_times, layer_times))
    points = laspy.open(path).header.point_count
    shown = len(read_layer(path).data.xyz)
    ratio = layer / baseline
    print(f"{path.name}: {points:,} points, {shown:,} in the layer")
    print(f"  laspy + lazrs (baseline) {baseline:7.3f} s   read_layer {layer:7.3f} s   "
          f"ratio {ratio:.3f} (target <= {TARGET_RATIO})")
    print(f"  CPU seconds              {baseline_cpu:7.3f} s              {layer_cpu:7.3f} s   "
          f"ratio {layer_cpu / baseline_cpu:.3f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[2_500_000, 6_000_000])
    parser.add_argument("--formats", type=int, nargs="+", default=[6, 3])
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    print(f"lazrs backend: {BACKEND.name}; median of {arguments.repeat} interleaved runs")
    ratios = [compare(synthetic_laz(points, point_format), arguments.repeat)
              for point_format in arguments.formats for points in arguments.points]
    verdict = "within" if max(ratios) <= TARGET_RATIO else "OVER"
    print(f"worst ratio {max(ratios):.3f}: {verdict} the target of {TARGET_RATIO}")


if __name__ == "__main__":
    main()
