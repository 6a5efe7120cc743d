"""Keeps a pyvista plotter in step with a Scene: one `LayerVisual` per layer, updated by events.

Works with any pyvista plotter: an off-screen `pv.Plotter` (tests, screenshots) or the Qt
shell's interactor. The view subscribes to the model; the model never calls the view.
Result tables are drawn on the buildings, streets or stations they describe; results over
time change their colours in place when the layer's time step changes.

The view renders only after a change: every change ends in `request_render()`, which the
plotter turns into a frame (the Qt shell's interactor gathers many requests into one frame).
The layer order sets the drawing order where the depth buffer leaves one: results drawn over
the same geometry (the upper one in the layer list wins), translucent layers (blended in list
order) and the legends (the top layer's first).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
import vtk

from twin.core.layers import Layer
from twin.core.project import Camera
from twin.core.scene import Scene
from twin.render.colouring import Colouring
from twin.render.legends import Legends
from twin.render.meshes import Ground, Origin, quarter_outlines
from twin.render.overlays import Orientation
from twin.render.picking import Pick, outline
from twin.render.visuals import LayerVisual, RasterVisual, ResultTableVisual, visual_for

QUARTERS_COLOUR = "#ff7f0e"
HIGHLIGHT_COLOUR = "#ff00d4"  # magenta: no layer's palette uses it
PICK_TOLERANCE = 0.004  # of the window diagonal: thin lines and small points can be hit
LINE_PICK_PX = 8  # a street or station this many pixels from the cursor wins over the ground below
# The oblique view from the south-west: Dresden's quarters lie along the Elbe from north-west to
# south-east; seen from the south-west they spread across the width of the window, not its depth.
VIEW_DIRECTION = np.array([-0.55, -0.65, 0.75])


class SceneView:
    """The 3D picture of a scene in a pyvista plotter."""

    def __init__(self, scene: Scene, plotter: pv.BasePlotter) -> None:
        self.scene, self.plotter = scene, plotter
        self.origin: Origin = (0.0, 0.0, 0.0)
        self._visuals: dict[int, LayerVisual] = {}  # by id(layer): layers are not hashable by value
        # the terrain grids the range was computed from (held, so their ids stay theirs), and the range
        self._terrain_range_of: tuple[list[np.ndarray], tuple[float, float]] = ([], (0.0, 0.0))
        self._quarters_actor: Any = None
        self._highlight_actor: Any = None
        self.highlighted: Pick | None = None
        self._overlays = 0  # how many overlays lie over each other; the highlight goes above them
        plotter.set_background("#eef2f5", top="#b8c8d8")
        self.legends = Legends(plotter)
        self.legends_shown = True
        self.orientation = Orientation(plotter)
        for layer in scene.layers:
            self._add_visual(layer)
        self.refresh_results()  # tables listed before the layer they are drawn on
        self._draw_quarters()
        self._follow_layer_order()
        scene.layers.events.inserted.connect(self._inserted)
        scene.layers.events.removed.connect(self._removed)
        scene.layers.events.reordered.connect(self._reordered)
        scene.events.quarters.connect(self._quarters_changed)
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
        low, high = (height - self.origin[2] for height in self.terrain_range())
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
        self.request_render()

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
        self.request_render()

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
        self.request_render()

    @property
    def eye_dome_lighting(self) -> bool:
        return getattr(self.plotter.renderer._render_passes, "_edl_pass", None) is not None

    def set_legends_shown(self, on: bool) -> None:
        """Legends on or off: off gives the scene the whole view, for presenting it."""
        self.legends_shown = on
        self._update_legends()
        self.request_render()

    # -- picking ------------------------------------------------------------------------------

    def pick(self, x: int, y: int) -> Pick | None:
        """The feature under a pixel of the view (origin top-left, as Qt counts), or None.

        Only visible layers are hit. A street or station within LINE_PICK_PX of the pixel is
        picked rather than the ground or result grid under the cursor: lines a few pixels wide
        are hard to hit exactly. `x`, `y` are render-window pixels: multiply Qt's logical
        coordinates by the widget's devicePixelRatioF() on high-DPI screens.
        """
        drawn = [visual for visual in self.visuals() if visual.drawn and visual.layer.visible]
        hit = self._pick_among(drawn, x, y, PICK_TOLERANCE)
        if hit is None or isinstance(hit[0], RasterVisual):
            thin = [visual for visual in drawn if visual.thin]
            diagonal = float(np.hypot(*self.plotter.render_window.GetSize()))
            near = self._pick_among(thin, x, y, LINE_PICK_PX / diagonal) if thin else None
            hit = near or hit
        if hit is None:
            return None
        visual, cell, position = hit
        return visual.pick(cell, position)

    def _pick_among(self, visuals: list[LayerVisual], x: int, y: int,
                    tolerance: float) -> tuple[LayerVisual, int, tuple[float, float, float]] | None:
        """(visual, cell, map position) of the nearest of these visuals' cells under the pixel."""
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(tolerance)
        picker.PickFromListOn()
        for visual in visuals:
            picker.AddPickList(visual.actor)
            picker.AddLocator(visual.locator())
        height = self.plotter.render_window.GetSize()[1]
        if not picker.Pick(x, height - 1 - y, 0.0, self.plotter.renderer):
            return None
        visual = next(visual for visual in visuals if visual.actor is picker.GetActor())
        position = tuple(float(value) for value in np.asarray(picker.GetPickPosition()) + self.origin)
        return visual, picker.GetCellId(), position

    def highlight(self, pick: Pick | None) -> None:
        """Outline a picked feature in magenta; None clears the outline."""
        if self._highlight_actor is not None:
            self.plotter.remove_actor(self._highlight_actor)
            self._highlight_actor = None
        self.highlighted = pick
        visual = None if pick is None else self.visual_of(pick.layer)
        if pick is not None and visual is not None and visual.drawn:
            kind, feature, cell = visual.feature_of(pick)
            data = pick.layer.data if cell is not None else None
            lines = outline(visual.mesh, kind, feature, cell, data, self.origin, pick.position[2] + 0.5)
            self._highlight_actor = self.plotter.add_mesh(
                lines, color=HIGHLIGHT_COLOUR, line_width=5, point_size=22, render_points_as_spheres=True,
                pickable=False, name="highlight", reset_camera=False)
            draw_in_front(self._highlight_actor, self._overlays + 1)  # over every overlay
        self.request_render()

    # -- layers -------------------------------------------------------------------------------

    def visuals(self) -> list[LayerVisual]:
        """The visuals of the scene's layers, in the scene's drawing order."""
        return [self._visuals[id(layer)] for layer in self.scene.layers if id(layer) in self._visuals]

    def visual_of(self, layer: Layer) -> LayerVisual | None:
        return self._visuals.get(id(layer))

    def actor_of(self, layer: Layer) -> Any:
        visual = self.visual_of(layer)
        return visual.actor if visual is not None else None

    def mesh_of(self, layer: Layer) -> pv.PolyData | None:
        """The mesh drawn for a layer (local coordinates: map minus `origin`), or None."""
        visual = self.visual_of(layer)
        return visual.mesh if visual is not None else None

    def colouring_of(self, layer: Layer) -> Colouring | None:
        """How a drawn layer is coloured now (what its legend shows); None for a plain colour."""
        visual = self.visual_of(layer)
        return visual.colouring if visual is not None else None

    def request_render(self) -> None:
        """Ask for a frame; the plotter decides when (an interactive one gathers requests)."""
        self.plotter.render()

    def layer_changed(self, *_event: object) -> None:
        """After a layer's drawing changed: tables on it may need drawing again, legends, a frame."""
        self.refresh_results()
        self._follow_layer_order()
        self.request_render()

    def refresh_results(self, *_event: object) -> None:
        """Draw result tables whose layer to draw on has come, renamed or changed; drop those whose went."""
        for visual in self.visuals():
            if isinstance(visual, ResultTableVisual) and visual.is_stale():
                visual.undraw()
                visual.draw()

    def _add_visual(self, layer: Layer) -> None:
        self._place_origin()
        visual = visual_for(layer, self)
        self._visuals[id(layer)] = visual
        visual.draw()

    def _inserted(self, _index: int, layer: Layer) -> None:
        self._add_visual(layer)
        self.layer_changed()

    def _removed(self, _index: int, layer: Layer) -> None:
        visual = self._visuals.pop(id(layer), None)
        if visual is not None:
            visual.close()
        self.layer_changed()

    def _reordered(self) -> None:
        self._follow_layer_order()
        self.request_render()

    def _follow_layer_order(self) -> None:
        """Drawing order and legends after the layer order.

        The renderer draws its actors in the order it holds them: they are put back in layer
        order, which decides how translucent layers blend. Overlays (results over the features
        or terrain they describe) win the depth test over what lies below, and the upper of two
        overlays in the layer list wins over the lower.
        """
        renderer = self.plotter.renderer
        level = 0
        for visual in self.visuals():
            if not visual.drawn:
                continue
            vtk.vtkRenderer.RemoveActor(renderer, visual.actor)  # past pyvista's name table: kept
            vtk.vtkRenderer.AddActor(renderer, visual.actor)
            if visual.overlay:
                level += 1
                draw_in_front(visual.actor, level)
        self._overlays = level
        if self._highlight_actor is not None:
            vtk.vtkRenderer.RemoveActor(renderer, self._highlight_actor)
            vtk.vtkRenderer.AddActor(renderer, self._highlight_actor)
            draw_in_front(self._highlight_actor, level + 1)
        self._update_legends()

    def _update_legends(self) -> None:
        """A legend per visible coloured layer, the top of the drawing order first."""
        shown = [visual.colouring for visual in reversed(self.visuals())
                 if visual.layer.visible and visual.drawn] if self.legends_shown else []
        self.legends.show([colouring for colouring in shown if colouring is not None])

    def _before_render(self, *args: object) -> None:
        self.legends.lay_out()
        self.orientation.ground_height = self.terrain_range()[0] - self.origin[2]
        self.orientation.update()

    def _quarters_changed(self) -> None:
        self._draw_quarters()
        self.request_render()

    def _draw_quarters(self) -> None:
        if self._quarters_actor is not None:
            self.plotter.remove_actor(self._quarters_actor)
            self._quarters_actor = None
        self._place_origin()
        if self.scene.quarters:
            outlines = quarter_outlines(self.scene.quarters, self.origin, self.ground())
            self._quarters_actor = self.plotter.add_mesh(
                outlines, color=QUARTERS_COLOUR, line_width=4, name="quarters", pickable=False,
                reset_camera=False)

    def ground(self) -> Ground:
        return Ground([layer.data for layer in self.scene.layers_of_kind("raster")])

    def terrain_range(self) -> tuple[float, float]:
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
        drawn = any(visual.drawn for visual in self._visuals.values())
        if bounds is None or drawn or self._quarters_actor is not None:
            return
        self.origin = (float(np.floor(bounds[0] / 1000) * 1000),
                       float(np.floor(bounds[1] / 1000) * 1000), 0.0)


def draw_in_front(actor: Any, level: int) -> None:
    """Win the depth test against coincident geometry drawn at a lower level (results over their
    target, an upper result over a lower one, the highlight over all)."""
    mapper = actor.GetMapper()
    mapper.SetResolveCoincidentTopologyToPolygonOffset()
    mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-level, -level * 4)
    mapper.SetRelativeCoincidentTopologyLineOffsetParameters(-level, -level * 4)
    mapper.SetRelativeCoincidentTopologyPointOffsetParameter(-level * 4)
