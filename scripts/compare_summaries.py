"""Compare the figures of two sets of scenario runs, such as before and after a change.

    python scripts/compare_summaries.py BEFORE_DIR AFTER_DIR

Each DIR holds one folder per run as `python main.py run SCENARIO --out DIR/NAME` writes it. For every
run found in both, every number in `summary.json` (the summary and the per-quarter figures) and in its
CSV result tables (columns matched by name, units in the heading ignored) is compared; the largest
relative difference per run is printed, and the exit status is 1 when one exceeds --tolerance.
Timings (seconds, solver speed) differ from run to run and are left out.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TIMINGS = re.compile(r"(^|\.)(seconds|solver_seconds|cell_updates_per_s|run_id|twin_version)$")


def numbers(value: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every number in a JSON value, by its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from numbers(item, f"{prefix}[{index}]")
    elif isinstance(value, int | float) and not isinstance(value, bool) and not TIMINGS.search(prefix):
        yield prefix, float(value)


def csv_numbers(path: Path) -> Iterator[tuple[str, float]]:
    with path.open(encoding="utf-8") as file:
        for row_number, row in enumerate(csv.DictReader(file)):
            for heading, text in row.items():
                column = heading.split(" [")[0]
                try:
                    yield f"{path.name}:{column}[{row_number}]", float(text)
                except (TypeError, ValueError):
                    continue


def figures(run: Path) -> dict[str, float]:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    found = dict(numbers({"summary": summary.get("summary"), "per_quarter": summary.get("per_quarter")}))
    for table in sorted(run.glob("*.csv")):
        found.update(csv_numbers(table))
    return found


def largest_difference(before: dict[str, float], after: dict[str, float]) -> tuple[float, str, list[str]]:
    missing = sorted(set(before) ^ set(after))
    worst, where = 0.0, ""
    for key in before.keys() & after.keys():
        a, b = before[key], after[key]
        if math.isnan(a) and math.isnan(b):
            continue
        difference = abs(a - b) / max(abs(a), abs(b), 1e-12) if a != b else 0.0
        if difference > worst:
            worst, where = difference, key
    return worst, where, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-9, help="largest relative difference allowed")
    args = parser.parse_args()
    failed = False
    for run in sorted(path for path in args.before.iterdir() if (path / "summary.json").is_file()):
        if not (args.after / run.name / "summary.json").is_file():
            print(f"{run.name}: no run in {args.after}")
            failed = True
            continue
        before, after = figures(run), figures(args.after / run.name)
        worst, where, missing = largest_difference(before, after)
        failed |= worst > args.tolerance or bool(missing)
        at = f" at {where}" if where else ""
        unmatched = f"; only in one: {', '.join(missing[:5])}" if missing else ""
        print(f"{run.name}: {len(before)} numbers, largest relative difference {worst:.2e}{at}{unmatched}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
