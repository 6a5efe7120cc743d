"""The real window renders only after a change and opens files dropped on its 3D view (under Xvfb)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_dtm

pytestmark = pytest.mark.gl
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("on_demand")
    write_dtm(folder / "dtm.tif")
    write_dtm(folder / "dropped.tif")
    out = folder / "facts.json"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
               str(ROOT / "tests" / "gl" / "on_demand_window.py"), str(folder), str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stderr


def test_an_idle_window_draws_no_frames_and_many_changes_draw_one(facts):
    seen, _ = facts
    assert seen["idle_frames"] == 0
    assert seen["frames_for_changes"] == 1


def test_a_file_dropped_on_the_3d_view_goes_to_the_loader_with_its_progress_at_once(facts):
    seen, stderr = facts
    assert seen["progress_shown_at_once"] and seen["dropped_layer_arrived"]
    assert seen["layers"] == ["terrain", "dropped"]
    assert "Exception when dropping files" not in stderr
