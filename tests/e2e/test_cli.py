"""The command line as a user runs it: `python main.py ...` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT


def main_py(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or PROJECT_ROOT, timeout=300,
                          env={**os.environ, **(env or {})})


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_run_writes_summary_and_results_with_progress(selftest_scenario, tmp_path):
    out = tmp_path / "out"
    done = main_py("run", selftest_scenario, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr  # the progress bar
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["seed"] == 7
    assert summary["parameters"] == {"noise": 0.2, "passes": 4, "pause": 0.0}
    assert set(summary["per_quarter"]) == {"West", "East"}
    assert summary["per_quarter"]["West"]["cells"] + summary["per_quarter"]["East"]["cells"] \
        == summary["summary"]["cells"]
    assert sorted(summary["files"]) == ["change.tif", "smoothed_terrain.tif"]
    assert all((out / name).is_file() for name in summary["files"])


def test_the_same_scenario_gives_the_same_figures(selftest_scenario, tmp_path):
    figures = []
    for name in ("a", "b"):
        assert main_py("run", selftest_scenario, "--out", tmp_path / name, "--quiet").returncode == 0
        figures.append(json.loads((tmp_path / name / "summary.json").read_text())["per_quarter"])
    assert figures[0] == figures[1]


def test_a_scenario_typo_is_one_sentence_and_exit_2(selftest_scenario, tmp_path):
    text = selftest_scenario.read_text().replace("passes = 4", "pases = 4")
    selftest_scenario.write_text(text)
    failed = main_py("run", selftest_scenario, "--out", tmp_path / "out")
    assert failed.returncode == 2
    assert "no parameter 'pases' (did you mean 'passes'?)" in one_sentence(failed.stderr)
    assert not (tmp_path / "out").exists()


def test_an_unknown_quarter_is_named(selftest_scenario, tmp_path):
    text = selftest_scenario.read_text().replace("seed = 7", 'seed = 7\nquarters = ["Wset"]')
    selftest_scenario.write_text(text)
    failed = main_py("run", selftest_scenario)
    assert failed.returncode == 2
    assert "no quarter named 'Wset'" in one_sentence(failed.stderr)


def test_info_json_shape(dtm_file):
    done = main_py("info", dtm_file, "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert {"path", "kind", "format", "version", "crs", "bounds"} <= set(info)
    assert info["crs"] == "EPSG:25833" and info["kind"] == "raster"


def test_info_on_bad_input_is_one_sentence_and_exit_2(tmp_path):
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"\x00" * 100)
    failed = main_py("info", bad, "--json")
    assert failed.returncode == 2 and failed.stdout == ""
    assert str(bad) in one_sentence(failed.stderr)


def test_info_json_of_buildings_without_geometry_is_json_with_null_bounds(tmp_path):
    """The bounds were NaN, which json.loads rejects."""
    model = tmp_path / "model.gml"
    model.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<core:CityModel '
                     'xmlns:core="http://www.opengis.net/citygml/2.0" '
                     'xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gml="http://www.opengis.net/gml">'
                     '<core:cityObjectMember><bldg:Building gml:id="b1"><gml:name>x</gml:name></bldg:Building>'
                     '</core:cityObjectMember></core:CityModel>\n', encoding="utf-8")
    env = {"TWIN_CACHE_DIR": str(tmp_path / "cache")}
    done = main_py("info", model, "--json", env=env)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert info["bounds"] == [None] * 6 and info["buildings_without_geometry"] == 1
    plain = main_py("info", model, env=env)
    assert "buildings_without_geometry: 1" in plain.stdout and "nan" not in plain.stdout


def test_info_into_a_pipe_closed_early_ends_quietly(dtm_file):
    """`info FILE | head -1`: the rest of the summary met a closed pipe and printed a traceback."""
    piped = subprocess.run(["bash", "-c", f'"{sys.executable}" main.py info "{dtm_file}" | head -1'],
                           capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert piped.returncode == 0 and piped.stdout.strip().startswith("path:")
    assert piped.stderr == ""
    # The reader gone before the first line: what bash reports for `set -o pipefail`.
    child = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "main.py"), "info", str(dtm_file), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=300) == 141 and stderr == ""


def test_plugins_lists_self_test_only_when_asked():
    listed = main_py("plugins", "--json")
    assert "selftest" not in [entry["name"] for entry in json.loads(listed.stdout)]
    everything = json.loads(main_py("plugins", "--all", "--json").stdout)
    selftest = next(entry for entry in everything if entry["name"] == "selftest")
    assert [p["name"] for p in selftest["parameters"]] == ["noise", "passes", "pause"]


@pytest.mark.skipif(sys.platform != "linux", reason="display detection is for X11/Wayland")
def test_without_a_display_the_app_says_so_in_one_sentence():
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""}
    failed = main_py(env=env)
    assert failed.returncode == 2
    assert "--screenshot" in one_sentence(failed.stderr)
