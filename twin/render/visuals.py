"""One visual per layer: the actor and mesh that draw it, kept in step with the layer's events.

As napari's `_vispy/layers`: a `LayerVisual` connects to its layer's events when it is made and
disconnects in `close()`; its class comes from a table by the layer's data type. The visual also
answers for its own picks (which feature a picked cell belongs to) and keeps the cell locator that
makes picking in big meshes quick. What several layers share (the origin, the terrain, legends,
the render) stays with the `SceneView` the visual draws into.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv
import vtk

from twin.core.data import (
    BuildingData,
    PointCloudData,
    RasterData,
    ResultRaster,
    ResultTable,
    SensorData,
    StreetData,
)
from twin.core.layers import Layer
from twin.render.colouring import Colouring, colouring_for, result_attribute
from twin.render.meshes import mesh_for_layer, result_values
from twin.render.picking import Pick, element_feature, grid_cell
from twin.render.results import FEATURE_ARRAYS, feature_values, paint, rows_of_features, target_of

if TYPE_CHECKING:
    from twin.render.scene_view import SceneView

THIN_KINDS = ("streets", "sensors")
PLAIN_COLOURS = {"buildings": "#d9cbb8", "streets": "#404040", "sensors": "#d62728"}
# How each kind of geometry is drawn; a result drawn on a layer's features uses that layer's kind.
_GEOMETRY_STYLES: dict[str, dict[str, Any]] = {
    "pointcloud": {"point_size": 2, "render_points_as_spheres": False},
    "streets": {"line_width": 5},
    "sensors": {"point_size": 12, "render_points_as_spheres": True},
    "buildings": {"smooth_shading": False, "specular": 0.1},
}
# A result drawn a little wider covers the street or station below it.
_WIDER_ON_TARGET: dict[str, dict[str, Any]] = {"streets": {"line_width": 7},
                                               "sensors": {"point_size": 15}}


class LayerVisual:
    """Draws one layer into a SceneView's plotter and follows the layer's events until `close()`."""

    def __init__(self, layer: Layer, view: SceneView) -> None:
        self.layer, self.view = layer, view
        self.actor: Any = None
        self.mesh: pv.PolyData | None = None
        self.colouring: Colouring | None = None
        self._locator: Any = None
        events = layer.events
        self._listeners = [
            (events.visible, self._visibility_changed),
            (events.opacity, self._opacity_changed),
            (events.data, self.redraw),
            (events.style, self.redraw),
            (events.name, view.refresh_results),  # a table's target may be the renamed layer
            (events.time_index, self._step_changed),
        ]
        for signal, listener in self._listeners:
            signal.connect(listener)

    def close(self) -> None:
        """Stop following the layer and take the drawing out of the view."""
        for signal, listener in self._listeners:
            signal.disconnect(listener)
        self._listeners = []  # its bound methods hold the visual: freed now, not by a later gc
        self.undraw()

    # -- drawing ------------------------------------------------------------------------------

    def draw(self) -> None:
        mesh = self.make_mesh()
        if mesh is None or mesh.n_points == 0:
            return
        self.colouring = colouring_for(self.layer, mesh, self.view.terrain_range())
        self.actor = self.view.plotter.add_mesh(mesh, name=f"layer-{id(self.layer)}", reset_camera=False,
                                                **self.style())
        self.actor.SetVisibility(self.layer.visible)
        self.mesh = mesh
        look = getattr(self.view, "look", None)  # a presentation look restyles plain layers
        if look is not None:
            look.restyle(self)

    def undraw(self) -> None:
        highlighted = self.view.highlighted
        if highlighted is not None and highlighted.layer is self.layer:
            self.view.highlight(None)
        if self.actor is not None:
            self.view.plotter.remove_actor(self.actor)
        _forget_last_added(self.view.plotter, self.mesh)
        self.actor = self.mesh = self.colouring = self._locator = None

    def redraw(self) -> None:
        self.undraw()
        self.draw()
        self.view.layer_changed()

    def make_mesh(self) -> pv.PolyData | None:
        return mesh_for_layer(self.layer, self.view.origin, self.view.ground())

    def style(self) -> dict[str, Any]:
        """Keyword arguments of `add_mesh`: opacity, colouring or plain colour, the geometry's look."""
        style: dict[str, Any] = {"opacity": self.layer.opacity, "show_scalar_bar": False}
        if self.colouring is not None:
            style.update(self.colouring.mesh_style())
        else:
            style.update(color=PLAIN_COLOURS.get(self.layer.kind, "#888888"))
        return style | _GEOMETRY_STYLES.get(self.layer.kind, {})

    @property
    def drawn(self) -> bool:
        return self.actor is not None

    @property
    def overlay(self) -> bool:
        """True for a visual drawn over other geometry in the same place (results on their target)."""
        return False

    @property
    def thin(self) -> bool:
        """True for lines and stations: a pick a few pixels beside them still finds them."""
        return self.layer.kind in THIN_KINDS

    # -- picking ------------------------------------------------------------------------------

    def locator(self) -> Any:
        """A cell locator for the drawn mesh, built on first use: picks in big meshes stay quick."""
        if self._locator is None:
            self._locator = vtk.vtkStaticCellLocator()
            self._locator.SetDataSet(self.mesh)
            self._locator.BuildLocator()
        return self._locator

    def pick(self, cell_id: int, position: tuple[float, float, float]) -> Pick | None:
        """The feature a picked cell of this visual's mesh belongs to."""
        return Pick(self.layer, element_feature(self.mesh, self.layer.kind, cell_id), position)

    def feature_of(self, pick: Pick) -> tuple[str, int | None, tuple[int, int] | None]:
        """(kind of geometry, feature in the drawn mesh, grid cell) of a pick on this visual."""
        return self.layer.kind, int(pick.index), None

    # -- following the layer ------------------------------------------------------------------

    def _visibility_changed(self, visible: bool) -> None:
        if self.actor is not None:
            self.actor.SetVisibility(visible)
        highlighted = self.view.highlighted
        if not visible and highlighted is not None and highlighted.layer is self.layer:
            self.view.highlight(None)
        self.view.layer_changed()

    def _opacity_changed(self, opacity: float) -> None:
        if self.actor is not None:
            self.actor.GetProperty().SetOpacity(opacity)
        self.view.request_render()

    def _step_changed(self, _index: int) -> None:
        if self.mesh is not None:
            self.show_step()
            self.colouring = colouring_for(self.layer, self.mesh, self.view.terrain_range())
            self.view.layer_changed()

    def show_step(self) -> None:
        """Refill the drawn values for the layer's time step (layers over time only)."""


class RasterVisual(LayerVisual):
    """A terrain grid; a pick is a grid cell."""

    def pick(self, cell_id: int, position: tuple[float, float, float]) -> Pick | None:
        cell = grid_cell(self.layer.data, position[0], position[1])
        return None if cell is None else Pick(self.layer, cell, position)

    def feature_of(self, pick: Pick) -> tuple[str, int | None, tuple[int, int] | None]:
        return self.layer.kind, None, pick.index


class ResultGridVisual(RasterVisual):
    """A simulated grid floating over the terrain; its time steps change colours in place."""

    @property
    def overlay(self) -> bool:
        return True

    def make_mesh(self) -> pv.PolyData | None:
        """The sheet at the step the layer shows, not the first: a result opened or copied at a
        later step is drawn there at once."""
        mesh = super().make_mesh()
        if mesh is not None and mesh.n_points:
            mesh.point_data["values"][:] = result_values(self.layer.data, mesh.point_data["cell"],
                                                         self.layer.time_index)
        return mesh

    def show_step(self) -> None:
        cells = self.mesh.point_data["cell"]
        self.mesh.point_data["values"][:] = result_values(self.layer.data, cells, self.layer.time_index)


class ResultTableVisual(LayerVisual):
    """Values per feature of another layer, drawn on a copy of that layer's geometry.

    `target` is the layer drawn on and `rows` the table row of each of its features (-1: none);
    both are None while the scene has no layer the table can be joined to.
    """

    def __init__(self, layer: Layer, view: SceneView) -> None:
        super().__init__(layer, view)
        self.target: Layer | None = None
        self.rows: np.ndarray | None = None

    @property
    def overlay(self) -> bool:
        return True

    def undraw(self) -> None:
        super().undraw()
        self.target = self.rows = None

    @property
    def thin(self) -> bool:
        return self.target is not None and self.target.kind in THIN_KINDS

    def make_mesh(self) -> pv.PolyData | None:
        target = target_of(self.layer, list(self.view.scene.layers))
        rows = None if target is None else rows_of_features(self.layer.data, target.data.ids)
        if rows is None:
            return None
        mesh = mesh_for_layer(target, self.view.origin, self.view.ground())
        ids = FEATURE_ARRAYS[target.kind]
        feature_ids = mesh[ids]
        mesh.clear_data()  # the target's own attributes stay with the target's mesh
        (mesh.cell_data if len(feature_ids) == mesh.n_cells else mesh.point_data)[ids] = feature_ids
        self.target, self.rows = target, rows
        attribute = result_attribute(self.layer)
        if attribute is not None:
            paint(mesh, target.kind, feature_values(self.layer, attribute, rows), attribute)
        return mesh

    def style(self) -> dict[str, Any]:
        kind = self.target.kind
        return {**super().style(), **_GEOMETRY_STYLES.get(kind, {}), **_WIDER_ON_TARGET.get(kind, {})}

    def is_stale(self) -> bool:
        """True when the layer to draw on has come, gone or changed since this was drawn."""
        target = target_of(self.layer, list(self.view.scene.layers))
        if target is not self.target:
            return True
        target_visual = self.view.visual_of(target) if target is not None else None
        return target_visual is not None and not target_visual.drawn

    def show_step(self) -> None:
        attribute = result_attribute(self.layer)
        paint(self.mesh, self.target.kind, feature_values(self.layer, attribute, self.rows), attribute)

    def pick(self, cell_id: int, position: tuple[float, float, float]) -> Pick | None:
        feature = element_feature(self.mesh, self.target.kind, cell_id)
        row = int(self.rows[feature])
        # A feature the table says nothing about is a pick of the feature itself.
        return Pick(self.layer, row, position, feature) if row >= 0 else Pick(self.target, feature, position)

    def feature_of(self, pick: Pick) -> tuple[str, int | None, tuple[int, int] | None]:
        return self.target.kind, pick.feature, None


# The visual class for each kind of data a layer holds.
VISUAL_TYPES: dict[type, type[LayerVisual]] = {
    PointCloudData: LayerVisual,
    BuildingData: LayerVisual,
    StreetData: LayerVisual,
    SensorData: LayerVisual,
    RasterData: RasterVisual,
    ResultRaster: ResultGridVisual,
    ResultTable: ResultTableVisual,
}


def visual_for(layer: Layer, view: SceneView) -> LayerVisual:
    """A new visual of the class drawing this layer's data (plain features for data it does not know)."""
    return VISUAL_TYPES.get(type(layer.data), LayerVisual)(layer, view)


def _forget_last_added(plotter: pv.BasePlotter, mesh: pv.PolyData | None) -> None:
    """pyvista keeps the last mesh added, and its mapper, as `plotter.mesh` and `plotter.mapper`
    (for its legacy API): a removed point cloud's arrays would stay in memory until the next add."""
    if mesh is not None and getattr(plotter, "mesh", None) is mesh:
        plotter.mesh = None
        plotter.mapper = None
