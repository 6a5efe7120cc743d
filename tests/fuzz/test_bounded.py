"""The fuzzer's bounds: a hang, a runaway allocation and a native crash are reported failures."""

from __future__ import annotations

import os
import time

from tests.fuzz.bounded import run_bounded


def hang() -> str:
    time.sleep(60)
    return "read"


def allocate_without_end() -> str:
    hoard = []
    while True:
        hoard.append(bytearray(256 * 1024**2))


def abort() -> str:
    os.abort()


def refuse() -> str:
    return "refused: /data/x.las: the file holds no points"


def test_a_hang_is_a_timeout_failure() -> None:
    outcome = run_bounded(hang, seconds=1.0)
    assert outcome.failed and outcome.key == "Timeout: still reading after 1 s"


def test_a_runaway_allocation_is_a_memory_error_where_it_happened() -> None:
    outcome = run_bounded(allocate_without_end, memory_bytes=512 * 1024**2)
    assert outcome.failed and outcome.key.startswith("MemoryError at ") and "test_bounded.py" in outcome.key


def test_a_crash_in_native_code_is_a_failure_naming_the_signal() -> None:
    outcome = run_bounded(abort)
    assert outcome.failed and outcome.key == "Crash: the process died of SIGABRT"


def test_a_refusal_comes_back_with_its_message() -> None:
    outcome = run_bounded(refuse)
    assert (outcome.kind, outcome.message) == ("refused", "/data/x.las: the file holds no points")
