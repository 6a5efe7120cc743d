"""Simulation runs saved with a project reopen exactly: figures, grids over time, tables with text."""

import numpy as np
import pytest

from twin.core.data import ResultRaster, ResultTable
from twin.core.fields import Category
from twin.core.layers import result_layer
from twin.core.project import Project
from twin.core.scenario import Scenario
from twin.core.scene import RunRecord, Scene
from twin.io import TwinIOError, read_layer
from twin.io.project import open_project, project_of
from twin.io.runs import RESULTS_FILE, load_run, save_runs
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario

CLASSES = (Category(0, "good", "#009E73", 2.5), Category(1, "poor", "#D55E00", 5.0))


@pytest.fixture
def scene_with_runs(selftest_scenario):
    scene, report = run_scenario(Scenario.load(selftest_scenario), SimulationRegistry.discover())
    assert report.ok
    depth = ResultRaster("depth", np.arange(24, dtype=np.float32).reshape(2, 3, 4),
                         scene.layers[0].data.transform, scene.crs, "m", "depth over time",
                         times=np.array([0.0, 300.0]), label="water depth", palette="water")
    table = ResultTable("condition", "streets", {"segment_id": np.array(["a-1", "b-2"]),
                                                 "condition_2026": np.array([1.25, 4.5])}, {"length": "m"},
                        labels={"condition_2026": "condition 2026"}, headline="condition",
                        categories={"condition": CLASSES})
    record = RunRecord("run2", "flood", "hand-made", 3, {"table": (1.0, 2.0)}, {"volume": np.float64(2.5)},
                       {"East": {"area": float("nan")}})
    scene.add_run(record, [result_layer(depth, "Flood: depth", run_id="run2", visible=False),
                           result_layer(table, "Flood: condition", run_id="run2", opacity=0.5)])
    return scene


def test_a_saved_run_reopens_with_its_figures_and_exact_results(tmp_path, scene_with_runs):
    folders = save_runs(scene_with_runs, tmp_path / "runs")
    assert [folder.name for folder in folders] == [run.run_id for run in scene_with_runs.runs]
    record, layers = load_run(folders[1])
    assert (record.simulation, record.seed, record.summary) == ("flood", 3, {"volume": 2.5})
    assert record.per_quarter == {"East": {"area": None}} and record.parameters == {"table": [1.0, 2.0]}
    depth, table = layers
    assert depth.name == "Flood: depth" and not depth.visible and depth.run_id == "run2"
    np.testing.assert_array_equal(depth.data.values, np.arange(24).reshape(2, 3, 4))
    np.testing.assert_array_equal(depth.data.times, [0.0, 300.0])
    assert depth.data.transform == scene_with_runs.layers[0].data.transform
    assert table.opacity == 0.5 and table.data.target_layer == "streets"
    assert table.data.columns["segment_id"].tolist() == ["a-1", "b-2"]
    assert table.data.columns["condition_2026"].tolist() == [1.25, 4.5]
    # what the declarations gave them draws them the same after reopening
    assert (depth.data.label, depth.data.palette) == ("water depth", "water")
    assert (table.data.labels, table.data.headline) == ({"condition_2026": "condition 2026"}, "condition")
    assert table.data.categories == {"condition": CLASSES}


def test_a_project_reopens_with_its_runs(tmp_path, scene_with_runs):
    project = project_of(scene_with_runs, "with runs")
    project.runs = save_runs(scene_with_runs, tmp_path / "project_runs")
    project.save(tmp_path / "project.toml")
    opened = open_project(Project.load(tmp_path / "project.toml"))
    assert opened.problems == []
    assert [run.run_id for run in opened.scene.runs] == [run.run_id for run in scene_with_runs.runs]
    names = [layer.name for layer in opened.scene.layers]
    assert names == [layer.name for layer in scene_with_runs.layers]


def test_a_broken_run_is_a_problem_and_the_rest_opens(tmp_path, scene_with_runs, dtm_file):
    folders = save_runs(scene_with_runs, tmp_path / "runs")
    (folders[0] / RESULTS_FILE).unlink()
    with pytest.raises(TwinIOError, match="the saved run is incomplete"):
        load_run(folders[0])
    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    project = project_of(scene, "broken run")
    project.runs = folders
    project.save(tmp_path / "project.toml")
    opened = open_project(Project.load(tmp_path / "project.toml"))
    assert len(opened.problems) == 1 and "simulation run not opened" in opened.problems[0]
    assert [run.run_id for run in opened.scene.runs] == ["run2"]


def test_a_stored_run_is_not_written_again(tmp_path, scene_with_runs):
    folder = save_runs(scene_with_runs, tmp_path / "runs")[0]
    stamp = (folder / RESULTS_FILE).stat().st_mtime_ns
    save_runs(scene_with_runs, tmp_path / "runs")
    assert (folder / RESULTS_FILE).stat().st_mtime_ns == stamp
    assert not [path for path in (tmp_path / "runs").iterdir() if path.name.startswith(".")]


def test_what_killed_saves_left_in_the_runs_folder_goes_on_the_next_save(tmp_path, scene_with_runs):
    runs = tmp_path / "runs"
    (runs / ".0123456789ab-k2j4h5g6").mkdir(parents=True)  # an earlier version's partial run
    (runs / f".run2.{2**22 + 1}-q1w2e3r4.twin-tmp").mkdir()  # a process that is gone
    (runs / "notes.txt").write_text("the user's")
    save_runs(scene_with_runs, runs)
    assert sorted(path.name for path in runs.iterdir()) == sorted(
        ["notes.txt", *(run.run_id for run in scene_with_runs.runs)])
