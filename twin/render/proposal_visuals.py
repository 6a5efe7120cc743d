"""Shapes for proposed measures in the 3D view, one kind of shape per kind of measure.

- areas (retention, unsealing): the outline laid on the terrain and a tinted fill, a little above it;
- a new building: its footprint extruded from the lowest ground under it to its height;
- trees: a trunk and a round crown of the proposed diameter per tree (a row: one every spacing);
- picked buildings (green roof, demolition) and street segments (street works): those features
  drawn again over themselves in the measure's colour (a demolition also outlined);
- a comment pin (from the published site): a cone standing on its tip at the place.
Each function returns a mesh in the view's local coordinates (map minus the view's origin).

Where a shown result table on buildings has a row for a measure's building (the energy difference
of *Compute effect*: a new building's demand gained, a demolished one's lost), the measure gives way
to that result: a new building's block takes the colour the table's own colour map and range give its
row, and a demolition's tint is left off, so its building's colour on the result shows through the
demolition's outline. The view may change these without the proposals changing (a result shown,
hidden or stepped), so they are looked at again before every frame.

A click on a measure's shape finds the measure (`ProposalsVisual.measure_at`), unless what the layers
show under the pixel lies in front of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
import shapely
import vtk
from shapely.geometry.base import BaseGeometry

from twin.core.layers import Layer
from twin.core.proposals import COMMENT, Measure, ProposalSet
from twin.render.colouring import result_attribute
from twin.render.meshes import DRAPE_STEP, Ground, Origin, building_mesh, street_lines
from twin.render.picking import Pick
from twin.render.results import feature_values, row_of
from twin.render.scene_view import PICK_TOLERANCE, SceneView, draw_in_front
from twin.render.visuals import ResultTableVisual
from twin.sim.proposal_inputs import new_building_height

AREA_LIFT = 0.35  # metres: over the terrain mesh, under streets (0.4)
TRUNK_SHARE = 0.6  # a tree's trunk is this share of its crown diameter high; the crown sits on it
_CROWN_RESOLUTION = 12
PIN_HEIGHT = 6.0  # metres: a comment pin's cone, seen from a quarter's distance


def draped_area(polygon: BaseGeometry, ground: Ground, origin: Origin) -> pv.PolyData:
    """A polygon's surface laid on the terrain: triangles between its (densified) outline points."""
    dense = shapely.segmentize(polygon, DRAPE_STEP)
    triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(dense))
    corners = shapely.get_coordinates(shapely.get_exterior_ring(triangles))  # 4 per triangle: closed rings
    corners = corners.reshape(len(triangles), 4, 2)[:, :3].reshape(-1, 2)
    return _on_ground(corners, np.arange(len(corners)).reshape(-1, 3), ground, origin)


def area_outline(polygon: BaseGeometry, ground: Ground, origin: Origin) -> pv.PolyData:
    """The polygon's rings laid on the terrain."""
    rings = [polygon.exterior, *polygon.interiors]
    meshes = [_draped_line(ring, ground, origin) for ring in rings]
    return pv.merge(meshes) if len(meshes) > 1 else meshes[0]


def extruded(footprint: BaseGeometry, ground: Ground, height: float, origin: Origin) -> pv.PolyData:
    """A closed block: the footprint from the lowest terrain under it up by `height` metres."""
    ring = np.asarray(footprint.exterior.coords)[:-1]
    heights = ground.heights(ring[:, 0], ring[:, 1])
    base = float(np.nanmin(heights)) if np.isfinite(heights).any() else origin[2]
    floor = np.column_stack([ring, np.full(len(ring), base)]) - np.asarray(origin)
    outline = pv.PolyData(floor, faces=np.r_[len(ring), np.arange(len(ring))])
    return outline.extrude((0.0, 0.0, height), capping=True).triangulate().clean()


def trees(xy: np.ndarray, crown: float, ground: Ground, origin: Origin) -> pv.PolyData:
    """A trunk and a crown per tree position (n, 2), standing on the terrain."""
    z = ground.heights_or(xy[:, 0], xy[:, 1], default=origin[2])
    feet = np.column_stack([xy, z]) - np.asarray(origin)
    trunk_height = TRUNK_SHARE * crown
    parts = []
    for foot in feet:
        top = foot + (0.0, 0.0, trunk_height)
        parts.append(pv.Cylinder(center=(foot + top) / 2, direction=(0, 0, 1), radius=max(crown / 16, 0.15),
                                 height=trunk_height, resolution=8).triangulate())
        parts.append(pv.Sphere(radius=crown / 2, center=top + (0.0, 0.0, crown / 2),
                               theta_resolution=_CROWN_RESOLUTION, phi_resolution=_CROWN_RESOLUTION))
    return pv.merge(parts)


def comment_pin(point: BaseGeometry, ground: Ground, origin: Origin) -> pv.PolyData:
    """A cone on its tip at the pin's place: the height clicked where the pin has one, else the ground."""
    x, y = np.array([point.x]), np.array([point.y])
    z = point.z if point.has_z else float(ground.heights_or(x, y, default=origin[2])[0])
    tip = np.array([x[0], y[0], z]) - np.asarray(origin)
    return pv.Cone(center=tip + (0.0, 0.0, PIN_HEIGHT / 2), direction=(0.0, 0.0, -1.0), height=PIN_HEIGHT,
                   radius=PIN_HEIGHT * 0.35, resolution=12)


def chosen_buildings(layer: Layer, ids: list[str], origin: Origin) -> pv.PolyData | None:
    """The buildings of `layer` with these ids (their whole LoD surfaces), or None if none is there."""
    indices = np.flatnonzero(np.isin(np.asarray(layer.data.ids).astype(str), ids))
    if not len(indices):
        return None
    mesh = building_mesh(layer.data, origin)
    part = mesh.extract_cells(np.flatnonzero(np.isin(mesh.cell_data["building"], indices)))
    return part.extract_surface(algorithm="dataset_surface")


def chosen_streets(layer: Layer, ids: list[str], ground: Ground, origin: Origin) -> pv.PolyData | None:
    """The street segments of `layer` with these ids laid on the terrain, or None if none is there."""
    indices = np.flatnonzero(np.isin(np.asarray(layer.data.ids).astype(str), ids))
    if not len(indices):
        return None
    mesh = street_lines(layer.data, origin, ground)
    return mesh.extract_cells(np.flatnonzero(np.isin(mesh.cell_data["feature"], indices))).extract_surface(
        algorithm="dataset_surface")


def result_colour(view: SceneView, building_id: str) -> tuple[Layer, tuple[float, float, float]] | None:
    """The topmost shown result table on buildings with a row for this building, and the colour its
    own colour map and range give that row (a building of its layer with the same value has it);
    None where no shown result says anything about the building."""
    for visual in reversed(view.visuals()):  # the top of the drawing order first
        layer = visual.layer
        if not (isinstance(visual, ResultTableVisual) and visual.drawn and layer.visible
                and visual.target.kind == "buildings"):
            continue
        row, attribute = row_of(layer.data, building_id), result_attribute(layer)
        if row is None or attribute is None:
            continue
        value = feature_values(layer, attribute, np.array([row]))[0]
        lookup = visual.actor.GetMapper().GetLookupTable()
        colour = [0.0, 0.0, 0.0]
        lookup.GetColor(value, colour)  # a value beyond the range takes its end colour, as on the buildings
        return layer, (colour[0], colour[1], colour[2])
    return None


def _draped_line(line: BaseGeometry, ground: Ground, origin: Origin) -> pv.PolyData:
    coords = shapely.get_coordinates(shapely.segmentize(line, DRAPE_STEP))
    z = ground.heights_or(coords[:, 0], coords[:, 1], default=origin[2]) + AREA_LIFT
    return pv.lines_from_points(np.column_stack([coords, z]) - np.asarray(origin))


def _on_ground(xy: np.ndarray, triangles: np.ndarray, ground: Ground, origin: Origin) -> pv.PolyData:
    z = ground.heights_or(xy[:, 0], xy[:, 1], default=origin[2]) + AREA_LIFT
    faces = np.hstack([np.full((len(triangles), 1), 3), triangles]).ravel()
    return pv.PolyData(np.column_stack([xy, z]) - np.asarray(origin), faces=faces).clean()


KIND_COLOURS = {
    "retention_area": "#1f78b4",  # water blue
    "unsealing": "#33a02c",       # green ground
    "green_roof": "#8fd14f",      # light green roofs
    "trees": "#1b7837",
    "new_building": "#b07cc6",    # violet: no building palette uses it
    "demolition": "#e31a1c",      # red, translucent: what goes
    "street_works": "#ff7f00",
    COMMENT: "#f2a900",           # amber: a participant's remark, not a measure
}
SELECTED_COLOUR = "#ff00d4"
NEW_BUILDING_OPACITY = 0.9
_DRAWN_IN_FRONT = 20  # over terrain, results and the layers' own buildings and streets
# A measure drawn over a feature (a green roof on its building, a pond a little over the ground) is as
# far from the eye as the feature; drawn in front of it, it is what a click there means.
SAME_DEPTH_M = 1.0


class ProposalsVisual:
    """A proposal set drawn into a SceneView: one actor per measure, rebuilt on every change."""

    def __init__(self, view: SceneView) -> None:
        self.view = view
        self.visible = True
        self._actors: list[Any] = []
        self._measure_of: dict[int, Measure] = {}  # by id(actor): the measure each drawn shape shows
        # Drawn measures whose look a shown result may change: (measure, actor), and the look each has.
        self._given_way: list[tuple[Measure, Any]] = []
        self._looks: dict[int, tuple] = {}
        view.plotter.render_window.AddObserver("StartEvent", lambda *_: self.follow_results())

    def show(self, proposals: ProposalSet, selected: str | None = None) -> None:
        """Draw every measure of `proposals` (the `selected` one outlined), replacing what was drawn;
        the caller asks for the frame (one for this and whatever else changed with it)."""
        self.clear()
        if self.visible:
            for measure in proposals:
                self._draw(measure, measure.id == selected)
        self.follow_results()

    def clear(self) -> None:
        for actor in self._actors:
            self.view.plotter.remove_actor(actor, render=False)
        self._actors, self._given_way, self._looks, self._measure_of = [], [], {}, {}

    def follow_results(self) -> None:
        """New buildings in their result's colour and demolitions untinted where a shown result table
        colours their buildings; in their own look where none does. Only what changed is touched."""
        for measure, actor in self._given_way:
            look = self._look(measure)
            if self._looks.get(id(actor)) == look:
                continue
            self._looks[id(actor)] = look
            if measure.kind == "new_building":
                actor.prop.color = look[0] if look else KIND_COLOURS["new_building"]
                actor.prop.opacity = look[1] if look else NEW_BUILDING_OPACITY
            else:  # a demolition's tint
                actor.SetVisibility(not look)

    def measure_at(self, x: int, y: int, under: Pick | None = None) -> Measure | None:
        """The measure whose shape lies under a pixel of the view (render-window pixels, origin top-left,
        as `SceneView.pick` takes them), or None; None too where `under`, what the layers show at that
        pixel, lies nearer the eye than the shape (an existing building before a new one's block)."""
        shapes = [actor for actor in self._actors if id(actor) in self._measure_of and actor.GetVisibility()]
        if not shapes:
            return None
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(PICK_TOLERANCE)
        picker.PickFromListOn()
        for actor in shapes:
            picker.AddPickList(actor)
        renderer = self.view.plotter.renderer
        if not picker.Pick(x, self.view.plotter.render_window.GetSize()[1] - 1 - y, 0.0, renderer):
            return None
        eye = np.asarray(renderer.GetActiveCamera().GetPosition())
        shape_distance = np.linalg.norm(np.asarray(picker.GetPickPosition()) - eye)
        if under is not None:
            layer_distance = np.linalg.norm(np.asarray(under.position) - np.asarray(self.view.origin) - eye)
            if layer_distance < shape_distance - SAME_DEPTH_M:
                return None
        return self._measure_of[id(picker.GetActor())]

    def _look(self, measure: Measure) -> tuple:
        """(colour, opacity) of a new building's result; for a demolition, True where a shown result
        colours one of its buildings; empty where there is no such result."""
        if measure.kind == "new_building":
            found = result_colour(self.view, measure.id)
            return () if found is None else (found[1], found[0].opacity)
        return (True,) if any(result_colour(self.view, building) for building in measure.ids()) else ()

    def show_choice(self, kind: str, layer_name: str, ids: tuple[str, ...]) -> None:
        """Buildings or segments being picked for a measure, in the highlight colour."""
        layer = next((layer for layer in self.view.scene.layers if layer.name == layer_name), None)
        mesh = None if layer is None else self._features(layer, list(ids))
        if mesh is not None:
            self._add(mesh, None, color=SELECTED_COLOUR, opacity=0.8, line_width=9)

    def _draw(self, measure: Measure, selected: bool) -> None:
        colour = KIND_COLOURS[measure.kind]
        for mesh, style in self._meshes(measure):
            outline_only = mesh.n_lines > 0 and mesh.n_faces == 0
            actor = self._add(mesh, measure, color=SELECTED_COLOUR if selected and outline_only else colour,
                              **style)
            if measure.kind in ("new_building", "demolition") and not outline_only:
                self._given_way.append((measure, actor))
            if measure.kind == "demolition":  # seen when its tint gives way to a result's colours
                edges = mesh.extract_feature_edges(feature_angle=30.0, boundary_edges=True,
                                                   manifold_edges=False)
                self._add(edges, measure, color=colour, line_width=3)
            if selected and not outline_only and measure.kind not in ("retention_area", "unsealing"):
                self._add(mesh.outline(), measure, color=SELECTED_COLOUR, line_width=3)  # a box around a body

    def _meshes(self, measure: Measure) -> list[tuple[pv.PolyData, dict[str, Any]]]:
        ground, origin = self.view.ground(), self.view.origin
        geometry = measure.geometry
        if measure.kind in ("retention_area", "unsealing"):
            polygons = shapely.get_parts(geometry)
            return [(draped_area(part, ground, origin), {"opacity": 0.55}) for part in polygons] + [
                (area_outline(part, ground, origin), {"line_width": 4}) for part in polygons]
        if measure.kind == "new_building":
            height, _ = new_building_height(measure)  # as the simulations build it
            return [(extruded(geometry, ground, height, origin), {"opacity": NEW_BUILDING_OPACITY})]
        if measure.kind == "trees":
            crown = float(measure.parameters["crown_diameter_m"])
            return [(trees(measure.tree_points(), crown, ground, origin), {})]
        if measure.kind == COMMENT:
            return [(comment_pin(geometry, ground, origin), {})]
        kind = "streets" if measure.kind == "street_works" else "buildings"
        found = [mesh for layer in self.view.scene.layers_of_kind(kind)
                 if (mesh := self._features(layer, list(measure.ids()))) is not None]
        style = {"opacity": 0.55} if measure.kind == "demolition" else {"line_width": 9}
        return [(mesh, style) for mesh in found]

    def _features(self, layer: Layer, ids: list[str]) -> pv.PolyData | None:
        if layer.kind == "streets":
            return chosen_streets(layer, ids, self.view.ground(), self.view.origin)
        return chosen_buildings(layer, ids, self.view.origin)

    def _add(self, mesh: pv.PolyData, measure: Measure | None, **style: Any) -> Any:
        """Draw a mesh; a measure's shape answers a click (`measure_at`), a choice being made does not."""
        actor = self.view.plotter.add_mesh(mesh, pickable=measure is not None, reset_camera=False,
                                           render=False, **style)
        draw_in_front(actor, _DRAWN_IN_FRONT)
        self._actors.append(actor)
        if measure is not None:
            self._measure_of[id(actor)] = measure
        return actor

