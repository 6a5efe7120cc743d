"""Memory comes back when layers are removed: nothing the 3D view drew for a removed layer stays alive.

pyvista keeps the last mesh added as `plotter.mesh` (and its mapper): before the fix a removed
point cloud's arrays stayed in memory until something else was drawn. The ten-cycle resident
memory check on the demo's point clouds is in the issue 21 note (it takes minutes, not seconds).
"""

from __future__ import annotations

import gc
import weakref

import pytest
from PySide6.QtCore import QSettings

from tests.conftest import write_dtm
from twin.core import Scene
from twin.io import read_layer
from twin.qt.main_window import MainWindow
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui


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
