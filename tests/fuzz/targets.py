"""What the fuzzer damages and how it checks the result: one target per file format.

A target draws a damaged copy of its seed into a fresh folder (in the calling process, where
hypothesis runs) and returns the check to run on it, a picklable call run in a bounded child
(tests/fuzz/bounded.py).
The check applies the one rule: the reader returns data, or refuses with the twin's own error
(TwinIOError, ProjectError, ScenarioError) whose message is one line beginning with the file
(or its partner in the same folder) and naming a problem; `info` is JSON without NaN.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path

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
Check = Callable[[], str]  # "read" or "refused: <the error>"; raises where the rule is broken


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


def read_or_refused(path: Path, read: Callable[[], object],
                    refusal: type[TwinError] = TwinIOError) -> tuple[object | None, str]:
    """What `read` returns and "read", or None and "refused: ..." where it refused by the rule."""
    try:
        return read(), "read"
    except refusal as error:
        named = getattr(error, "path", None)
        assert named is not None and Path(named).parent == path.parent, f"names no file: {error}"
        assert str(error).startswith(str(named)), f"does not begin with the file: {error}"
        assert "\n" not in str(error), f"more than one line: {error!r}"
        assert error.problem.strip(), "names no problem"
        return None, f"refused: {error}"


def data_file_check(data: st.DataObject, seed_name: str, scratch: Path) -> Check:
    seed = seed_files(seed_name)
    path = damaged_copy(data, seed, scratch, list(seed))
    return partial(check_data_file, path, data.draw(st.sampled_from([None, SCENE_CRS]), label="crs given"))


def check_data_file(path: Path, crs: str | None) -> str:
    _, said = read_or_refused(path, lambda: read_layer(path, crs=crs, to=SCENE_CRS))
    info, _ = read_or_refused(path, lambda: file_info(path, crs=crs))
    if info is not None:
        json.dumps(info, allow_nan=False)
    return said


def quarters_check(data: st.DataObject, scratch: Path) -> Check:
    return partial(check_quarters, damaged_copy(data, seed_files("quarters"), scratch, ["quarters.geojson"]))


def check_quarters(path: Path) -> str:
    return read_or_refused(path, lambda: read_quarters_in(path, SCENE_CRS))[1]


def project_check(data: st.DataObject, scratch: Path) -> Check:
    seed = seed_files("project")
    return partial(check_project, damaged_copy(data, seed, scratch, list(seed)))


def check_project(path: Path) -> str:
    project, said = read_or_refused(path, lambda: Project.load(path), ProjectError)
    if project is not None:
        opened = open_project(project)  # a part that does not open is one sentence, not a failure
        assert all("\n" not in problem for problem in opened.problems), "more than one line"
    return said


def scenario_check(data: st.DataObject, scratch: Path) -> Check:
    return partial(check_scenario, damaged_copy(data, seed_files("scenario"), scratch, ["scenario.toml"]))


def check_scenario(path: Path) -> str:
    return read_or_refused(path, lambda: Scenario.load(path), ScenarioError)[1]


def saved_run_check(data: st.DataObject, scratch: Path) -> Check:
    seed = seed_files("saved_run")
    return partial(check_saved_run, damaged_copy(data, seed, scratch, list(seed)).parent)


def check_saved_run(folder: Path) -> str:
    try:
        load_run(folder)
    except TwinIOError as error:
        assert error.path == folder and "\n" not in str(error), f"not one sentence: {error}"
        return f"refused: {error}"
    return "read"


# Every target by name: the data formats, then the project's own files.
TARGETS: dict[str, Callable[[st.DataObject, Path], Check]] = {
    **{name: (lambda data, scratch, name=name: data_file_check(data, name, scratch))
       for name in sorted(seeds.LAYER_SEEDS)},
    "quarters": quarters_check, "project": project_check, "scenario": scenario_check,
    "saved_run": saved_run_check,
}
