"""An ensemble of street-decay (or energy) runs on Dask workers against the same runs one after another.

The shipped Johannstadt street-decay scenario (200 Monte-Carlo runs) over 8 yearly budgets, or
with --simulation energy the Johannstadt energy scenario over 8 refurbishment rates:

1. one after another in this process, each run and its folder written as a batch writes it
   (the inputs read once, as the app keeps its layers);
2. the same 8 runs as a batch on a LocalCluster of N worker processes with a thread each
   (`python main.py batch` without --scheduler).

Both ways are warmed first (unmeasured runs: one in this process, WARM_RUNS_PER_WORKER per worker,
so that no measured run pays for imports and for compiling the kernels: Dask gives a batch's tasks
to whichever worker is free, so one warm run per worker left one of them cold, its first measured
run taking twice as long), and both write the same files. Printed: each way's wall time, the speed-up,
and the batch's time with the cluster's start-up. Target: at least 1.7x on 2 cores. The sequential
process's Monte-Carlo kernel already uses every core (numba), the workers one thread each, so the
speed-up comes from the rest of each run.

Each way's CPU seconds (all its processes' threads) and the seconds its threads waited for a CPU
(runnable, another process on it: /proc/.../schedstat) are printed too, with the load average: on
a machine others use, the wall times say more about them than about the batch, while the CPU
seconds of the same runs in one process and on the workers should match.

    nice .venv/bin/python benchmarks/bench_batch.py [--runs 8] [--workers 2] [--simulation energy]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# what each ensemble varies: the street budget, or the yearly share of refurbished buildings
ENSEMBLES = {"street_decay": ("street_decay_johannstadt.toml", "budget_eur", 250_000.0),
             "energy": ("energy_johannstadt.toml", "refurbishment_rate", 0.004)}
TARGET = 1.7
WARM_RUNS_PER_WORKER = 3


def variation(ensemble: str, count: int, offset: float = 0.0) -> str:
    _, name, step = ENSEMBLES[ensemble]
    return f"{name}=" + ",".join(repr(step * (index + 1) + offset) for index in range(count))


def sequential(runs, folder: Path, registry) -> tuple[float, float]:
    """Wall time of the runs one after another, and the time inside the simulations."""
    from twin.sim.batch import write_batch_run
    from twin.sim.runner import run_simulation
    from twin.sim.scenario_run import prepare_scene

    _, inputs = prepare_scene(runs[0].scenario)
    started, inside = time.perf_counter(), 0.0
    for run in runs:
        report = run_simulation(registry.get(run.simulation)(), inputs, run.scenario.parameters,
                                seed=run.scenario.seed, scenario=run.name)
        write_batch_run(run, report, inputs.crs, folder)
        inside += report.seconds
    return time.perf_counter() - started, inside


def cpu_and_wait() -> tuple[float, float]:
    """This process's CPU seconds and the seconds its threads waited for a CPU (schedstat, Linux)."""
    on_cpu = waiting = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        on_cpu, waiting = on_cpu + int(fields[0]), waiting + int(fields[1])
    return on_cpu / 1e9, waiting / 1e9


def workers_cpu_and_wait(client) -> tuple[float, float]:
    usage = client.run(cpu_and_wait).values()
    return sum(cpu for cpu, _ in usage), sum(wait for _, wait in usage)


def spent(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
    return after[0] - before[0], after[1] - before[1]


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--simulation", choices=sorted(ENSEMBLES), default="street_decay")
    args = parser.parse_args()

    from data.demo import demo_project
    from twin.sim.batch import InputDigests, plan_batch
    from twin.sim.batch_dask import LocalBatchCluster, run_batch
    from twin.sim.registry import SimulationRegistry

    demo_project()
    registry = SimulationRegistry.discover()
    scenario = SCENARIOS / ENSEMBLES[args.simulation][0]
    runs = plan_batch([scenario], [variation(args.simulation, args.runs)], registry, InputDigests())
    warm_runs = WARM_RUNS_PER_WORKER * args.workers
    warm = plan_batch([scenario], [variation(args.simulation, warm_runs, offset=0.001)], registry,
                      InputDigests())
    scratch = Path(tempfile.mkdtemp(prefix="bench_batch-"))
    try:
        print(f"before: {load()}")
        sequential(warm[:1], scratch / "warm-sequential", registry)
        before = cpu_and_wait()
        one_by_one, inside = sequential(runs, scratch / "sequential", registry)
        cpu, wait = spent(before, cpu_and_wait())
        serial_cpu = cpu
        print(f"{args.runs} runs one after another in one process: {one_by_one:.1f} s "
              f"({inside:.1f} s of it in the simulations); {cpu:.1f} CPU s, {wait:.1f} s waiting for a CPU")

        started = time.perf_counter()
        with LocalBatchCluster(args.workers) as client:
            up = time.perf_counter() - started
            started = time.perf_counter()
            run_batch(warm, scratch / "warm-batch", client=client)  # each worker imports and compiles
            warming = time.perf_counter() - started
            before = workers_cpu_and_wait(client)
            started = time.perf_counter()
            outcome = run_batch(runs, scratch / "batch", client=client)
            on_dask = time.perf_counter() - started
            cpu, wait = spent(before, workers_cpu_and_wait(client))
        assert not outcome.failed, outcome.failed
        on_workers = sum(status.get("seconds", 0.0) for status in outcome.statuses.values())
        print(f"{args.runs} runs on {args.workers} Dask workers: {on_dask:.1f} s "
              f"(not counted: {up:.1f} s to start the cluster, {warming:.1f} s warming its workers); "
              f"{on_workers:.1f} s in the simulations, {on_workers / (args.workers * on_dask):.0%} "
              f"of the workers' time; the workers' {cpu:.1f} CPU s, {wait:.1f} s waiting for a CPU")
        speed_up = one_by_one / on_dask
        print(f"speed-up: {speed_up:.2f}x (target {TARGET}x); counting the cluster's start and warm-up: "
              f"{one_by_one / (on_dask + up + warming):.2f}x; after: {load()}")
        # What the wall times would say with the CPUs to this benchmark alone: each way's CPU
        # seconds, the workers' shared out evenly (the sequential way's parallel kernels would overlap:
        # an upper bound)
        print(f"CPU-bound estimate of the speed-up: {serial_cpu / (cpu / args.workers):.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
