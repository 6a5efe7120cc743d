"""The main window: the 3D view in the centre, the layers dock on the left, a status bar."""

from __future__ import annotations

from collections.abc import Callable

import pyvista as pv
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QListWidget, QListWidgetItem, QMainWindow, QWidget

from twin.core.layers import Layer
from twin.core.project import Camera
from twin.core.scene import Scene
from twin.render import SceneView

ViewFactory = Callable[[QWidget | None], tuple[QWidget, pv.BasePlotter]]


class MainWindow(QMainWindow):
    def __init__(self, scene: Scene, make_view: ViewFactory, camera: Camera | None = None,
                 problems: list[str] | None = None) -> None:
        super().__init__()
        self.scene = scene
        self.setWindowTitle("Dresden urban twin")
        self.resize(1280, 800)
        self.view_widget, plotter = make_view(self)
        self.setCentralWidget(self.view_widget)
        self.scene_view = SceneView(scene, plotter)
        self.layers_list = QListWidget()
        self.layers_list.itemChanged.connect(self._item_changed)
        dock = QDockWidget("Layers", self)
        dock.setObjectName("layers")
        dock.setWidget(self.layers_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        for signal in (scene.layers.events.inserted, scene.layers.events.removed,
                       scene.layers.events.moved, scene.layers.events.reordered):
            signal.connect(self._fill_layers)
        scene.events.quarters.connect(self._update_status)
        self._fill_layers()
        self.scene_view.set_camera(camera)
        self.refresh_view()
        if problems:
            self.statusBar().showMessage(f"{len(problems)} part(s) of the project did not open: "
                                         f"{problems[0]}", 30_000)

    def refresh_view(self) -> None:
        refresh = getattr(self.view_widget, "refresh", None)
        if refresh:
            refresh()
        else:
            self.scene_view.plotter.render()

    def _fill_layers(self, *args: object) -> None:
        self.layers_list.blockSignals(True)
        self.layers_list.clear()
        for layer in reversed(self.scene.layers):  # top of the list is drawn last, as in GIS
            item = QListWidgetItem(f"{layer.name}  ({layer.kind})")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, layer.name)
            self.layers_list.addItem(item)
        self.layers_list.blockSignals(False)
        self._update_status()

    def _item_changed(self, item: QListWidgetItem) -> None:
        layer: Layer = self.scene.layer(item.data(Qt.ItemDataRole.UserRole))
        layer.visible = item.checkState() == Qt.CheckState.Checked
        self.refresh_view()

    def _update_status(self) -> None:
        quarters = ", ".join(quarter.name for quarter in self.scene.quarters) or "none"
        self.statusBar().showMessage(f"{self.scene.crs}   layers: {len(self.scene.layers)}   "
                                     f"quarters: {quarters}")
