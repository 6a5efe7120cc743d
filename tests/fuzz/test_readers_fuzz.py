"""Property-based fuzzing of every reader with damaged variants of valid files.

The property (tests/fuzz/targets.py): whatever a file holds, a reader either reads it or
refuses it with the twin's own one-line error naming the file; `info` is JSON. Every read runs
in a forked child bounded in time and memory (tests/fuzz/bounded.py), so a hang, a runaway
allocation or a crash in native code fails the example instead of the test run.

The suite runs a fixed, derandomised set of examples, so it passes or fails the same way on
every clone. For a longer hunt with fresh random examples and a report per format:

    .venv/bin/python -m tests.fuzz --minutes 30 [--seed 1] [--formats las laz]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.bounded import run_bounded
from tests.fuzz.targets import TARGETS

FUZZ = settings(max_examples=int(os.environ.get("TWIN_FUZZ_EXAMPLES", "40")), deadline=None,
                derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Building models are cached between reads; the fuzzer's must not land in the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TWIN_CACHE_DIR", str(tmp_path_factory.mktemp("model-cache")))
        yield


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("target", sorted(TARGETS))
@FUZZ
@given(data=st.data())
def test_a_damaged_file_is_read_or_refused_in_one_sentence_within_bounds(target: str, data: st.DataObject,
                                                                         scratch: Path) -> None:
    outcome = run_bounded(TARGETS[target](data, scratch))
    assert not outcome.failed, f"{outcome.key}: {outcome.message}"
