"""A Qt item model over a scene's layers, grouped by kind and by simulation run.

As napari's `_qt/containers/qt_layer_model.py`: the model follows the scene's list events and
changes only the rows that changed (an added layer is one inserted row, a moved one one moved
row), so views keep their selection, scroll position and folded groups. Each event brings the
rows to the grouping `layer_groups` computes, with the fewest inserts, moves and removals.

Two levels: groups at the top (a kind, or a run), their layers below, top of the drawing order
first. Rows are checkable: a layer's box is its visibility, a group's box shows whether all,
none or some of its layers are visible.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon

from twin.core.layers import Layer
from twin.core.scene import RunRecord, Scene

LAYER_ROLE = Qt.ItemDataRole.UserRole
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1
ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(eq=False)
class GroupRow:
    """A top-level row: a group's key, title and kind, and its layers top first."""

    key: str
    title: str
    kind: str
    layers: list[Layer] = field(default_factory=list)


# The groups of (layers, runs) in tree order: objects with key, title, kind and layers top first.
Grouping = Callable[[Sequence[Layer], Sequence[RunRecord]], list[Any]]


class LayerTreeModel(QAbstractItemModel):
    """The scene's layers as a two-level tree that follows the scene's events in place.

    `grouping(layers, runs)` gives the groups in tree order (objects with key, title, kind and
    layers); `facts(layer)` the lines of a layer's tooltip; `icons` an icon per layer kind.
    """

    def __init__(self, scene: Scene, grouping: Grouping, facts: Callable[[Layer], list[str]],
                 icons: dict[str, QIcon], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene, self._grouping, self._facts, self._icons = scene, grouping, facts, icons
        self.groups: list[GroupRow] = []
        self._watched: dict[int, Layer] = {}
        self._row_listeners: dict[int, list[tuple[Any, Callable[..., None]]]] = {}
        self.sync()
        events = scene.layers.events
        self._scene_listeners = [(events.inserted, self.sync), (events.removed, self.sync),
                                 (events.reordered, self.sync), (scene.events.runs, self.sync)]
        for signal, slot in self._scene_listeners:
            signal.connect(slot)

    def close(self) -> None:
        """Stop following the scene and its layers (the scene may outlive the panel)."""
        for signal, slot in self._scene_listeners:
            signal.disconnect(slot)
        for layer in list(self._watched.values()):
            self._unwatch(layer)
        self._watched.clear()

    # -- looking up rows ----------------------------------------------------------------------

    def layer_at(self, index: ModelIndex) -> Layer | None:
        group = self._parent_group(index)
        return group.layers[index.row()] if group is not None and index.isValid() else None

    def group_at(self, index: ModelIndex) -> GroupRow | None:
        if not index.isValid() or self._parent_group(index) is not None:
            return None
        return self.groups[index.row()]

    def layers_at(self, index: ModelIndex) -> list[Layer]:
        """The layer of a layer row, or every layer of a group row."""
        layer = self.layer_at(index)
        if layer is not None:
            return [layer]
        group = self.group_at(index)
        return list(group.layers) if group is not None else []

    def index_of(self, layer: Layer) -> QModelIndex:
        for group in self.groups:
            for row, member in enumerate(group.layers):
                if member is layer:
                    return self.createIndex(row, 0, group)
        return QModelIndex()

    def group_index(self, number: int) -> QModelIndex:
        return self.createIndex(number, 0, None)

    def layers_in_tree_order(self) -> list[Layer]:
        return [layer for group in self.groups for layer in group.layers]

    # -- QAbstractItemModel -------------------------------------------------------------------

    def index(self, row: int, column: int = 0, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, None) if row < len(self.groups) else QModelIndex()
        group = self.group_at(parent)
        if group is None or row >= len(group.layers):
            return QModelIndex()
        return self.createIndex(row, 0, group)

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        group = self._parent_group(index)
        if group is None:
            return QModelIndex()
        return self.createIndex(self._group_number(group), 0, None)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if not parent.isValid():
            return len(self.groups)
        group = self.group_at(parent)
        return len(group.layers) if group is not None else 0

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 1

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
        return flags | Qt.ItemFlag.ItemNeverHasChildren if self.layer_at(index) is not None else flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        layer = self.layer_at(index)
        if layer is not None:
            return self._layer_data(layer, role)
        group = self.group_at(index)
        return self._group_data(group, role) if group is not None else None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Ticking a row shows its layers, unticking hides them.

        A group with some layers shown and some hidden hides them all on a click: the box then
        reads unticked, and the next click shows them all. (Showing all the results of a run at
        once would draw them over each other, which is seldom what the click meant.)
        """
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        layers = self.layers_at(index)
        if not layers:
            return False
        state = Qt.CheckState(value)
        if len(layers) > 1 and self._check_state(layers) == Qt.CheckState.PartiallyChecked:
            state = Qt.CheckState.Unchecked
        for layer in layers:
            layer.visible = state == Qt.CheckState.Checked  # each layer's event updates its row
        return True

    # -- following the scene ------------------------------------------------------------------

    def sync(self, *_event: object) -> None:
        """Bring the rows to the scene's grouping with the fewest removals, moves and inserts."""
        target = [GroupRow(group.key, group.title, group.kind, list(group.layers))
                  for group in self._grouping(list(self.scene.layers), self.scene.runs)]
        wanted = {group.key: group for group in target}
        for number in reversed(range(len(self.groups))):
            if self.groups[number].key not in wanted:
                self.beginRemoveRows(QModelIndex(), number, number)
                del self.groups[number]
                self.endRemoveRows()
        for group in self.groups:
            self._remove_layers_not_in(group, wanted[group.key].layers)
        self._arrange_groups(target)
        for group, goal in zip(self.groups, target, strict=True):
            self._arrange_layers(group, goal.layers)
            if group.title != goal.title:
                group.title = goal.title
        if self.groups:
            self.dataChanged.emit(self.group_index(0), self.group_index(len(self.groups) - 1))
        self._watch(self.scene.layers)

    def _remove_layers_not_in(self, group: GroupRow, kept: list[Layer]) -> None:
        kept_ids = {id(layer) for layer in kept}
        parent = self.group_index(self._group_number(group))
        for row in reversed(range(len(group.layers))):
            if id(group.layers[row]) not in kept_ids:
                self.beginRemoveRows(parent, row, row)
                del group.layers[row]
                self.endRemoveRows()

    def _arrange_groups(self, target: list[GroupRow]) -> None:
        for number, goal in enumerate(target):
            if number < len(self.groups) and self.groups[number].key == goal.key:
                continue
            later = range(number + 1, len(self.groups))
            found = next((at for at in later if self.groups[at].key == goal.key), None)
            if found is None:
                self.beginInsertRows(QModelIndex(), number, number)
                self.groups.insert(number, GroupRow(goal.key, goal.title, goal.kind, list(goal.layers)))
                self.endInsertRows()
            else:
                self.beginMoveRows(QModelIndex(), found, found, QModelIndex(), number)
                self.groups.insert(number, self.groups.pop(found))
                self.endMoveRows()

    def _arrange_layers(self, group: GroupRow, target: list[Layer]) -> None:
        parent = self.group_index(self._group_number(group))
        for row, layer in enumerate(target):
            if row < len(group.layers) and group.layers[row] is layer:
                continue
            found = next((at for at in range(row + 1, len(group.layers)) if group.layers[at] is layer), None)
            if found is None:
                self.beginInsertRows(parent, row, row)
                group.layers.insert(row, layer)
                self.endInsertRows()
            else:
                self.beginMoveRows(parent, found, found, parent, row)
                group.layers.insert(row, group.layers.pop(found))
                self.endMoveRows()

    def _watch(self, layers: Sequence[Layer]) -> None:
        """Follow the name, visibility and data of the scene's layers, and of no others."""
        current = {id(layer): layer for layer in layers}
        for key in [key for key in self._watched if key not in current]:
            self._unwatch(self._watched.pop(key))
        for key, layer in current.items():
            if key not in self._watched:
                self._watched[key] = layer
                self._row_listeners[key] = [(signal, self._row_updater(layer)) for signal in
                                            (layer.events.name, layer.events.visible, layer.events.data)]
                for signal, slot in self._row_listeners[key]:
                    signal.connect(slot)

    def _unwatch(self, layer: Layer) -> None:
        for signal, slot in self._row_listeners.pop(id(layer), []):
            signal.disconnect(slot)

    def _row_updater(self, layer: Layer) -> Callable[..., None]:
        def update(*_event: object) -> None:
            index = self.index_of(layer)
            if index.isValid():
                self.dataChanged.emit(index, index)
                parent = index.parent()  # the group's tick and title
                self.dataChanged.emit(parent, parent)
        return update

    # -- what the rows show -------------------------------------------------------------------

    def _layer_data(self, layer: Layer, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return layer.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(layer.kind, QIcon())
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = "<br>".join(html.escape(line) for line in self._facts(layer))
            return f"<b>{html.escape(layer.name)}</b><br>{lines}"
        if role == LAYER_ROLE:
            return layer
        return None

    def _group_data(self, group: GroupRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{group.title}  ({len(group.layers)})"
        if role == Qt.ItemDataRole.CheckStateRole:
            return self._check_state(group.layers)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(group.kind, QIcon())
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{group.title}: show or hide all {len(group.layers)} at once "
                    "(a group with some shown hides them all first)")
        if role == GROUP_ROLE:
            return group.key
        return None

    @staticmethod
    def _check_state(layers: Sequence[Layer]) -> Qt.CheckState:
        shown = sum(layer.visible for layer in layers)
        if shown == len(layers):
            return Qt.CheckState.Checked
        return Qt.CheckState.Unchecked if shown == 0 else Qt.CheckState.PartiallyChecked

    def _parent_group(self, index: ModelIndex) -> GroupRow | None:
        """The group a layer row belongs to; None for a group row or an invalid index."""
        if not index.isValid():
            return None
        return index.internalPointer()

    def _group_number(self, group: GroupRow) -> int:
        return next(number for number, other in enumerate(self.groups) if other is group)
