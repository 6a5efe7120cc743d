"""Drawing on the terrain: which ground point lies under a pixel, and the sketch drawn live in 3D.

A click finds the nearest terrain or building surface under the pixel; the vertex takes that
point's map position and the terrain's own height there (the DTM cell, not the coarser mesh
drawn for it, nor a roof), so a measure drawn in the view sits on the ground the simulations use.
The sketch is drawn over everything else (points, its edges laid on the terrain, a translucent
fill for an area), the chosen vertex larger and in another colour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
import shapely
import vtk

from twin.core.sketch import Shape, Sketch, Vertex
from twin.render.meshes import DRAPE_STEP
from twin.render.scene_view import SceneView, draw_in_front

SKETCH_COLOUR = "#ffd400"  # yellow: no layer palette and not the magenta highlight
CHOSEN_COLOUR = "#ff00d4"
SKETCH_LIFT = 0.6  # metres above the terrain: the lines stay in sight over the ground mesh
VERTEX_PICK_PX = 10  # a press this close to a drawn vertex grabs it
_GROUND_KINDS = ("raster", "buildings")


def ground_point(view: SceneView, x: int, y: int) -> Vertex | None:
    """The map point on the ground under render-window pixel (x, y) (origin top-left), or None
    where the pixel shows no terrain (sky, or land no terrain grid covers)."""
    actors = [visual.actor for visual in view.visuals()
              if visual.drawn and visual.layer.visible and visual.layer.kind in _GROUND_KINDS]
    if not actors:
        return None
    picker = vtk.vtkCellPicker()
    picker.SetTolerance(0.0)
    picker.PickFromListOn()
    for actor in actors:
        picker.AddPickList(actor)
    height = view.plotter.render_window.GetSize()[1]
    if not picker.Pick(x, height - 1 - y, 0.0, view.plotter.renderer):
        return None
    map_x, map_y = (float(value) for value in np.asarray(picker.GetPickPosition())[:2] + view.origin[:2])
    ground = view.ground().heights(np.array([map_x]), np.array([map_y]))[0]
    return None if np.isnan(ground) else (map_x, map_y, float(ground))


def display_position(view: SceneView, vertex: Vertex) -> tuple[float, float]:
    """Where a map point appears in the render window, in pixels from the top-left."""
    renderer = view.plotter.renderer
    local = np.asarray(vertex, dtype=float) - np.asarray(view.origin)
    renderer.SetWorldPoint(*local, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return x, view.plotter.render_window.GetSize()[1] - 1 - y


def vertex_near(view: SceneView, sketch: Sketch, x: float, y: float,
                within_px: float = VERTEX_PICK_PX) -> int | None:
    """The drawn vertex nearest pixel (x, y) if one lies within `within_px`, else None."""
    if not sketch.vertices:
        return None
    distances = [np.hypot(px - x, py - y) for px, py in (display_position(view, v) for v in sketch.vertices)]
    nearest = int(np.argmin(distances))
    return nearest if distances[nearest] <= within_px else None


class SketchVisual:
    """The sketch drawn into a SceneView's plotter, redrawn whole on every change (a few dozen points)."""

    def __init__(self, view: SceneView) -> None:
        self.view = view
        self._actors: list[Any] = []

    def show(self, sketch: Sketch | None, chosen: int | None = None) -> None:
        """Draw `sketch` (None: nothing) with vertex `chosen` marked; the caller asks for the frame."""
        self.clear()
        if sketch is not None and sketch.vertices:
            self._draw(sketch, chosen)

    def clear(self) -> None:
        for actor in self._actors:
            self.view.plotter.remove_actor(actor, render=False)
        self._actors = []

    def _draw(self, sketch: Sketch, chosen: int | None) -> None:
        points = np.array(sketch.vertices) - np.asarray(self.view.origin)
        points[:, 2] += SKETCH_LIFT
        self._add(pv.PolyData(points), color=SKETCH_COLOUR, point_size=14)
        if chosen is not None:
            self._add(pv.PolyData(points[[chosen]]), color=CHOSEN_COLOUR, point_size=20)
        if sketch.shape is Shape.POINTS or len(points) < 2:
            return
        closed = sketch.shape is Shape.POLYGON and len(points) > 2
        self._add(self._draped_line(sketch, closed), color=SKETCH_COLOUR, line_width=4)
        if closed:
            fill = pv.PolyData(points, faces=np.r_[len(points), np.arange(len(points))]).triangulate()
            self._add(fill, color=SKETCH_COLOUR, opacity=0.35)

    def _draped_line(self, sketch: Sketch, closed: bool) -> pv.PolyData:
        """The edges laid on the terrain between the vertices, so they neither float nor sink."""
        flat = [(x, y) for x, y, _ in sketch.vertices]
        line = shapely.segmentize(shapely.LineString([*flat, flat[0]] if closed else flat), DRAPE_STEP)
        coords = shapely.get_coordinates(line)
        heights = self.view.ground().heights(coords[:, 0], coords[:, 1])
        # Off the terrain the height follows the vertices' own (linear between them is near enough).
        fallback = float(np.mean([z for _, _, z in sketch.vertices]))
        z = np.where(np.isnan(heights), fallback, heights) + SKETCH_LIFT
        points = np.column_stack([coords, z]) - np.asarray(self.view.origin)
        return pv.lines_from_points(points)

    def _add(self, mesh: pv.PolyData, **style: Any) -> None:
        # render=False: the caller asks for one frame for the whole change, not one per part
        actor = self.view.plotter.add_mesh(mesh, pickable=False, reset_camera=False, render=False,
                                           lighting=False, render_points_as_spheres=True, **style)
        draw_in_front(actor, 50)  # over the terrain, results and the highlight
        self._actors.append(actor)
