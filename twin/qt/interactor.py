"""pyvistaqt's interactor made to render on demand, and to leave dropped files to the window.

pyvistaqt re-renders the whole scene from a timer five times a second, changed or not: on a
software-OpenGL desktop that is a busy core while the window sits idle, and a GUI thread too
busy to show a run's progress. Here a frame is drawn only when asked for: after a change to the
scene (the SceneView asks), a camera move (VTK's interactor renders those itself) and a resize
or expose (the widget's paint event). Requests made in one pass of the event loop (a layer
added, its legend, its group's tick) make one frame, through a zero-delay single-shot timer.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget
from pyvistaqt import QtInteractor


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

    def render_now(self) -> None:
        """Draw a frame now (screenshots, and the frame asked for by `render`)."""
        self.frames += 1
        QtInteractor.render(self)
