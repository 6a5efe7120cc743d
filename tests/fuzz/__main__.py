"""The long fuzzer: `python -m tests.fuzz --minutes N [--seed S] [--formats NAME ...] [--keep DIR]`.

Takes the targets of tests/fuzz/targets.py in turn, a round of fresh hypothesis examples each,
until the minutes are up; every read runs bounded (tests/fuzz/bounded.py). Prints per target
the inputs tried, how many were read, refused and failed, and each distinct failure (exception
type and place) with how often it happened. With --keep, the first input of each distinct
failure is copied there, to become a regression file in tests/data/bad/.
Exit status 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz.bounded import Outcome, run_bounded
from tests.fuzz.targets import TARGETS

ROUND = 25  # examples per target before the next target's turn


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # failure -> its first message

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.kind] += 1
        if outcome.failed:
            self.failures[outcome.key] += 1
            self.examples.setdefault(outcome.key, outcome.message)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    os.environ.setdefault("TWIN_CACHE_DIR", tempfile.mkdtemp(prefix="twin-fuzz-cache-"))
    deadline = time.monotonic() + args.minutes * 60
    tallies = {name: Tally() for name in args.formats}
    with tempfile.TemporaryDirectory(prefix="twin-fuzz-") as scratch:
        turn = 0
        while time.monotonic() < deadline:
            name = args.formats[turn % len(args.formats)]
            _round(name, args.seed + turn, Path(scratch), tallies[name], args.keep)
            turn += 1
    _report(tallies, args)
    return 1 if any(tally.failures for tally in tallies.values()) else 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, required=True, help="how long to fuzz, all targets together")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="the first round's seed")
    parser.add_argument("--formats", nargs="+", choices=sorted(TARGETS), default=sorted(TARGETS),
                        metavar="NAME", help=f"targets to fuzz (default all: {', '.join(sorted(TARGETS))})")
    parser.add_argument("--keep", type=Path, help="copy the first input of each distinct failure here")
    return parser.parse_args(argv)


def _round(name: str, round_seed: int, scratch: Path, tally: Tally, keep: Path | None) -> None:
    """ROUND examples of one target (the deadline is looked at between rounds: hypothesis wants
    every example it replays to draw the same)."""
    @seed(round_seed)
    @settings(max_examples=ROUND, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        folder = Path(tempfile.mkdtemp(dir=scratch))
        outcome = run_bounded(TARGETS[name](data, folder))
        new_failure = outcome.failed and outcome.key not in tally.failures
        tally.add(outcome)
        if new_failure and keep is not None:
            shutil.copytree(folder, keep / f"{name}-{len(tally.failures)}", dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    fuzz()


def _report(tallies: dict[str, Tally], args: argparse.Namespace) -> None:
    print(f"fuzzed {args.minutes:g} minutes from seed {args.seed}")
    print(f"{'target':<20} {'inputs':>7} {'read':>7} {'refused':>8} {'failed':>7} {'distinct':>9}")
    for name, tally in tallies.items():
        counts = tally.outcomes
        print(f"{name:<20} {counts.total():>7} {counts['read']:>7} {counts['refused']:>8} "
              f"{counts['failed']:>7} {len(tally.failures):>9}")
    total: Counter[str] = Counter()
    for tally in tallies.values():
        total.update(tally.outcomes)
    distinct = sum(len(tally.failures) for tally in tallies.values())
    print(f"{'all':<20} {total.total():>7} {total['read']:>7} {total['refused']:>8} {total['failed']:>7} "
          f"{distinct:>9}")
    for name, tally in tallies.items():
        for key, count in tally.failures.most_common():
            print(f"FAILURE {name}: {key} ({count}x): {tally.examples[key]}")


if __name__ == "__main__":
    sys.exit(main())
