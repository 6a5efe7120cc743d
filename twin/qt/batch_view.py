"""*File > Open batch...*: the runs of a batch folder (`python main.py batch ... --out FOLDER`).

A table of every run and quarter with its varied parameters and figures (sorted by any column,
filtered by text in any column, as the result tables are), a chart of a chosen figure over a varied
parameter with a line per quarter, and a run's result layers opened into the scene with one click
(*Open run in scene*, or a double click on its row).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import TwinError
from twin.core.numbers import column_decimals, format_value
from twin.core.scene import Scene
from twin.qt.charts import chart_widget
from twin.qt.jobs import Job
from twin.qt.result_table import read_only_table_view
from twin.sim.batch_results import DONE, BatchResults, RunToOpen, batch_chart, read_batch, run_to_open

_Index = QModelIndex | QPersistentModelIndex
_FIRST = ("run", "quarter", "status")  # then the varied parameters, the figures, and these:
_LAST = ("error", "seed", "simulation", "key")
_WIDEST_COLUMN = 260  # px


class BatchTableModel(QAbstractTableModel):
    """The batch table: a row per run and quarter, a column per parameter and figure."""

    def __init__(self, batch: BatchResults) -> None:
        super().__init__()
        self.batch = batch
        self.names = [*_FIRST, *batch.varied, *batch.figures, *_LAST]
        self._decimals = {name: column_decimals([row[name] for row in batch.rows if row[name] is not None],
                                                batch.units.get(name, ""))
                          for name in batch.figures}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(self.batch.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.names)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.batch.heading(self.names[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name = self.names[index.column()]
        value = self.batch.rows[index.row()][name]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value, self.batch.units.get(name, ""), name=name,
                                decimals=self._decimals.get(name))
        if role == Qt.ItemDataRole.ToolTipRole and value is not None:
            # the exact number, or the whole of a long error
            return f"{value:.10g}" if isinstance(value, float) else str(value)
        if role == Qt.ItemDataRole.UserRole:  # what sorting compares: numbers as numbers, none first
            return float("-inf") if value is None and name in self.batch.figures else value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row(self, number: int) -> dict[str, Any]:
        return self.batch.rows[number]


class BatchView(QDialog):
    """A batch's table, its chart, and a button that opens the chosen run's layers in the scene."""

    def __init__(self, batch: BatchResults, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch, self.scene = batch, scene
        self.setWindowTitle(f"Batch {batch.folder.name}")
        self.resize(1200, 800)
        self.job: Job | None = None
        self.model = BatchTableModel(batch)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("filter: text in any column (a quarter, a status, a value)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = read_only_table_view(self.proxy)
        self.table.resizeColumnsToContents()  # headings whole where they fit; long run names cut
        for column in range(self.model.columnCount()):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), _WIDEST_COLUMN))
        self.table.doubleClicked.connect(lambda _: self.open_chosen_run())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_button())
        self.open_button = QPushButton("Open run in scene")
        self.open_button.clicked.connect(self.open_chosen_run)
        self.status = QLabel(_counts(batch))
        self.figure_box, self.parameter_box = QComboBox(), QComboBox()
        for name in batch.figures:
            self.figure_box.addItem(batch.heading(name), name)
        for name in batch.varied:
            self.parameter_box.addItem(batch.heading(name), name)
        self.figure_box.currentIndexChanged.connect(self.update_chart)
        self.parameter_box.currentIndexChanged.connect(self.update_chart)
        self.chart: QWidget = QLabel()
        self._lay_out()
        self._update_button()
        self.update_chart()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.open_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.status)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Chart"))
        choose.addWidget(self.figure_box, 2)
        choose.addWidget(QLabel("over"))
        choose.addWidget(self.parameter_box, 1)
        self.lower = QWidget()
        self.lower_layout = QVBoxLayout(self.lower)
        self.lower_layout.addLayout(choose)
        self.lower_layout.addWidget(self.chart, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.lower)
        splitter.setSizes([420, 380])
        QVBoxLayout(self).addWidget(splitter)

    def update_chart(self) -> None:
        """Draw the chosen figure over the chosen parameter, or say why there is no chart."""
        figure, parameter = self.figure_box.currentData(), self.parameter_box.currentData()
        if figure is None or parameter is None:
            chart: QWidget = QLabel("No chart: the batch varied no parameter, or its runs have no figures.")
        else:
            chart = chart_widget(batch_chart(self.batch, figure, parameter))
        self.lower_layout.replaceWidget(self.chart, chart)
        self.chart.hide()  # out of sight now: it is deleted only when the event loop next runs
        self.chart.deleteLater()
        self.chart = chart

    def chosen_row(self) -> dict[str, Any] | None:
        index = self.table.selectionModel().currentIndex()
        return None if not index.isValid() else self.model.row(self.proxy.mapToSource(index).row())

    def open_chosen_run(self) -> Job | None:
        """Read the chosen run's layers in the background and add them to the scene."""
        row = self.chosen_row()
        if row is None or row["status"] not in DONE or (self.job is not None and self.job.running):
            return None
        folder, key, layers, crs = self.batch.folder, row["key"], list(self.scene.layers), self.scene.crs
        self.job = Job(f"Opening {row['run']}", lambda feedback: run_to_open(folder, key, layers, crs), self)
        self.job.succeeded.connect(self._add_to_scene)
        self.job.failed.connect(lambda message: self.status.setText(f"Not opened: {message}"))
        jobs_bar = getattr(self.parent(), "jobs_bar", None)  # the window's strip shows it and cancels it
        if jobs_bar is not None:
            jobs_bar.track(self.job)
        self.job.start()
        return self.job

    def _add_to_scene(self, run: RunToOpen) -> None:
        if any(known.run_id == run.record.run_id for known in self.scene.runs):
            self.status.setText(f"{run.record.scenario} is already in the scene.")
            return
        for layer in run.inputs:
            self.scene.add_layer(layer)
        self.scene.add_run(run.record, run.result_layers)
        drawn_on = f", and {len(run.inputs)} input layer(s) they are drawn on" if run.inputs else ""
        self.status.setText(f"Opened {run.record.scenario}: "
                            f"{len(run.result_layers)} result layer(s){drawn_on}")
        refresh = getattr(self.parent(), "refresh_view", None)
        if refresh is not None:
            refresh()

    def _update_button(self) -> None:
        row = self.chosen_row()
        self.open_button.setEnabled(row is not None and row["status"] in DONE)


def _counts(batch: BatchResults) -> str:
    runs = {row["key"]: row["status"] for row in batch.rows}
    failed = sum(status not in DONE for status in runs.values())
    return (f"{len(runs)} runs, {failed} without figures (failed or not run); choose a row and "
            f"'Open run in scene' (or double-click it) to see its layers.")


def open_batch(window: Any, folder: Path | None = None) -> BatchView | None:
    """Ask for a batch folder (unless given) and show its runs beside the window's scene."""
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(window, "Open a batch folder (main.py batch ... --out)")
        if not chosen:
            return None
        folder = Path(chosen)
    try:
        batch = read_batch(folder)
    except TwinError as error:
        window.show_error(str(error))
        return None
    view = BatchView(batch, window.scene, window)
    view.show()
    return view
