"""Memory comes back when layers are removed.

Three things held a removed point cloud: pyvista's `plotter.mesh` (the last mesh added), the
layers panel (the layer it last followed and reported, until another row was chosen) and the
layer's visual (its listeners, bound methods of itself, made a cycle that waited for the garbage
collector). And Mesa's software renderer kept the binned frames of a big cloud, half a GB for
3 M points, until its OpenGL context ended (twin/core/memory.py). The last test opens the demo's
cloud through the window's loader ten times in a process of its own, set up as main.py does.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from data.demo import demo_project
from tests.conftest import write_dtm
from twin.core import Scene
from twin.io import read_layer
from twin.qt.main_window import MainWindow
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
CYCLES = 10


def test_a_removed_layer_leaves_nothing_drawn_behind(qtbot, tmp_path, dtm_file):
    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    window = MainWindow(scene, offscreen_view, settings=QSettings(str(tmp_path / "s.ini"),
                                                                  QSettings.Format.IniFormat))
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    layer = scene.add_layer(read_layer(write_dtm(tmp_path / "second.tif")))  # the plotter's last added mesh
    drawn = weakref.ref(window.scene_view.mesh_of(layer))
    scene.remove_layer(layer.name)
    del layer
    gc.collect()
    assert drawn() is None


def test_layers_removed_in_the_layers_panel_are_freed_at_once(window, tmp_path):
    window.scene.add_layer(read_layer(write_dtm(tmp_path / "second.tif")))
    panel = window.layers_panel
    panel.confirm_removal = lambda layers: True  # the user answers Remove
    removed = [weakref.ref(layer) for layer in window.scene.layers]
    gc.disable()  # freed by reference counting as soon as removed, with no collector run
    try:
        for reference in removed:  # the last one leaves no row to select after it
            panel.select_layer(reference())  # followed by the style area, reported to the window
            panel.remove_selected()
        assert [reference() for reference in removed] == [None, None]
    finally:
        gc.enable()


def test_opening_and_removing_the_demo_cloud_ten_times_gives_the_memory_back():
    cloud = demo_project().parent / "prohlis_lidar.laz"  # 10.8 MB, 3.0 M points shown
    done = subprocess.run([sys.executable, "-m", "tests.gui.memory_cycles", str(CYCLES), str(cloud)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["points"] > 1_000_000 and len(figures["removed"]) == CYCLES
    assert min(figures["loaded"]) > figures["before"] + 100  # the cloud was in memory while shown
    assert max(figures["removed"]) < figures["before"] * 1.10, figures
