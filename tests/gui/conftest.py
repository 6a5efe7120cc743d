import os

import pytest
from PySide6.QtCore import QSettings

from twin.core import Scene
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

# Widget tests run without a display (read when the QApplication starts); the 3D view is the
# off-screen one.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def window(qtbot, tmp_path, dtm_file, quarters_file):
    """The main window on the test terrain and its quarters, with settings of its own; a test
    module that needs another scene defines its own `window`."""
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    made = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test", quarters_file=quarters_file),
                      settings=settings)
    qtbot.addWidget(made, before_close_func=lambda widget: widget.session.mark_clean())
    made.show()
    qtbot.waitUntil(lambda: made._camera_placed)
    return made
