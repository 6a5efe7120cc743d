"""Peak memory of opening a 30-million-point LAZ for display, against the 1.5 GB limit.

Generates the file once into benchmarks/.cache/ (the synthetic city of bench_laz_read.py,
written chunk by chunk), then reads it in a fresh Python process with
read_layer (a spatially fair sample of the 3,000,000-point budget) and reports that
process's peak resident memory (getrusage ru_maxrss). For comparison, the same is measured
for a process that only imports the twin (the interpreter, numpy, laspy, numba: the floor)
and for laspy.read of the whole file (what reading without streaming would cost).

Every step runs in its own interpreter started from this small one: on Linux a child's
ru_maxrss starts from its parent's resident size at the fork, so the parent stays light.
    python benchmarks/bench_laz_memory.py [--points N] [--no-baseline]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

LIMIT_BYTES = 1.5e9
ROOT = Path(__file__).resolve().parents[1]

GENERATE = ("import sys; sys.path.insert(0, 'benchmarks')\n"
            "from bench_laz_read import synthetic_laz\n"
            "print(synthetic_laz({points}, 6))\n")
IMPORTS = "import resource, time, laspy, twin.io, twin.io.lidar\n"
PEAK = "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"  # Linux: kilobytes
READ_LAYER = (IMPORTS + "begun = time.perf_counter()\n"
              "layer = twin.io.read_layer({path!r})\n"
              "print(len(layer.data.xyz), time.perf_counter() - begun)\n" + PEAK)
IMPORT_ONLY = IMPORTS + "print(0, 0.0)\n" + PEAK
LASPY_READ = (IMPORTS + "begun = time.perf_counter()\n"
              "las = laspy.read({path!r})\n"
              "print(len(las.points), time.perf_counter() - begun)\n" + PEAK)


def run_python(script: str) -> str:
    """The standard output of the script, run in a fresh interpreter in the project root."""
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def measure(script: str, path: Path) -> tuple[int, float, int]:
    """(points held, seconds, peak resident bytes) of the script run in a fresh interpreter."""
    points, seconds, peak = run_python(script.format(path=str(path))).split()
    return int(points), float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=30_000_000)
    parser.add_argument("--no-baseline", action="store_true", help="skip the whole-file laspy.read")
    arguments = parser.parse_args()
    begun = time.perf_counter()
    path = Path(run_python(GENERATE.format(points=arguments.points)).strip())
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB on disk "
          f"(ready in {time.perf_counter() - begun:.1f} s)")
    runs = [("python + imports only", IMPORT_ONLY), ("read_layer (display)", READ_LAYER)]
    if not arguments.no_baseline:
        runs.append(("laspy.read, whole file", LASPY_READ))
    peaks = {}
    for label, script in runs:
        points, seconds, peaks[label] = measure(script, path)
        print(f"  {label:24s} peak RSS {peaks[label] / 1e9:5.2f} GB   {points:>11,} points   "
              f"{seconds:6.2f} s")
    layer_peak = peaks["read_layer (display)"]
    verdict = "under" if layer_peak < LIMIT_BYTES else "OVER"
    print(f"read_layer peak {layer_peak / 1e9:.2f} GB: {verdict} the limit of {LIMIT_BYTES / 1e9:.1f} GB")


if __name__ == "__main__":
    main()
