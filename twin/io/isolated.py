"""Reading a file in a child process, so that a crash in a native decoder ends the child, not the app.

The point-cloud decoder (lazrs, in Rust) aborts the whole process where an allocation fails
or a panic cannot unwind. The twin checks what it hands the decoder (twin/io/lidar.py), but a
damaged file may still find a way; the desktop app holds the user's unsaved work, so it reads
such files here. The child comes from a fork server that has imported the readers once
(about a second, on the first read of a session); each read then costs one fork and the
transfer of the data through a pipe. Progress and Cancel work as in-process: the child sends
its progress, and Cancel kills it. Its address space is bounded by the machine's memory, so a
runaway allocation fails in the child instead of pushing the system into swap.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from twin.core.feedback import Canceled, Feedback
from twin.io.errors import TwinIOError

# Readers are imported by the fork server, not by every child.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["twin.io.lidar"])
_POLL_SECONDS = 0.1

Reader = Callable[..., Any]


def read_isolated(read: Reader, path: Path, crs: str | None, feedback: Feedback | None = None) -> Any:
    """`read(path, crs, feedback=...)` run in a child process; a crash there is a TwinIOError.

    `read` must be a module-level function (it is pickled by name). Raises Canceled when
    `feedback` is cancelled, after killing the child.
    """
    feedback = feedback or Feedback()
    answers, child_end = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_read_in_child, args=(child_end, read, path, crs),
                             name=f"read {path.name}", daemon=True)
    child.start()
    child_end.close()  # the child holds its own copy; the pipe ends when the child does
    try:
        return _await_answer(answers, child, path, feedback)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        answers.close()


def _await_answer(answers: Connection, child: Any, path: Path, feedback: Feedback) -> Any:
    while True:
        if feedback.canceled:
            raise Canceled()
        if not answers.poll(_POLL_SECONDS):
            continue
        try:
            kind, value = answers.recv()
        except EOFError:  # the child ended without an answer: it crashed
            child.join()
            raise TwinIOError(path, _crash_problem(child.exitcode)) from None
        if kind == "progress":
            feedback.progress(*value)
        elif kind == "data":
            return value
        else:
            raise value


def _crash_problem(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        how = f"was stopped by {signal.Signals(-exit_code).name}"
    else:
        how = f"ended with exit status {exit_code}"
    return (f"the decoder crashed on this file (its reading process {how}); the file is damaged "
            "or not what its name says, and nothing else in the app was affected")


def _read_in_child(answers: Connection, read: Reader, path: Path, crs: str | None) -> None:
    _bound_memory()
    feedback = Feedback(lambda fraction, message: answers.send(("progress", (fraction, message))))
    try:
        data = read(path, crs, feedback=feedback)
    except TwinIOError as error:
        answers.send(("refused", error))
        return
    except MemoryError:
        answers.send(("refused", TwinIOError(path, "reading it needs more memory than this machine has")))
        return
    except Exception as error:  # noqa: BLE001 - any other failure crosses back as one sentence
        answers.send(("refused", TwinIOError(path, f"the reader failed: {type(error).__name__}: {error}")))
        return
    answers.send(("data", data))


def _bound_memory() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = physical if hard == resource.RLIM_INFINITY else min(physical, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
