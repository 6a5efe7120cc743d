"""An ensemble of street-decay runs on Dask workers against the same runs one after another.

The shipped Johannstadt street-decay scenario (200 Monte-Carlo runs) over 8 yearly budgets:

1. one after another in this process, each run and its folder written as a batch writes it
   (the inputs read once, as the app keeps its layers);
2. the same 8 runs as a batch on a LocalCluster of N worker processes with a thread each
   (`python main.py batch` without --scheduler).

Both ways are warmed first (an unmeasured run per process, so no measured run pays for imports and
for compiling the kernels), and both write the same files. Printed: each way's wall time, the speed-up,
and the batch's time with the cluster's start-up. Target: at least 1.7x on 2 cores. The sequential
process's Monte-Carlo kernel already uses every core (numba), the workers one thread each, so the
speed-up comes from the rest of each run.

    nice .venv/bin/python benchmarks/bench_batch.py [--runs 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "street_decay_johannstadt.toml"
TARGET = 1.7


def budgets(count: int, offset: float = 0.0) -> str:
    return "budget_eur=" + ",".join(str(250_000 * (index + 1) + offset) for index in range(count))


def sequential(runs, folder: Path, registry) -> float:
    from twin.sim.batch import write_batch_run
    from twin.sim.runner import run_simulation
    from twin.sim.scenario_run import prepare_scene

    _, inputs = prepare_scene(runs[0].scenario)
    started = time.perf_counter()
    for run in runs:
        report = run_simulation(registry.get(run.simulation)(), inputs, run.scenario.parameters,
                                seed=run.scenario.seed, scenario=run.name)
        write_batch_run(run, report, inputs.crs, folder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from data.demo import demo_project
    from twin.sim.batch import InputDigests, plan_batch
    from twin.sim.batch_dask import LocalBatchCluster, run_batch
    from twin.sim.registry import SimulationRegistry

    demo_project()
    registry = SimulationRegistry.discover()
    runs = plan_batch([SCENARIO], [budgets(args.runs)], registry, InputDigests())
    warm = plan_batch([SCENARIO], [budgets(args.workers, offset=1.0)], registry, InputDigests())
    scratch = Path(tempfile.mkdtemp(prefix="bench_batch-"))
    try:
        sequential(warm[:1], scratch / "warm-sequential", registry)
        one_by_one = sequential(runs, scratch / "sequential", registry)
        print(f"{args.runs} runs one after another in one process: {one_by_one:.1f} s")

        started = time.perf_counter()
        with LocalBatchCluster(args.workers) as client:
            up = time.perf_counter() - started
            started = time.perf_counter()
            run_batch(warm, scratch / "warm-batch", client=client)  # each worker imports and compiles
            warming = time.perf_counter() - started
            started = time.perf_counter()
            outcome = run_batch(runs, scratch / "batch", client=client)
            on_dask = time.perf_counter() - started
        assert not outcome.failed, outcome.failed
        print(f"{args.runs} runs on {args.workers} Dask workers: {on_dask:.1f} s "
              f"(not counted: {up:.1f} s to start the cluster, {warming:.1f} s warming its workers)")
        speed_up = one_by_one / on_dask
        print(f"speed-up: {speed_up:.2f}x (target {TARGET}x); counting the cluster's start and warm-up: "
              f"{one_by_one / (on_dask + up + warming):.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
