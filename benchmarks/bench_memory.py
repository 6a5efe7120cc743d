"""Resident memory of the window while the demo's point clouds are opened and removed, N times.

Each cycle opens the three demo clouds (Prohlis, Johannstadt, Friedrichstadt) through the
window's loader and removes them in the layers panel, in a process of its own set up as main.py
sets up the app (tests/gui/memory_cycles.py); the CI test does the same with the Prohlis cloud.
`--llvmpipe-threads N` gives Mesa's software renderer N rasterizer threads, as before the fix
(its idle scenes then keep a big frame's memory until the OpenGL context ends).

    python benchmarks/bench_memory.py [--cycles 10] [--llvmpipe-threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.demo import demo_project  # noqa: E402

CLOUDS = ("prohlis", "johannstadt", "friedrichstadt")
TIMEOUT_S = 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--llvmpipe-threads", type=int, help="rasterizer threads (default: none, the app's)")
    args = parser.parse_args()
    folder = demo_project().parent
    paths = [str(folder / f"{name}_lidar.laz") for name in CLOUDS]
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if args.llvmpipe_threads is not None:
        environment["LP_NUM_THREADS"] = str(args.llvmpipe_threads)
    done = subprocess.run([sys.executable, "-m", "tests.gui.memory_cycles", str(args.cycles), *paths],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    before = figures["before"]
    print(f"{figures['points']:,} points shown per cycle; resident memory before the first: {before:.0f} MiB")
    print("cycle  clouds in (MiB)  removed (MiB)  removed vs before")
    for cycle, (loaded, removed) in enumerate(zip(figures["loaded"], figures["removed"], strict=True), 1):
        print(f"{cycle:5d}  {loaded:15.0f}  {removed:13.0f}  {removed / before - 1:+17.1%}")
    print(f"largest after removal: {max(figures['removed']) / before - 1:+.1%} (the test allows +10 %)")


if __name__ == "__main__":
    main()
