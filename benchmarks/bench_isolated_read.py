"""What reading point clouds in a child process costs the desktop app (twin/io/isolated.py).

On the demo city's three LiDAR files, in one run, interleaved, median of repetitions:

    in-process  twin.io.read_layer(file): what the CLI and the tests do
    isolated    twin.io.read_layer(file, isolate=True): what the window does, so that a crash
                in the native decoder cannot take the app down

The first isolated read of a session also starts the fork server that imports the readers;
it is reported on its own line. Prints the time per file and the ratio isolated / in-process.
    python benchmarks/bench_isolated_read.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from data.demo import demo_project
from twin.core.project import Project
from twin.io import read_layer


def demo_point_clouds() -> list[Path]:
    project = Project.load(demo_project())
    paths = [entry.path if entry.path.is_absolute() else project.path.parent / entry.path
             for entry in project.layers]
    return [path for path in paths if path.suffix == ".laz"]


def seconds_to_read(path: Path, isolate: bool) -> tuple[float, int]:
    started = time.perf_counter()
    layer = read_layer(path, isolate=isolate)
    return time.perf_counter() - started, len(layer.data.xyz)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = demo_point_clouds()
    first, _ = seconds_to_read(paths[0], isolate=True)
    print(f"first isolated read, fork server start included: {first:.2f} s ({paths[0].name})")
    ratios = []
    for path in paths:
        direct, isolated, points = [], [], 0
        for _ in range(args.repeat):
            seconds, points = seconds_to_read(path, isolate=False)
            direct.append(seconds)
            isolated.append(seconds_to_read(path, isolate=True)[0])
        ratio = statistics.median(isolated) / statistics.median(direct)
        ratios.append(ratio)
        print(f"{path.name}: {points:,} points; in-process {statistics.median(direct):.2f} s, "
              f"isolated {statistics.median(isolated):.2f} s, ratio {ratio:.2f}")
    print(f"ratio isolated / in-process over the demo city: median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
