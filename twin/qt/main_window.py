"""The main window: the 3D view in the centre, docks around it, menus, and the job strip.

The window only wires user actions to the headless core: files are read by twin.io in background
jobs, simulations run through twin.sim, the picture is twin.render's SceneView. Every failure
shows one sentence and leaves the scene as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pyvista as pv
from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QWidget,
)

from twin.core.crs import normalize_crs
from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.layers import Layer, ResultTableLayer
from twin.core.memory import release_freed_memory
from twin.core.project import Camera, Project, ViewState
from twin.core.proposals import Measure
from twin.core.scene import Scene
from twin.io.formats import FORMATS
from twin.io.pack import PACK_MARK, pack_project
from twin.io.project import OpenedProject, open_project
from twin.io.quarters import read_quarters_in
from twin.qt.batch_view import open_batch
from twin.qt.bookmarks_panel import BookmarksPanel
from twin.qt.compare_views import install_compare_views
from twin.qt.data_loader import DataLoader, RecentFiles
from twin.qt.export_dialog import install_export
from twin.qt.inspector import InspectorPanel
from twin.qt.jobs import Job, JobBar
from twin.qt.layers_panel import LayersPanel
from twin.qt.nowcast_watch import open_nowcast_watch
from twin.qt.presentation import install_presentation
from twin.qt.proposals_panel import install_proposals
from twin.qt.publish_web import install_publish
from twin.qt.reports import ReportsPanel
from twin.qt.result_table import ResultTablePanel, feature_of_row
from twin.qt.sensor_service import open_sensor_service, resume_live_layers
from twin.qt.session import ProjectSession, is_generated_demo, session_for
from twin.qt.simulation_panel import SimulationPanel
from twin.qt.time_bar import TimeBar, has_time_steps
from twin.render import SceneView
from twin.render.opening_view import frame_quarter, opening_quarter
from twin.render.picking import Pick
from twin.render.results import row_of, target_of
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport

ViewFactory = Callable[[QWidget | None], tuple[QWidget, pv.BasePlotter]]
CLICK_TOLERANCE_PX = 4  # a press and release closer than this is a click (pick), not a drag
ALL_QUARTERS = "Whole scene"
VIEW_MINIMUM = (320, 220)  # px: the 3D view keeps a usable size however small the window; docks scroll


class MainWindow(QMainWindow):
    open_windows: ClassVar[list[MainWindow]] = []  # Qt does not own top-level windows: keep them alive

    def __init__(self, scene: Scene, make_view: ViewFactory, camera: Camera | None = None,
                 problems: list[str] | None = None, session: ProjectSession | None = None,
                 settings: QSettings | None = None, view: ViewState | None = None,
                 registry: SimulationRegistry | None = None) -> None:
        super().__init__()
        self.scene, self._make_view = scene, make_view
        self._registry = registry  # the simulations offered; None: the installed ones
        self.settings = settings or QSettings("Dresden urban twin", "twin")
        self.session = session or ProjectSession(scene, parent=self)
        self.session.setParent(self)
        self.resize(1600, 1000)
        self.setAcceptDrops(True)
        self.view_widget, plotter = make_view(self)
        self.view_widget.setMinimumSize(*VIEW_MINIMUM)
        self.setCentralWidget(self.view_widget)
        self.scene_view = SceneView(scene, plotter)
        self.jobs_bar = JobBar()
        self.statusBar().addPermanentWidget(self.jobs_bar)
        self.loader = DataLoader(scene, self.ask_crs, self)
        self.loader.job_started.connect(self.jobs_bar.track)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self.show_error)
        self.loader.noticed.connect(lambda note: self.statusBar().showMessage(note, 15_000))
        self.recent = RecentFiles(self.settings)
        self.last_error = ""
        self._press: QPoint | None = None
        self._build_docks()
        self._build_toolbar()
        self._build_menus()
        install_proposals(self)  # the Proposals dock, menu and sketching (twin/qt/proposals_panel.py)
        self.proposals_panel.history.indexChanged.connect(self._inspected_measure_changed)
        self.view_widget.installEventFilter(self)
        self.session.dirty_changed.connect(self.setWindowModified)
        self._update_title()
        self._camera = camera
        self._camera_placed = False
        self._view = view or ViewState()
        self._layout_restored = self._restore_layout(self._view)
        self._running_runs: dict[Job, str] = {}  # a simulation's job -> how the user knows that run
        # Once a removed layer's arrays are freed (after every listener let go), the allocator hands
        # their pages back: glibc keeps freed memory otherwise, and the window only ever grew.
        scene.layers.events.removed.connect(lambda *_: QTimer.singleShot(0, release_freed_memory))
        self._show_problems(problems or [])
        MainWindow.open_windows.append(self)
        QTimer.singleShot(0, lambda: resume_live_layers(self))  # a project's live layers reconnect

    # What a user does -------------------------------------------------------------------------

    def open_files(self, paths: list[Path]) -> None:
        """Read each file into a layer in the background (projects open in a new window)."""
        for path in map(Path, paths):
            if path.suffix.lower() == ".toml":
                self.open_project_file(path)
            else:
                self.recent.add(path)
                self.loader.open(path)
        self._fill_recent_menu()

    def open_project_file(self, path: Path) -> Job | None:
        """Open a project in a new window, in the background; this window closes once it is there."""
        if not self._may_discard_changes():
            return None
        try:
            project = Project.load(path)
        except TwinError as error:
            self.show_error(str(error))
            return None
        job = Job(f"Opening {path.name}", lambda feedback: open_project(project, feedback), self)
        job.succeeded.connect(lambda opened: self._replace_with(opened, project))
        job.failed.connect(self.show_error)
        self.jobs_bar.track(job)
        job.start()
        self.recent.add(path)
        return job

    def save_project(self, path: Path | None = None) -> bool:
        """Save to `path`, or where the project was saved before; False if it was not saved."""
        path = path or self.session.path
        if path is None:
            return self.save_project_as()
        if is_generated_demo(Path(path)):
            self.show_error(f"{path}: the demo city's generated project is kept as it is; "
                            f"save the project in a folder of your own")
            return False
        try:
            self.session.save(Path(path), self.scene_view.camera(), self.view_state())
        except (TwinError, OSError) as error:
            self.show_error(f"{path}: the project was not saved ({error})")
            return False
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def save_project_as(self) -> bool:
        start = str(self.session.path or Path.home() / "project.toml")  # an untitled one: the user's home
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, "Twin project (*.toml)")
        return bool(path) and self.save_project(Path(path).with_suffix(".toml"))

    def pack_project(self, dest: Path | None = None, as_zip: bool = False) -> Job | None:
        """Pack the saved project with copies of its data and runs into a folder or zip, in the background.

        The pack is made from the project as saved: unsaved changes are saved first (after asking).
        """
        if (self.session.dirty or self.session.path is None) and not self._save_before_packing():
            return None
        if dest is None:
            dest, as_zip = self._choose_pack_destination()
            if dest is None:
                return None
        replace = dest.exists()
        if replace and not self.ask_replace_pack(dest):
            return None
        try:
            project = Project.load(self.session.path)
        except TwinError as error:
            self.show_error(str(error))
            return None
        def work(feedback: Feedback) -> Path:
            return pack_project(project, dest, feedback, replace=replace, as_zip=as_zip)

        job = Job(f"Packing {project.path.name}", work, self)
        say = self.statusBar().showMessage
        job.succeeded.connect(lambda packed: say(f"Packed the project into {packed}", 15_000))
        job.failed.connect(self.show_error)
        job.canceled.connect(lambda: say("Packing was cancelled; nothing was written", 10_000))
        self.jobs_bar.track(job)
        job.start()
        return job

    def view_state(self) -> ViewState:
        """How the window looks now (quarter, legends, lighting, size and docks), for the project."""
        quarter = self.quarter_box.currentText()
        return ViewState(quarter=None if quarter in (ALL_QUARTERS, "") else quarter,
                         legends=self.scene_view.legends_shown,
                         eye_dome_lighting=self.scene_view.eye_dome_lighting,
                         window_geometry=bytes(self.saveGeometry().toBase64()).decode("ascii"),
                         window_state=bytes(self.saveState().toBase64()).decode("ascii"))

    def select_quarter(self, name: str | None) -> None:
        """Look at one quarter (None: the whole scene); reports and simulations follow."""
        if name is None:
            self.scene_view.reset_camera()
        else:
            frame_quarter(self.scene_view, self.scene.quarter(name))  # its buildings fill the view
        self.quarter_box.blockSignals(True)
        self.quarter_box.setCurrentText(name or ALL_QUARTERS)
        self.quarter_box.blockSignals(False)
        self.reports.set_quarter(name)
        if name is not None:
            self.simulation_panel.set_quarter(name)
        self.refresh_view()

    def zoom_to_layer(self, layer: Layer) -> None:
        bounds = layer.bounds
        half = len(bounds) // 2
        self.scene_view.zoom_to((bounds[0], bounds[1], bounds[half], bounds[half + 1]))
        self.refresh_view()

    def show_error(self, message: str) -> None:
        """One sentence, in a box that does not block the window, and in the status bar."""
        self.last_error = message
        self.statusBar().showMessage(message, 15_000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Dresden urban twin", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def ask_crs(self, path: Path, scene_crs: str) -> str | None:
        """Ask which CRS a file is in; None when the user gives up."""
        text = scene_crs
        while True:
            text, ok = QInputDialog.getText(
                self, "Coordinate reference system",
                f"{path.name} names no coordinate reference system.\n"
                f"Which one is it in? (for example {scene_crs} or EPSG:4326)", text=text)
            if not ok:
                return None
            try:
                return normalize_crs(text)
            except TwinError as error:
                QMessageBox.warning(self, "Coordinate reference system", str(error))

    def refresh_view(self) -> None:
        refresh = getattr(self.view_widget, "refresh", None)
        if refresh:
            refresh()
        else:
            self.scene_view.plotter.render()

    # Building the window ----------------------------------------------------------------------

    def _build_docks(self) -> None:
        self.layers_panel = LayersPanel(self.scene)
        self.layers_panel.zoom_requested.connect(self.zoom_to_layer)
        self.layers_panel.selection_changed.connect(self._layer_selected)
        self.layers_dock = self._dock("Layers", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.simulation_panel = SimulationPanel(self.scene, self._registry,
                                                quarters_file=self.session.quarters_file)
        self.simulation_panel.job_started.connect(self.jobs_bar.track)
        self.simulation_panel.job_started.connect(self._simulation_started)
        self.simulation_panel.run_finished.connect(self._run_finished)
        simulations = self.simulations_dock = self._dock("Simulations", self.simulation_panel,
                                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.inspector = InspectorPanel(self.scene)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(simulations, self.inspector_dock)
        self.bookmarks_panel = BookmarksPanel(self.session, self.scene_view, self.refresh_view)
        self.bookmarks_panel.said.connect(lambda note: self.statusBar().showMessage(note, 10_000))
        self.bookmarks_dock = self._dock("Bookmarks", self.bookmarks_panel,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(simulations, self.bookmarks_dock)
        simulations.raise_()
        self.reports = ReportsPanel(self.scene, self.simulation_panel.registry)
        self.reports_dock = self._dock("Reports", self.reports, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.result_tables = ResultTablePanel(self.scene)
        self.result_tables.row_chosen.connect(self._table_row_chosen)
        self.tables_dock = self._dock("Result tables", self.result_tables,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        for dock in (self.reports_dock, self.tables_dock):
            dock.hide()  # the view gets the room until a run reports
        if self.scene.runs:
            self._show_result_docks()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        # In a small window a panel scrolls rather than taking the 3D view's room.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(widget)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        toolbar = self.toolbar = QToolBar("View", self)
        toolbar.setObjectName("view")
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" Quarter: "))
        self.quarter_box = QComboBox()
        self.quarter_box.setMinimumWidth(160)
        self.quarter_box.currentTextChanged.connect(
            lambda text: self.select_quarter(None if text == ALL_QUARTERS else text))
        toolbar.addWidget(self.quarter_box)
        self._fill_quarters()
        self.scene.events.quarters.connect(self._fill_quarters)
        reset = toolbar.addAction("Whole city")
        reset.setToolTip("Look at the whole scene, every quarter (Home)")
        reset.triggered.connect(lambda: self.select_quarter(None))
        self.time_bar = TimeBar()
        # A toolbar shows or hides its own widgets only through their actions; in a holder the
        # bar shows and hides itself as results with time steps come and go.
        holder = QWidget()
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(12, 0, 0, 0)
        holder_layout.addWidget(self.time_bar)
        toolbar.addWidget(holder)
        self.scene.layers.events.inserted.connect(lambda index, layer: self._watch_time_steps(layer))
        self.scene.layers.events.removed.connect(self._keep_time_bar_on_a_shown_layer)
        self.time_bar.follow(self.scene)  # after the above: a run's hidden depth snapshots bring it too

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open data...", self._choose_files, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &tiles folder...", self._choose_tiles_folder)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent_menu()
        file_menu.addSeparator()
        self._action(file_menu, "Open &project...", self._choose_project, "Ctrl+Shift+O")
        self._action(file_menu, "Open &quarters...", self._choose_quarters)
        self._action(file_menu, "Open &batch...", lambda: open_batch(self))
        self._action(file_menu, "Open sensor ser&vice...", lambda: open_sensor_service(self))
        self._action(file_menu, "&Watch for floods (nowcast)...", lambda: open_nowcast_watch(self))
        self._action(file_menu, "&Save project", self.save_project, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save project &as...", self.save_project_as, QKeySequence.StandardKey.SaveAs)
        self._action(file_menu, "&Pack project...", self.pack_project)
        install_publish(self, file_menu)  # the scene as a static web site (twin/qt/publish_web.py)
        install_export(self, file_menu)  # pictures and films of the view (twin/qt/export_dialog.py)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view_menu = self.menuBar().addMenu("&View")
        self._action(view_menu, "&Whole city", lambda: self.select_quarter(None), "Home")
        edl = self.eye_dome_action = self._action(view_menu, "&Eye-dome lighting for point clouds",
                                                  self._set_eye_dome_lighting)
        edl.setCheckable(True)
        edl.setChecked(self.scene_view.eye_dome_lighting)
        self.legends_action = self._action(view_menu, "&Legends", self._set_legends_shown, "Ctrl+L")
        self.legends_action.setCheckable(True)
        self.legends_action.setChecked(self.scene_view.legends_shown)
        install_presentation(self, view_menu)  # F5 and the presentation look (twin/qt/presentation.py)
        install_compare_views(self, view_menu, self._make_view)  # side by side, swipe (twin/qt/compare_views)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())

    def _action(self, menu, text: str, slot: Callable, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda checked=False: slot(checked) if action.isCheckable() else slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    # Reacting ---------------------------------------------------------------------------------

    def _choose_files(self) -> None:
        suffixes = sorted({f"*{suffix}" for file_format in FORMATS for suffix in file_format.suffixes})
        pattern = f"Twin data ({' '.join([*suffixes, '*.zip'])});;All files (*)"
        paths, _ = QFileDialog.getOpenFileNames(self, "Open data", str(self._last_folder()), pattern)
        self.open_files([Path(path) for path in paths])

    def _choose_tiles_folder(self) -> None:
        """A folder of tiles of one kind (GeoSN's 2 km tiles) opens as one layer (twin/io/mosaic.py)."""
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of tiles", str(self._last_folder()))
        if folder:
            self.open_files([Path(folder)])

    def _choose_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(self._last_folder()),
                                              "Twin project (*.toml)")
        if path:
            self.open_project_file(Path(path))

    def _choose_quarters(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open quarters", str(self._last_folder()),
                                              "Quarter polygons with a 'name' (*.geojson *.json)")
        if path:
            self.open_quarters(Path(path))

    def open_quarters(self, path: Path) -> bool:
        """Report on the named polygons of a GeoJSON file instead of the current quarters."""
        try:
            quarters = read_quarters_in(path, self.scene.crs)
        except TwinError as error:
            self.show_error(str(error))
            return False
        self.session.quarters_file = path.resolve()
        self.scene.set_quarters(quarters)
        self.statusBar().showMessage(f"Quarters from {path.name}: "
                                     f"{', '.join(quarter.name for quarter in quarters)}", 10_000)
        return True

    def _last_folder(self) -> Path:
        recent = self.recent.paths()
        return recent[0].parent if recent else Path.home()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent.paths():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda checked=False, path=path: self.open_files([path]))
        self.recent_menu.setEnabled(bool(self.recent.paths()))

    def _fill_quarters(self) -> None:
        self.quarter_box.blockSignals(True)
        self.quarter_box.clear()
        self.quarter_box.addItems([ALL_QUARTERS, *(quarter.name for quarter in self.scene.quarters)])
        self.quarter_box.blockSignals(False)

    def _loaded(self, layer: Layer) -> None:
        self.statusBar().showMessage(f"Opened {layer.name} ({layer.kind})", 5000)
        if len(self.scene.layers) == 1:
            self.scene_view.reset_camera()
        self.refresh_view()

    def _layer_selected(self, layer: Layer | None) -> None:
        if has_time_steps(layer):
            self.time_bar.set_layer(layer)

    def _watch_time_steps(self, layer: Layer) -> None:
        """The slider follows the newest shown result with time steps, and leaves it when it goes."""
        if not has_time_steps(layer):
            return
        layer.events.visible.connect(lambda visible: self.time_bar.set_layer(layer) if visible
                                     else self._keep_time_bar_on_a_shown_layer())
        if layer.visible:
            self.time_bar.set_layer(layer)

    def _keep_time_bar_on_a_shown_layer(self, *_: object) -> None:
        current = self.time_bar.layer
        if current is not None and current.visible and any(layer is current for layer in self.scene.layers):
            return
        shown = [layer for layer in self.scene.layers if layer.visible and has_time_steps(layer)]
        self.time_bar.set_layer(shown[-1] if shown else None)

    def _run_finished(self, report: RunReport) -> None:
        self.statusBar().showMessage(f"{report.simulation} finished in {report.seconds:.1f} s; "
                                     f"{len(report.result_layers)} result layer(s) added", 10_000)
        if not self.reports_dock.isVisible():
            self._show_result_docks()
        self.refresh_view()

    def _show_result_docks(self) -> None:
        """Reports and result tables as tabs below the view (the reports shown before tabbing: Qt keeps
        a stray tab bar for docks tabbed while both hidden); two fifths of the height, not most of it."""
        self.reports_dock.show()
        self.tabifyDockWidget(self.reports_dock, self.tables_dock)  # tabbed before shown: side by side
        self.tables_dock.show()  # they would widen the window to fit both
        self.reports_dock.raise_()
        self.resizeDocks([self.reports_dock], [self.height() * 2 // 5], Qt.Orientation.Vertical)

    def _table_row_chosen(self, layer: ResultTableLayer, row: int) -> None:
        """A row chosen in a result table: its feature outlined in the 3D view and inspected."""
        target = target_of(layer, list(self.scene.layers))
        feature = None if target is None else feature_of_row(layer, target, row)
        if feature is None:
            self.inspector.show_feature(layer, row)
            return
        self.inspector.show_feature(target, feature)
        top = target.bounds[5] if len(target.bounds) == 6 else self.scene_view.terrain_range()[1]
        self.scene_view.highlight(Pick(layer, row, (0.0, 0.0, top), feature))
        self.refresh_view()

    def _set_eye_dome_lighting(self, on: bool) -> None:
        self.scene_view.set_eye_dome_lighting(on)
        self.refresh_view()

    def _set_legends_shown(self, on: bool) -> None:
        self.scene_view.set_legends_shown(on)
        self.refresh_view()

    def _replace_with(self, opened: OpenedProject, project: Project) -> None:
        window = MainWindow(opened.scene, self._make_view, opened.camera, opened.problems,
                            session_for(opened.scene, project), self.settings, opened.view)
        window.show()
        self.session.mark_clean()  # the user already chose to leave these changes
        self.close()

    def _show_problems(self, problems: list[str]) -> None:
        if problems:
            self.show_error(f"{len(problems)} part(s) of the project did not open. {problems[0]}")

    def _update_title(self) -> None:
        name = self.session.path.name if self.session.path else self.session.name
        self.setWindowTitle(f"{name}[*] - Dresden urban twin")

    def _may_discard_changes(self) -> bool:
        """True when there is nothing unsaved, or the user saved it or chose to drop it."""
        if not self.session.dirty:
            return True
        answer = self.ask_unsaved_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save_project()
        return answer == QMessageBox.StandardButton.Discard

    def ask_unsaved_changes(self) -> QMessageBox.StandardButton:
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        return QMessageBox.question(self, "Unsaved changes",
                                    "The project has changes that are not saved. Save them first?",
                                    buttons, QMessageBox.StandardButton.Save)

    # Qt events --------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._camera_placed:  # the camera fits the view's real size, known once laid out
            self._camera_placed = True
            QTimer.singleShot(0, self._place_camera)

    def _place_camera(self) -> None:
        if not self._layout_restored:  # wide enough for the panels, which scroll only in a small window
            widths = [max(300, self.layers_panel.minimumSizeHint().width() + 4),
                      max(470, self.simulation_panel.minimumSizeHint().width() + 4)]
            self.resizeDocks([self.layers_dock, self.simulations_dock], widths, Qt.Orientation.Horizontal)
        self.layout().activate()  # apply the dock sizes now, so the camera fits the final view
        self.refresh_view()  # sizes the render window to the widget
        self._restore_look(self._view)
        if self._camera is not None:
            self.scene_view.set_camera(self._camera)  # a saved camera wins over the quarter's view
        elif self.quarter_box.currentText() in (ALL_QUARTERS, ""):  # no saved view: the first quarter
            opening = opening_quarter(self.scene)
            self.select_quarter(opening.name if opening is not None else None)
        self.refresh_view()

    def _restore_layout(self, view: ViewState) -> bool:
        """The saved size, place and docks of the window; False where none was saved or Qt refused it."""
        if view.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(view.window_geometry.encode("ascii")))
        return bool(view.window_state) and self.restoreState(
            QByteArray.fromBase64(view.window_state.encode("ascii")))

    def _restore_look(self, view: ViewState) -> None:
        """The saved legends, lighting and quarter (a quarter the scene no longer has is left)."""
        if view.legends is not None:
            self.legends_action.setChecked(view.legends)
            self.scene_view.set_legends_shown(view.legends)
        if view.eye_dome_lighting is not None:
            self.eye_dome_action.setChecked(view.eye_dome_lighting)
            self.scene_view.set_eye_dome_lighting(view.eye_dome_lighting)
        if view.quarter and any(quarter.name == view.quarter for quarter in self.scene.quarters):
            self.select_quarter(view.quarter)

    def _save_before_packing(self) -> bool:
        """A pack is made from the saved project: save it first, if the user agrees."""
        if not self.ask_save_before_packing():
            return False
        return self.save_project() and not self.session.dirty

    def ask_save_before_packing(self) -> bool:
        buttons = QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel
        answer = QMessageBox.question(self, "Pack project", "A pack holds the project as it is saved. "
                                      "Save the project first?", buttons, QMessageBox.StandardButton.Save)
        return answer == QMessageBox.StandardButton.Save

    def _choose_pack_destination(self) -> tuple[Path | None, bool]:
        start = Path.home() / f"{self.session.path.stem}-pack"
        path, chosen = QFileDialog.getSaveFileName(
            self, "Pack project into a new folder or zip", str(start),
            "Project folder (*);;Zip archive (*.zip)", options=QFileDialog.Option.DontConfirmOverwrite)
        if not path:
            return None, False
        as_zip = chosen.startswith("Zip") or path.lower().endswith(".zip")
        return (Path(path).with_suffix(".zip") if as_zip else Path(path)), as_zip

    def ask_replace_pack(self, dest: Path) -> bool:
        """Whether to replace an earlier pack at `dest`; anything else there is never replaced."""
        if not ((dest / PACK_MARK).is_file() or dest.suffix.lower() == ".zip"):
            self.show_error(f"{dest}: already exists and is not an earlier pack; choose a new name")
            return False
        answer = QMessageBox.question(self, "Pack project", f"{dest} holds an earlier pack. Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def _simulation_started(self, job: Job) -> None:
        """Remember how the user knows a starting run, to name it if they close the window."""
        simulation = self.simulation_panel.simulation
        if simulation is None or job.title != simulation.title:
            return  # the panel also opens a scenario's files in a job: not a run
        name = self.simulation_panel.name_edit.text().strip()
        run = f"The {simulation.title} run"
        self._running_runs[job] = f"{run} '{name}'" if name else run
        job.finished.connect(lambda: self._running_runs.pop(job, None))

    def _may_stop_running_simulations(self) -> bool:
        running = [name for job, name in self._running_runs.items() if job.running]
        return not running or self.ask_cancel_run(running[0])

    def ask_cancel_run(self, run: str) -> bool:
        answer = QMessageBox.question(self, "A simulation is running", f"{run} is still running. "
                                      f"Cancel it and quit?", QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._may_stop_running_simulations() or not self._may_discard_changes():
            event.ignore()
            return
        self.loader.cancel_all()
        for job in list(self.jobs_bar.jobs):
            job.cancel()
            job.wait()
        event.accept()
        if self in MainWindow.open_windows:
            MainWindow.open_windows.remove(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.open_files([Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()])
        event.acceptProposedAction()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Clicks on the 3D view pick what lies under the mouse; drags still turn the camera."""
        if watched is self.view_widget:
            if event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                self._press = event.position().toPoint()
            elif event.type() == QEvent.Type.MouseButtonRelease and self._press is not None:
                moved = (event.position().toPoint() - self._press).manhattanLength()
                self._press = None
                if moved <= CLICK_TOLERANCE_PX:
                    self.pick_at(event.position().toPoint())
        return super().eventFilter(watched, event)

    def pick_at(self, point: QPoint) -> None:
        """Outline what lies under a point of the view and show it in the inspector."""
        ratio = self.view_widget.devicePixelRatioF()
        x, y = round(point.x() * ratio), round(point.y() * ratio)
        pick = self.scene_view.pick(x, y)
        measure = self.proposals_panel.visual.measure_at(x, y, pick)
        if measure is not None:  # a proposed measure's shape, in front of what the layers show there
            self._measure_picked(measure)
            return
        self.scene_view.highlight(pick)
        if pick is not None:
            self.inspector_dock.raise_()
        if pick is None:
            self.inspector.clear()
        elif pick.feature is not None:  # a result drawn on buildings or streets: show that feature
            self.inspector.show_feature(pick.layer.data.target_layer, pick.feature)
            if self.result_tables.layer is pick.layer:
                self.result_tables.select_row(int(pick.index))
        else:
            self.inspector.show_feature(pick.layer, pick.index)
        self.refresh_view()

    def _measure_picked(self, measure: Measure) -> None:
        """A measure clicked in the view: chosen in the Proposals list (outlined in 3D), inspected with
        the result rows about it (a new building's energy change) and its row chosen in Result tables."""
        self.scene_view.highlight(None)
        self.proposals_panel.show_proposals(self.proposals_panel.proposals, measure.id)
        self.inspector.show_measure(measure)
        self.inspector_dock.raise_()
        table = self.result_tables.layer
        row = row_of(table.data, measure.id) if table is not None else None
        if row is not None:
            self.result_tables.select_row(row)
        self.refresh_view()

    def _inspected_measure_changed(self, *_: object) -> None:
        """An inspected measure follows its edits, undone or redone too; deleted, it leaves the inspector."""
        shown = self.inspector.measure
        if shown is None:
            return
        proposals = self.proposals_panel.proposals
        if shown.id in proposals.ids():
            self.inspector.show_measure(proposals.get(shown.id))
        else:
            self.inspector.clear()
