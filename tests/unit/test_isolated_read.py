"""Reading in a child process: the same data as in-process, and a crash, a refusal or Cancel
there reaches the caller as the twin's own answer while the calling process lives on."""

from __future__ import annotations

import ctypes
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from twin.core.feedback import Canceled, Feedback
from twin.io import MissingCRSError, TwinIOError, read_layer
from twin.io.isolated import read_isolated
from twin.io.lidar import read_point_cloud

DELFT = Path("lidar/delft_ahn3_cropped_2.laz")


def crashing_reader(path: Path, crs: str | None, feedback: Feedback) -> None:
    """Dies the way a native decoder does: reading address 0 is a segmentation fault."""
    feedback.progress(0.5, "decoding")
    ctypes.string_at(0)


def slow_reader(path: Path, crs: str | None, feedback: Feedback) -> None:
    while True:
        feedback.progress(0.1, "reading")
        time.sleep(0.05)


def runaway_reader(path: Path, crs: str | None, feedback: Feedback) -> None:
    """Asks for 1 TB, a GB at a time, as a decoder trusting a damaged header would; the pages are
    never touched, so without a bound this ends quietly instead of filling the machine."""
    held = [np.empty(2**30, dtype=np.uint8) for _ in range(1024)]
    feedback.progress(1.0, f"{len(held)} GB held")


def test_the_isolated_read_gives_the_same_cloud_as_in_process(reference):
    path = reference / DELFT
    seen: list[tuple[float, str]] = []
    isolated = read_isolated(read_point_cloud, path, "EPSG:28992",
                             Feedback(lambda fraction, message: seen.append((fraction, message))))
    direct = read_point_cloud(path, "EPSG:28992")
    assert np.array_equal(isolated.xyz, direct.xyz) and isolated.crs == direct.crs
    assert isolated.attributes.keys() == direct.attributes.keys()
    assert all(np.array_equal(isolated.attributes[key], direct.attributes[key]) for key in direct.attributes)
    assert seen and seen[-1][0] == 1.0  # the child's progress reached the caller


def test_a_crash_in_the_reader_is_one_sentence_and_the_caller_lives(tmp_path):
    path = tmp_path / "damaged.laz"
    path.write_bytes(b"LASF")
    with pytest.raises(TwinIOError) as caught:
        read_isolated(crashing_reader, path, None)
    assert caught.value.path == path
    assert "decoder crashed" in caught.value.problem and "SIGSEGV" in caught.value.problem
    assert "\n" not in str(caught.value)


def test_a_runaway_allocation_fails_in_the_child(tmp_path):
    path = tmp_path / "huge.laz"
    path.write_bytes(b"LASF")
    with pytest.raises(TwinIOError, match="more memory than this machine has"):
        read_isolated(runaway_reader, path, None)


def test_the_readers_own_errors_cross_with_their_type(reference):
    with pytest.raises(MissingCRSError) as caught:
        read_layer(reference / DELFT, to="EPSG:25833", isolate=True)
    assert caught.value.path.name == DELFT.name


def test_cancel_ends_a_read_that_would_never_end(tmp_path):
    path = tmp_path / "slow.laz"
    path.write_bytes(b"LASF")
    feedback = Feedback()
    threading.Timer(0.5, feedback.cancel).start()
    with pytest.raises(Canceled):
        read_isolated(slow_reader, path, None, feedback)
