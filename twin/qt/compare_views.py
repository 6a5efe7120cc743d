"""Side by side and swipe: runs shown next to each other in linked 3D views, from the View menu.

*View > Side by side…* opens two (or four) 3D views under one camera, each choosing what it
shows (the scene without results, or a run with its results) under a caption in large type that
the facilitator can rewrite ("today", "100-year storm"); below them the per-quarter figures of the
runs shown, next to each other with their differences from the first (the reports' comparison,
twin.sim.presentation.compared_figures). The panes follow the main window's time slider (and the
time steps bookmarks and tours set): each shows its run at that time, or at its own nearest step,
and says which under its caption. The reports' *Side by side…* opens it on the run shown
and the one compared. *View > Swipe view…* splits one 3D view between two runs by a divider that
is dragged across the view (or moved with the slider under it); its two sides follow the time
slider as the panes do.

The pictures come from twin.render.linked_views and twin.render.swipe; this module only lays out
the windows and wires the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pyvista as pv
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from twin.core.layers import Layer
from twin.core.project import Camera
from twin.core.scene import RunRecord, Scene
from twin.qt.reports import figure_table_widget, fill_figure_table
from twin.render.linked_views import (
    NO_RESULTS,
    LinkedPanes,
    PaneContent,
    StepTime,
    TimeWatch,
    run_caption,
    run_content,
    scene_content,
    time_shown,
)
from twin.render.opening_view import frame_quarter
from twin.render.swipe import Swipe
from twin.sim.presentation import compared_figures
from twin.sim.registry import SimulationRegistry

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

ViewFactory = Callable[[QWidget | None], tuple[QWidget, pv.BasePlotter]]
CAPTION_STYLE = "font-size: 24px; font-weight: bold; border: none; background: transparent;"
TIME_STYLE = "font-size: 18px;"
WHOLE_AREA = "Whole area"
NO_FIGURES = "A pane that shows a run adds its figures here; two runs add their differences."
DIVIDER_GRAB_PX = 10  # a press this close to the divider drags it instead of turning the camera
SLIDER_STEPS = 1000
OPEN_WINDOWS: list[QWidget] = []  # Qt does not own top-level windows: kept here until they close


class ContentChooser(QWidget):
    """What a pane shows (the scene without results, or a run) and its caption, which may be rewritten."""

    content_changed = Signal()
    caption_changed = Signal()
    _run_added = Signal(object)  # carries scene.events.runs to the GUI thread, whichever thread emits it

    def __init__(self, scene: Scene, run: RunRecord | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.combo = QComboBox()
        self.combo.setAccessibleName("what the view shows")
        self.combo.addItem(NO_RESULTS, None)
        for record in scene.runs:
            self._offer(record)
        self.combo.setCurrentIndex(max(self.combo.findData(run.run_id if run else None), 0))
        self.caption = QLineEdit(self._default_caption())
        self.caption.setAccessibleName("caption")
        self.caption.setStyleSheet(CAPTION_STYLE)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.caption.textEdited.connect(lambda _text: self.caption_changed.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.time_label = QLabel()
        self.time_label.setAccessibleName("time shown")
        self.time_label.setStyleSheet(TIME_STYLE)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.time_label.hide()
        layout.addWidget(self.combo)
        layout.addWidget(self.caption)
        layout.addWidget(self.time_label)
        self._run_added.connect(self._offer)  # a run made while the window is open can be shown too
        on_run = self._on_scene_run
        scene.events.runs.connect(on_run)
        self.destroyed.connect(lambda: scene.events.runs.disconnect(on_run))

    def _on_scene_run(self, run: RunRecord) -> None:
        self._run_added.emit(run)

    def _offer(self, run: RunRecord) -> None:
        """List a run to choose, after the scene without results: newest first, as in the reports."""
        self.combo.blockSignals(True)
        self.combo.insertItem(1, f"{run_caption(run)}  ({run.simulation}, run {run.run_id[:6]})", run.run_id)
        self.combo.blockSignals(False)

    @property
    def run(self) -> RunRecord | None:
        run_id = self.combo.currentData()
        return next((record for record in self.scene.runs if record.run_id == run_id), None)

    def content(self, time: StepTime | None = None) -> PaneContent:
        """What the pane shows; at a time, a run's results over time in place of the others."""
        run, caption = self.run, self.title()
        if run is None:
            return scene_content(self.scene, caption)
        return run_content(self.scene, run, caption, time)

    def show_time(self, time: StepTime | None, step: str | None) -> None:
        """Say under the caption the time the pane shows (`step`, its step nearest `time`)."""
        if time is None or (step is None and self.run is None):
            words = ""
        elif step is None:
            words = "no time steps in this run"
        elif step == time.label:
            words = f"at {step}"
        else:
            words = f"at {step}, its step nearest {time.label}"
        self.time_label.setText(words)
        self.time_label.setVisible(bool(words))

    def title(self) -> str:
        """The caption as written, or the content's own where it was emptied."""
        return self.caption.text().strip() or self._default_caption()

    def _default_caption(self) -> str:
        run = self.run
        return NO_RESULTS if run is None else run_caption(run)

    def _chosen(self, *_index: object) -> None:
        self.caption.setText(self._default_caption())
        self.content_changed.emit()


class TimeFollower(QObject):
    """Calls `show(time)` whenever a result over time in the main window's scene shows another step,
    on the GUI thread whichever thread stepped it; `close` stops following."""

    _moved = Signal(object)

    def __init__(self, scene: Scene, show: Callable[[StepTime], None], parent: QObject) -> None:
        super().__init__(parent)
        self._show = show
        self._moved.connect(self.follow)
        self._watch: TimeWatch | None = TimeWatch(scene, self._moved.emit)

    def follow(self, layer: Layer | None) -> None:
        """Show the time this result over time shows (nothing changes for another layer)."""
        time = time_shown(layer)
        if time is not None:
            self._show(time)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


def follow_window_time(window: MainWindow, shown: SideBySideWindow | SwipeWindow) -> None:
    """Let `shown` follow the main window's time slider, starting at the step the window shows."""
    shown.time_follower = TimeFollower(window.scene, shown.show_time, shown)
    stepped = window.time_bar.layer
    if stepped is not None and stepped.visible:
        shown.time_follower.follow(stepped)


class FrameRequests(QObject):
    """Gathers the frames the panes ask for in one pass of the event loop into one each."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.widgets: dict[int, QWidget] = {}  # id(plotter) -> the widget that shows it
        self._due: dict[int, pv.BasePlotter] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.draw_due)

    def ask(self, plotter: pv.BasePlotter) -> None:
        self._due[id(plotter)] = plotter
        self._timer.start()

    def draw_due(self) -> None:
        due, self._due = self._due, {}
        for key, plotter in due.items():
            refresh_view(self.widgets.get(key), plotter)


def refresh_view(widget: QWidget | None, plotter: pv.BasePlotter) -> None:
    """A frame now: an off-screen view shows it as its image, an interactive one asks its interactor."""
    refresh = getattr(widget, "refresh", None)
    if refresh is not None:
        refresh()
    else:
        plotter.render()


class SideBySideWindow(QWidget):
    """Two or four linked 3D views with captions, and the figures of the runs they show."""

    def __init__(self, scene: Scene, make_view: ViewFactory, registry: SimulationRegistry,
                 runs: Sequence[RunRecord | None], camera: Camera | None = None,
                 quarter: str | None = None) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("Side by side - Dresden urban twin")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.scene, self._make_view, self.registry = scene, make_view, registry
        self.frames = FrameRequests(self)
        self.panes: LinkedPanes | None = None
        self.time: StepTime | None = None  # the main window's time the panes follow, once it moved
        self.time_follower: TimeFollower | None = None
        self.choosers: list[ContentChooser] = []
        self.view_widgets: list[QWidget] = []
        self.count_box = QComboBox()
        self.count_box.addItems(["2 views", "4 views"])
        self.quarter_box = QComboBox()
        self.quarter_box.addItems([WHOLE_AREA, *(quarter.name for quarter in scene.quarters)])
        self.grid_holder = QWidget()
        self.grid = QGridLayout(self.grid_holder)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.figures_note = QLabel(NO_FIGURES)
        self.table = figure_table_widget()
        self._lay_out()
        self.resize(1500, 950)
        self._build_panes(list(runs), camera)
        self.quarter_box.setCurrentText(self._first_quarter(quarter))
        self.count_box.setCurrentIndex(0 if len(self.choosers) == 2 else 1)
        self.count_box.currentIndexChanged.connect(lambda index: self.set_pane_count(2 if index == 0 else 4))
        self.quarter_box.currentTextChanged.connect(lambda _text: self.refresh_figures())
        self.refresh_figures()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.count_box)
        top.addStretch(1)
        top.addWidget(QLabel("Figures of:"))
        top.addWidget(self.quarter_box)
        figures = QWidget()
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.addWidget(self.figures_note)
        figures_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.grid_holder)
        splitter.addWidget(figures)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # Panes.

    def set_pane_count(self, count: int) -> None:
        """Two or four views; the views kept show what they showed, with their captions, from one camera."""
        self.count_box.blockSignals(True)
        self.count_box.setCurrentIndex(0 if count == 2 else 1)
        self.count_box.blockSignals(False)
        runs = [chooser.run for chooser in self.choosers]
        captions = [chooser.caption.text() for chooser in self.choosers][:count]
        camera = self.panes.camera() if self.panes is not None else None
        self._close_panes()
        self._build_panes(_fill_to(runs[:count], self.scene, count), camera, captions)
        self.refresh_figures()

    def _build_panes(self, runs: list[RunRecord | None], camera: Camera | None,
                     captions: Sequence[str] = ()) -> None:
        plotters = []
        columns = 2
        for index, run in enumerate(runs):
            chooser = ContentChooser(self.scene, run)
            if index < len(captions):
                chooser.caption.setText(captions[index])
            widget, plotter = self._make_view(None)
            widget.setMinimumSize(240, 160)
            pane = QWidget()
            pane_layout = QVBoxLayout(pane)
            pane_layout.setContentsMargins(2, 2, 2, 2)
            pane_layout.addWidget(chooser)
            pane_layout.addWidget(widget, 1)
            self.grid.addWidget(pane, index // columns, index % columns)
            self.frames.widgets[id(plotter)] = widget
            chooser.content_changed.connect(lambda index=index: self._content_chosen(index))
            chooser.caption_changed.connect(self.refresh_figures)
            self.choosers.append(chooser)
            self.view_widgets.append(widget)
            plotters.append(plotter)
        contents = [chooser.content(self.time) for chooser in self.choosers]
        self.panes = LinkedPanes(self.scene, plotters, contents, request_frame=self.frames.ask)
        self.panes.set_camera(camera)
        self._step_panes()

    def _content_chosen(self, index: int) -> None:
        self.panes.show(index, self.choosers[index].content(self.time))
        self._step_panes()
        self.refresh_figures()
        self.refresh()

    # Time.

    def show_time(self, time: StepTime) -> None:
        """Every pane shows its run at this time, or at the step of its own nearest to it."""
        self.time = time
        for index, chooser in enumerate(self.choosers):
            self.panes.show(index, chooser.content(time))
        self._step_panes()

    def _step_panes(self) -> None:
        if self.time is None:
            return
        for chooser, step in zip(self.choosers, self.panes.show_time(self.time), strict=True):
            chooser.show_time(self.time, step)

    def _close_panes(self) -> None:
        if self.panes is not None:
            self.panes.close()
        while self.grid.count():
            pane = self.grid.takeAt(0).widget()
            pane.hide()  # gone at once: deleted only when the event loop comes round
            pane.deleteLater()
        for widget in self.view_widgets:
            _close_view(widget)
        self.choosers, self.view_widgets, self.frames.widgets, self.panes = [], [], {}, None

    def frame_quarter(self, name: str) -> None:
        """Look at a quarter's buildings from the south-west, filling the panes."""
        if self.panes is None:  # closed before its first frame
            return
        refresh_view(self.view_widgets[0], self.panes.views[0].plotter)  # the pane's size, known once shown
        frame_quarter(self.panes.views[0], self.scene.quarter(name))
        self.refresh()

    def refresh(self) -> None:
        """Draw every pane now (an off-screen view shows its new image)."""
        if self.panes is None:  # closed before its first frame
            return
        for widget, view in zip(self.view_widgets, self.panes.views, strict=True):
            refresh_view(widget, view.plotter)

    # Figures.

    def refresh_figures(self) -> None:
        """The figures of the runs shown, next to each other with their differences from the first."""
        shown = [(chooser.title(), chooser.run) for chooser in self.choosers if chooser.run is not None]
        if not shown:
            self.figures_note.setText(NO_FIGURES)
            fill_figure_table(self.table, None)
            return
        quarter = self.quarter_box.currentText()
        quarter = None if quarter == WHOLE_AREA else quarter
        titles = _distinct([title for title, _ in shown])
        runs = [run for _, run in shown]
        self.figures_note.setText(_figures_note(runs, quarter))
        fill_figure_table(self.table, compared_figures(self.registry, runs, titles, quarter))

    def _first_quarter(self, quarter: str | None) -> str:
        """The quarter the figures start on: the window's, else the first one a shown run reports on."""
        runs = [chooser.run for chooser in self.choosers if chooser.run is not None]
        if quarter and any(quarter in run.per_quarter for run in runs):
            return quarter
        reported = [name for run in runs for name in run.per_quarter]
        return reported[0] if reported else WHOLE_AREA

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.time_follower is not None:
            self.time_follower.close()
        self._close_panes()
        super().closeEvent(event)


class SwipeWindow(QWidget):
    """One 3D view split between two contents by a divider dragged across it."""

    def __init__(self, scene: Scene, make_view: ViewFactory, runs: Sequence[RunRecord | None],
                 camera: Camera | None = None) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("Swipe view - Dresden urban twin")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        left_run, right_run = _fill_to(list(runs)[:2], scene, 2)
        self.scene = scene
        self.time: StepTime | None = None  # the main window's time both sides follow, once it moved
        self.time_follower: TimeFollower | None = None
        self.left, self.right = ContentChooser(scene, left_run), ContentChooser(scene, right_run)
        self.view_widget, plotter = make_view(None)
        self.swipe = Swipe(scene, plotter, self.left.content(), self.right.content())
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(SLIDER_STEPS // 2)
        self.slider.setAccessibleName("divider")
        self.slider.valueChanged.connect(lambda value: self.set_position(value / SLIDER_STEPS))
        for chooser in (self.left, self.right):
            chooser.content_changed.connect(self._contents_chosen)
            chooser.caption_changed.connect(self._captions_edited)
        self._dragging = False
        self.view_widget.installEventFilter(self)
        self._lay_out()
        self.resize(1400, 900)
        self.swipe.view.set_camera(camera)

    def _lay_out(self) -> None:
        choosers = QHBoxLayout()
        choosers.addWidget(self.left)
        choosers.addWidget(self.right)
        layout = QVBoxLayout(self)
        layout.addLayout(choosers)
        layout.addWidget(self.view_widget, 1)
        layout.addWidget(self.slider)

    def set_position(self, position: float) -> None:
        """Move the divider (a share of the view's width from the left) and draw."""
        self.swipe.set_position(position)
        self.slider.blockSignals(True)
        self.slider.setValue(round(self.swipe.position * SLIDER_STEPS))
        self.slider.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        if self.swipe.plotter.render_window is None:  # closed before its first frame
            return
        refresh_view(self.view_widget, self.swipe.plotter)

    def frame_quarter(self, name: str) -> None:
        """Look at a quarter's buildings from the south-west, filling the view."""
        self.refresh()  # the view's size, known once shown
        frame_quarter(self.swipe.view, self.scene.quarter(name))
        self.refresh()

    def show_time(self, time: StepTime) -> None:
        """Each side shows its run at this time, or at the step of its own nearest to it."""
        self.time = time
        self._contents_chosen()

    def _contents_chosen(self) -> None:
        self.swipe.set_contents(self.left.content(self.time), self.right.content(self.time))
        if self.time is not None:
            for chooser, step in zip((self.left, self.right), self.swipe.show_time(self.time), strict=True):
                chooser.show_time(self.time, step)
        self.refresh()

    def _captions_edited(self) -> None:
        self.swipe.set_captions(self.left.title(), self.right.title())
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """A press near the divider drags it; anywhere else the camera turns as usual."""
        if watched is not self.view_widget:
            return super().eventFilter(watched, event)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = abs(self._widget_x(event) - self.swipe.position) * self.view_widget.width() \
                <= DIVIDER_GRAB_PX
            return self._dragging
        if kind == QEvent.Type.MouseMove and self._dragging:
            self.set_position(self._widget_x(event))
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._dragging:
            self._dragging = False
            return True
        return super().eventFilter(watched, event)

    def _widget_x(self, event: QEvent) -> float:
        return event.position().x() / max(self.view_widget.width(), 1)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.time_follower is not None:
            self.time_follower.close()
        _close_view(self.view_widget)
        super().closeEvent(event)


def open_side_by_side(window: MainWindow, make_view: ViewFactory,
                      run_ids: Sequence[str | None] | None = None) -> SideBySideWindow:
    """Open side by side on these runs (None: the scene without results), or on the latest ones."""
    runs = _runs(window.scene, run_ids) if run_ids is not None else _latest_pair(window.scene)
    quarter = window.reports.quarter  # the quarter the window looks at, if one
    compared = SideBySideWindow(window.scene, make_view, window.simulation_panel.registry,
                                _fill_to(runs, window.scene, 2), window.scene_view.camera(), quarter)
    follow_window_time(window, compared)
    _keep_open(compared, (lambda: compared.frame_quarter(quarter)) if quarter else compared.refresh)
    return compared


def open_swipe(window: MainWindow, make_view: ViewFactory,
               run_ids: Sequence[str | None] | None = None) -> SwipeWindow:
    """Open a swipe view on these two runs (None: the scene without results), or on the latest ones."""
    runs = _runs(window.scene, run_ids) if run_ids is not None else _latest_pair(window.scene)
    swipe = SwipeWindow(window.scene, make_view, runs, window.scene_view.camera())
    follow_window_time(window, swipe)
    quarter = window.reports.quarter
    _keep_open(swipe, (lambda: swipe.frame_quarter(quarter)) if quarter else swipe.refresh)
    return swipe


def install_compare_views(window: MainWindow, view_menu: QMenu, make_view: ViewFactory) -> None:
    """View > Side by side… and View > Swipe view…, and the reports' Side by side… button; the
    views are made by the window's own kind of 3D view (`make_view`)."""
    view_menu.addSeparator()
    side_by_side = view_menu.addAction("&Side by side…")
    side_by_side.setShortcut(QKeySequence("Ctrl+Shift+B"))
    side_by_side.triggered.connect(lambda: open_side_by_side(window, make_view))
    swipe = view_menu.addAction("S&wipe view…")
    swipe.setShortcut(QKeySequence("Ctrl+Shift+W"))
    swipe.triggered.connect(lambda: open_swipe(window, make_view))
    window.reports.side_by_side_requested.connect(
        lambda run_ids: open_side_by_side(window, make_view, run_ids))
    window.side_by_side_action, window.swipe_action = side_by_side, swipe


def _keep_open(shown: QWidget, first_frame: Callable[[], None]) -> None:
    OPEN_WINDOWS.append(shown)
    shown.destroyed.connect(lambda *_: OPEN_WINDOWS.remove(shown) if shown in OPEN_WINDOWS else None)
    shown.show()
    QTimer.singleShot(0, first_frame)  # the views know their size once shown


def _runs(scene: Scene, run_ids: Sequence[str | None]) -> list[RunRecord | None]:
    by_id = {run.run_id: run for run in scene.runs}
    return [by_id.get(run_id) if run_id is not None else None for run_id in run_ids]


def _latest_pair(scene: Scene) -> list[RunRecord | None]:
    """The latest run beside an earlier run of its simulation, or beside the scene without results."""
    if not scene.runs:
        return [None, None]
    latest = scene.runs[-1]
    earlier = [run for run in scene.runs[:-1] if run.simulation == latest.simulation]
    return [earlier[-1] if earlier else None, latest]


def _fill_to(runs: list[RunRecord | None], scene: Scene, count: int) -> list[RunRecord | None]:
    """`count` pane runs: those given, then runs not shown yet (newest first), then the scene alone."""
    unused = [run for run in reversed(scene.runs) if all(run is not shown for shown in runs)]
    while len(runs) < count:
        runs.append(unused.pop(0) if unused else None)
    return runs


def _distinct(titles: list[str]) -> list[str]:
    """Column titles told apart where two panes carry the same caption."""
    return [f"{title} ({number})" if titles.count(title) > 1 else title
            for number, title in enumerate(titles, start=1)]


def _figures_note(runs: list[RunRecord], quarter: str | None) -> str:
    place = quarter or "the whole area"
    lacking = [run for run in runs if quarter is not None and quarter not in run.per_quarter]
    note = f"Figures of {place}" + (", with each run's difference from the first." if len(runs) > 1 else ".")
    if lacking:
        note += f" {len(lacking)} run(s) have no figures for {quarter}: their whole area is shown."
    return note


def _close_view(widget: QWidget) -> None:
    """Free a view's render window (an off-screen view's plotter is not a widget of its own)."""
    plotter = getattr(widget, "plotter", None)
    if plotter is not None and plotter is not widget:
        plotter.close()
    widget.close()
