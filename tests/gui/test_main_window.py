"""The main window on the offscreen Qt platform, with the off-screen 3D view injected."""

import pytest
from PySide6.QtCore import Qt

from twin.core import Scene
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, dtm_file, quarters_file):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    window = MainWindow(scene, offscreen_view)
    qtbot.addWidget(window)
    window.show()
    return window


def test_layers_dock_lists_layers_and_follows_the_scene(window, dtm_file):
    assert window.layers_list.count() == 1
    window.scene.add_layer(read_layer(dtm_file, name="second"))
    names = [window.layers_list.item(row).text() for row in range(window.layers_list.count())]
    assert names == ["second  (raster)", "dtm  (raster)"]
    assert "layers: 2" in window.statusBar().currentMessage()
    assert "West, East" in window.statusBar().currentMessage()


def test_unchecking_a_layer_hides_it_in_the_view(window):
    layer = window.scene.layers[0]
    window.layers_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert layer.visible is False
    assert not window.scene_view.actor_of(layer).GetVisibility()


def test_the_window_renders_the_scene(window):
    image = window.grab().toImage()
    assert image.width() > 600 and not window.view_widget.pixmap().isNull()
