"""Drawing a measure in the 3D view with the mouse, every edit undoable.

While a sketch is active: a click on the terrain adds a point (snapped to the ground height); a
press on a drawn point and a drag moves it; a right click on a point deletes it, and so do Delete
and Backspace for the chosen (last touched) point; a double click or Enter finishes; Escape
cancels. Dragging elsewhere still turns the camera. For measures on existing features a click
picks or unpicks a building or street segment instead.

Each edit is a command on the tool's own QUndoStack holding the state before and after (states
are immutable: twin.core.sketch), so Ctrl+Z and Ctrl+Shift+Z restore a sketch exactly. The stack
is emptied when the sketch ends: what was drawn then becomes one edit of the proposals.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from twin.core.errors import TwinError
from twin.core.sketch import FeatureChoice, Sketch
from twin.render.scene_view import SceneView
from twin.render.sketch import SketchVisual, ground_point, vertex_near

CLICK_TOLERANCE_PX = 4  # a press and release closer than this is a click, not a camera drag
FINISH_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
State = Sketch | FeatureChoice


class SketchEdit(QUndoCommand):
    """One edit of the drawing: undo puts the state before back, redo the state after."""

    def __init__(self, tool: SketchTool, before: State, after: State, text: str,
                 chosen: tuple[int | None, int | None] = (None, None)) -> None:
        super().__init__(text)
        self.tool, self.before, self.after, self.chosen = tool, before, after, chosen

    def undo(self) -> None:
        self.tool.set_state(self.before, self.chosen[0])

    def redo(self) -> None:
        self.tool.set_state(self.after, self.chosen[1])


class SketchTool(QObject):
    """Draws a Sketch or a FeatureChoice on the view; emits `finished` with it, or `canceled`."""

    finished = Signal(object)
    canceled = Signal()
    refused = Signal(str)  # one sentence: why the drawing cannot be finished as it is
    changed = Signal()

    def __init__(self, view_widget: QWidget, scene_view: SceneView, refresh: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view_widget, self.scene_view, self._refresh = view_widget, scene_view, refresh
        self.history = QUndoStack(self)
        self.state: State | None = None
        self.chosen: int | None = None  # the vertex last added, moved or clicked
        self._visual = SketchVisual(scene_view)
        self._features_shown: Callable[[FeatureChoice | None], None] = lambda choice: None
        self._press: QPointF | None = None
        self._dragged: tuple[int, Sketch] | None = None  # vertex index and the sketch before the drag
        self._swallow_release = False

    @property
    def active(self) -> bool:
        return self.state is not None

    def show_features_with(self, show: Callable[[FeatureChoice | None], None]) -> None:
        """How chosen buildings or streets are shown (the proposals layer's highlighting)."""
        self._features_shown = show

    def start(self, state: State) -> None:
        """Begin drawing (an empty sketch, a measure's shape to edit, or a choice of features)."""
        if self.active:
            self.cancel()
        self.history.clear()
        self.set_state(state, None)
        self.view_widget.installEventFilter(self)
        self.view_widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_state(self, state: State | None, chosen: int | None) -> None:
        """Show `state` (None: nothing drawn) with point `chosen` marked; one frame for it."""
        choosing = isinstance(state, FeatureChoice) or isinstance(self.state, FeatureChoice)
        self.state, self.chosen = state, chosen
        self._visual.show(state if isinstance(state, Sketch) else None, chosen)
        if choosing:
            self._features_shown(state if isinstance(state, FeatureChoice) else None)
        self._refresh()
        self.changed.emit()

    # What the user does (render-window pixels, origin top-left) --------------------------------

    def click(self, x: float, y: float) -> bool:
        """Add a point at the ground under (x, y), choose the point there, or (un)pick a feature there."""
        if isinstance(self.state, FeatureChoice):
            return self._toggle_feature_at(x, y)
        near = vertex_near(self.scene_view, self.state, x, y)
        if near is not None:
            self.set_state(self.state, near)
            return True
        point = ground_point(self.scene_view, round(x), round(y))
        if point is None:
            return False
        after = self.state.added(point)
        self._push(after, "Add point", len(after.vertices) - 1)
        return True

    def grab(self, x: float, y: float) -> bool:
        """Start moving the point under (x, y); False when there is none."""
        if not isinstance(self.state, Sketch):
            return False
        near = vertex_near(self.scene_view, self.state, x, y)
        if near is None:
            return False
        self._dragged = (near, self.state)
        self.set_state(self.state, near)
        return True

    def drag_to(self, x: float, y: float) -> None:
        """The grabbed point follows the cursor over the ground (shown live, undone as one move)."""
        point = ground_point(self.scene_view, round(x), round(y))
        if self._dragged is not None and point is not None:
            self.set_state(self.state.moved(self._dragged[0], point), self._dragged[0])

    def drop(self) -> None:
        if self._dragged is None:
            return
        index, before = self._dragged
        self._dragged = None
        if self.state != before:
            self._push(self.state, "Move point", index, before=before)

    def delete_point(self, index: int | None = None) -> bool:
        """Delete point `index` (None: the chosen one)."""
        index = self.chosen if index is None else index
        if not isinstance(self.state, Sketch) or index is None or not 0 <= index < len(self.state.vertices):
            return False
        after = self.state.without(index)
        self._push(after, "Delete point", min(index, len(after.vertices) - 1) if after.vertices else None)
        return True

    def finish(self) -> bool:
        """End the drawing with what it makes; a shape that makes none is refused in one sentence and
        the drawing stays as it is to be mended."""
        if not self.active:
            return False
        try:
            if isinstance(self.state, Sketch):
                self.state.geometry()
            else:
                self.state.checked()
        except TwinError as error:
            self.refused.emit(str(error))
            return False
        state = self.state
        self._end()
        self.finished.emit(state)
        return True

    def cancel(self) -> None:
        if self.active:
            self._end()
            self.canceled.emit()

    def _end(self) -> None:
        self.view_widget.removeEventFilter(self)
        self._dragged = self._press = None
        self.set_state(None, None)
        self.history.clear()

    def _push(self, after: State, text: str, chosen: int | None, before: State | None = None) -> None:
        self.history.push(SketchEdit(self, before or self.state, after, text, (self.chosen, chosen)))

    def _toggle_feature_at(self, x: float, y: float) -> bool:
        pick = self.scene_view.pick(round(x), round(y))
        if pick is None:
            return False
        layer, index = pick.layer, pick.index
        if pick.feature is not None:  # a result drawn on the buildings or streets: its feature
            layer, index = self.scene_view.scene.layer(layer.data.target_layer), pick.feature
        choice = self.state
        if layer.kind != choice.kind:
            return False
        feature_id = str(layer.data.ids[int(index)])
        after = FeatureChoice(choice.kind, layer.name, choice.toggled(feature_id).ids)
        self._push(after, "Unpick" if feature_id in choice.ids else "Pick", None)
        return True

    # Qt events on the view --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is not self.view_widget or not self.active:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            return self._key(event)
        if kind == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            self._swallow_release = True  # the double click's own release adds no point
            self.finish()
            return True
        if kind == QEvent.Type.MouseButtonPress:
            return self._pressed(event)
        if kind == QEvent.Type.MouseMove and self._dragged is not None:
            self.drag_to(*self._pixels(event))
            return True
        if kind == QEvent.Type.MouseButtonRelease:
            return self._released(watched, event)
        return False

    def _key(self, event: QKeyEvent) -> bool:
        if event.key() in FINISH_KEYS:
            self.finish()
        elif event.key() == Qt.Key.Key_Escape:
            self.cancel()
        elif event.key() in DELETE_KEYS:
            self.delete_point()
        else:
            return False
        return True

    def _pressed(self, event: QMouseEvent) -> bool:
        x, y = self._pixels(event)
        if event.button() == Qt.MouseButton.RightButton and isinstance(self.state, Sketch):
            near = vertex_near(self.scene_view, self.state, x, y)
            return near is not None and self.delete_point(near)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self.grab(x, y):
            return True  # the camera stays put while a point moves
        self._press = event.position()
        return False  # a drag from here turns the camera

    def _released(self, watched: QObject, event: QMouseEvent) -> bool:
        if self._swallow_release or self._dragged is not None:
            self._swallow_release = False
            self.drop()
            return True
        if self._press is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        moved = (event.position() - self._press).manhattanLength()
        self._press = None
        if moved > CLICK_TOLERANCE_PX:
            return False
        # The view ends the camera interaction its press began; the window does not pick what was clicked.
        type(watched).mouseReleaseEvent(watched, event)
        self.click(*self._pixels(event))
        return True

    def _pixels(self, event: QMouseEvent) -> tuple[float, float]:
        ratio = self.view_widget.devicePixelRatioF()  # Qt's logical pixels to the render window's
        return event.position().x() * ratio, event.position().y() * ratio
