"""Every regression file in tests/data/bad/ gets the answer recorded for it, within bounds.

The files are inputs that once broke a reader (tests/data/bad/README.md says what each one
exercises; tests/fuzz/make_bad_files.py made them). Each is read as the app reads a layer and
summarised as `info` does, in a bounded child (tests/fuzz/bounded.py), and must be read, or
refused in one sentence naming the file, as expected.json records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.fuzz.bounded import run_bounded
from tests.fuzz.make_bad_files import BAD, CASES, READ
from tests.fuzz.targets import SCENE_CRS, check_data_file

EXPECTED: dict[str, str] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))
    yield


def test_every_file_there_is_expected_and_described() -> None:
    partners = {path.name for path in BAD.glob("*_observations.csv")}
    files = {path.name for path in BAD.iterdir()} - {"README.md", "expected.json"} - partners
    assert files == set(EXPECTED)
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in files)
    assert len(EXPECTED) == len(CASES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_file_is_read_or_refused_as_recorded(name: str) -> None:
    outcome = run_bounded(partial(check_data_file, BAD / name, SCENE_CRS))
    assert not outcome.failed, f"{outcome.key}: {outcome.message}"
    if EXPECTED[name] == READ:
        assert outcome.kind == "read", outcome.message
    else:
        assert outcome.kind == "refused" and EXPECTED[name] in outcome.message, outcome.message
