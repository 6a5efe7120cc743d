"""Keeps a pyvista plotter in step with a Scene: one actor per layer, updated by events.

Works with any pyvista plotter: an off-screen `pv.Plotter` (tests, screenshots) or the Qt
shell's interactor. The view subscribes to the model; the model never calls the view.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv

from twin.core.layers import Layer
from twin.core.project import Camera
from twin.core.scene import Scene
from twin.render.meshes import Ground, Origin, mesh_for_layer, quarter_outlines
from twin.render.palettes import condition_colours, point_class_colours, surface_colours

_COLORS = {"buildings": "#d9cbb8", "streets": "#404040", "sensors": "#d62728",
           "quarters": "#ff7f0e"}
_DEFAULT_MAPS = {"raster": "gist_earth", "pointcloud": "viridis", "result": "Blues"}


class SceneView:
    """The 3D picture of a scene in a pyvista plotter."""

    def __init__(self, scene: Scene, plotter: pv.BasePlotter) -> None:
        self.scene, self.plotter = scene, plotter
        self.origin: Origin = (0.0, 0.0, 0.0)
        self._actors: dict[int, Any] = {}
        self._listeners: dict[int, list[tuple[Any, Any]]] = {}
        self._quarters_actor: Any = None
        plotter.set_background("#eef2f5", top="#b8c8d8")
        for layer in scene.layers:
            self._add(layer)
        self._draw_quarters()
        scene.layers.events.inserted.connect(lambda index, layer: self._add(layer))
        scene.layers.events.removed.connect(lambda index, layer: self._remove(layer))
        scene.events.quarters.connect(self._draw_quarters)

    def reset_camera(self) -> None:
        """Look at the whole scene from the south-west, tilted like an oblique aerial photo.

        Dresden's quarters lie along the Elbe from north-west to south-east; seen from the
        south-west they spread across the width of the window instead of into its depth.
        """
        bounds = self.scene.bounds
        if bounds is None:
            self.plotter.reset_camera()
            return
        minx, miny, maxx, maxy = (bounds[0] - self.origin[0], bounds[1] - self.origin[1],
                                  bounds[2] - self.origin[0], bounds[3] - self.origin[1])
        centre = np.array([(minx + maxx) / 2, (miny + maxy) / 2, self._terrain_range()[0]])
        span = max(maxx - minx, maxy - miny, 100.0)
        camera = self.plotter.camera
        camera.focal_point = centre
        camera.position = centre + np.array([-0.55, -0.65, 0.75]) * span
        camera.up = (0.0, 0.0, 1.0)
        self.plotter.reset_camera()  # keeps the direction, fits the distance to the bounding sphere
        camera.zoom(1.25)  # the sphere's empty corners would otherwise leave a wide margin

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

    def camera(self) -> Camera:
        """The current camera in map coordinates, to save with a project."""
        origin = np.asarray(self.origin)
        state = self.plotter.camera
        return Camera(tuple((np.asarray(state.position) + origin).tolist()),
                      tuple((np.asarray(state.focal_point) + origin).tolist()),
                      tuple(float(value) for value in state.up))

    def actor_of(self, layer: Layer) -> Any:
        return self._actors.get(id(layer))

    def _add(self, layer: Layer) -> None:
        self._place_origin()
        mesh = mesh_for_layer(layer, self.origin, self._ground())
        if mesh is None or mesh.n_points == 0:
            return
        actor = self.plotter.add_mesh(mesh, name=f"layer-{id(layer)}", **self._style(layer, mesh))
        actor.SetVisibility(layer.visible)
        self._actors[id(layer)] = actor
        listeners = [
            (layer.events.visible, lambda visible: self._set_visible(layer, visible)),
            (layer.events.opacity, lambda opacity: self._set_opacity(layer, opacity)),
            (layer.events.data, lambda: self._rebuild(layer)),
            (layer.events.style, lambda: self._rebuild(layer)),
        ]
        for signal, listener in listeners:
            signal.connect(listener)
        self._listeners[id(layer)] = listeners

    def _remove(self, layer: Layer) -> None:
        actor = self._actors.pop(id(layer), None)
        if actor is not None:
            self.plotter.remove_actor(actor)
        for signal, listener in self._listeners.pop(id(layer), []):
            signal.disconnect(listener)

    def _rebuild(self, layer: Layer) -> None:
        self._remove(layer)
        self._add(layer)
        self.plotter.render()

    def _set_visible(self, layer: Layer, visible: bool) -> None:
        self._actors[id(layer)].SetVisibility(visible)
        self.plotter.render()

    def _set_opacity(self, layer: Layer, opacity: float) -> None:
        self._actors[id(layer)].GetProperty().SetOpacity(opacity)
        self.plotter.render()

    def _style(self, layer: Layer, mesh: pv.PolyData) -> dict[str, Any]:
        style: dict[str, Any] = {"opacity": layer.opacity, "show_scalar_bar": False}
        if layer.color_by and layer.color_by in mesh.array_names:
            style.update(scalars=layer.color_by, cmap=layer.colormap, clim=layer.color_range)
        else:
            style.update(self._default_colours(layer, mesh))
        if layer.kind == "pointcloud":
            style.update(point_size=2, render_points_as_spheres=False)
        elif layer.kind == "streets":
            style.update(line_width=3)
        elif layer.kind == "sensors":
            style.update(point_size=12, render_points_as_spheres=True)
        elif layer.kind == "buildings":
            style.update(smooth_shading=False, specular=0.1)
        return style

    @staticmethod
    def _default_colours(layer: Layer, mesh: pv.PolyData) -> dict[str, Any]:
        """Colours that mean something before the user picks any: surfaces, point classes, heights."""
        if layer.kind == "buildings" and "surface" in mesh.array_names:
            cmap, clim = surface_colours()
            return {"scalars": "surface", "cmap": cmap, "clim": clim}
        if layer.kind == "pointcloud" and "classification" in mesh.array_names:
            cmap, clim = point_class_colours()
            return {"scalars": "classification", "cmap": cmap, "clim": clim}
        if layer.kind == "streets" and "condition" in mesh.array_names:
            cmap, clim = condition_colours()
            return {"scalars": "condition", "cmap": cmap, "clim": clim}
        if layer.kind in ("raster", "pointcloud"):
            return {"scalars": "elevation", "cmap": _DEFAULT_MAPS[layer.kind]}
        if layer.kind == "result" and layer.data.name in mesh.array_names:
            return {"scalars": layer.data.name, "cmap": _DEFAULT_MAPS["result"]}
        return {"color": _COLORS.get(layer.kind, "#888888")}

    def _draw_quarters(self) -> None:
        if self._quarters_actor is not None:
            self.plotter.remove_actor(self._quarters_actor)
            self._quarters_actor = None
        self._place_origin()
        if self.scene.quarters:
            outlines = quarter_outlines(self.scene.quarters, self.origin, self._ground())
            self._quarters_actor = self.plotter.add_mesh(
                outlines, color=_COLORS["quarters"], line_width=4, name="quarters")

    def _ground(self) -> Ground:
        return Ground([layer.data for layer in self.scene.layers_of_kind("raster")])

    def _terrain_range(self) -> tuple[float, float]:
        """Lowest and highest terrain height in the scene; (0, 0) without terrain."""
        rasters = [layer.data.values for layer in self.scene.layers_of_kind("raster")
                   if np.isfinite(layer.data.values).any()]
        if not rasters:
            return 0.0, 0.0
        return (min(float(np.nanmin(values)) for values in rasters),
                max(float(np.nanmax(values)) for values in rasters))

    def _place_origin(self) -> None:
        """While nothing is drawn, move the local origin to the scene's south-west kilometre."""
        bounds = self.scene.bounds
        if bounds is None or self._actors or self._quarters_actor is not None:
            return
        self.origin = (float(np.floor(bounds[0] / 1000) * 1000),
                       float(np.floor(bounds[1] / 1000) * 1000), 0.0)
