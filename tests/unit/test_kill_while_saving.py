"""Nothing is lost: a real child process is killed (SIGKILL) at random moments while it saves.

The child runs the twin's own save code in a loop (a project with a simulation run, a scenario,
a run's result files), saving version 1, 2, 3, ... and noting each version once it is complete.
After each kill the saved file must open with the twin's own readers and be the last noted
version or the one after it, complete; what the kill left behind goes on the next save.
Children are forked from a server that has already imported the twin, so a kill costs
milliseconds, not the seconds of a fresh interpreter; the kill delays come from a seeded RNG.
"""

from __future__ import annotations

import csv
import itertools
import json
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_dtm, write_quarters
from twin.core.atomic import is_temporary
from twin.core.data import ResultRaster, ResultTable
from twin.core.layers import result_layer
from twin.core.project import Camera, Project
from twin.core.scenario import Scenario
from twin.core.scene import RunRecord, Scene
from twin.io import read_layer
from twin.io.project import open_project, save_project
from twin.sim.contract import SimulationOutput
from twin.sim.runner import RunReport, RunStatus
from twin.sim.scenario_run import write_run

KILLS = {"project": 34, "scenario": 33, "run": 33}
SEED = 20261206
GRID = 256  # cells a side of the result grids: big enough that a save takes a few milliseconds


def save_project_version(folder: Path, version: int) -> None:
    scene = Scene()
    scene.add_layer(read_layer(folder / "dtm.tif", name="terrain"))
    grid = ResultRaster("depth", np.full((GRID, GRID), version, np.float32),
                        scene.layers[0].data.transform, scene.crs, "m")
    record = RunRecord(f"v{version:05d}", "flood", f"version {version}", version, {}, {"version": version}, {})
    scene.add_run(record, [result_layer(grid, "Flood: depth", run_id=record.run_id)])
    save_project(scene, folder / "city.toml", f"version {version}", quarters_file=folder / "quarters.geojson",
                 camera=Camera((float(version), 0.0, 100.0), (0.0, 0.0, 0.0)))


def open_project_version(folder: Path) -> int:
    project = Project.load(folder / "city.toml")
    opened = open_project(project)
    assert opened.problems == []
    version = int(project.name.removeprefix("version "))
    assert project.camera.position[0] == version and [run.run_id for run in opened.scene.runs] == [f"v{version:05d}"]
    depth = opened.scene.layer("Flood: depth").data.values
    assert depth.shape == (GRID, GRID) and (depth == version).all()
    return version


def save_scenario_version(folder: Path, version: int) -> None:
    Scenario(name=f"version {version}", simulation="selftest", seed=version,
             quarters_file=folder / "quarters.geojson", inputs={"terrain": folder / "dtm.tif"},
             parameters={"passes": version, "table": [float(version)] * 5_000}).save(folder / "storm.toml")


def open_scenario_version(folder: Path) -> int:
    scenario = Scenario.load(folder / "storm.toml")
    version = int(scenario.name.removeprefix("version "))
    assert scenario.seed == version and scenario.parameters["passes"] == version
    assert scenario.parameters["table"] == [float(version)] * 5_000
    return version


def save_run_version(folder: Path, version: int) -> None:
    transform = read_layer(folder / "dtm.tif").data.transform
    results = [ResultRaster("depth", np.full((GRID, GRID), version, np.float32), transform, "EPSG:25833", "m"),
               ResultTable("condition", "streets", {"segment_id": np.arange(2_000),
                                                    "condition": np.full(2_000, float(version))})]
    report = RunReport(run_id=f"v{version}", simulation="flood", scenario=f"version {version}",
                       status=RunStatus.OK, seed=version, parameters={}, seconds=0.0,
                       output=SimulationOutput({"version": version}, {}, results))
    write_run(report, folder / "out")


def open_run_version(folder: Path) -> int:
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    version = summary["seed"]
    assert summary["status"] == "ok" and summary["summary"] == {"version": version}
    assert sorted(os.listdir(folder / "out")) == sorted(["summary.json", *summary["files"]])
    depth = read_layer(folder / "out" / "depth.tif").data.values
    assert depth.shape == (GRID, GRID) and (depth == version).all()
    with open(folder / "out" / "condition.csv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    assert len(rows) == 2_000 and {float(row["condition"]) for row in rows} == {version}
    return version


SAVERS: dict[str, tuple[Callable[[Path, int], None], Callable[[Path], int]]] = {
    "project": (save_project_version, open_project_version),
    "scenario": (save_scenario_version, open_scenario_version),
    "run": (save_run_version, open_run_version),
}


def save_forever(kind: str, folder: Path, first: int, noted, started) -> None:
    """The child: save versions first, first + 1, ... until killed, noting each complete one."""
    save = SAVERS[kind][0]
    read_layer(folder / "dtm.tif")  # GDAL sets itself up on the first file, not part of a save
    started.set()
    for version in itertools.count(first):
        save(folder, version)
        noted.value = version


def temporaries(folder: Path) -> list[str]:
    return [path.name for path in folder.rglob("*") if is_temporary(path.name)]


@pytest.fixture(scope="module")
def forkserver():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@pytest.mark.parametrize("kind", list(KILLS))
def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_version(kind, tmp_path, forkserver):
    save, open_version = SAVERS[kind]
    write_dtm(tmp_path / "dtm.tif")
    write_quarters(tmp_path / "quarters.geojson")
    started_at = time.perf_counter()
    save(tmp_path, 0)
    one_save = time.perf_counter() - started_at
    rng = random.Random(f"{SEED}-{kind}")
    outcomes: Counter[str] = Counter()
    version = 0
    for _ in range(KILLS[kind]):
        noted, started = forkserver.Value("q", version, lock=False), forkserver.Event()
        child = forkserver.Process(target=save_forever, args=(kind, tmp_path, version + 1, noted, started))
        child.start()
        assert started.wait(30), "the saving child did not start"
        time.sleep(rng.uniform(0.0, 3.0 * one_save))  # within the first three saves
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        last_noted = noted.value
        outcomes["left temporaries"] += bool(temporaries(tmp_path))
        version = open_version(tmp_path)
        assert version in (last_noted, last_noted + 1), (kind, version, last_noted)
        outcomes["old" if version == last_noted else "new"] += 1
    save(tmp_path, version + 1)  # the next save clears what the kills left
    assert open_version(tmp_path) == version + 1
    assert temporaries(tmp_path) == []
    print(f"\n{kind}: {KILLS[kind]} kills, one save {one_save * 1000:.1f} ms, outcomes {dict(outcomes)}, "
          f"versions saved {version + 1}")
    assert outcomes["old"] + outcomes["new"] == KILLS[kind]
