"""Scenario and project files that name devices, system files, folders or FIFOs are refused in one sentence.

The rule (twin.core.paths, README Scenarios): a path may leave the file's folder, but must name
a regular file (a folder for a project's runs), never a device, FIFO or socket, nor anything
under /dev, /proc, /sys, /etc, /boot or /run.
"""

import os
import re

import pytest

from twin.core.errors import ScenarioError
from twin.core.paths import MAX_TOML_BYTES
from twin.core.project import Project, ProjectError
from twin.core.scenario import Scenario

ESCAPE = "../" * 40  # more than any folder is deep: resolves from the root


@pytest.fixture
def hostile_targets(tmp_path):
    """Names, relative to tmp_path, of things a scenario must not read, with the problem each is."""
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe.tif")
    (tmp_path / "zero.tif").symlink_to("/dev/zero")
    (tmp_path / "loop.tif").symlink_to(tmp_path / "loop.tif")
    return {
        f"{ESCAPE}etc/passwd": "lies in the system folder /etc",
        "/dev/zero": "lies in the system folder /dev",
        "/proc/self/environ": "lies in the system folder /proc",
        "zero.tif": "lies in the system folder /dev",
        "folder": "is a folder, not a file",
        "pipe.tif": "is a FIFO (named pipe), not a data file",
        "loop.tif": "cannot be followed",
    }


def scenario_naming(tmp_path, terrain: str, quarters: str = "quarters.geojson"):
    path = tmp_path / "hostile.toml"
    path.write_text(f'[scenario]\nname = "h"\nsimulation = "selftest"\nquarters_file = "{quarters}"\n\n'
                    f'[inputs]\nterrain = "{terrain}"\n', encoding="utf-8")
    return path


def test_scenario_inputs_that_name_what_no_data_is_are_refused(tmp_path, hostile_targets, quarters_file):
    for target, problem in hostile_targets.items():
        with pytest.raises(ScenarioError) as caught:
            Scenario.load(scenario_naming(tmp_path, target))
        message = str(caught.value)
        assert "input 'terrain': " in message and problem in message, (target, message)
        assert "hostile.toml" in message and "\n" not in message


def test_a_scenario_quarters_file_that_is_a_device_is_refused(tmp_path, dtm_file):
    with pytest.raises(ScenarioError, match=r"\[scenario\] quarters_file: /dev/zero lies in the system folder"):
        Scenario.load(scenario_naming(tmp_path, "dtm.tif", quarters="/dev/zero"))


def test_a_scenario_may_name_files_outside_its_folder(tmp_path, dtm_file, quarters_file):
    (tmp_path / "scenarios").mkdir()
    path = scenario_naming(tmp_path / "scenarios", "../dtm.tif", quarters="../quarters.geojson")
    assert Scenario.load(path).inputs["terrain"] == dtm_file


@pytest.mark.parametrize(("name", "problem"), [
    ("folder", "is a folder, not a file"),
    ("pipe.tif", "is a FIFO (named pipe), not a data file"),
    ("/dev/zero", "is a device, not a data file"),
    ("huge.toml", f"is larger than {MAX_TOML_BYTES // 2**20} MB"),
])
def test_a_scenario_or_project_file_that_is_no_file_is_refused_without_reading_it(
        tmp_path, hostile_targets, name, problem):
    with open(tmp_path / "huge.toml", "wb") as huge:
        huge.truncate(MAX_TOML_BYTES + 1)  # sparse: costs no disk
    path = tmp_path / name
    with pytest.raises(ScenarioError, match=f"{name}: not a scenario file: it {re.escape(problem)}"):
        Scenario.load(path)
    with pytest.raises(ProjectError, match=f"{name}: not a project file: it {re.escape(problem)}"):
        Project.load(path)


def test_project_paths_that_name_what_no_data_is_are_refused(tmp_path, hostile_targets):
    for target, problem in hostile_targets.items():
        path = tmp_path / "hostile_project.toml"
        path.write_text(f'[project]\nname = "h"\n\n[[layers]]\npath = "{target}"\n', encoding="utf-8")
        with pytest.raises(ProjectError) as caught:
            Project.load(path)
        message = str(caught.value)
        assert "hostile_project.toml: layer 1: " in message and problem in message, (target, message)


def test_a_project_run_must_be_a_folder_and_its_quarters_a_file(tmp_path, dtm_file):
    path = tmp_path / "p.toml"
    path.write_text('[project]\nname = "p"\nruns = ["dtm.tif"]\n', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"\[project\] runs: .*dtm\.tif is not a folder"):
        Project.load(path)
    path.write_text('[project]\nname = "p"\nquarters_file = "."\n', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"\[project\] quarters_file: .* is a folder, not a file"):
        Project.load(path)


def test_a_missing_layer_file_still_opens_the_project(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[project]\nname = "p"\n\n[[layers]]\npath = "../elsewhere/gone.tif"\n', encoding="utf-8")
    assert Project.load(path).layers[0].path == tmp_path.parent / "elsewhere" / "gone.tif"
