"""The reports dock: a run's figures per quarter as a table and charts, exported as CSV and PNG.

The numbers come from twin.core.report_tables (headless); this panel only shows and exports
them. It follows the scene: a new run appears in the run chooser and is shown at once.

    panel = ReportsPanel(scene)
    dock.setWidget(panel)
    quarter_picker.quarter_chosen.connect(panel.set_quarter)   # str, or None for every quarter
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from twin.core.atomic import write_atomic
from twin.core.data import ResultRaster
from twin.core.layers import Layer
from twin.core.numbers import column_decimals, format_value
from twin.core.report_tables import FigureTable
from twin.core.scene import RunRecord, Scene
from twin.qt.charts import PNG_SIZE, chart_widget, image_png_bytes
from twin.render.linked_views import run_caption as run_name  # what a person calls a run, everywhere
from twin.sim.difference import DifferenceError, comparable_results, difference_layer, run_results
from twin.sim.presentation import compared_figures, run_charts, run_figures
from twin.sim.registry import SimulationRegistry, default_registry

NO_RUN = "No simulation has run yet. Run one from the simulations panel; its figures appear here."
# A column of numbers is as wide as its numbers, and its heading (a run's name, "with − before") wraps
# at this many widths of an "M" at most: three runs' long names side by side pushed the differences
# off the right of the panel at the window's default size.
HEADING_WIDTH_EM = 12
RUN_NAME_CHARS = 18  # the run choosers' narrowest: a longer name is cut there; the list shows it whole


class ReportsPanel(QWidget):
    """Per-quarter figures of a run in `scene.runs` (the latest, or one chosen) as a table and charts.

    Slots: `set_quarter(name | None)`, `show_run(run_id)`. Signal: `run_shown(str)` with the run id.
    """

    run_shown = Signal(str)
    side_by_side_requested = Signal(object)  # the run ids to show in linked 3D views: [shown, compared]
    _run_added = Signal(object)  # carries scene.events.runs to the GUI thread, whichever thread emits it

    def __init__(self, scene: Scene, registry: SimulationRegistry | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.registry = registry or default_registry()
        self._quarter: str | None = None
        self.run_combo = QComboBox()
        self.run_combo.setAccessibleName("simulation run")
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_combo.setMinimumContentsLength(RUN_NAME_CHARS)
        self.run_combo.currentIndexChanged.connect(self._show_chosen)
        self.compare_combo = QComboBox()
        self.compare_combo.setAccessibleName("run to compare with")
        self.compare_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare_combo.setMinimumContentsLength(RUN_NAME_CHARS)
        self.compare_combo.setToolTip("Show another run of the same simulation beside this one, with the "
                                      "differences")
        self.compare_combo.currentIndexChanged.connect(lambda _index: self._refresh())
        self.difference_button = QToolButton()
        self.difference_button.setText("Difference layer")
        self.difference_button.setToolTip("Add a layer to the 3D view: the compared run's result minus this "
                                          "run's, cell by cell or building by building")
        self.difference_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.difference_button.setMenu(QMenu(self.difference_button))
        self.side_by_side_button = QPushButton("Side by side…")
        self.side_by_side_button.setToolTip("Show this run and the compared one (or the scene without "
                                            "results) in linked 3D views, with their figures")
        self.side_by_side_button.clicked.connect(self._ask_side_by_side)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("Save the table of figures as a CSV file")
        self.csv_button.clicked.connect(self.choose_csv_file)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.setToolTip("Save the charts, one under the other, as a PNG image")
        self.png_button.clicked.connect(self.choose_png_file)
        self.info = QLabel(NO_RUN)
        self.info.setWordWrap(True)
        self.table = figure_table_widget()
        self.charts = QTabWidget()
        self.charts.setDocumentMode(True)
        self._build_layout()
        self._run_added.connect(self._add_run)
        scene.events.runs.connect(self._on_scene_run)
        scene.layers.events.removed.connect(self._on_layer_removed)
        self.destroyed.connect(lambda: _disconnect(scene, self._on_scene_run, self._on_layer_removed))
        self._fill_runs()

    def _build_layout(self) -> None:
        """The runs on the first line, the buttons beside the run's description on the second: on one
        line they made the panel wider than the room between the side docks at 1600 x 1000."""
        top = QHBoxLayout()
        top.addWidget(QLabel("Run:"))
        top.addWidget(self.run_combo, 1)
        top.addWidget(QLabel("Compare with:"))
        top.addWidget(self.compare_combo, 1)
        second = QHBoxLayout()
        second.addWidget(self.info, 1)
        for button in (self.difference_button, self.side_by_side_button, self.csv_button, self.png_button):
            second.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.charts)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(splitter, 1)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(620, 720)

    # The run and quarter shown.

    @property
    def current_run(self) -> RunRecord | None:
        run_id = self.run_combo.currentData()
        return next((run for run in self.scene.runs if run.run_id == run_id), None)

    @property
    def quarter(self) -> str | None:
        return self._quarter

    def set_quarter(self, name: str | None) -> None:
        """Follow one quarter (its column and charts), or every quarter with None."""
        self._quarter = name or None
        self._refresh()

    @property
    def compared_run(self) -> RunRecord | None:
        run_id = self.compare_combo.currentData()
        return next((run for run in self.scene.runs if run.run_id == run_id), None)

    def compare_with(self, run_id: str | None) -> None:
        """Show another run of the same simulation beside the current one; None shows it alone."""
        index = self.compare_combo.findData(run_id)
        if index < 0:
            raise KeyError(f"run '{run_id}' cannot be compared with the run shown")
        self.compare_combo.setCurrentIndex(index)

    def show_run(self, run_id: str) -> None:
        index = self.run_combo.findData(run_id)
        if index < 0:
            raise KeyError(f"the scene has no run '{run_id}'")
        self.run_combo.setCurrentIndex(index)

    def figures(self, every_year: bool = False) -> FigureTable | None:
        """The table shown: the run's figures for the quarter followed (all where the run lacks it);
        `every_year` lists a single run's series year by year, as the CSV export does."""
        run = self.current_run
        if run is None:
            return None
        other = self.compared_run
        if other is not None:
            return compared_figures(self.registry, [run, other], _run_names(run, other), self._quarter)
        return run_figures(self.registry, run, self._shown_quarter(run), every_year)

    def _shown_quarter(self, run: RunRecord) -> str | None:
        return self._quarter if self._quarter in run.per_quarter else None

    # Following the scene.

    def _on_scene_run(self, record: RunRecord) -> None:
        self._run_added.emit(record)

    def _on_layer_removed(self, *_event: object) -> None:
        self._refresh()  # a chart drawn from a removed result layer goes with it, and its difference

    def _add_run(self, record: RunRecord) -> None:
        self._fill_runs()
        self.show_run(record.run_id)

    def _fill_runs(self) -> None:
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for run in reversed(self.scene.runs):  # newest first
            self.run_combo.addItem(_run_title(run), run.run_id)
        self.run_combo.blockSignals(False)
        self._show_chosen()

    def _show_chosen(self, *_index: object) -> None:
        self._fill_comparable()
        self._refresh()
        run = self.current_run
        if run is not None:
            self.run_shown.emit(run.run_id)

    def _fill_comparable(self) -> None:
        """The runs the one shown can be compared with: the others of its simulation."""
        run = self.current_run
        self.compare_combo.blockSignals(True)
        self.compare_combo.clear()
        self.compare_combo.addItem("(no comparison)", None)
        for other in reversed(self.scene.runs):
            if run is not None and other.simulation == run.simulation and other.run_id != run.run_id:
                self.compare_combo.addItem(_run_title(other), other.run_id)
        self.compare_combo.blockSignals(False)
        self.compare_combo.setEnabled(self.compare_combo.count() > 1)

    def difference_results(self) -> list[str]:
        """The results the compared run and the run shown share on the same grid or features."""
        run, other = self.current_run, self.compared_run
        return [] if run is None or other is None else comparable_results(self.scene, run, other)

    def add_difference_layer(self, result: str) -> Layer:
        """Add the compared run's `result` minus the shown run's to the scene (the runs' own layers
        of it are hidden, so the difference is what is seen); raises DifferenceError."""
        run, other = self.current_run, self.compared_run
        if run is None or other is None:
            raise DifferenceError("choose a run and a run to compare it with first")
        return add_difference(self.scene, run, other, result)

    def _ask_side_by_side(self) -> None:
        run, other = self.current_run, self.compared_run
        if run is not None:
            self.side_by_side_requested.emit([run.run_id, other.run_id if other is not None else None])

    def _fill_difference_menu(self) -> None:
        menu = self.difference_button.menu()
        menu.clear()
        results = self.difference_results()
        for result in results:
            label = result_label(run_results(self.scene, self.current_run)[result])
            action = menu.addAction(f"Δ {label}")
            action.triggered.connect(lambda _checked=False, name=result: self._add_difference_or_say(name))
        self.difference_button.setEnabled(bool(results))

    def _add_difference_or_say(self, result: str) -> None:
        try:
            self.add_difference_layer(result)
        except DifferenceError as error:
            QMessageBox.warning(self, "Difference layer", str(error))

    def _refresh(self) -> None:
        run = self.current_run
        self._fill_difference_menu()
        for button in (self.csv_button, self.png_button, self.side_by_side_button):
            button.setEnabled(run is not None)
        if run is None:
            self.info.setText(NO_RUN)
            fill_figure_table(self.table, None)
            self._set_charts(None)
            return
        self.info.setText(_run_description(run, self._quarter))
        fill_figure_table(self.table, self.figures())
        self._set_charts(run)

    def _set_charts(self, run: RunRecord | None) -> None:
        shown = self.charts.currentIndex()
        while self.charts.count():
            widget = self.charts.widget(0)
            self.charts.removeTab(0)
            widget.deleteLater()
        shown_charts = run_charts(self.registry, run, self.scene, self._shown_quarter(run)) if run else []
        for data in shown_charts:
            self.charts.addTab(chart_widget(data), _short_title(data.title))
        self.charts.setCurrentIndex(min(max(shown, 0), self.charts.count() - 1))

    # Export.

    def chart_widgets(self) -> list[QWidget]:
        return [self.charts.widget(index) for index in range(self.charts.count())]

    def export_csv(self, path: Path | str) -> None:
        """Write the figures shown (figure, unit, one column per quarter) as UTF-8 CSV, with every
        year of a series (the table on screen shows the first and the last)."""
        table = self.figures(every_year=True)
        if table is None:
            raise ValueError("there is no run to export")
        write_atomic(path, table.to_csv())

    def export_png(self, path: Path | str, size: QSize = PNG_SIZE) -> None:
        """Write the charts shown, one under the other, each drawn at `size`, as one PNG."""
        charts = self.chart_widgets()
        if not charts:
            raise ValueError("this run has no charts to export")
        image = QImage(size.width(), size.height() * len(charts), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        for index, chart in enumerate(charts):
            painter.drawImage(0, index * size.height(), chart.render_image(size))
        painter.end()
        write_atomic(path, image_png_bytes(image))

    def choose_csv_file(self) -> None:
        self._export_with_dialog("Export the figures as CSV", "CSV files (*.csv)", ".csv", self.export_csv)

    def choose_png_file(self) -> None:
        self._export_with_dialog("Export the charts as PNG", "PNG images (*.png)", ".png", self.export_png)

    def _export_with_dialog(self, title: str, pattern: str, suffix: str, export) -> None:
        run = self.current_run
        if run is None:
            return
        suggestion = f"{run.simulation}_{self._quarter or 'all_quarters'}_{run.run_id}{suffix}"
        name, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / suggestion), pattern)
        if not name:
            return
        path = Path(name) if name.lower().endswith(suffix) else Path(name + suffix)
        try:
            export(path)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            QMessageBox.warning(self, title, f"Could not write {path.name}: {reason}.")


def figure_table_widget() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.6))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    # A name cut short keeps its end: "flooded area deeper than 0.1 m" and "... 0.5 m" stay told apart.
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = table.horizontalHeader()
    # Headings wrap (painted so: Qt's own size hint keeps to one line, so widths and height are set in
    # fill_figure_table) rather than being cut short.
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag(Qt.TextFlag.TextWordWrap))
    header.setTextElideMode(Qt.TextElideMode.ElideNone)
    return table


def fill_figure_table(widget: QTableWidget, table: FigureTable | None) -> None:
    widget.clear()
    if table is None:
        widget.setRowCount(0)
        widget.setColumnCount(0)
        return
    widget.setColumnCount(2 + len(table.columns))
    for column, title in enumerate(["figure", "unit", *table.columns]):
        heading = QTableWidgetItem(title)
        heading.setToolTip(title)
        widget.setHorizontalHeaderItem(column, heading)
    widget.setRowCount(len(table.rows))
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for row, figure in enumerate(table.rows):
        label = QTableWidgetItem(figure.label)
        label.setToolTip(figure.label)  # the column of names narrows first, cutting the longest short
        widget.setItem(row, 0, label)
        widget.setItem(row, 1, QTableWidgetItem(figure.unit))
        numbers = [np.nan if value is None else value for value in figure.values]
        decimals = column_decimals(np.asarray(numbers, dtype=float), figure.unit)  # alike along the row
        for column, value in enumerate(figure.values, start=2):
            item = QTableWidgetItem(format_value(value, figure.unit, name=figure.key, decimals=decimals))
            item.setTextAlignment(right)
            if value is not None:
                item.setToolTip(f"{value:.10g} {figure.unit}".strip())
            widget.setItem(row, column, item)
    _fit_columns(widget)


def _fit_columns(widget: QTableWidget) -> None:
    """Numbers and units as wide as they are, headings wrapped within HEADING_WIDTH_EM, and the
    figures' names in what is left (cut short with "…" where too narrow: the tooltip has them whole)."""
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    metrics = header.fontMetrics()
    margin = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    widest_heading = metrics.horizontalAdvance("M") * HEADING_WIDTH_EM
    lines = 1
    for column in range(1, widget.columnCount()):
        title = widget.horizontalHeaderItem(column).text()
        width = max(widget.sizeHintForColumn(column), min(header.sectionSizeHint(column), widest_heading))
        widget.setColumnWidth(column, width)
        wrapped = metrics.boundingRect(QRect(0, 0, width - margin, 10_000),
                                       Qt.TextFlag.TextWordWrap, title)
        lines = max(lines, round(wrapped.height() / metrics.lineSpacing()))
    header.setMinimumHeight(lines * metrics.lineSpacing() + margin)


def add_difference(scene: Scene, run_a: RunRecord, run_b: RunRecord, result: str) -> Layer:
    """Add run B's `result` minus run A's to the scene as a layer; the runs' own layers of it are
    hidden, so the difference is what is seen. Raises DifferenceError where they cannot be subtracted."""
    name_a, name_b = _run_names(run_a, run_b)
    layer = difference_layer(scene, run_a, run_b, result, (name_b, name_a))
    for compared in (run_a, run_b):
        run_results(scene, compared)[result].visible = False
    return scene.add_layer(layer)


def _run_names(run: RunRecord, other: RunRecord) -> list[str]:
    """What two compared runs are called, told apart by id where their names are the same."""
    names = [run_name(run), run_name(other)]
    if names[0] == names[1]:
        names = [f"{name} ({shown.run_id[:6]})" for name, shown in zip(names, (run, other), strict=True)]
    return names


def result_label(layer: Layer) -> str:
    """A result as the simulation names it: 'deepest water (m)' for a grid, its name for a table."""
    data = layer.data
    return layer.attribute_label(data.name) if isinstance(data, ResultRaster) else data.name.replace("_", " ")


def _run_title(run: RunRecord) -> str:
    return f"{run_name(run)}  ({run.simulation}, run {run.run_id[:6]})"


def _run_description(run: RunRecord, quarter: str | None) -> str:
    places = ", ".join(run.per_quarter) or "no quarters"
    following = ""
    if quarter is not None:
        following = (f"  Showing {quarter}." if quarter in run.per_quarter
                     else f"  This run has no figures for {quarter}; showing every quarter.")
    return f"{run.simulation} run {run.run_id}, seed {run.seed}; quarters: {places}.{following}"


def _short_title(title: str) -> str:
    """A tab name: the chart title up to its first comma or bracket."""
    for mark in (",", " ("):
        title = title.split(mark)[0]
    return title.strip()


def _disconnect(scene: Scene, on_run, on_layer_removed) -> None:
    scene.events.runs.disconnect(on_run)
    scene.layers.events.removed.disconnect(on_layer_removed)
