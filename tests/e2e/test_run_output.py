"""`run --out`: checked before the run, replaced whole on a re-run, never a mix of two runs."""

from __future__ import annotations

import json
import os

from tests.e2e.test_cli import main_py, one_sentence
from tests.folders import read_only_folder


def test_a_read_only_out_folder_is_refused_before_the_run_starts(selftest_scenario, tmp_path):
    with read_only_folder(tmp_path / "ro") as folder:
        failed = main_py("run", selftest_scenario, "--out", folder / "out")
        sentence = one_sentence(failed.stderr)  # one line: the progress bar never began
        assert failed.returncode == 2
        assert sentence.startswith(f"error: {folder}: nothing can be saved here: ")
        assert os.listdir(folder) == []


def test_a_re_run_replaces_the_earlier_results_whole(selftest_scenario, tmp_path):
    out = tmp_path / "out"
    assert main_py("run", selftest_scenario, "--out", out, "--quiet").returncode == 0
    first = json.loads((out / "summary.json").read_text())
    (out / "change.tif").write_bytes(b"left by a run killed mid-write by an earlier version")
    (out / f".depth.tif.{2**22 + 1}-abcdefgh.twin-tmp").write_bytes(b"a stray temporary")
    selftest_scenario.write_text(selftest_scenario.read_text().replace("seed = 7", "seed = 8"))
    done = main_py("run", selftest_scenario, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    second = json.loads((out / "summary.json").read_text())
    assert (first["seed"], second["seed"]) == (7, 8) and first["run_id"] != second["run_id"]
    assert sorted(os.listdir(out)) == sorted(["summary.json", *second["files"]])
    assert (out / "change.tif").read_bytes()[:2] in (b"II", b"MM")  # a TIFF of the new run
    assert sorted(os.listdir(tmp_path)) == ["dtm.tif", "out", "quarters.geojson", "selftest.toml"]


def test_a_folder_of_the_users_is_not_replaced(selftest_scenario, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my notes")
    failed = main_py("run", selftest_scenario, "--out", tmp_path / "mine")
    assert failed.returncode == 2
    assert "holds files that are not the results of a twin run (notes.txt)" in one_sentence(failed.stderr)
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]


def test_a_scenario_that_is_a_device_or_names_one_is_one_sentence(tmp_path, dtm_file, quarters_file):
    failed = main_py("run", "/dev/zero", "--out", tmp_path / "out")
    assert failed.returncode == 2
    assert "not a scenario file: it is a device" in one_sentence(failed.stderr)
    os.mkfifo(tmp_path / "pipe.tif")
    scenario = tmp_path / "fifo.toml"
    scenario.write_text('[scenario]\nname = "f"\nsimulation = "selftest"\n\n[inputs]\nterrain = "pipe.tif"\n')
    failed = main_py("run", scenario, "--out", tmp_path / "out")
    assert failed.returncode == 2
    assert "input 'terrain': " in one_sentence(failed.stderr) and "is a FIFO" in failed.stderr
    assert not (tmp_path / "out").exists()
