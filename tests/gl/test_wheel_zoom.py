"""The mouse wheel over the real 3D view zooms toward the point under the cursor (under Xvfb)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_dtm

pytestmark = pytest.mark.gl
ROOT = Path(__file__).resolve().parents[2]


def test_the_point_under_the_cursor_stays_there_while_the_wheel_zooms(tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (.ci/run installs it)")
    dtm = write_dtm(tmp_path / "dtm.tif")
    out = tmp_path / "facts.json"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable,
               str(ROOT / "tests" / "gl" / "wheel_zoom_window.py"), str(dtm), str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(out.read_text())
    assert facts["twin_shift_px"] <= 2.0
    assert facts["vtk_shift_px"] > 20.0  # VTK's own wheel (the view before) pulls the point toward the middle
