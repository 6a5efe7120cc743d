"""The rows of a result table (a work list, the buildings' flood depths): sort, filter, export.

A `ResultTableModel` shows one table's columns under their declared labels and units; the panel
offers every table result of the scene, a filter over all columns, export as CSV or, joined to
the geometry of the features the table is about, as a GeoPackage. Choosing a row emits
`row_chosen(layer, row)`, which the window follows with the inspector and the 3D outline.
The table's model is built when the panel is on screen (or asked for its rows): the window keeps
the panel in a dock tabbed behind the reports, and a run that adds tables need not wait for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from twin.core.layers import Layer, ResultTableLayer
from twin.core.numbers import column_decimals, format_value
from twin.core.scene import Scene
from twin.io.errors import TwinIOError
from twin.io.tables import write_table_csv, write_table_gpkg
from twin.render.results import rows_of_features, target_of

NO_TABLE = "No result table yet: a run's values per building or street segment appear here."
_Index = QModelIndex | QPersistentModelIndex


class ResultTableModel(QAbstractTableModel):
    """One result table: a column per table column, headed by its label and unit."""

    def __init__(self, layer: ResultTableLayer | None = None) -> None:
        super().__init__()
        self.layer = layer
        self._names: list[str] = [] if layer is None else list(layer.data.columns)
        # one number of decimals per column, so its numbers line up ("2.70" under "2.01")
        units = {} if layer is None else layer.data.units
        self._decimals = {} if layer is None else {
            name: column_decimals(values, units.get(name, "")) for name, values in layer.data.columns.items()}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if self.layer is None or parent.isValid() else len(self.layer.data)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._names)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        shown = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)  # the tip: a label cut short
        if role not in shown or orientation != Qt.Orientation.Horizontal:
            return None
        return self.layer.attribute_label(self._names[section])

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.layer is None:
            return None
        name = self._names[index.column()]
        value = self.layer.data.columns[name][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._class_labels(name).get(value) or format_value(
                value, self.layer.data.units.get(name, ""), name=name, decimals=self._decimals[name])
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, float | np.floating):
            return f"{value:.10g} {self.layer.data.units.get(name, '')}".strip()  # the exact value
        if role == Qt.ItemDataRole.UserRole:  # what sorting compares: numbers as numbers
            return value.item() if isinstance(value, np.generic) else value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float | np.number):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


    def _class_labels(self, name: str) -> dict[Any, str]:
        """A class-code column's labels by code ("1.5-2.5 good" for 1); empty for other columns."""
        categories = self.layer.data.categories.get(name, ())
        return {category.code: category.label for category in categories if category.upper is None}


class ResultTablePanel(QWidget):
    """Every table result of the scene, one at a time, as a sortable and filterable table."""

    row_chosen = Signal(object, int)  # the result layer and the table row

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.layer_combo = QComboBox()
        self.layer_combo.setAccessibleName("result table")
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_combo.setMinimumContentsLength(20)  # long run names must not widen the window
        self.layer_combo.currentIndexChanged.connect(self._show_chosen)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("filter: text in any column")
        self.filter_edit.setClearButtonEnabled(True)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = read_only_table_view(self.proxy)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self._model_stale = False
        self.info = QLabel(NO_TABLE)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self._export_with_dialog("CSV files (*.csv)", ".csv"))
        self.gpkg_button = QPushButton("Export GeoPackage…")
        self.gpkg_button.setToolTip("The rows with the geometry of their buildings or street segments")
        self.gpkg_button.clicked.connect(lambda: self._export_with_dialog("GeoPackage (*.gpkg)", ".gpkg"))
        self._build_layout()
        scene.layers.events.inserted.connect(self._fill_layers)
        scene.layers.events.removed.connect(self._fill_layers)
        self.destroyed.connect(lambda: _disconnect(scene, self._fill_layers))
        self._fill_layers()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Table:"))
        top.addWidget(self.layer_combo, 2)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.csv_button)
        top.addWidget(self.gpkg_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.view, 1)

    @property
    def layer(self) -> ResultTableLayer | None:
        name = self.layer_combo.currentData()
        return None if name is None else self.scene.layer(name)

    def show_layer(self, layer: Layer | str) -> None:
        """Show a table result of the scene (by layer or name)."""
        name = layer if isinstance(layer, str) else layer.name
        index = self.layer_combo.findData(name)
        if index < 0:
            raise KeyError(f"'{name}' is no table result")
        self.layer_combo.setCurrentIndex(index)

    def select_row(self, row: int) -> None:
        """Select a table row (as a pick in the 3D view does), scrolled into view."""
        self._build_model()
        proxy_index = self.proxy.mapFromSource(self.proxy.sourceModel().index(row, 0))
        if proxy_index.isValid():
            self.view.selectionModel().blockSignals(True)
            self.view.selectRow(proxy_index.row())
            self.view.selectionModel().blockSignals(False)
            self.view.scrollTo(proxy_index)

    def shown_rows(self) -> list[int]:
        """The table rows shown, in their order on screen (after filter and sort)."""
        self._build_model()
        proxy = self.proxy
        return [proxy.mapToSource(proxy.index(row, 0)).row() for row in range(proxy.rowCount())]

    def export(self, path: Path | str) -> None:
        """Write the table shown as CSV, or as a GeoPackage joined to its features' geometry."""
        layer = self.layer
        if layer is None:
            raise ValueError("there is no result table to export")
        path = Path(path)
        if path.suffix.lower() == ".gpkg":
            target = self._target(layer)
            rows = rows_of_features(layer.data, target.data.ids)
            if rows is None:
                raise ValueError(f"'{layer.name}' names no feature of '{target.name}' in any column")
            write_table_gpkg(path, layer.data, target.data, _feature_of_each_row(rows, len(layer.data)))
        else:
            write_table_csv(path, layer.data)

    def _target(self, layer: ResultTableLayer) -> Layer:
        target = target_of(layer, list(self.scene.layers))
        if target is None:
            raise ValueError(f"'{layer.name}' is about '{layer.data.target_layer}', which the scene lacks")
        return target

    def _fill_layers(self, *_event: object) -> None:
        shown = self.layer_combo.currentData()
        tables = [layer.name for layer in self.scene.layers if isinstance(layer, ResultTableLayer)]
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for name in reversed(tables):  # newest first
            self.layer_combo.addItem(name, name)
        self.layer_combo.setCurrentIndex(max(self.layer_combo.findData(shown), 0))
        self.layer_combo.blockSignals(False)
        self._show_chosen()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self._build_model()
        super().showEvent(event)

    def _show_chosen(self, *_index: object) -> None:
        layer = self.layer
        for button in (self.csv_button, self.gpkg_button):
            button.setEnabled(layer is not None)
        self.info.setText(NO_TABLE if layer is None else layer.data.description)
        self.info.setVisible(layer is None or bool(layer.data.description))
        self._model_stale = True
        if self.isVisible():
            self._build_model()

    def _build_model(self) -> None:
        """The chosen table's model, where it is not the one shown yet (see the module's doc)."""
        if not self._model_stale:
            return
        self._model_stale = False
        layer = self.layer
        if self.proxy.sourceModel() is not None and getattr(self.proxy.sourceModel(), "layer", None) is layer:
            return
        self.proxy.setSourceModel(ResultTableModel(layer))
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the plugin's order until a click
        self.view.resizeColumnsToContents()  # headers and numbers whole; the table scrolls sideways

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and self.layer is not None:
            self.row_chosen.emit(self.layer, self.proxy.mapToSource(current).row())

    def _export_with_dialog(self, pattern: str, suffix: str) -> None:
        layer = self.layer
        if layer is None:
            return
        suggestion = Path.home() / f"{layer.name.replace(':', '').replace(' ', '_')}{suffix}"
        name, _ = QFileDialog.getSaveFileName(self, "Export the table", str(suggestion), pattern)
        if not name:
            return
        path = Path(name) if name.lower().endswith(suffix) else Path(name + suffix)
        try:
            self.export(path)
        except (OSError, ValueError, TwinIOError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            QMessageBox.warning(self, "Export the table", f"Could not write {path.name}: {reason}.")


def feature_of_row(layer: ResultTableLayer, target: Layer, row: int) -> int | None:
    """The feature of the target layer that a table row is about; None where none is."""
    rows = rows_of_features(layer.data, target.data.ids)
    features = np.flatnonzero(rows == row) if rows is not None else []
    return int(features[0]) if len(features) else None


def _feature_of_each_row(row_of_feature: np.ndarray, rows: int) -> np.ndarray:
    features = np.full(rows, -1, dtype=np.int64)
    joined = row_of_feature >= 0
    features[row_of_feature[joined]] = np.flatnonzero(joined)
    return features


def read_only_table_view(model: QSortFilterProxyModel) -> QTableView:
    """A sortable table of whole rows, one chosen at a time, that the user reads but does not edit."""
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setResizeContentsPrecision(200)  # widths from the first rows: quick when long
    return view


def _disconnect(scene: Scene, fill) -> None:
    scene.layers.events.inserted.disconnect(fill)
    scene.layers.events.removed.disconnect(fill)
