"""CityGML reading speed against a bare lxml pass over the same file, and the re-open cache.

Builds a realistically large LoD2 file (tens of MB) by repeating the buildings of the real
Dresden tile in tests/data/citygml with shifted coordinates and new gml:ids, into
benchmarks/.cache/. Then, in the same run, median of repetitions:

    baseline   for _ in lxml.etree.iterparse(file): pass   (every element, hardened settings)
    read       read_citygml(file) with an empty cache: parsing, xlinks, triangulation, footprints
    reopen     read_citygml(file) again: the .npz re-open cache

Targets: read <= 3x baseline; reopen >= 10x faster than read.
    python benchmarks/bench_citygml.py [--copies N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from lxml import etree

from twin.io.citygml import read_citygml
from twin.io.safe_xml import HARDENED

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "citygml" / "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"
CACHE = ROOT / "benchmarks" / ".cache"
MEMBER = re.compile(r"<core:cityObjectMember>.*?</core:cityObjectMember>", re.DOTALL)
POS_LIST = re.compile(r"(<gml:posList[^>]*>)([^<]*)(</gml:posList>)")
IDENTIFIER = re.compile(r'(gml:id="|xlink:href="#)([^"]+)"')


def big_file(copies: int) -> Path:
    """The Dresden tile's buildings `copies` times, each copy moved 2.5 km east per column."""
    target = CACHE / f"dresden_lod2_x{copies}.gml"
    if target.exists():
        return target
    text = SOURCE.read_text(encoding="utf-8")
    members = MEMBER.findall(text)
    head, tail = text[:text.index(members[0])], text[text.rindex(members[-1]) + len(members[-1]):]
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=CACHE, delete=False, encoding="utf-8") as out:
        out.write(head)
        for copy in range(copies):
            shift = np.array([2500.0 * (copy % 40), 2500.0 * (copy // 40), 0.0])
            block = IDENTIFIER.sub(lambda m, c=copy: f'{m.group(1)}{m.group(2)}_{c}"', "".join(members))
            moved = POS_LIST.sub(lambda m, s=shift: m.group(1) + _shifted(m.group(2), s) + m.group(3), block)
            out.write(moved)
        out.write(tail)
    os.replace(out.name, target)
    return target


def _shifted(pos_list: str, shift: np.ndarray) -> str:
    points = np.array(pos_list.split(), dtype=float).reshape(-1, 3) + shift
    return " ".join(f"{v:.3f}" for v in points.ravel())


def bare_pass(path: Path) -> None:
    for _event, _element in etree.iterparse(str(path), **HARDENED):
        pass


def timed(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=30, help="repetitions of the 14 Dresden buildings")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = big_file(args.copies)
    with tempfile.TemporaryDirectory() as cache_dir:
        os.environ["TWIN_CACHE_DIR"] = cache_dir
        entries = Path(cache_dir) / "models"

        def first_open() -> None:
            for entry in entries.glob("*.npz"):
                entry.unlink()
            read_citygml(path)

        data = read_citygml(path)
        baseline = timed(lambda: bare_pass(path), args.repeat)
        first = timed(first_open, args.repeat)
        read_citygml(path)
        reopen = timed(lambda: read_citygml(path), args.repeat)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.1f} MB, {len(data)} buildings, {len(data.triangles)} triangles, "
          f"{data.skipped_polygons} skipped polygons")
    print(f"bare lxml iterparse pass: {baseline:.3f} s  ({size_mb / baseline:.0f} MB/s)")
    print(f"read_citygml, no cache:   {first:.3f} s  = {first / baseline:.2f} x the bare pass (target <= 3)")
    print(f"read_citygml, re-opened:  {reopen:.4f} s  = {first / reopen:.0f} x faster than reading "
          "(target >= 10)")


if __name__ == "__main__":
    main()
