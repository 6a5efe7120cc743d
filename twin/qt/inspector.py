"""The inspector: the attributes of one picked feature, its joined results and its time series; or
of one proposed measure (its title, kind, author, comment and parameters) with the result rows about it.

The rows and chart data come from twin.core.report_tables (headless); this panel shows them.

    inspector = InspectorPanel(scene)
    dock.setWidget(inspector)
    picker.picked.connect(inspector.show_feature)   # (layer or layer name, row or (row, col))
    inspector.show_measure(measure)                  # a measure clicked in the 3D view
"""

from __future__ import annotations

from collections.abc import Iterable

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
from twin.core.numbers import format_value
from twin.core.proposals import KINDS, Measure
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
from twin.render.results import row_of
from twin.sim.proposal_inputs import new_building_height

NOTHING_PICKED = ("Click a building, street, sensor, result cell or proposed measure in the 3D view to see "
                  "its attributes here.")
SECTION_COLOUR = QColor("#E8EEF4")
KIND_NAMES = {"buildings": "Building", "streets": "Street segment", "sensors": "Sensor station",
              "pointcloud": "Point", "raster": "Cell"}
# A measure's parameter names end in their unit (twin/core/proposals.py KINDS): depth_m, volume_m3, ...
UNIT_SUFFIXES = (("_m3", "m³"), ("_mm", "mm"), ("_m", "m"))
NO_DATA = "no data"  # what twin.core.numbers.format_number writes for NaN
LABEL_CHARS = 44  # the attribute column's widest (a longer label is cut; its tooltip has it whole)
SHOWN_IDS = 5  # a measure's picked buildings or segments: this many named, the rest counted


class InspectorPanel(QWidget):
    """Attributes (with units) of a building, street segment, station, point or grid cell.

    Slots: `show_feature(layer, index)` (index = row, or (row, col) for grids) and `clear()`.
    """

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self._shown: tuple[Layer, int | tuple[int, int]] | None = None
        self._measure: Measure | None = None
        self.title = QLabel(NOTHING_PICKED)
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["attribute", "value"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 1.6))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)  # as wide as its labels: _fill
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
        """The layer and index shown (for a measure: the first result row about it), or None."""
        return self._shown

    @property
    def measure(self) -> Measure | None:
        """The measure shown, or None."""
        return self._measure

    def show_feature(self, layer: Layer | str, index: int | tuple[int, int]) -> None:
        """Show one feature: a row of a vector layer or point cloud, a (row, col) cell of a grid."""
        layer = self.scene.layer(layer) if isinstance(layer, str) else layer
        rows = feature_rows(layer, index)
        joined = joined_results(self.scene.layers, layer, index) if isinstance(index, int) else []
        self._shown, self._measure = (layer, index), None
        self.title.setText(f"<b>{_feature_name(layer, index)}</b> in {layer.name}")
        self._fill(rows, joined)
        self._set_charts(_charts_of(layer, index))

    def show_measure(self, measure: Measure) -> None:
        """Show a proposed measure and the rows of result tables about it: a new building's rows carry
        its id (its demand in the run with the proposals, its change in their difference), the top
        layer's first."""
        about = _result_rows_about(self.scene.layers, measure)
        self._shown, self._measure = (about[0] if about else None), measure
        self.title.setText(f"<b>{measure.kind_title.capitalize()}: {measure.title}</b> (proposed measure "
                           f"{measure.id})")
        self._fill(_measure_rows(measure), [JoinedRows(layer.name, feature_rows(layer, row))
                                            for layer, row in about])
        self._set_charts([])

    def clear(self) -> None:
        self._shown, self._measure = None, None
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
        self._fit_labels([row.label for row in [*rows, *(row for section in joined for row in section.rows)]])

    def _fit_labels(self, labels: list[str]) -> None:
        """The attribute column as wide as its labels, up to LABEL_CHARS: Qt's fit to contents counts
        the section titles spanning both columns too, and a long one (a difference of two runs' names)
        pushed the values out of view."""
        metrics = self.table.fontMetrics()
        widest = max((metrics.horizontalAdvance(label) for label in labels), default=0)
        characters = metrics.averageCharWidth()
        self.table.setColumnWidth(0, min(widest + 2 * characters, LABEL_CHARS * characters))

    def _add_row(self, row: AttributeRow) -> None:
        number = self.table.rowCount()
        self.table.insertRow(number)
        label = QTableWidgetItem(row.label)
        label.setToolTip(row.label)
        self.table.setItem(number, 0, label)
        measured = row.value and row.value != NO_DATA  # "no data" takes no unit
        value = QTableWidgetItem(f"{row.value} {row.unit}".strip() if measured else row.value)
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
        item.setToolTip(title)
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


def _result_rows_about(layers: Iterable[Layer], measure: Measure) -> list[tuple[Layer, int]]:
    """(result table layer, row) of the tables with a row about a new building, the top layer's first."""
    if measure.kind != "new_building":
        return []
    tables = [layer for layer in reversed(list(layers)) if isinstance(layer.data, ResultTable)]
    return [(layer, row) for layer in tables if (row := row_of(layer.data, measure.id)) is not None]


def _measure_rows(measure: Measure) -> list[AttributeRow]:
    """A measure's title, kind, author, comment, parameters (with their units) and area."""
    rows = [AttributeRow("title", measure.title, ""), AttributeRow("kind", measure.kind_title, ""),
            AttributeRow("author", measure.author, ""), AttributeRow("comment", measure.comment, "")]
    for parameter in KINDS[measure.kind].parameters:
        value = measure.parameters.get(parameter.name)
        if value is None:
            continue
        label, unit = _label_and_unit(parameter.name)
        if parameter.type == "ids":
            named = ", ".join(value[:SHOWN_IDS]) + (f" and {len(value) - SHOWN_IDS} more"
                                                    if len(value) > SHOWN_IDS else "")
            rows.append(AttributeRow(f"{label} ({len(value)})", named, ""))
        else:
            rows.append(AttributeRow(label, format_value(value, unit, name=parameter.name), unit))
    if measure.kind == "new_building":  # the height its storeys give, as the simulations build it
        rows.append(AttributeRow("height", format_value(new_building_height(measure)[0], "m"), "m"))
    if measure.area_m2():
        rows.append(AttributeRow("area", format_value(measure.area_m2(), "m²"), "m²"))
    return rows


def _label_and_unit(name: str) -> tuple[str, str]:
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix).replace("_", " "), unit
    return name.replace("_", " "), ""


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
