"""The inspector: the attributes of one picked feature, its joined results and its time series.

The rows and chart data come from twin.core.report_tables (headless); this panel shows them.

    inspector = InspectorPanel(scene)
    dock.setWidget(inspector)
    picker.picked.connect(inspector.show_feature)   # (layer or layer name, row or (row, col))
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twin.core.data import ResultRaster, ResultTable, SensorData, StreetData
from twin.core.layers import Layer
from twin.core.report_tables import (
    AttributeRow,
    JoinedRows,
    LineChartData,
    feature_rows,
    joined_results,
    rating_history_chart,
    sensor_charts,
)
from twin.core.scene import Scene
from twin.qt.charts import LineChart

NOTHING_PICKED = "Click a building, street, sensor or result cell in the 3D view to see its attributes here."
SECTION_COLOUR = QColor("#E8EEF4")
KIND_NAMES = {"buildings": "Building", "streets": "Street segment", "sensors": "Sensor station",
              "pointcloud": "Point", "raster": "Cell"}


class InspectorPanel(QWidget):
    """Attributes (with units) of a building, street segment, station, point or grid cell.

    Slots: `show_feature(layer, index)` (index = row, or (row, col) for grids) and `clear()`.
    """

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self._shown: tuple[Layer, int | tuple[int, int]] | None = None
        self.title = QLabel(NOTHING_PICKED)
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["attribute", "value"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 1.6))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.charts = QTabWidget()
        self.charts.setDocumentMode(True)
        self.charts.hide()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.charts)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)
        scene.layers.events.removed.connect(self._on_layer_removed)
        on_removed = self._on_layer_removed
        self.destroyed.connect(lambda: scene.layers.events.removed.disconnect(on_removed))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(460, 640)

    @property
    def shown(self) -> tuple[Layer, int | tuple[int, int]] | None:
        """The layer and index shown, or None."""
        return self._shown

    def show_feature(self, layer: Layer | str, index: int | tuple[int, int]) -> None:
        """Show one feature: a row of a vector layer or point cloud, a (row, col) cell of a grid."""
        layer = self.scene.layer(layer) if isinstance(layer, str) else layer
        rows = feature_rows(layer, index)
        joined = joined_results(self.scene.layers, layer, index) if isinstance(index, int) else []
        self._shown = (layer, index)
        self.title.setText(f"<b>{_feature_name(layer, index)}</b> in {layer.name}")
        self._fill(rows, joined)
        self._set_charts(_charts_of(layer, index))

    def clear(self) -> None:
        self._shown = None
        self.title.setText(NOTHING_PICKED)
        self.table.setRowCount(0)
        self._set_charts([])

    def chart_widgets(self) -> list[LineChart]:
        return [self.charts.widget(index) for index in range(self.charts.count())]

    def _on_layer_removed(self, _index: int, layer: Layer) -> None:
        if self._shown is not None and self._shown[0] is layer:
            self.clear()

    def _fill(self, rows: list[AttributeRow], joined: list[JoinedRows]) -> None:
        self.table.setRowCount(0)
        for row in rows:
            self._add_row(row)
        for section in joined:
            self._add_section(section.title)
            for row in section.rows:
                self._add_row(row)

    def _add_row(self, row: AttributeRow) -> None:
        number = self.table.rowCount()
        self.table.insertRow(number)
        self.table.setItem(number, 0, QTableWidgetItem(row.label))
        value = QTableWidgetItem(f"{row.value} {row.unit}".strip() if row.value else "")
        value.setToolTip(value.text())
        self.table.setItem(number, 1, value)

    def _add_section(self, title: str) -> None:
        number = self.table.rowCount()
        self.table.insertRow(number)
        item = QTableWidgetItem(title)
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
        item.setBackground(SECTION_COLOUR)
        self.table.setItem(number, 0, item)
        self.table.setSpan(number, 0, 1, 2)

    def _set_charts(self, charts: list[LineChartData]) -> None:
        while self.charts.count():
            widget = self.charts.widget(0)
            self.charts.removeTab(0)
            widget.deleteLater()
        for data in charts:
            self.charts.addTab(LineChart(data), _tab_title(data))
        self.charts.setVisible(bool(charts))


def _charts_of(layer: Layer, index: int | tuple[int, int]) -> list[LineChartData]:
    data = layer.data
    if isinstance(data, SensorData):
        return sensor_charts(data, str(data.ids[index]))
    if isinstance(data, StreetData):
        chart = rating_history_chart(data, index)
        return [] if chart is None else [chart]
    return []


def _feature_name(layer: Layer, index: int | tuple[int, int]) -> str:
    data = layer.data
    if isinstance(data, ResultRaster):
        return f"Result cell {index[0]}, {index[1]}"
    if isinstance(data, ResultTable):
        return f"Result row {index + 1}"
    kind = KIND_NAMES.get(layer.kind, "Feature")
    if isinstance(index, tuple):
        return f"{kind} {index[0]}, {index[1]}"
    ids = getattr(data, "ids", None)
    return f"{kind} {ids[index]}" if ids is not None else f"{kind} {index}"


def _tab_title(data: LineChartData) -> str:
    return data.title.split(": ", 1)[-1]
