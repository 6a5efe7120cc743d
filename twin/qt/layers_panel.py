"""The layers panel: a tree of the scene's layers with visibility, order, removal and style.

The tree groups layers by kind (terrain, point clouds, buildings, ...) and puts the result
layers of a simulation run under that run. Within a group the top row is drawn last, as in
GIS; groups are ordered by their topmost layer, so new data and new results appear on top.
The tree is a view of a `LayerTreeModel`, which follows the scene's events row by row; the
panel changes the scene only through its public API (`layer.visible`, `layer.opacity`,
`layer.set_style`, `scene.layers.move`, `scene.remove_layer`).

The functions before the widget compute what the panel shows without Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from PySide6.QtCore import QModelIndex, QPoint, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QSlider,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from twin.core.data import ResultRaster, ResultTable
from twin.core.layers import Layer, ResultLayer
from twin.core.scene import RunRecord, Scene
from twin.qt.layer_model import GROUP_ROLE, LayerTreeModel
from twin.qt.reports import add_difference, result_label, run_name
from twin.sim.difference import DifferenceError, comparable_results

KIND_TITLES = {"raster": "Terrain and rasters", "pointcloud": "Point clouds", "buildings": "Buildings",
               "streets": "Streets", "sensors": "Sensors", "result": "Results"}

# Colour maps offered for colour-by, with what each is good for (shown as tooltips).
COLOUR_MAPS = {
    "viridis": "even steps, colour-blind safe; any quantity",
    "cividis": "even steps, safe for every colour vision",
    "magma": "dark to bright; intensities, densities",
    "Blues": "light to dark blue; water depth, rain",
    "YlOrRd": "yellow to red; heat, load, damage",
    "RdYlGn_r": "green (good) to red (poor); condition, risk",
    "RdBu_r": "blue below, red above the middle; changes, balances",
    "terrain": "sea, lowland, hills; heights",
    "gist_earth": "earth tones; heights",
}
DEFAULT_COLOURS = "Default colours"


# --- What the panel shows, without Qt ------------------------------------------------------------

@dataclass
class LayerGroup:
    """One branch of the tree: its key, its title and its layers, top (drawn last) first."""

    key: str
    title: str
    kind: str
    layers: list[Layer]


def group_key(layer: Layer, runs: Sequence[RunRecord]) -> tuple[str, str]:
    """(key, title) of the branch a layer belongs to: its run for results, else its kind."""
    if isinstance(layer, ResultLayer):
        for record in runs:
            if record.run_id and record.run_id == layer.run_id:
                title = f"{record.scenario} ({record.simulation} run)" if record.scenario else \
                    f"{record.simulation} run {record.run_id[:6]}"
                return f"run:{record.run_id}", title
    return layer.kind, KIND_TITLES.get(layer.kind, layer.kind.capitalize())


def layer_groups(layers: Sequence[Layer], runs: Sequence[RunRecord]) -> list[LayerGroup]:
    """The tree's branches: groups ordered by their topmost layer, each listed top first."""
    groups: dict[str, LayerGroup] = {}
    for layer in reversed(layers):
        key, title = group_key(layer, runs)
        groups.setdefault(key, LayerGroup(key, title, layer.kind, [])).layers.append(layer)
    return list(groups.values())  # dicts keep insertion order: the first layer seen is the topmost


def group_move(layers: Sequence[Layer], runs: Sequence[RunRecord], layer: Layer,
               step: int) -> tuple[int, int] | None:
    """The `EventedList.move(src, dest)` that swaps a layer with its group neighbour.

    step +1 moves it up the tree (drawn later), -1 down; None where it is already at that end
    of its group. The lower of the pair is moved to just above the upper one, so the upper
    position stays the group's and no group changes its place in the tree.
    """
    key = group_key(layer, runs)[0]
    members = [index for index, other in enumerate(layers) if group_key(other, runs)[0] == key]
    position = next(number for number, index in enumerate(members) if layers[index] is layer)
    neighbour = position + step
    if not 0 <= neighbour < len(members):
        return None
    lower, upper = sorted((members[position], members[neighbour]))
    return lower, upper + 1


def layer_facts(layer: Layer) -> list[str]:
    """Lines describing a layer: what and how much it holds, its CRS and where it comes from."""
    data = layer.data
    lines = [_counts(layer)]
    if isinstance(data, ResultTable):
        lines.append(f"CRS: that of layer '{data.target_layer}'")
    else:
        lines.append(f"CRS: {layer.crs or 'none'}")
    if layer.source is not None:
        lines.append(f"File: {layer.source}")
    elif isinstance(layer, ResultLayer):
        lines.append("Computed by a simulation run (not saved as a file)")
    description = getattr(data, "description", "")
    if description:
        lines.append(description)
    return lines


def _counts(layer: Layer) -> str:
    data = layer.data
    if isinstance(data, ResultTable):
        return f"{len(data):,} values per feature of '{data.target_layer}'"
    if isinstance(data, ResultRaster):
        rows, cols = data.values.shape[-2:]
        steps = "" if data.times is None else f", {len(data.times):,} time steps"
        return f"{rows:,} x {cols:,} cells of {data.units or 'values'}{steps}"
    if layer.kind == "raster":
        rows, cols = data.shape
        return f"{rows:,} x {cols:,} cells at {data.resolution[0]:g} m"
    if layer.kind == "pointcloud":
        shown = len(data.xyz)
        if data.total_points and data.total_points > shown:
            return f"{shown:,} points shown of {data.total_points:,} in the file"
        return f"{shown:,} points"
    if layer.kind == "buildings":
        return f"{len(data):,} buildings, {len(data.triangles):,} triangles"
    if layer.kind == "streets":
        ratings = f", {len(data.inspections):,} condition ratings" if data.inspections else ""
        return f"{len(data):,} street segments{ratings}"
    if layer.kind == "sensors":
        return f"{len(data):,} stations, {len(data.datastreams):,} data streams"
    return layer.kind


def has_place(layer: Layer) -> bool:
    """Whether the layer has an extent of its own to zoom to."""
    return not any(math.isnan(value) for value in layer.bounds)


# --- Pictures ------------------------------------------------------------------------------------

def kind_icon(kind: str) -> QIcon:
    """A small drawing of a layer kind: hills, dots, a house, a road, a station, a result grid."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _KIND_DRAWINGS.get(kind, _draw_unknown)(painter)
    painter.end()
    return QIcon(pixmap)


def _polygon(*points: tuple[float, float]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def _draw_terrain(painter: QPainter) -> None:
    painter.setPen(QPen(QColor("#5b4a2e"), 1.5))
    painter.setBrush(QColor("#a67c52"))
    painter.drawPolygon(_polygon((2, 28), (12, 10), (18, 19), (23, 13), (30, 28)))
    painter.setBrush(QColor("#7fbf5f"))
    painter.drawPolygon(_polygon((2, 28), (8, 21), (14, 25), (22, 20), (30, 28)))


def _draw_points(painter: QPainter) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    for number, (x, y) in enumerate([(6, 24), (11, 17), (16, 25), (19, 9), (24, 18), (27, 26), (9, 8),
                                     (14, 12), (25, 6), (21, 23)]):
        painter.setBrush(QColor("#2e7d32" if number % 3 else "#a67c52"))
        painter.drawEllipse(QPointF(x, y), 2.6, 2.6)


def _draw_house(painter: QPainter) -> None:
    painter.setPen(QPen(QColor("#5a4a3a"), 1.5))
    painter.setBrush(QColor("#ece4d4"))
    painter.drawRect(7, 15, 18, 14)
    painter.setBrush(QColor("#b4553c"))
    painter.drawPolygon(_polygon((3, 16), (16, 4), (29, 16)))


def _draw_road(painter: QPainter) -> None:
    road = QPen(QColor("#404040"), 9)
    road.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(road)
    painter.drawLine(QPointF(4, 28), QPointF(28, 4))
    dashes = QPen(QColor("#ffffff"), 1.5, Qt.PenStyle.DashLine)
    painter.setPen(dashes)
    painter.drawLine(QPointF(5, 27), QPointF(27, 5))


def _draw_station(painter: QPainter) -> None:
    painter.setPen(QPen(QColor("#5a5a5a"), 2))
    painter.drawLine(QPointF(16, 16), QPointF(16, 30))
    painter.setPen(QPen(QColor("#ffffff"), 2))
    painter.setBrush(QColor("#d62728"))
    painter.drawEllipse(QPointF(16, 11), 8, 8)


def _draw_result(painter: QPainter) -> None:
    painter.setPen(QPen(QColor("#ffffff"), 1))
    shades = ["#deebf7", "#9ecae1", "#4292c6", "#9ecae1", "#4292c6", "#08519c", "#4292c6", "#08519c",
              "#08306b"]
    for number, shade in enumerate(shades):
        painter.setBrush(QColor(shade))
        painter.drawRect(3 + 9 * (number % 3), 3 + 9 * (number // 3), 9, 9)


def _draw_unknown(painter: QPainter) -> None:
    painter.setPen(QPen(QColor("#888888"), 2))
    painter.drawRect(5, 5, 22, 22)


_KIND_DRAWINGS = {"raster": _draw_terrain, "pointcloud": _draw_points, "buildings": _draw_house,
                  "streets": _draw_road, "sensors": _draw_station, "result": _draw_result}


def colour_ramp_icon(name: str, width: int = 64, height: int = 12) -> QIcon:
    """The colour map as a horizontal ramp; an empty icon for a map matplotlib does not know."""
    try:
        colour_map = matplotlib.colormaps[name]
    except KeyError:
        return QIcon()
    ramp = (colour_map(np.linspace(0.0, 1.0, width))[:, :3] * 255).astype(np.uint8)
    rows = np.ascontiguousarray(np.repeat(ramp[np.newaxis], height, axis=0))
    image = QImage(rows.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QIcon(QPixmap.fromImage(image.copy()))


# --- The widget ----------------------------------------------------------------------------------

class LayersPanel(QWidget):
    """The scene's layers as a tree, with visibility, order, removal and the style of the selection.

    `LayersPanel(scene, parent=None)`. Signals: `selection_changed(object)` with the selected
    layer (None for a group or nothing), `zoom_requested(object)` with the layer to look at.
    Keys in the tree: Delete removes (after asking), Ctrl+Up / Ctrl+Down reorder, Space shows or
    hides, Enter (or a double click) zooms to the layer.
    """

    selection_changed = Signal(object)
    zoom_requested = Signal(object)

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self._collapsed: set[str] = set()
        self._reported: Layer | None = None  # the selection last announced by selection_changed
        self._followed: Layer | None = None  # the layer whose style the style area follows
        self._icons = {kind: kind_icon(kind) for kind in _KIND_DRAWINGS}
        self.model = LayerTreeModel(scene, layer_groups, layer_facts, self._icons, self)
        self.tree = self._make_tree()
        self._make_actions()
        self.style_box = self._make_style_box()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._make_buttons())
        layout.addWidget(self.tree, stretch=1)
        layout.addWidget(self.style_box)
        self._follow_model()
        for number in range(self.model.rowCount()):
            self.tree.expand(self.model.group_index(number))
        # Set, even to nothing: otherwise the view makes the first group current on focus, and
        # Remove would offer to remove it without the user having chosen it.
        self.tree.setCurrentIndex(QModelIndex())
        self._update_actions()
        self._sync_style_area()

    # Public actions, also driven by the buttons, the keys and the context menu.

    def selected_layer(self) -> Layer | None:
        return self.model.layer_at(self.tree.currentIndex())

    def select_layer(self, layer: Layer | None) -> None:
        index = self.model.index_of(layer) if layer is not None else QModelIndex()
        self.tree.setCurrentIndex(index)
        if not index.isValid():
            self.tree.clearSelection()

    def index_of(self, layer: Layer) -> QModelIndex:
        """The tree row of a layer (invalid when the layer is not in the scene)."""
        return self.model.index_of(layer)

    def move_selected(self, step: int) -> None:
        """Move the selected layer up (+1, drawn later) or down (-1) within its group."""
        layer = self.selected_layer()
        if layer is None:
            return
        move = group_move(list(self.scene.layers), self.scene.runs, layer, step)
        if move is not None:
            self.scene.layers.move(*move)

    def remove_selected(self) -> None:
        """Remove the selected layer, or all layers of the selected group, after asking."""
        layers = self._selected_layers()
        if not layers or not self.confirm_removal(layers):
            return
        following = self._neighbour_after_removal(layers)
        for layer in layers:
            self.scene.remove_layer(layer.name)
        self.select_layer(following)

    def zoom_to_selected(self) -> None:
        layer = self.selected_layer()
        if layer is not None and has_place(layer):
            self.zoom_requested.emit(layer)

    def confirm_removal(self, layers: list[Layer]) -> bool:
        """Ask before removing; the files stay where they are."""
        if len(layers) == 1:
            question = f"Remove the layer '{layers[0].name}' from the scene?"
        else:
            question = f"Remove these {len(layers)} layers from the scene?"
        box = QMessageBox(QMessageBox.Icon.Question, "Remove layer", question, parent=self)
        box.setInformativeText("Files on disk are not touched; you can open them again.")
        if len(layers) > 1:
            box.setDetailedText("\n".join(layer.name for layer in layers))
        remove = box.addButton("&Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.exec()
        return box.clickedButton() is remove

    # Building the widgets.

    def _make_tree(self) -> QTreeView:
        tree = QTreeView()
        tree.setModel(self.model)
        tree.setHeaderHidden(True)
        tree.setUniformRowHeights(True)  # hundreds of rows lay out without measuring each
        tree.setIconSize(QSize(18, 18))
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.setAccessibleName("Layers")
        tree.customContextMenuRequested.connect(self._show_context_menu)
        tree.selectionModel().currentChanged.connect(self._current_changed)
        tree.doubleClicked.connect(lambda _index: self.zoom_to_selected())
        tree.expanded.connect(lambda index: self._collapsed.discard(index.data(GROUP_ROLE)))
        tree.collapsed.connect(lambda index: self._collapsed.add(index.data(GROUP_ROLE)))
        return tree

    def _make_actions(self) -> None:
        style = self.style()
        self.move_up_action = self._tree_action(
            "Move up", "Up", QKeySequence("Ctrl+Up"), style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp),
            lambda: self.move_selected(+1))
        self.move_down_action = self._tree_action(
            "Move down", "Down", QKeySequence("Ctrl+Down"),
            style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), lambda: self.move_selected(-1))
        self.zoom_action = self._tree_action(
            "Zoom to layer", "Zoom to", QKeySequence(Qt.Key.Key_Return),
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView), self.zoom_to_selected)
        self.remove_action = self._tree_action(
            "Remove...", "Remove", QKeySequence(QKeySequence.StandardKey.Delete),
            style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon), self.remove_selected)

    def _tree_action(self, text: str, button_text: str, keys: QKeySequence, icon: QIcon, slot) -> QAction:
        action = QAction(icon, text, self.tree)
        action.setIconText(button_text)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # Delete in a spin box stays text
        action.setToolTip(f"{text.rstrip('.')} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        self.tree.addAction(action)
        return action

    def _make_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for action in (self.move_up_action, self.move_down_action, self.zoom_action, self.remove_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            row.addWidget(button)
        row.addStretch()
        return row

    def _make_style_box(self) -> QGroupBox:
        box = QGroupBox("Style")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setAccessibleName("Opacity")
        self.opacity_value = QLabel("100 %")
        self.opacity_value.setMinimumWidth(self.opacity_value.fontMetrics().horizontalAdvance("100 %") + 4)
        self.opacity_slider.valueChanged.connect(self._opacity_edited)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(self.opacity_slider, stretch=1)
        opacity_row.addWidget(self.opacity_value)
        form.addRow("Opacity", opacity_row)

        self.color_by_combo = QComboBox()
        _narrow(self.color_by_combo)
        self.color_by_combo.currentIndexChanged.connect(self._color_by_edited)
        form.addRow("Colour by", self.color_by_combo)

        self.colormap_combo = QComboBox()
        self.colormap_combo.setIconSize(QSize(64, 12))
        _narrow(self.colormap_combo)
        for name, use in COLOUR_MAPS.items():
            self._add_colormap(name, use)
        self.colormap_combo.currentIndexChanged.connect(self._colormap_edited)
        form.addRow("Colour map", self.colormap_combo)

        self.auto_range_check = QCheckBox("Auto (the data's range)")
        self.auto_range_check.toggled.connect(self._range_edited)
        form.addRow("Range", self.auto_range_check)
        self.low_spin, self.high_spin = self._range_spin("Low"), self._range_spin("High")
        range_row = QHBoxLayout()
        range_row.addWidget(QLabel("from"))
        range_row.addWidget(self.low_spin, stretch=1)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.high_spin, stretch=1)
        form.addRow("", range_row)
        self.range_message = QLabel()
        self.range_message.setWordWrap(True)
        self.range_message.setStyleSheet("color: #b00020;")
        form.addRow(self.range_message)
        form.setRowVisible(self.range_message, False)
        self._style_form = form
        return box

    def _range_spin(self, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(-1e12, 1e12)
        spin.setMinimumWidth(80)  # the range's widest number would otherwise set the dock's width
        spin.setKeyboardTracking(False)  # apply a typed value on Enter or leaving the box, not per key
        spin.setAccessibleName(f"{name} end of the colour range")
        spin.valueChanged.connect(self._range_edited)
        return spin

    def _add_colormap(self, name: str, use: str) -> None:
        self.colormap_combo.addItem(colour_ramp_icon(name), name, name)
        self.colormap_combo.setItemData(self.colormap_combo.count() - 1, use, Qt.ItemDataRole.ToolTipRole)

    # Following the model and the selected layer.

    def _follow_model(self) -> None:
        model = self.model
        model.rowsInserted.connect(self._rows_inserted)
        # a removed layer must not stay followed or reported: it would keep its data in memory
        model.rowsRemoved.connect(self._current_changed)
        for signal in (model.rowsMoved, model.dataChanged):
            signal.connect(self._update_actions)
        # The scene may outlive the panel; a deleted widget must not be called back.
        self.destroyed.connect(lambda: _disconnect(self))

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        """New groups open unless the user folded a group of that key before."""
        if not parent.isValid():
            for number in range(first, last + 1):
                index = self.model.group_index(number)
                if index.data(GROUP_ROLE) not in self._collapsed:
                    self.tree.expand(index)
        self._update_actions()

    def _follow_selected(self, layer: Layer | None) -> None:
        """Keep the style area in step with the selected layer's style, name, data and opacity."""
        if self._followed is not None:
            _unwatch(self, self._followed)
        self._followed = layer
        if layer is not None:
            for signal, slot in _layer_listeners(self, layer):
                signal.connect(slot)

    # Reacting to the user.

    def _current_changed(self, *_indexes: object) -> None:
        layer = self.selected_layer()
        self._follow_selected(layer)
        self._update_actions()
        self._sync_style_area()
        if layer is not self._reported:
            self._reported = layer
            self.selection_changed.emit(layer)

    def context_menu(self, position: QPoint) -> QMenu | None:
        """The menu for the row at `position` in the tree's viewport (which it selects); None off rows."""
        index = self.tree.indexAt(position)
        if not index.isValid():
            return None
        self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        for action in (self.zoom_action, self.move_up_action, self.move_down_action):
            if action.isEnabled():
                menu.addAction(action)
        self._add_difference_menu(menu, self.selected_layer())
        menu.addSeparator()
        menu.addAction(self.remove_action)
        return menu

    def _add_difference_menu(self, menu: QMenu, layer: Layer | None) -> None:
        """'Difference with' another run of the same simulation, for a run's result layer."""
        run = next((record for record in self.scene.runs if isinstance(layer, ResultLayer)
                    and record.run_id and record.run_id == layer.run_id), None)
        if run is None:
            return
        others = [other for other in reversed(self.scene.runs) if other.run_id != run.run_id
                  and layer.data.name in comparable_results(self.scene, run, other)]
        if not others:
            return
        differences = menu.addMenu(f"Difference of {result_label(layer)} with")
        for other in others:
            action = differences.addAction(f"{run_name(other)} − {run_name(run)}")
            action.triggered.connect(lambda _checked=False, b=other: self._add_difference(run, b, layer))

    def _add_difference(self, run: RunRecord, other: RunRecord, layer: Layer) -> None:
        try:
            self.select_layer(add_difference(self.scene, run, other, layer.data.name))
        except DifferenceError as error:
            QMessageBox.warning(self, "Difference layer", str(error))

    def _show_context_menu(self, position: QPoint) -> None:
        menu = self.context_menu(position)
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(position))
            menu.deleteLater()

    def _update_actions(self, *_event: object) -> None:
        layer = self.selected_layer()
        layers, runs = list(self.scene.layers), self.scene.runs
        for action, step in ((self.move_up_action, +1), (self.move_down_action, -1)):
            action.setEnabled(layer is not None and group_move(layers, runs, layer, step) is not None)
        self.zoom_action.setEnabled(layer is not None and has_place(layer))
        self.remove_action.setEnabled(bool(self._selected_layers()))
        self.remove_action.setText("Remove group..." if layer is None and self._selected_layers()
                                   else "Remove...")

    # The style area.

    def _sync_style_area(self, *_event: object) -> None:
        """Show the selected layer's style; everything disabled while no layer is selected."""
        layer = self.selected_layer()
        self.style_box.setEnabled(layer is not None)
        self.style_box.setTitle(f"Style of '{layer.name}'" if layer else "Style (select a layer)")
        self._show_refusal(None)
        widgets = (self.opacity_slider, self.color_by_combo, self.colormap_combo, self.auto_range_check,
                   self.low_spin, self.high_spin)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self._show_style(layer)
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def _show_style(self, layer: Layer | None) -> None:
        opacity = round(100 * layer.opacity) if layer else 100
        self.opacity_slider.setValue(opacity)
        self.opacity_value.setText(f"{opacity} %")
        self.color_by_combo.clear()
        self.color_by_combo.addItem(DEFAULT_COLOURS, None)
        self.color_by_combo.setItemData(0, "The layer's own colours: building surfaces, LiDAR classes, "
                                           "street condition, terrain height", Qt.ItemDataRole.ToolTipRole)
        attributes = layer.color_attributes() if layer else []
        for attribute in attributes:
            self.color_by_combo.addItem(layer.attribute_label(attribute), attribute)
        color_by = layer.color_by if layer else None
        self.color_by_combo.setCurrentIndex(max(self.color_by_combo.findData(color_by), 0))
        if layer is not None and self.colormap_combo.findData(layer.colormap) < 0:
            self._add_colormap(layer.colormap, "from the project")
        self.colormap_combo.setCurrentIndex(max(self.colormap_combo.findData(layer.colormap if layer
                                                                             else "viridis"), 0))
        self._show_range(layer)

    def _show_range(self, layer: Layer | None) -> None:
        coloured = layer is not None and layer.color_by is not None
        self.colormap_combo.setEnabled(coloured)
        self.auto_range_check.setEnabled(coloured)
        self.auto_range_check.setChecked(not coloured or layer.color_range is None)
        data_range = layer.value_range(layer.color_by) if coloured else None
        shown = (layer.color_range if coloured and layer.color_range else data_range) or (0.0, 1.0)
        unit = layer.attribute_unit(layer.color_by) if coloured else ""
        decimals, step = _spin_precision(shown)
        for spin, value in ((self.low_spin, shown[0]), (self.high_spin, shown[1])):
            spin.setDecimals(decimals)
            spin.setSingleStep(step)
            spin.setSuffix(f" {unit}" if unit else "")
            spin.setValue(value)
            spin.setEnabled(coloured and layer.color_range is not None)

    def _sync_opacity(self, *_event: object) -> None:
        layer = self.selected_layer()
        if layer is not None:
            self.opacity_slider.blockSignals(True)
            self.opacity_slider.setValue(round(100 * layer.opacity))
            self.opacity_slider.blockSignals(False)
            self.opacity_value.setText(f"{self.opacity_slider.value()} %")

    def _opacity_edited(self, value: int) -> None:
        self.opacity_value.setText(f"{value} %")
        layer = self.selected_layer()
        if layer is not None:
            layer.opacity = value / 100

    def _color_by_edited(self) -> None:
        layer = self.selected_layer()
        if layer is not None:  # a new attribute starts on its own data range
            self._apply_style(layer, self.color_by_combo.currentData(), layer.colormap, None)

    def _colormap_edited(self) -> None:
        layer = self.selected_layer()
        if layer is not None:
            self._apply_style(layer, layer.color_by, self.colormap_combo.currentData(), layer.color_range)

    def _range_edited(self, *_value: object) -> None:
        layer = self.selected_layer()
        if layer is None or layer.color_by is None:
            return
        automatic = self.auto_range_check.isChecked()
        self.low_spin.setEnabled(not automatic)
        self.high_spin.setEnabled(not automatic)
        if automatic:
            self._apply_style(layer, layer.color_by, layer.colormap, None)
            return
        low, high = self.low_spin.value(), self.high_spin.value()
        if not low < high:
            kept = layer.color_range or layer.value_range(layer.color_by)
            keeps = f"{kept[0]:g} to {kept[1]:g}" if kept else "its range"
            self._show_refusal(f"Not applied: the low end ({low:g}) must be below the high end ({high:g}). "
                         f"The layer keeps {keeps}.")
            return
        self._apply_style(layer, layer.color_by, layer.colormap, (low, high))

    def _apply_style(self, layer: Layer, color_by: str | None, colormap: str,
                     color_range: tuple[float, float] | None) -> None:
        try:
            layer.set_style(color_by, colormap, color_range)  # the style event redraws this area
        except ValueError as error:
            self._show_refusal(f"Not applied: {error}.")

    def _show_refusal(self, message: str | None) -> None:
        """Say under the style why an edit was not applied; None clears the message."""
        self.range_message.setText(message or "")
        self._style_form.setRowVisible(self.range_message, message is not None)

    # Helpers.

    def _selected_layers(self) -> list[Layer]:
        return self.model.layers_at(self.tree.currentIndex())

    def _neighbour_after_removal(self, removed: list[Layer]) -> Layer | None:
        """The row to select once `removed` are gone: the next one down the tree, else the one above."""
        order = self.model.layers_in_tree_order()
        positions = [number for number, layer in enumerate(order) if any(layer is gone for gone in removed)]
        remaining = [layer for layer in order if all(layer is not gone for gone in removed)]
        if not remaining:
            return None
        return remaining[min(positions[0], len(remaining) - 1)]


def _spin_precision(shown: tuple[float, float]) -> tuple[int, float]:
    """Decimals and arrow step for range boxes: about three significant digits of the span."""
    span = abs(shown[1] - shown[0]) or 1.0
    magnitude = math.floor(math.log10(span))
    return min(max(2 - magnitude, 0), 6), 10.0 ** (magnitude - 1)


def _layer_listeners(panel: LayersPanel, layer: Layer) -> list[tuple[object, object]]:
    """Which of the selected layer's events update which part of the style area."""
    events = layer.events
    return [(events.name, panel._sync_style_area), (events.style, panel._sync_style_area),
            (events.data, panel._sync_style_area), (events.opacity, panel._sync_opacity)]


def _unwatch(panel: LayersPanel, layer: Layer) -> None:
    for signal, slot in _layer_listeners(panel, layer):
        signal.disconnect(slot)


def _disconnect(panel: LayersPanel) -> None:
    panel.model.close()
    if panel._followed is not None:
        _unwatch(panel, panel._followed)


def _narrow(combo: QComboBox) -> None:
    """Let a combo box shrink with the dock instead of widening it to its longest entry."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
