"""Property-based fuzzing of every reader with damaged variants of valid files.

The property: whatever a file holds, a reader either reads it or refuses it with the twin's own
error (TwinIOError, ProjectError, ScenarioError) whose message is one line naming the file
(or its partner in the same folder) and the problem. Any other exception, a crash or an `info`
summary that is not JSON-ready breaks it.

The suite runs a fixed, derandomised set of examples, so it passes or fails the same way on
every clone. For a longer hunt with fresh random examples:

    TWIN_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/fuzz -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz.damage import damage
from twin.core.errors import TwinError
from twin.core.project import Project, ProjectError
from twin.core.scenario import Scenario, ScenarioError
from twin.io.errors import TwinIOError
from twin.io.formats import file_info, read_layer
from twin.io.project import open_project
from twin.io.quarters import read_quarters_in
from twin.io.runs import load_run

SCENE_CRS = "EPSG:25833"
HUNTING = "TWIN_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(max_examples=int(os.environ.get("TWIN_FUZZ_EXAMPLES", "40")), deadline=None,
                derandomize=not HUNTING, database=None, print_blob=HUNTING,
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


@cache
def seed_files(name: str) -> seeds.Seed:
    return seeds.LAYER_SEEDS[name]() if name in seeds.LAYER_SEEDS else getattr(seeds, name)()


def damaged_copy(data: st.DataObject, seed: seeds.Seed, scratch: Path, damaged_names: list[str]) -> Path:
    """The seed's files in a fresh folder, one of `damaged_names` damaged; the path of the first."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    victim = data.draw(st.sampled_from(damaged_names), label="damaged file")
    for name, content in seed.items():
        (folder / name).write_bytes(data.draw(damage(name, content), label=name) if name == victim
                                    else content)
    return folder / next(iter(seed))


def assert_read_or_refused(path: Path, read: Callable[[], object],
                           refusal: type[TwinError] = TwinIOError) -> object | None:
    """What `read` returns, or None where it refused with a one-line error naming the file."""
    try:
        return read()
    except refusal as error:
        named = getattr(error, "path", None)
        assert named is not None and Path(named).parent == path.parent, f"names no file: {error}"
        assert str(error).startswith(str(named)), f"does not begin with the file: {error}"
        assert "\n" not in str(error), f"more than one line: {error!r}"
        assert error.problem.strip(), "names no problem"
        return None


@pytest.mark.parametrize("seed_name", sorted(seeds.LAYER_SEEDS))
@FUZZ
@given(data=st.data())
def test_a_damaged_data_file_is_read_or_refused_in_one_sentence(seed_name: str, data: st.DataObject,
                                                                   scratch: Path) -> None:
    seed = seed_files(seed_name)
    path = damaged_copy(data, seed, scratch, list(seed))
    crs = data.draw(st.sampled_from([None, SCENE_CRS]), label="crs given")
    assert_read_or_refused(path, lambda: read_layer(path, crs=crs, to=SCENE_CRS))
    info = assert_read_or_refused(path, lambda: file_info(path, crs=crs))
    if info is not None:
        json.dumps(info)


@FUZZ
@given(data=st.data())
def test_a_damaged_quarters_file_is_read_or_refused_in_one_sentence(data: st.DataObject,
                                                                     scratch: Path) -> None:
    path = damaged_copy(data, seed_files("quarters"), scratch, ["quarters.geojson"])
    assert_read_or_refused(path, lambda: read_quarters_in(path, SCENE_CRS))


@FUZZ
@given(data=st.data())
def test_a_damaged_project_opens_or_is_refused_in_one_sentence(data: st.DataObject, scratch: Path) -> None:
    seed = seed_files("project")
    path = damaged_copy(data, seed, scratch, list(seed))
    project = assert_read_or_refused(path, lambda: Project.load(path), ProjectError)
    if project is not None:
        opened = open_project(project)  # a part that does not open is one sentence, not a failure
        assert all("\n" not in problem for problem in opened.problems)


@FUZZ
@given(data=st.data())
def test_a_damaged_scenario_is_read_or_refused_in_one_sentence(data: st.DataObject, scratch: Path) -> None:
    path = damaged_copy(data, seed_files("scenario"), scratch, ["scenario.toml"])
    assert_read_or_refused(path, lambda: Scenario.load(path), ScenarioError)


@FUZZ
@given(data=st.data())
def test_a_damaged_saved_run_reopens_or_is_refused_in_one_sentence(data: st.DataObject, scratch: Path) -> None:
    seed = seed_files("saved_run")
    folder = damaged_copy(data, seed, scratch, list(seed)).parent
    try:
        load_run(folder)
    except TwinIOError as error:
        assert error.path == folder and "\n" not in str(error), str(error)
