"""3D view widgets: the interactive VTK widget, or an off-screen rendering shown as an image.

The off-screen view lets the window be built and captured where no OpenGL window can open
(`--screenshot` on a server, widget tests on the offscreen Qt platform).
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def interactive_view(parent: QWidget | None = None) -> tuple[QWidget, pv.BasePlotter]:
    """The pyvistaqt interactor, rendering on demand only: a real OpenGL widget (needs a display)."""
    from twin.qt.interactor import OnDemandInteractor

    interactor = OnDemandInteractor(parent)
    return interactor, interactor


class OffscreenView(QLabel):
    """Shows what an off-screen plotter renders; re-renders on resize and on request."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plotter = pv.Plotter(off_screen=True, window_size=(960, 640))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def refresh(self) -> None:
        self.plotter.window_size = (max(self.width(), 320), max(self.height(), 240))
        image = np.ascontiguousarray(self.plotter.screenshot(return_img=True))
        height, width, _ = image.shape
        qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.setPixmap(QPixmap.fromImage(qimage.copy()))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.refresh()


def offscreen_view(parent: QWidget | None = None) -> tuple[QWidget, pv.BasePlotter]:
    view = OffscreenView(parent)
    return view, view.plotter
