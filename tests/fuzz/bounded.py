"""Run one read in a forked child, bounded in wall time and in memory.

A reader that hangs, allocates without end or crashes in native code (lazrs aborting the
process) must become a reported failure, not a CI job that never ends or dies with the test
run. The child gets an address-space limit (RLIMIT_AS: what it already maps plus
MEMORY_BYTES), the parent waits at most SECONDS for its answer and kills it after that.
The answer is an Outcome; a failure names the exception type and where it was raised, so
that many inputs failing in one place count as one distinct failure.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

SECONDS = 20.0
MEMORY_BYTES = 2 * 1024**3
PROJECT = Path(__file__).resolve().parents[2]
_PASSED_ON = ("TWIN_CACHE_DIR",)  # the fork server keeps the environment it started with
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["tests.fuzz.targets"])


@dataclass(frozen=True)
class Outcome:
    kind: str  # "read", "refused" or "failed"
    key: str = ""  # of a failure: exception type and place, the same for the same bug
    message: str = ""  # of a refusal or a failure: what was said

    @property
    def failed(self) -> bool:
        return self.kind == "failed"


def run_bounded(work: Callable[[], str], seconds: float = SECONDS,
                memory_bytes: int = MEMORY_BYTES) -> Outcome:
    """`work` (a picklable callable returning "read" or "refused: <message>") run in a child
    process with its bounds.

    Children are forked from a fork server started clean, not from this process: a process that
    has decoded LAZ in parallel holds lazrs' thread pool, and a child forked from it waits for
    those threads for ever.
    """
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    environment = {name: os.environ[name] for name in _PASSED_ON if name in os.environ}
    child = _CONTEXT.Process(target=_child, args=(work, memory_bytes, environment, sender), daemon=True)
    child.start()
    sender.close()
    try:
        answered = receiver.poll(seconds)
        outcome = receiver.recv() if answered else None
    except EOFError:  # the child died before it answered
        outcome = None
    finally:
        receiver.close()
    if not answered:
        child.kill()
        child.join()
        return Outcome("failed", f"Timeout: still reading after {seconds:g} s")
    child.join()
    if child.exitcode is not None and child.exitcode < 0:
        return Outcome("failed", f"Crash: the process died of {signal.Signals(-child.exitcode).name}")
    return outcome or Outcome("failed", "Crash: the process ended without an answer")


def _child(work: Callable[[], str], memory_bytes: int, environment: dict[str, str], sender: Connection) -> None:
    os.environ.update(environment)
    _limit_memory(memory_bytes)
    sender.send(_guarded(work))
    sender.close()


def _limit_memory(extra_bytes: int) -> None:
    """Address space: what the process maps now (libraries, numba, thread stacks) plus the bound."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    limit = mapped + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _guarded(work: Callable[[], str]) -> Outcome:
    try:
        said = work()
    except BaseException as error:  # noqa: BLE001 - every escape is the finding
        message = str(error).splitlines()[0][:300] if str(error) else ""
        key = f"{type(error).__name__} at {_place(error)}"
        if isinstance(error, AssertionError):  # the rule's own checks: which one broke
            key += f" ({message.partition(':')[0]})"
        return Outcome("failed", key, message)
    kind, _, message = said.partition(": ")
    return Outcome(kind, message=message)


def _place(error: BaseException) -> str:
    """The innermost frame in the project's own code (else the innermost frame): file:line."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if frame.filename.startswith(str(PROJECT))
           and "/.venv/" not in frame.filename and "/tests/fuzz/" not in frame.filename]
    frame = (own or frames or [None])[-1]
    if frame is None:
        return "?"
    name = Path(frame.filename)
    shown = name.relative_to(PROJECT) if name.is_relative_to(PROJECT) else name.name
    return f"{shown}:{frame.lineno}"
