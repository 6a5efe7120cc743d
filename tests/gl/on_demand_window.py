"""The real window's 3D view renders on demand and hands dropped files to the twin's loader, under Xvfb.

Run by tests/gl/test_on_demand.py: python tests/gl/on_demand_window.py FOLDER_WITH_A_DTM OUT.json
"""

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from twin.core import Scene
from twin.io import read_layer
from twin.qt.main_window import MainWindow
from twin.qt.views import interactive_view


def wait(app: QApplication, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    return condition()


def drop(window: MainWindow, path: Path) -> None:
    """Drag a file over the middle of the 3D view and drop it, as the window system delivers it."""
    view = window.view_widget
    position = QPointF(view.mapTo(window, view.rect().center()))
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    target = window.windowHandle()
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    QApplication.sendEvent(target, QDropEvent(position, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def main(folder: Path, out: Path) -> None:
    app = QApplication(sys.argv[:1])
    dtm = folder / "dtm.tif"
    scene = Scene()
    scene.add_layer(read_layer(dtm, name="terrain"))
    window = MainWindow(scene, interactive_view)
    window.resize(1200, 800)
    window.show()
    view = window.view_widget
    wait(app, lambda: False, 1.5)
    before_idle = view.frames
    wait(app, lambda: False, 2.0)
    idle_frames = view.frames - before_idle
    terrain = scene.layer("terrain")
    before_changes = view.frames
    terrain.opacity = 0.5
    terrain.set_style("elevation", "terrain")
    terrain.visible = False
    terrain.visible = True
    wait(app, lambda: False, 0.5)
    frames_for_changes = view.frames - before_changes
    drop(window, folder / "dropped.tif")
    shown_at_once = window.jobs_bar.isVisible() and window.loader.busy
    arrived = wait(app, lambda: len(scene.layers) == 2, 60)
    facts = {"idle_frames": idle_frames, "frames_for_changes": frames_for_changes,
             "progress_shown_at_once": shown_at_once, "dropped_layer_arrived": arrived,
             "layers": [layer.name for layer in scene.layers]}
    out.write_text(json.dumps(facts, indent=1))
    window.session.mark_clean()
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
