"""Side by side in real 3D views: the mouse turning one view turns and redraws the other (under Xvfb)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_dtm

pytestmark = pytest.mark.gl
ROOT = Path(__file__).resolve().parents[2]


def test_dragging_in_one_view_turns_and_redraws_the_other(tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (.ci/run installs it)")
    dtm = write_dtm(tmp_path / "dtm.tif")
    out = tmp_path / "facts.json"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable,
               str(ROOT / "tests" / "gl" / "linked_views_window.py"), str(dtm), str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(out.read_text())
    assert facts["camera_moved_m"] > 1.0 and facts["cameras_agree"]
    assert facts["right_frames_on_request"] >= 1  # the other view drew the turn
    assert facts["left_frames_on_request"] == 0  # the turned view is drawn by VTK, not once more
