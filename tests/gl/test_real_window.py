"""Smoke test of the real window with its OpenGL 3D view, under Xvfb (as on a desktop).

tests/gl/smoke_window.py opens the demo city, runs a short street-condition forecast for
Johannstadt from the simulation panel and screenshots the screen; here we check what it did and
probe the pixels of the 3D view.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugins.street_decay.presentation import CONDITION_CLASSES

pytestmark = pytest.mark.gl
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (.ci/run installs it)")
    out = tmp_path_factory.mktemp("smoke")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
               str(ROOT / "tests" / "gl" / "smoke_window.py"), str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads((out / "facts.json").read_text())
    return facts, np.asarray(Image.open(out / "window.png").convert("RGB")).astype(int)


def test_a_simulation_runs_from_the_panel_and_its_results_arrive(smoke):
    facts, _ = smoke
    assert facts["finished"] and facts["status"] == "ok"
    assert "Street-condition decay: condition" in facts["result_layers"]
    assert facts["condition_year"] == "2036" and facts["reports_visible"]


def test_the_3d_view_shows_the_forecast_in_condition_colours(smoke):
    facts, image = smoke
    x, y, width, height = facts["view"]
    view = image[y:y + height, x:x + int(width * 0.6)]  # the legends sit on the right
    assert view.std() > 10, "the 3D view is blank"

    def pixels_near(colour: str) -> int:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(view - rgb).max(axis=2) < 40).sum())

    very_good, good = pixels_near(CONDITION_CLASSES[0].colour), pixels_near(CONDITION_CLASSES[1].colour)
    assert very_good > 30 and good > 5  # ten years of renewals: mostly blue, some dark green
