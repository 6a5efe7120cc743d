"""Keeps a pyvista plotter in step with a Scene: one actor per layer, updated by events.

Works with any pyvista plotter: an off-screen `pv.Plotter` (tests, screenshots) or the Qt
shell's interactor. The view subscribes to the model; the model never calls the view.
Result tables are drawn on the buildings, streets or stations they describe; results over
time change their colours in place when the layer's time step changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
import vtk

from twin.core.data import ResultRaster, ResultTable
from twin.core.layers import Layer
from twin.core.project import Camera
from twin.core.scene import Scene
from twin.render.colouring import Colouring, colouring_for, result_attribute
from twin.render.legends import Legends
from twin.render.meshes import Ground, Origin, mesh_for_layer, quarter_outlines, result_values
from twin.render.overlays import Orientation
from twin.render.picking import Pick, element_feature, grid_cell, outline
from twin.render.results import FEATURE_ARRAYS, feature_values, paint, rows_of_features, target_of

_COLORS = {"buildings": "#d9cbb8", "streets": "#404040", "sensors": "#d62728",
           "quarters": "#ff7f0e"}
HIGHLIGHT_COLOUR = "#ff00d4"  # magenta: no layer's palette uses it
PICK_TOLERANCE = 0.004  # of the window diagonal: thin lines and small points can be hit
# The oblique view from the south-west: Dresden's quarters lie along the Elbe from north-west to
# south-east; seen from the south-west they spread across the width of the window, not its depth.
VIEW_DIRECTION = np.array([-0.55, -0.65, 0.75])


class SceneView:
    """The 3D picture of a scene in a pyvista plotter."""

    def __init__(self, scene: Scene, plotter: pv.BasePlotter) -> None:
        self.scene, self.plotter = scene, plotter
        self.origin: Origin = (0.0, 0.0, 0.0)
        self._actors: dict[int, Any] = {}
        self._meshes: dict[int, pv.PolyData] = {}
        self._colourings: dict[int, Colouring | None] = {}
        # result table: (the layer it is drawn on, the table row of each of that layer's features)
        self._joins: dict[int, tuple[Layer, np.ndarray]] = {}
        self._listeners: dict[int, list[tuple[Any, Any]]] = {}
        self._locators: dict[int, Any] = {}
        # the terrain grids the range was computed from (held, so their ids stay theirs), and the range
        self._terrain_range_of: tuple[list[np.ndarray], tuple[float, float]] = ([], (0.0, 0.0))
        self._quarters_actor: Any = None
        self._highlight_actor: Any = None
        self.highlighted: Pick | None = None
        plotter.set_background("#eef2f5", top="#b8c8d8")
        self.legends = Legends(plotter)
        self.legends_shown = True
        self.orientation = Orientation(plotter)
        for layer in scene.layers:
            self._connect(layer)
            self._draw(layer)
        self._draw_quarters()
        self._update_legends()
        scene.layers.events.inserted.connect(lambda index, layer: self._inserted(layer))
        scene.layers.events.removed.connect(lambda index, layer: self._removed(layer))
        scene.events.quarters.connect(self._draw_quarters)
        plotter.render_window.AddObserver("StartEvent", self._before_render)

    # -- camera -------------------------------------------------------------------------------

    def reset_camera(self) -> None:
        """Look at the whole scene from the south-west, tilted like an oblique aerial photo."""
        bounds = self.scene.bounds
        if bounds is None:
            self.plotter.reset_camera()
            return
        self.zoom_to(bounds)

    def zoom_to(self, bounds: tuple[float, float, float, float]) -> None:
        """Fit the map extent (minx, miny, maxx, maxy) into the view, seen from the south-west."""
        minx, miny, maxx, maxy = (bounds[0] - self.origin[0], bounds[1] - self.origin[1],
                                  bounds[2] - self.origin[0], bounds[3] - self.origin[1])
        low, high = (height - self.origin[2] for height in self._terrain_range())
        centre = np.array([(minx + maxx) / 2, (miny + maxy) / 2, low])
        corners = np.array([(x, y, z) for x in (minx, maxx) for y in (miny, maxy)
                            for z in (low, max(high, low + 1.0))])
        direction = VIEW_DIRECTION / np.linalg.norm(VIEW_DIRECTION)
        distance = max(self._fitting_distance(corners - centre, direction), 50.0)
        camera = self.plotter.camera
        camera.focal_point = centre
        camera.position = centre + direction * distance
        camera.up = (0.0, 0.0, 1.0)
        self.plotter.reset_camera_clipping_range()
        self.plotter.render()

    def _fitting_distance(self, offsets: np.ndarray, direction: np.ndarray, margin: float = 1.06) -> float:
        """The camera distance along `direction` at which every offset (from the focal point) is in view.

        A point at offset r is seen at depth d - r.direction; it fits when its sideways and upward
        parts are within tan(half the field of view) of that depth, for the view's aspect ratio.
        """
        right = np.cross(-direction, (0.0, 0.0, 1.0))
        right /= np.linalg.norm(right)
        up = np.cross(right, -direction)
        width, height = self.plotter.window_size
        tan_up = np.tan(np.radians(self.plotter.camera.view_angle) / 2.0)
        tan_across = tan_up * width / max(height, 1)
        depth = offsets @ direction
        needed = np.maximum(np.abs(offsets @ right) / tan_across, np.abs(offsets @ up) / tan_up)
        return float((depth + margin * needed).max())

    def set_camera(self, camera: Camera | None) -> None:
        """Look from a saved camera (map coordinates); None gives the default oblique view."""
        if camera is None:
            self.reset_camera()
            return
        origin = np.asarray(self.origin)
        self.plotter.camera.position = np.asarray(camera.position) - origin
        self.plotter.camera.focal_point = np.asarray(camera.focal_point) - origin
        self.plotter.camera.up = camera.view_up
        self.plotter.reset_camera_clipping_range()
        self.plotter.render()

    def camera(self) -> Camera:
        """The current camera in map coordinates, to save with a project."""
        origin = np.asarray(self.origin)
        state = self.plotter.camera
        return Camera(tuple((np.asarray(state.position) + origin).tolist()),
                      tuple((np.asarray(state.focal_point) + origin).tolist()),
                      tuple(float(value) for value in state.up))

    def set_eye_dome_lighting(self, on: bool) -> None:
        """Eye-dome lighting shades point clouds by depth so their shapes read without normals."""
        if on and not self.eye_dome_lighting:
            self.plotter.enable_eye_dome_lighting()
        elif not on and self.eye_dome_lighting:
            self.plotter.disable_eye_dome_lighting()
        self.plotter.render()

    @property
    def eye_dome_lighting(self) -> bool:
        return getattr(self.plotter.renderer._render_passes, "_edl_pass", None) is not None

    def set_legends_shown(self, on: bool) -> None:
        """Legends on or off: off gives the scene the whole view, for presenting it."""
        self.legends_shown = on
        self._update_legends()
        self.plotter.render()

    # -- picking ------------------------------------------------------------------------------

    def pick(self, x: int, y: int) -> Pick | None:
        """The feature under a pixel of the view (origin top-left, as Qt counts), or None.

        Only visible layers are hit. `x`, `y` are render-window pixels: multiply Qt's logical
        coordinates by the widget's devicePixelRatioF() on high-DPI screens.
        """
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(PICK_TOLERANCE)
        picker.PickFromListOn()
        drawn = [layer for layer in self.scene.layers if id(layer) in self._actors and layer.visible]
        for layer in drawn:
            picker.AddPickList(self._actors[id(layer)])
            picker.AddLocator(self._locator(layer))
        height = self.plotter.render_window.GetSize()[1]
        if not picker.Pick(x, height - 1 - y, 0.0, self.plotter.renderer):
            return None
        layer = next(layer for layer in drawn if self._actors[id(layer)] is picker.GetActor())
        position = tuple(float(value) for value in np.asarray(picker.GetPickPosition()) + self.origin)
        return self._pick_of(layer, picker.GetCellId(), position)

    def highlight(self, pick: Pick | None) -> None:
        """Outline a picked feature in magenta; None clears the outline."""
        if self._highlight_actor is not None:
            self.plotter.remove_actor(self._highlight_actor)
            self._highlight_actor = None
        self.highlighted = pick
        mesh = None if pick is None else self._meshes.get(id(pick.layer))
        if pick is not None and mesh is not None:
            kind, feature, cell = self._feature_of(pick)
            data = pick.layer.data if cell is not None else None
            lines = outline(mesh, kind, feature, cell, data, self.origin, pick.position[2] + 0.5)
            self._highlight_actor = self.plotter.add_mesh(
                lines, color=HIGHLIGHT_COLOUR, line_width=5, point_size=22, render_points_as_spheres=True,
                pickable=False, name="highlight", reset_camera=False)
            _draw_in_front(self._highlight_actor, 2)
        self.plotter.render()

    def _pick_of(self, layer: Layer, cell_id: int, position: tuple[float, float, float]) -> Pick | None:
        data = layer.data
        if isinstance(data, ResultRaster) or layer.kind == "raster":
            cell = grid_cell(data, position[0], position[1])
            return None if cell is None else Pick(layer, cell, position)
        if isinstance(data, ResultTable):
            target, rows = self._joins[id(layer)]
            feature = element_feature(self._meshes[id(layer)], target.kind, cell_id)
            row = int(rows[feature])
            # A feature the table says nothing about is a pick of the feature itself.
            return Pick(layer, row, position, feature) if row >= 0 else Pick(target, feature, position)
        return Pick(layer, element_feature(self._meshes[id(layer)], layer.kind, cell_id), position)

    def _feature_of(self, pick: Pick) -> tuple[str, int | None, tuple[int, int] | None]:
        """(kind of geometry, feature in the drawn mesh, grid cell) of a pick."""
        if isinstance(pick.index, tuple):
            return pick.layer.kind, None, pick.index
        if isinstance(pick.layer.data, ResultTable):
            return self._joins[id(pick.layer)][0].kind, pick.feature, None
        return pick.layer.kind, int(pick.index), None

    def _locator(self, layer: Layer) -> Any:
        """A cell locator per drawn mesh, built on first use: picks in big meshes stay quick."""
        if id(layer) not in self._locators:
            locator = vtk.vtkStaticCellLocator()
            locator.SetDataSet(self._meshes[id(layer)])
            locator.BuildLocator()
            self._locators[id(layer)] = locator
        return self._locators[id(layer)]

    # -- layers -------------------------------------------------------------------------------

    def actor_of(self, layer: Layer) -> Any:
        return self._actors.get(id(layer))

    def mesh_of(self, layer: Layer) -> pv.PolyData | None:
        """The mesh drawn for a layer (local coordinates: map minus `origin`), or None."""
        return self._meshes.get(id(layer))

    def colouring_of(self, layer: Layer) -> Colouring | None:
        """How a drawn layer is coloured now (what its legend shows); None for a plain colour."""
        return self._colourings.get(id(layer))

    def _inserted(self, layer: Layer) -> None:
        self._connect(layer)
        self._draw(layer)
        self._refresh_results()
        self._update_legends()

    def _removed(self, layer: Layer) -> None:
        for signal, listener in self._listeners.pop(id(layer), []):
            signal.disconnect(listener)
        self._undraw(layer)
        self._refresh_results()
        self._update_legends()
        self.plotter.render()

    def _connect(self, layer: Layer) -> None:
        listeners = [
            (layer.events.visible, lambda visible: self._set_visible(layer, visible)),
            (layer.events.opacity, lambda opacity: self._set_opacity(layer, opacity)),
            (layer.events.data, lambda: self._redraw(layer)),
            (layer.events.style, lambda: self._redraw(layer)),
            (layer.events.name, lambda name: self._refresh_results()),
            (layer.events.time_index, lambda index: self._show_step(layer)),
        ]
        for signal, listener in listeners:
            signal.connect(listener)
        self._listeners[id(layer)] = listeners

    def _draw(self, layer: Layer) -> None:
        self._place_origin()
        mesh = self._mesh_for(layer)
        if mesh is None or mesh.n_points == 0:
            return
        colouring = colouring_for(layer, mesh, self._terrain_range())
        actor = self.plotter.add_mesh(mesh, name=f"layer-{id(layer)}", reset_camera=False,
                                      **self._style(layer, colouring))
        actor.SetVisibility(layer.visible)
        if isinstance(layer.data, ResultTable | ResultRaster):
            _draw_in_front(actor, 1)  # over the buildings or streets it shares its geometry with
        self._actors[id(layer)], self._meshes[id(layer)] = actor, mesh
        self._colourings[id(layer)] = colouring

    def _undraw(self, layer: Layer) -> None:
        if self.highlighted is not None and self.highlighted.layer is layer:
            self.highlight(None)
        actor = self._actors.pop(id(layer), None)
        if actor is not None:
            self.plotter.remove_actor(actor)
        for table in (self._meshes, self._colourings, self._joins, self._locators):
            table.pop(id(layer), None)

    def _redraw(self, layer: Layer) -> None:
        self._undraw(layer)
        self._draw(layer)
        self._refresh_results()
        self._update_legends()
        self.plotter.render()

    def _refresh_results(self) -> None:
        """Draw result tables whose layer to draw on has come, renamed or changed; drop those whose went."""
        layers = list(self.scene.layers)
        for layer in layers:
            if not isinstance(layer.data, ResultTable):
                continue
            target = target_of(layer, layers)
            drawn_on = self._joins.get(id(layer), (None,))[0]
            if target is not drawn_on or (target is not None and id(target) not in self._actors):
                self._undraw(layer)
                self._draw(layer)

    def _mesh_for(self, layer: Layer) -> pv.PolyData | None:
        if not isinstance(layer.data, ResultTable):
            return mesh_for_layer(layer, self.origin, self._ground())
        target = target_of(layer, list(self.scene.layers))
        rows = None if target is None else rows_of_features(layer.data, target.data.ids)
        if rows is None:
            return None
        mesh = mesh_for_layer(target, self.origin, self._ground())
        ids = FEATURE_ARRAYS[target.kind]
        feature_ids = mesh[ids]
        mesh.clear_data()  # the target's own attributes stay with the target's mesh
        (mesh.cell_data if len(feature_ids) == mesh.n_cells else mesh.point_data)[ids] = feature_ids
        attribute = result_attribute(layer)
        if attribute is not None:
            paint(mesh, target.kind, feature_values(layer, attribute, rows), attribute)
        self._joins[id(layer)] = (target, rows)
        return mesh

    def _show_step(self, layer: Layer) -> None:
        """Refill the drawn values for the layer's time step: the same actor, new colours."""
        mesh = self._meshes.get(id(layer))
        if mesh is None:
            return
        if isinstance(layer.data, ResultRaster):
            cells = mesh.point_data["cell"]
            mesh.point_data["values"][:] = result_values(layer.data, cells, layer.time_index)
        else:
            target, rows = self._joins[id(layer)]
            attribute = result_attribute(layer)
            paint(mesh, target.kind, feature_values(layer, attribute, rows), attribute)
        self._colourings[id(layer)] = colouring_for(layer, mesh, self._terrain_range())
        self._update_legends()
        self.plotter.render()

    def _set_visible(self, layer: Layer, visible: bool) -> None:
        if id(layer) in self._actors:
            self._actors[id(layer)].SetVisibility(visible)
        if not visible and self.highlighted is not None and self.highlighted.layer is layer:
            self.highlight(None)
        self._update_legends()
        self.plotter.render()

    def _set_opacity(self, layer: Layer, opacity: float) -> None:
        if id(layer) in self._actors:
            self._actors[id(layer)].GetProperty().SetOpacity(opacity)
        self.plotter.render()

    def _style(self, layer: Layer, colouring: Colouring | None) -> dict[str, Any]:
        style: dict[str, Any] = {"opacity": layer.opacity, "show_scalar_bar": False}
        if colouring is not None:
            style.update(colouring.mesh_style())
        else:
            style.update(color=_COLORS.get(layer.kind, "#888888"))
        on_target = id(layer) in self._joins  # a result drawn a little wider covers the feature below
        kind = self._joins[id(layer)][0].kind if on_target else layer.kind
        if kind == "pointcloud":
            style.update(point_size=2, render_points_as_spheres=False)
        elif kind == "streets":
            style.update(line_width=5 if on_target else 3)
        elif kind == "sensors":
            style.update(point_size=15 if on_target else 12, render_points_as_spheres=True)
        elif kind == "buildings":
            style.update(smooth_shading=False, specular=0.1)
        return style

    def _update_legends(self) -> None:
        """A legend per visible coloured layer, the top of the drawing order first."""
        shown = [self._colourings.get(id(layer)) for layer in reversed(self.scene.layers)
                 if layer.visible and id(layer) in self._actors] if self.legends_shown else []
        self.legends.show([colouring for colouring in shown if colouring is not None])

    def _before_render(self, *args: object) -> None:
        self.legends.lay_out()
        self.orientation.ground_height = self._terrain_range()[0] - self.origin[2]
        self.orientation.update()

    def _draw_quarters(self) -> None:
        if self._quarters_actor is not None:
            self.plotter.remove_actor(self._quarters_actor)
            self._quarters_actor = None
        self._place_origin()
        if self.scene.quarters:
            outlines = quarter_outlines(self.scene.quarters, self.origin, self._ground())
            self._quarters_actor = self.plotter.add_mesh(
                outlines, color=_COLORS["quarters"], line_width=4, name="quarters", pickable=False,
                reset_camera=False)

    def _ground(self) -> Ground:
        return Ground([layer.data for layer in self.scene.layers_of_kind("raster")])

    def _terrain_range(self) -> tuple[float, float]:
        """Lowest and highest terrain height in the scene; (0, 0) without terrain."""
        rasters = [layer.data.values for layer in self.scene.layers_of_kind("raster")]
        computed_from, terrain_range = self._terrain_range_of
        if [id(values) for values in rasters] != [id(values) for values in computed_from]:
            # asked before every frame: computed again only when the set of grids changes
            ranges = [(float(np.nanmin(values)), float(np.nanmax(values)))
                      for values in rasters if np.isfinite(values).any()]
            terrain_range = ((min(low for low, _ in ranges), max(high for _, high in ranges))
                             if ranges else (0.0, 0.0))
            self._terrain_range_of = (rasters, terrain_range)
        return terrain_range

    def _place_origin(self) -> None:
        """While nothing is drawn, move the local origin to the scene's south-west kilometre."""
        bounds = self.scene.bounds
        if bounds is None or self._actors or self._quarters_actor is not None:
            return
        self.origin = (float(np.floor(bounds[0] / 1000) * 1000),
                       float(np.floor(bounds[1] / 1000) * 1000), 0.0)


def _draw_in_front(actor: Any, level: int) -> None:
    """Win the depth test against coincident geometry drawn at a lower level (results over their
    target, the highlight over both)."""
    mapper = actor.GetMapper()
    mapper.SetResolveCoincidentTopologyToPolygonOffset()
    mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-level, -level * 4)
    mapper.SetRelativeCoincidentTopologyLineOffsetParameters(-level, -level * 4)
    mapper.SetRelativeCoincidentTopologyPointOffsetParameter(-level * 4)
