"""A batch's runs on Dask distributed: a LocalCluster on this machine, or any scheduler by address.

Each run is one task. A worker reads the scenario's input files from their path (the same path on
every worker: a shared folder on a cluster), once per worker, not once per task: the prepared
inputs of the last scenarios it ran stay in the worker's memory, as the app keeps its layers
between runs. A run that fails (the simulation raises, the worker dies) is reported by name with
its error while the others go on. Cancelling sets a Dask Event that each running task checks at
its progress reports, so runs stop cleanly on a remote cluster too; nothing of a cancelled run is
written, and what a killed worker left half-written is cleared at the next batch.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Event, Future, LocalCluster, get_worker

from twin.core.atomic import check_writable_folder, remove_stale_temporaries, write_atomic
from twin.core.feedback import Canceled, Feedback
from twin.core.scenario import Scenario
from twin.sim.batch import (
    BATCH_FILE,
    DIGESTS_FILE,
    RUNS_FOLDER,
    BatchError,
    InputDigests,
    PlannedRun,
    batch_description,
    is_complete,
    plan_batch,
    write_batch_run,
)
from twin.sim.batch_results import batch_table, write_batch_table
from twin.sim.contract import SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunStatus, run_simulation
from twin.sim.scenario_run import prepare_scene

SCHEDULER_TIMEOUT_S = 20  # seconds to reach a scheduler given by address
FOLLOW_S = 0.2  # how often the batch looks at Ctrl-C and its stop Event while runs go on
CANCEL_CHECK_S = 1.0  # how often a running task asks the scheduler whether the batch was cancelled
CANCEL_GRACE_S = 60.0  # how long cancelling waits for running tasks to stop at their next check
_PREPARED_KEPT = 2  # scenarios' prepared inputs a worker keeps in memory


@dataclass
class BatchProgress:
    """Where a batch stands: what a progress line says."""

    total: int
    done: int = 0
    reused: int = 0
    failed: int = 0
    running: set[str] = field(default_factory=set)
    dashboard: str | None = None

    def line(self) -> str:
        where = f"; dashboard {self.dashboard}" if self.dashboard else ""
        return (f"batch: {self.done + self.reused}/{self.total} done ({self.reused} reused), "
                f"{len(self.running)} running, {self.failed} failed{where}")


@dataclass
class BatchOutcome:
    """Each run's status by key ({"status": ok|reused|failed|canceled, "error", "seconds"})."""

    statuses: dict[str, dict[str, Any]]
    canceled: bool = False
    dashboard: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # run names by key
    written: list[Path] = field(default_factory=list)  # the batch's table files

    @property
    def failed(self) -> dict[str, str]:
        return {key: str(status.get("error")) for key, status in self.statuses.items()
                if status["status"] == "failed"}

    @property
    def failed_by_name(self) -> dict[str, str]:
        return {self.names.get(key, key): error for key, error in self.failed.items()}

    def sentence(self) -> str:
        """What the batch did, in one sentence."""
        counts = {state: sum(status["status"] == state for status in self.statuses.values())
                  for state in ("ok", "reused", "failed")}
        table = " and ".join(str(path) for path in self.written[:2])
        runs = f"{len(self.statuses)} run" + ("" if len(self.statuses) == 1 else "s")
        return (f"{runs}: {counts['ok']} ran, {counts['reused']} reused, "
                f"{counts['failed']} failed; the table is {table}")


def run_and_write_batch(scenario_files: Sequence[Path], variations: Sequence[str], batch_folder: Path,
                        registry: SimulationRegistry, *, quarters: Sequence[str] = (),
                        client: Client | None = None, scheduler: str | None = None,
                        workers: int | None = None, on_progress: ProgressListener | None = None,
                        stop: threading.Event | None = None) -> BatchOutcome:
    """Plan the batch, run what is missing (run_batch), and write its table and batch.json.

    Raises BatchError (or another TwinError) before anything runs where the batch cannot be planned
    or its folder not written."""
    check_writable_folder(batch_folder)
    digests = InputDigests(batch_folder / DIGESTS_FILE)
    runs = plan_batch(scenario_files, variations, registry, digests, quarters)
    batch_folder.mkdir(parents=True, exist_ok=True)
    digests.save()
    outcome = run_batch(runs, batch_folder, client=client, scheduler=scheduler, workers=workers,
                        on_progress=on_progress, stop=stop)
    outcome.names = {run.key: run.name for run in runs}
    outcome.written = write_batch_table(batch_table(runs, outcome.statuses, batch_folder, registry),
                                        batch_folder)
    description = batch_description(runs, outcome.statuses, variations)
    write_atomic(batch_folder / BATCH_FILE, json.dumps(description, indent=1, ensure_ascii=False))
    return outcome


ProgressListener = Callable[[BatchProgress], None]


def run_batch(runs: Sequence[PlannedRun], batch_folder: Path, *, client: Client | None = None,
              scheduler: str | None = None, workers: int | None = None,
              on_progress: ProgressListener | None = None,
              stop: threading.Event | None = None) -> BatchOutcome:
    """Run what the batch folder lacks on Dask: on `client`, on the scheduler at `scheduler`, or
    on a LocalCluster of `workers` processes (default: this machine's cores) with a thread each.

    A run whose folder exists is reused; a run its simulation refused fails without running. Setting
    `stop` (or Ctrl-C in the calling thread) cancels the rest; the outcome then says `canceled`."""
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be at least 1, got {workers}")
    batch_folder = batch_folder.absolute()
    remove_stale_temporaries(batch_folder / RUNS_FOLDER)  # what a killed worker left half-written
    statuses: dict[str, dict[str, Any]] = {}
    progress = BatchProgress(total=len(runs))
    pending = []
    for run in runs:
        if run.refused is not None:
            statuses[run.key] = {"status": "failed", "error": run.refused}
            progress.failed += 1
        elif is_complete(batch_folder, run.key):
            statuses[run.key] = {"status": "reused"}
            progress.reused += 1
        else:
            pending.append(run)
    listener = on_progress or (lambda _: None)
    if not pending:
        listener(progress)
        return BatchOutcome(statuses)
    with ExitStack() as stack:
        client = client or stack.enter_context(_client(scheduler, workers))
        progress.dashboard = _dashboard(client)
        canceled = _execute(client, pending, batch_folder, statuses, progress, listener, stop)
    return BatchOutcome(statuses, canceled, progress.dashboard)


def _client(scheduler: str | None, workers: int | None) -> Client | LocalBatchCluster:
    if scheduler is not None:
        try:
            return Client(scheduler, set_as_default=False, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError) as error:
            raise BatchError(f"the Dask scheduler at {scheduler} cannot be reached ({error})") from None
    return LocalBatchCluster(workers or len(os.sched_getaffinity(0)))


class LocalBatchCluster:
    """A LocalCluster of processes with one thread each, and its client; both close on exit."""

    def __init__(self, workers: int) -> None:
        # One worker per core: a plugin's parallel kernels (numba) take one thread each, or the
        # workers' threads would outnumber the cores.
        with dask.config.set(_WORKER_CONFIG | {"distributed.nanny.pre-spawn-environ": _worker_environment()}):
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0" if find_spec("bokeh") else None,
                                         silence_logs=logging.CRITICAL, env={"NUMBA_NUM_THREADS": "1"},
                                         preload=[__name__])  # dask_setup below
        self._client = Client(self._cluster, set_as_default=False)

    def __enter__(self) -> Client:
        return self._client

    def __exit__(self, *_: object) -> None:
        self._client.close()
        self._cluster.close()


# The workers' statistical profiler samples the running task's stack every 10 ms, taking the GIL
# from it; a batch's runs report their own progress and times instead.
_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def _worker_environment() -> dict[str, Any]:
    """What Dask sets in a worker's environment before starting it (one thread for OpenMP and
    BLAS), less MALLOC_TRIM_THRESHOLD_: setting it turns glibc's growing mmap threshold off, so
    every array over 128 kB is mapped and zeroed anew; an energy run then took about a third more
    CPU on a worker than in one process, three times the system time (benchmarks/bench_batch.py)."""
    environment = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environment.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environment


def _dashboard(client: Client) -> str | None:
    """The dashboard's address, where it draws: a scheduler without bokeh still answers there."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return None
    return client.dashboard_link if client.run_on_scheduler(_draws_dashboard) else None


def _draws_dashboard() -> bool:
    return find_spec("bokeh") is not None


def _execute(client: Client, runs: list[PlannedRun], batch_folder: Path, statuses: dict[str, dict[str, Any]],
             progress: BatchProgress, listener: ProgressListener, stop: threading.Event | None) -> bool:
    """Submit the runs and follow them to the end; True when the batch was cancelled."""
    batch_id = uuid.uuid4().hex[:12]
    topic, cancel_name = f"twin-batch-{batch_id}", f"twin-batch-cancel-{batch_id}"
    lock = threading.Lock()

    def started_or_ended(event: tuple[float, dict[str, str]]) -> None:
        # The workers say so themselves: the futures' results may reach this client later.
        with lock:
            key, state = event[1]["key"], event[1]["state"]
            if state == "started" and key not in statuses:
                progress.running.add(key)
            else:
                progress.running.discard(key)
        listener(progress)

    client.subscribe_topic(topic, started_or_ended)
    futures = {client.submit(execute_run, run, str(batch_folder), topic, cancel_name,
                             key=f"twin-run-{run.key}-{batch_id}", pure=False): run for run in runs}
    listener(progress)
    try:
        _follow(futures, statuses, progress, listener, lock, stop)
    except KeyboardInterrupt:
        _cancel(client, futures, cancel_name, statuses)
        return True
    finally:
        client.unsubscribe_topic(topic)
    if stop is not None and stop.is_set():
        _cancel(client, futures, cancel_name, statuses)
        return True
    return False


def _follow(futures: dict[Future, PlannedRun], statuses: dict[str, dict[str, Any]],
            progress: BatchProgress, listener: ProgressListener, lock: threading.Lock,
            stop: threading.Event | None) -> None:
    remaining = set(futures)
    # Back as soon as a run ends (a fixed sleep held each ending up to its length: 8 % of a batch
    # of eight half-second runs), and at least every FOLLOW_S for `stop` and Ctrl-C.
    ended = threading.Event()
    for future in futures:
        future.add_done_callback(lambda _future: ended.set())
    while remaining and not (stop is not None and stop.is_set()):
        ended.wait(FOLLOW_S)
        ended.clear()  # before looking: a run ending after this wakes the next wait at once
        for future in [future for future in remaining if future.done()]:
            remaining.discard(future)
            run = futures[future]
            status = _status_of(future, run)
            with lock:
                statuses[run.key] = status
                progress.running.discard(run.key)
                if status["status"] == "ok":
                    progress.done += 1
                elif status["status"] == "failed":
                    progress.failed += 1
            listener(progress)


def _status_of(future: Future, run: PlannedRun) -> dict[str, Any]:
    try:
        return future.result()
    except Exception as error:  # the worker died (KilledWorker) or the task could not start
        return {"status": "failed", "error": f"{run.name}: {type(error).__name__}: {error}"}


def _cancel(client: Client, futures: dict[Future, PlannedRun], cancel_name: str,
            statuses: dict[str, dict[str, Any]]) -> None:
    """Stop the batch: every run, running or queued, finds the cancel Event set at its next check
    (a queued one before it reads anything) and ends without writing. Each is waited for, so that
    what a run reports is what it left: a task cancelled in Dask alone would go on writing unseen.
    Only a run that does not stop within CANCEL_GRACE_S is dropped, and counts as cancelled."""
    Event(cancel_name, client=client).set()
    deadline = time.monotonic() + CANCEL_GRACE_S
    for future, run in futures.items():
        if run.key in statuses:
            continue
        try:
            statuses[run.key] = future.result(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:  # it did not stop in time, or its worker went away
            statuses[run.key] = {"status": "canceled"}
    client.cancel([future for future in futures if not future.done()])


# ----------------------------------------------------------------------------- on a worker

def dask_setup(worker: object) -> None:
    """Dask's preload hook in the workers of a LocalCluster this batch starts: Ctrl-C in the terminal
    reaches every process of the group, and the batch, not each worker, decides what it stops."""
    with suppress(ValueError):  # not the main thread: then no terminal signal reaches it either
        signal.signal(signal.SIGINT, signal.SIG_IGN)


_prepared: OrderedDict[tuple, SimulationInputs] = OrderedDict()
_registries: dict[str, SimulationRegistry] = {}


def execute_run(run: PlannedRun, batch_folder: str, topic: str, cancel_name: str) -> dict[str, Any]:
    """One run on a worker: prepare its inputs (or take them from this worker's memory), run, write.

    Never raises for the run's own problems: they come back as a failed status with the error."""
    worker = get_worker()
    worker.log_event(topic, {"key": run.key, "state": "started"})
    try:
        return _run_and_write(run, Path(batch_folder), cancel_name)
    finally:
        worker.log_event(topic, {"key": run.key, "state": "ended"})


def _run_and_write(run: PlannedRun, batch_folder: Path, cancel_name: str) -> dict[str, Any]:
    feedback = Feedback()
    feedback.add_listener(_CancelWatch(cancel_name, feedback))
    try:
        feedback.progress(0.0, "starting")  # the first check: a run that starts after Ctrl-C stops here
    except Canceled:
        return {"status": "canceled"}
    try:
        inputs = _inputs_of(run.scenario)
        simulation = _registry().get(run.simulation)()
        report = run_simulation(simulation, inputs, run.scenario.parameters, seed=run.scenario.seed,
                                feedback=feedback, scenario=run.name)
        if report.status is RunStatus.CANCELED:
            return {"status": "canceled"}
        if report.status is RunStatus.FAILED:
            return {"status": "failed", "error": report.error, "seconds": round(report.seconds, 3)}
        write_batch_run(run, report, inputs.crs, batch_folder)
    except Exception as error:  # a bad input file, a full disk: this run fails, the batch goes on
        return {"status": "failed", "error": str(error) or type(error).__name__}
    return {"status": "ok", "seconds": round(report.seconds, 3)}


class _CancelWatch:
    """A progress listener that cancels the run once the batch's cancel Event is set."""

    def __init__(self, name: str, feedback: Feedback) -> None:
        self._name, self._feedback, self._next = name, feedback, 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + CANCEL_CHECK_S
        if Event(self._name).is_set():
            self._feedback.cancel()


def _registry() -> SimulationRegistry:
    if "installed" not in _registries:
        _registries["installed"] = SimulationRegistry.discover()
    return _registries["installed"]


def _inputs_of(scenario: Scenario) -> SimulationInputs:
    """The scenario's prepared inputs: read once per worker and kept for its next runs."""
    signature = _input_signature(scenario)
    if signature in _prepared:
        _prepared.move_to_end(signature)
        return _prepared[signature]
    _, inputs = prepare_scene(scenario)
    _prepared[signature] = inputs
    while len(_prepared) > _PREPARED_KEPT:
        _prepared.popitem(last=False)
    return inputs


def _input_signature(scenario: Scenario) -> tuple:
    """What the prepared inputs depend on: the files (by path, size and time), CRS and quarters."""
    files = [("quarters_file", scenario.quarters_file), *sorted(scenario.inputs.items())]
    stats = tuple((slot, str(path), *_stat(path)) for slot, path in files if path is not None)
    return scenario.crs, scenario.quarters, stats


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
