"""Two real 3D views linked side by side, one turned with the mouse, under Xvfb.

Run by tests/gl/test_linked_views_gl.py: python tests/gl/linked_views_window.py DTM.tif OUT.json
Drags the mouse across the left view (VTK's trackball turns the shared camera and draws that view
itself) and records the frames each view drew on request and whether the cameras agree.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from twin.core import Scene
from twin.io import read_layer
from twin.qt.interactor import OnDemandInteractor
from twin.render.linked_views import LinkedPanes, scene_content


def wait(app: QApplication, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def drag(app: QApplication, view: OnDemandInteractor) -> None:
    start = QPoint(view.width() // 2, view.height() // 2)
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(view, start + QPoint(30 * step, 0))
        wait(app, 0.05)
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(150, 0))


def main(dtm: Path, out: Path) -> None:
    app = QApplication(sys.argv[:1])
    scene = Scene()
    scene.add_layer(read_layer(dtm, name="terrain"))
    holder = QWidget()
    layout = QHBoxLayout(holder)
    left, right = OnDemandInteractor(holder), OnDemandInteractor(holder)
    layout.addWidget(left)
    layout.addWidget(right)
    holder.resize(1200, 500)
    holder.show()
    panes = LinkedPanes(scene, [left, right], [scene_content(scene, "left"), scene_content(scene, "right")])
    panes.set_camera(None)
    wait(app, 1.0)
    before = np.asarray(right.camera.position)
    frames = (left.frames, right.frames)
    drag(app, left)
    wait(app, 0.5)
    facts = {"camera_moved_m": float(np.linalg.norm(np.asarray(right.camera.position) - before)),
             "cameras_agree": bool(np.allclose(left.camera.position, right.camera.position)),
             "left_frames_on_request": left.frames - frames[0],
             "right_frames_on_request": right.frames - frames[1]}
    out.write_text(json.dumps(facts, indent=1))
    panes.close()
    left.close()
    right.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
