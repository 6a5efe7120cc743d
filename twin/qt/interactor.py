"""pyvistaqt's interactor made to render on demand, and to leave dropped files to the window.

pyvistaqt re-renders the whole scene from a timer five times a second, changed or not: on a
software-OpenGL desktop that is a busy core while the window sits idle, and a GUI thread too
busy to show a run's progress. Here a frame is drawn only when asked for: after a change to the
scene (the SceneView asks), a camera move (VTK's interactor renders those itself) and a resize
or expose (the widget's paint event). Requests made in one pass of the event loop (a layer
added, its legend, its group's tick) make one frame, through a zero-delay single-shot timer.
The mouse wheel zooms toward the point under the cursor, as map users expect.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QWidget
from pyvistaqt import QtInteractor

from twin.render.navigation import wheel_factor, zoom_at


class OnDemandInteractor(QtInteractor):
    """A QtInteractor without the idle render timer; `render()` asks for one frame soon."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, auto_update=False)
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(0)
        self._frame.timeout.connect(self.render_now)
        self.frames = 0  # frames drawn on request, for the idle benchmark and tests
        # A file dropped on the view goes on to the window, which opens it with the twin's
        # readers; pyvista's own handler would read it as a mesh and warn on the console.
        self.setAcceptDrops(False)

    def render(self) -> None:
        """Ask for a frame; many asks before the event loop runs again make one frame."""
        frame = getattr(self, "_frame", None)  # None while pyvistaqt's constructor sets the camera
        if frame is not None and not getattr(self, "_closed", False):
            frame.start()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        """Zoom toward the point under the cursor (VTK's own wheel zooms toward the view's middle)."""
        turn = event.angleDelta().y()
        if turn:
            ratio = self.devicePixelRatioF()  # Qt's logical pixels to the render window's
            zoom_at(self, event.position().x() * ratio, event.position().y() * ratio, wheel_factor(turn))
            self.render()
        event.accept()

    def render_now(self) -> None:
        """Draw a frame now (screenshots, and the frame asked for by `render`)."""
        self.frames += 1
        QtInteractor.render(self)
