"""Saving into a read-only folder or onto a full disk: one sentence naming the file, nothing lost.

The full disk is real: a tiny tmpfs where the tests run as root, and, for everyone, a child
process whose file size limit (RLIMIT_FSIZE) makes its writes fail with EFBIG.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT, write_dtm, write_quarters
from tests.folders import fill_up, full_folder, read_only_folder
from twin.core.atomic import SaveError, is_temporary
from twin.core.data import ResultRaster
from twin.core.layers import result_layer
from twin.core.project import Project
from twin.core.scenario import Scenario
from twin.core.scene import RunRecord, Scene
from twin.io import read_layer
from twin.io.project import open_project, save_project


def scene_with_a_run(folder, cells: int) -> Scene:
    scene = Scene()
    scene.add_layer(read_layer(folder / "dtm.tif", name="terrain"))
    values = np.random.default_rng(1).random((cells, cells), dtype=np.float32)  # does not compress
    grid = ResultRaster("depth", values, scene.layers[0].data.transform, scene.crs, "m")
    scene.add_run(RunRecord("big", "flood", "storm", 1, {}, {}, {}),
                  [result_layer(grid, "Flood: depth", run_id="big")])
    return scene


def prepared(folder):
    folder.mkdir()
    write_dtm(folder / "dtm.tif")
    write_quarters(folder / "quarters.geojson")
    save_project(Scene(), folder / "city.toml", "as saved before")


def no_temporaries(folder) -> bool:
    return not [path for path in folder.rglob("*") if is_temporary(path.name)]


def test_a_project_saved_into_a_read_only_folder_is_one_sentence_and_the_scene_stays(tmp_path):
    prepared(tmp_path / "city")
    with read_only_folder(tmp_path / "city") as folder:
        scene = scene_with_a_run(folder, 64)
        with pytest.raises(SaveError) as caught:
            save_project(scene, folder / "city.toml", "changed")
        message = str(caught.value)
        assert message.startswith(str(folder / "city_runs")) and "\n" not in message
        assert ("read-only" in message) or ("permission" in message)
        assert Project.load(folder / "city.toml").name == "as saved before"
        assert [run.run_id for run in scene.runs] == ["big"] and len(scene.layers) == 2


def test_a_full_disk_is_one_sentence_and_the_last_saved_project_opens(tmp_path):
    prepared(tmp_path / "city")
    with full_folder(tmp_path / "city", size_kb=512) as folder:
        scene = scene_with_a_run(folder, 400)  # 640 kB of results: more than the disk holds
        with pytest.raises(SaveError, match=r"city_runs/big: cannot be saved: the disk is full"):
            save_project(scene, folder / "city.toml", "changed")
        assert Project.load(folder / "city.toml").name == "as saved before"
        assert no_temporaries(folder)
        fill_up(folder)  # now not even the small project file fits
        with pytest.raises(SaveError, match=r"city\.toml: cannot be saved: the disk is full"):
            Project(name="changed").save(folder / "city.toml")
        assert Project.load(folder / "city.toml").name == "as saved before"
        assert no_temporaries(folder)
        (folder / "ballast.bin").unlink()
        save_project(scene_with_a_run(folder, 64), folder / "city.toml", "changed")
        assert open_project(Project.load(folder / "city.toml")).problems == []


def test_a_file_size_limit_is_one_sentence_and_the_old_scenario_stays(tmp_path, dtm_file, quarters_file):
    # RLIMIT_FSIZE needs no root: past the limit every write of the child fails with EFBIG.
    path = tmp_path / "storm.toml"
    Scenario(name="as saved before", simulation="selftest", inputs={"terrain": dtm_file},
             quarters_file=quarters_file).save(path)
    child = textwrap.dedent(f"""
        import resource, signal
        from pathlib import Path
        from twin.core.atomic import SaveError
        from twin.core.scenario import Scenario
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write, not a killed process
        scenario = Scenario.load({str(path)!r})
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        bigger = Scenario(name="changed", simulation="selftest", inputs=scenario.inputs,
                          parameters={{"table": [1.5] * 10_000}})
        try:
            bigger.save({str(path)!r})
        except SaveError as error:
            print(error)
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{path}: cannot be saved: the file is larger than this system allows"
    assert Scenario.load(path).name == "as saved before"
    assert sorted(os.listdir(tmp_path)) == ["dtm.tif", "quarters.geojson", "storm.toml"]
