"""Presentation mode (F5) and the presentation look in the window's View menu.

Presentation mode shows the 3D view full screen with the docks, toolbars, menu and status bar
hidden, the legends drawn larger (29 px text) and a caption bar in large type at the bottom (48 px
caption, 30 px text: legible from the back of a room at 1920x1080). The stops are the project's
bookmarks in the bookmarks panel's order (saved or not); a project without bookmarks presents the
whole scene and each quarter. Keys, as presenter remotes send them: Right, Down, Page Down and Space
go to the next stop, Left, Up and Page Up to the one before, Home to the first, Escape (or F5)
leaves. The camera flies to each stop along the path a tour would take (twin/core/tour.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QToolBar, QVBoxLayout, QWidget

from twin.core.bookmarks import Bookmark
from twin.core.tour import Frame, leg
from twin.render.export import CAPTION_PX, TEXT_PX, apply_looks, bookmark_of, set_camera, set_time_step
from twin.render.legends import PRESENTATION_SCALE
from twin.render.look import PresentationLook

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

FLIGHT_SECONDS = 1.5
FLIGHT_FPS = 30
NEXT_KEYS = {Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown, Qt.Key.Key_Space}
PREVIOUS_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp}


class CaptionBar(QWidget):
    """The caption in large dark type on a pale bar, and a line of text under it."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("captionBar")
        self.setStyleSheet("#captionBar { background: #fbfaf7; } QLabel { color: #191919; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 14, 36, 16)
        self.caption, self.text = QLabel(), QLabel()
        self.caption.setStyleSheet(f"font-size: {CAPTION_PX}px; font-weight: bold;")
        self.text.setStyleSheet(f"font-size: {TEXT_PX}px;")
        layout.addWidget(self.caption)
        layout.addWidget(self.text)

    def show_words(self, caption: str, text: str) -> None:
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        self.text.setText(text)
        self.text.setVisible(bool(text))


class PresentationMode(QObject):
    """Full screen, docks hidden, a caption bar, keys stepping through the stops."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.stops: list[Bookmark] = []
        self.index = 0
        self.active = False
        self.bar = CaptionBar()
        self._bar_holder = QToolBar("Caption")
        self._bar_holder.setObjectName("presentationCaption")
        self._bar_holder.setMovable(False)
        self._bar_holder.addWidget(self.bar)
        self._hidden: list[QWidget] = []
        self._flight: list[Frame] = []
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / FLIGHT_FPS))
        self._timer.timeout.connect(self._fly_one_frame)
        self._clock = QElapsedTimer()

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self, stops: list[Bookmark] | None = None) -> None:
        self.stops = stops if stops is not None else self._project_stops()
        window = self.window
        around = (*window.findChildren(QDockWidget), *window.findChildren(QToolBar), window.menuBar(),
                  window.statusBar())
        self._hidden = [widget for widget in around if widget.isVisible() and widget is not self._bar_holder]
        for widget in self._hidden:
            widget.hide()
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self._bar_holder)
        self._bar_holder.show()
        window.showFullScreen()
        window.scene_view.legends.set_scale(PRESENTATION_SCALE)  # 29 px text, as the caption's 30
        self.active = True
        window.installEventFilter(self)
        window.view_widget.installEventFilter(self)
        self.go_to(0, fly=False)

    def leave(self) -> None:
        self._timer.stop()
        window = self.window
        window.removeEventFilter(self)
        window.view_widget.removeEventFilter(self)
        window.removeToolBar(self._bar_holder)
        for widget in self._hidden:
            widget.show()
        window.showNormal()
        window.scene_view.legends.set_scale(1.0)
        window.refresh_view()
        self.active = False

    def go_to(self, index: int, fly: bool = True) -> None:
        """Show stop `index` (clamped): its layers and time step at once, the camera flying there."""
        if not self.stops:
            return
        index = max(0, min(index, len(self.stops) - 1))
        stop, view = self.stops[index], self.window.scene_view
        self.index = index
        apply_looks(view.scene, stop.layers)
        set_time_step(view.scene, stop.time_step)
        self.bar.show_words(stop.caption or stop.name, stop.text)
        if fly:
            here = bookmark_of(view, "here")
            here = Bookmark("here", here.camera, float(view.plotter.camera.view_angle))
            self._flight = leg(here, stop, int(FLIGHT_SECONDS * FLIGHT_FPS))
            self._clock.start()
            self._timer.start()
        else:
            set_camera(view, stop.camera, stop.view_angle)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.KeyPress or not self.active:
            return False
        key = event.key()
        if key in NEXT_KEYS:
            self.go_to(self.index + 1)
        elif key in PREVIOUS_KEYS:
            self.go_to(self.index - 1)
        elif key == Qt.Key.Key_Home:
            self.go_to(0)
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_F5):
            self.leave()
        else:
            return False
        return True

    def _fly_one_frame(self) -> None:
        """The frame due now: a slow renderer skips frames and the flight still takes its time."""
        due = min(int(self._clock.elapsed() / 1000.0 * FLIGHT_FPS), len(self._flight) - 1)
        frame = self._flight[due]
        set_camera(self.window.scene_view, frame.camera, frame.view_angle)
        if due == len(self._flight) - 1:
            self._timer.stop()

    def _project_stops(self) -> list[Bookmark]:
        """The project's bookmarks as the bookmarks panel shows them; without any, the whole scene
        and each quarter."""
        return list(self.window.session.presentation[0]) or self._scene_stops()

    def _scene_stops(self) -> list[Bookmark]:
        view, camera = self.window.scene_view, self.window.scene_view.camera()
        stops = []
        view.reset_camera()
        stops.append(bookmark_of(view, "Whole scene", "The whole scene"))
        for quarter in view.scene.quarters:
            view.zoom_to(quarter.polygon.bounds)
            stops.append(bookmark_of(view, quarter.name, quarter.name))
        view.set_camera(camera)
        return [Bookmark(stop.name, stop.camera, stop.view_angle, caption=stop.caption) for stop in stops]


def install_presentation(window: MainWindow, view_menu: QMenu) -> PresentationMode:
    """View > Presentation mode (F5) and View > Presentation look."""
    mode = PresentationMode(window)
    action = view_menu.addAction("&Presentation mode")
    action.setShortcut(QKeySequence("F5"))
    action.triggered.connect(mode.toggle)
    look = PresentationLook()
    look_action = view_menu.addAction("Presentation &look (sun, shadows, trees)")
    look_action.setCheckable(True)
    look_action.toggled.connect(
        lambda on: look.apply(window.scene_view) if on else look.remove(window.scene_view))
    window.presentation, window.presentation_look_action = mode, look_action
    return mode
