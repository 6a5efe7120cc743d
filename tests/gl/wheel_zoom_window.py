"""The real 3D view zooms toward the point under the cursor when the wheel turns, under Xvfb.

Run by tests/gl/test_wheel_zoom.py: python tests/gl/wheel_zoom_window.py DTM.tif OUT.json
Turns the wheel three notches over a point of the terrain off the view's middle, once through the
twin's view and once through pyvistaqt's own handler (VTK's dolly toward the middle), and records
how far that point moved on screen each time.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pyvistaqt import QtInteractor

from twin.core import Scene
from twin.io import read_layer
from twin.qt.interactor import OnDemandInteractor
from twin.render import SceneView


def wait(app: QApplication, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def display_of(view: OnDemandInteractor, point: np.ndarray) -> tuple[float, float]:
    """Where a local point appears, in Qt pixels from the top left."""
    renderer = view.renderer
    renderer.SetWorldPoint(*point, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return x, view.render_window.GetSize()[1] - 1 - y


def wheel(view: OnDemandInteractor, position: QPoint, own: bool) -> None:
    for _ in range(3):
        event = QWheelEvent(QPointF(position), QPointF(view.mapToGlobal(position)), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        if own:
            QApplication.sendEvent(view, event)
        else:
            QtInteractor.wheelEvent(view, event)
            view.render()
        view.render_now()


def shift_after_wheel(app: QApplication, view: OnDemandInteractor, scene_view: SceneView, own: bool) -> float:
    scene_view.reset_camera()
    view.render_now()
    wait(app, 0.3)
    position = QPoint(view.width() // 4, view.height() * 2 // 3)  # lower left of the middle
    pick = scene_view.pick(position.x(), position.y())
    under = np.asarray(pick.position) - np.asarray(scene_view.origin)
    wheel(view, position, own)
    wait(app, 0.3)
    x, y = display_of(view, under)
    return float(np.hypot(x - position.x(), y - position.y()))


def main(dtm: Path, out: Path) -> None:
    app = QApplication(sys.argv[:1])
    scene = Scene()
    scene.add_layer(read_layer(dtm, name="terrain"))
    view = OnDemandInteractor()
    view.resize(900, 600)
    view.show()
    scene_view = SceneView(scene, view)
    wait(app, 1.0)
    facts = {"twin_shift_px": shift_after_wheel(app, view, scene_view, own=True),
             "vtk_shift_px": shift_after_wheel(app, view, scene_view, own=False)}
    out.write_text(json.dumps(facts, indent=1))
    view.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
