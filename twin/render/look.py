"""The presentation look: a city model rather than a GIS, with the results still drawn over it.

Next to the analytic look (terrain by height, buildings by surface, streets by condition), this
look shows a light neutral ground, buildings in soft white with roofs a shade darker, streets as
light surfaces of their width, trees as simple crowns where the LiDAR says high vegetation (class
5), screen-space ambient occlusion, sun light and shadows for a date and time in Dresden (sun
position from pvlib, which the energy plugin uses too) and anti-aliasing.

The buildings' shadows are cast geometrically: each footprint swept away from the sun by its
height over the tangent of the sun's elevation, the union draped over the terrain as a translucent
sheet. VTK's shadow-map pass (`enable_shadows`) was tried first: with this EGL/software OpenGL it
darkens everything outside a strip of the scene whatever the light (a box on a plane shows it),
and shadow maps are drawn again per tile of a large picture. Swept footprints give the same
shadows in a window, a 8K picture and a film; what they leave out is a shadow falling on another
building's walls or roof (the sun's light still shades the walls turned away from it).

The ambient occlusion is VTK's SSAO pass, which keeps view-space positions as half floats
(vtkSSAOPass: GL_RGBA16F): at a distance d from the camera they are exact only to a step of
2^floor(log2 d) / 1024 (0.5 m at 600 m, 2 m at 2.6 km). A bias below that step let the gently
rolling ground occlude itself along lines of equal depth, a faint pattern of contour lines all
over the ground; the bias now follows the camera (`ssao_scale`): the step at twice the distance
to what the camera looks at, with a radius four times the bias.

Results (flood depth, condition classes, PV yield) keep their colours and legends; plain data
loses its legends.

The look works through the per-layer visuals: a `SceneView` carrying a look (`view.look`) has each
plain visual restyled by `restyle` whenever the visual draws itself (twin/render/visuals.py), so a
layer changed while presenting keeps the look. `remove` gives the analytic look back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pvlib
import pyvista as pv
import shapely
from matplotlib.colors import to_rgb
from scipy import ndimage

from twin.core.data import BuildingData, PointCloudData, StreetData, SurfaceKind
from twin.io.triangulate import triangulate_polygons
from twin.render.meshes import Ground, Origin

if TYPE_CHECKING:
    from twin.render.scene_view import SceneView
    from twin.render.visuals import LayerVisual

DRESDEN = (51.05, 13.74)  # latitude, longitude of the Altmarkt
BERLIN_TIME = ZoneInfo("Europe/Berlin")
DEFAULT_SUN = datetime(2026, 6, 21, 16, 0, tzinfo=BERLIN_TIME)  # a long summer afternoon's shadows
GROUND_COLOUR = "#e6e3dc"
WALL_COLOUR = "#f4f3f0"
ROOF_COLOUR = "#cfcbc4"  # a shade darker than the walls: roofs read from above
STREET_COLOUR = "#fbfaf7"
CROWN_COLOUR = "#8fae7e"
SKY = ("#f6f5f2", "#dfe7ee")  # bottom, top
TREE_CLASS = 5  # ASPRS high vegetation
CROWN_CELL_M = 4.0  # LiDAR vegetation binned into cells this wide; a crown per local highest cell
MIN_TREE_M = 4.0  # vegetation lower than this above the ground is a hedge, not a tree
STREET_WIDTH_M = 7.0  # where a street names no width
STREET_LIFT_M = 0.15  # street surfaces lie this far above the terrain, so they win the depth test
SHADOW_COLOUR = "#3c4450"
SHADOW_OPACITY = 0.35
AMBIENT, DIFFUSE = 0.45, 0.7  # a bright, soft model: the sun shades walls, never into black
SHADOW_LIFT_M = 0.3  # over the street surfaces: a street in shade is darkened too
LOWEST_SUN_DEG = 3.0  # below this the shadows run to the horizon: none are drawn
SSAO_RADIUS_M = 2.0  # the ambient occlusion's reach up close; further away it grows with the bias
SSAO_KERNEL = 64
HALF_FLOAT_STEPS = 1024  # a half float's 10-bit mantissa: steps per doubling of the distance


@dataclass
class PresentationLook:
    """The presentation look for a SceneView; `apply` it, `remove` it to go back."""

    when: datetime = DEFAULT_SUN
    shadows: bool = True  # the buildings' shadows on the ground
    ambient_occlusion: bool = True
    anti_aliasing: str | None = "fxaa"  # 'fxaa' (cheap), 'ssaa' (sharper, four times the work) or None
    trees: bool = True
    _actors: list[Any] = field(default_factory=list)
    _ssao: Any = None  # the SSAO pass, tuned to the camera's distance before each frame
    _observer: int | None = None

    def apply(self, view: SceneView) -> None:
        view.look = self
        for visual in view.visuals():
            if visual.drawn:
                self.restyle(visual)
        self._add_city_furniture(view)
        plotter = view.plotter
        plotter.set_background(SKY[0], top=SKY[1])
        _light_the_scene(plotter, sun_direction(self.when))
        if self.ambient_occlusion:
            self._enable_ssao(plotter)
        if self.anti_aliasing:
            plotter.enable_anti_aliasing(self.anti_aliasing)
        view.set_legends_shown(view.legends_shown)  # plain layers lost their legends
        view.request_render()

    def remove(self, view: SceneView) -> None:
        """The analytic look again: layers redrawn in their own styles, passes and lights as before."""
        view.look = None
        for actor in self._actors:
            view.plotter.remove_actor(actor)
        self._actors.clear()
        plotter = view.plotter
        if self._observer is not None:
            plotter.renderer.RemoveObserver(self._observer)
            self._observer, self._ssao = None, None
        plotter.disable_ssao()
        plotter.disable_anti_aliasing()
        plotter.remove_all_lights()
        plotter.enable_lightkit()
        plotter.set_background("#eef2f5", top="#b8c8d8")
        for visual in view.visuals():
            if visual.drawn and not visual.overlay:
                visual.redraw()
        view.request_render()

    def _enable_ssao(self, plotter: pv.BasePlotter) -> None:
        """SSAO whose radius and bias follow the camera's distance (see the module's words)."""
        radius, bias = ssao_scale(plotter.camera.distance)
        # pyvista's enable_ssao makes the same pass and drops it; it is kept here to be tuned
        self._ssao = plotter.renderer._render_passes.enable_ssao_pass(
            radius=radius, bias=bias, kernel_size=SSAO_KERNEL, blur=False)
        self._observer = plotter.renderer.AddObserver("StartEvent", self._tune_ssao)

    def _tune_ssao(self, renderer: Any, _event: str) -> None:
        radius, bias = ssao_scale(renderer.GetActiveCamera().GetDistance())
        if (radius, bias) != (self._ssao.GetRadius(), self._ssao.GetBias()):  # a new shader: only then
            self._ssao.SetRadius(radius)
            self._ssao.SetBias(bias)

    def restyle(self, visual: LayerVisual) -> None:
        """Draw a plain layer's actor in the look's colours; results keep theirs."""
        if visual.overlay or visual.actor is None:
            return
        kind, prop, mapper = visual.layer.kind, visual.actor.GetProperty(), visual.actor.GetMapper()
        prop.SetAmbient(AMBIENT)
        prop.SetDiffuse(DIFFUSE)
        prop.SetSpecular(0.0)
        if kind == "pointcloud":
            visual.actor.SetVisibility(False)  # the crowns stand for the vegetation, the model for the rest
        elif kind == "buildings" and "surface" in visual.mesh.cell_data:
            _colour_cells(visual.mesh, mapper, _building_colours(visual.mesh.cell_data["surface"]))
        elif kind in ("raster", "streets"):
            mapper.ScalarVisibilityOff()
            prop.SetColor(to_rgb(GROUND_COLOUR if kind == "raster" else STREET_COLOUR))
            if kind == "streets":
                prop.SetLineWidth(1.5)  # the surfaces show the street; the line stays to be picked
                prop.LightingOff()  # a line has no normals: lit, it would be drawn black
        else:
            return
        visual.colouring = None  # a plain layer has no legend in this look

    def _add_city_furniture(self, view: SceneView) -> None:
        """Street surfaces, tree crowns and shadows: drawn for the look, not layers of their own."""
        ground, sun = view.ground(), sun_direction(self.when)
        for layer in view.scene.layers:
            if layer.kind == "streets" and layer.visible:
                surface, style = street_surfaces(layer.data, view.origin, ground), {"color": STREET_COLOUR}
            elif layer.kind == "pointcloud" and self.trees:
                surface, style = tree_crowns(layer.data, view.origin, ground), {"color": CROWN_COLOUR}
            elif layer.kind == "buildings" and layer.visible and self.shadows:
                surface = building_shadows(layer.data, sun, view.origin, ground)
                style = {"color": SHADOW_COLOUR, "opacity": SHADOW_OPACITY, "lighting": False}
            else:
                continue
            if surface is not None and surface.n_points:
                self._actors.append(view.plotter.add_mesh(
                    surface, pickable=False, reset_camera=False, smooth_shading=layer.kind == "pointcloud",
                    ambient=AMBIENT,
                    diffuse=DIFFUSE, specular=0.0, name=f"look-{id(layer)}", **style))


def sun_direction(when: datetime, place: tuple[float, float] = DRESDEN) -> tuple[float, float]:
    """(azimuth, elevation) of the sun in degrees (azimuth clockwise from north), from pvlib."""
    position = pvlib.solarposition.get_solarposition(pd.DatetimeIndex([when]), *place)
    return float(position["azimuth"].iloc[0]), float(position["apparent_elevation"].iloc[0])


def ssao_scale(distance: float) -> tuple[float, float]:
    """(radius, bias) in metres of the ambient occlusion for a camera `distance` metres from what it
    looks at: the bias is the half-float step of view-space depth at twice that distance (ground
    behind the focal point included), the radius four times the bias and at least SSAO_RADIUS_M.
    Both change by doubling only, so a zoom rebuilds VTK's SSAO shader rarely."""
    bias = float(2.0 ** np.floor(np.log2(max(2.0 * distance, 1.0))) / HALF_FLOAT_STEPS)
    return max(SSAO_RADIUS_M, 4.0 * bias), bias


def _light_the_scene(plotter: pv.BasePlotter, sun: tuple[float, float]) -> None:
    """A sun from its azimuth and elevation (directional, casting the shadows) and a soft sky fill."""
    azimuth, elevation = np.radians(sun[0]), np.radians(max(sun[1], 5.0))  # a sun below 5 degrees: dusk
    towards_sun = np.array([np.sin(azimuth) * np.cos(elevation), np.cos(azimuth) * np.cos(elevation),
                            np.sin(elevation)])
    plotter.remove_all_lights()
    sun_light = pv.Light(position=tuple(towards_sun), focal_point=(0.0, 0.0, 0.0), intensity=1.0,
                         light_type="scene light")
    sun_light.positional = False
    sky = pv.Light(light_type="headlight", intensity=0.25)
    sky.SetSwitch(True)
    plotter.add_light(sun_light)
    plotter.add_light(sky)


def _building_colours(surface: np.ndarray) -> np.ndarray:
    colours = np.tile(np.array(to_rgb(WALL_COLOUR)) * 255, (len(surface), 1))
    colours[surface == SurfaceKind.ROOF] = np.array(to_rgb(ROOF_COLOUR)) * 255
    return colours.astype(np.uint8)


def _colour_cells(mesh: pv.PolyData, mapper: Any, colours: np.ndarray) -> None:
    """Colour the mesh's cells directly by RGB (no colour map, no legend)."""
    mesh.cell_data["look_rgb"] = colours
    mapper.SetScalarModeToUseCellFieldData()
    mapper.SelectColorArray("look_rgb")
    mapper.SetColorModeToDirectScalars()
    mapper.ScalarVisibilityOn()


def street_surfaces(streets: StreetData, origin: Origin, ground: Ground) -> pv.PolyData | None:
    """The streets as surfaces of their width (`width_m`), draped a little above the terrain."""
    widths = np.asarray(streets.attributes.get("width_m", np.full(len(streets.ids), STREET_WIDTH_M)),
                        dtype=float)
    widths = np.where(np.isfinite(widths) & (widths > 0), widths, STREET_WIDTH_M)
    area = shapely.union_all(shapely.buffer(streets.geometries, widths / 2.0, cap_style="flat"))
    polygons = [polygon for polygon in getattr(area, "geoms", [area]) if polygon.geom_type == "Polygon"]
    if not polygons:
        return None
    return draped(polygons, origin, ground, STREET_LIFT_M)


def draped(polygons: list[shapely.Polygon], origin: Origin, ground: Ground, lift: float) -> pv.PolyData:
    """Polygons (map coordinates) triangulated and laid on the terrain, `lift` metres above it."""
    rings = [[polygon.exterior, *polygon.interiors] for polygon in polygons]
    coordinates = [np.asarray(ring.coords)[:, :2] for group in rings for ring in group]
    flat = np.vstack(coordinates)
    z = ground.heights(flat[:, 0], flat[:, 1])
    # a corner just off the terrain's edge takes the terrain's middle height, not sea level
    z = np.where(np.isnan(z), np.nanmedian(z) if np.isfinite(z).any() else 0.0, z) + lift
    triangulation = triangulate_polygons(np.column_stack([flat, z]), [len(ring) for ring in coordinates],
                                         [len(group) for group in rings])
    points = triangulation.vertices - np.asarray(origin)
    triangles = triangulation.triangles.copy()
    # all facing up, whichever way the rings ran: a triangle facing down is lit from below (black)
    corners = points[triangles]
    down = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])[:, 2] < 0
    triangles[down] = triangles[down][:, ::-1]
    return pv.PolyData(points, np.hstack([np.full((len(triangles), 1), 3), triangles]).ravel())


def building_shadows(buildings: BuildingData, sun: tuple[float, float], origin: Origin,
                     ground: Ground) -> pv.PolyData | None:
    """The buildings' shadows on the ground for a sun (azimuth, elevation in degrees)."""
    azimuth, elevation = np.radians(sun[0]), sun[1]
    if elevation < LOWEST_SUN_DEG or len(buildings.ids) == 0:
        return None
    tops = np.full(len(buildings.ids), -np.inf)
    triangle_tops = buildings.vertices[buildings.triangles][:, :, 2].max(axis=1)
    np.maximum.at(tops, buildings.triangle_building, triangle_tops)
    away = -np.array([np.sin(azimuth), np.cos(azimuth)]) / np.tan(np.radians(elevation))
    shadows = []
    for footprint, top in zip(buildings.footprints, tops, strict=True):
        if footprint is None or footprint.is_empty or not np.isfinite(top):
            continue
        centre = shapely.get_coordinates(footprint.centroid)[0]
        base = ground.heights(centre[:1], centre[1:])[0]
        height = top - (base if np.isfinite(base) else buildings.vertices[:, 2].min())
        if height > 0.5:
            shadows.append(_swept(footprint, away * height))
    area = shapely.union_all(shapely.make_valid(np.array(shadows, dtype=object))) if shadows else None
    polygons = [polygon for polygon in getattr(area, "geoms", [area])
                if polygon is not None and polygon.geom_type == "Polygon"]
    return draped(polygons, origin, ground, SHADOW_LIFT_M) if polygons else None


def _swept(footprint: shapely.Geometry, offset: np.ndarray) -> shapely.Geometry:
    """The area a footprint sweeps when moved by `offset`: itself, its moved copy and each edge's path."""
    moved = shapely.transform(footprint, lambda points: points + offset)
    rings = shapely.get_exterior_ring(shapely.get_parts(footprint))
    edges = []
    for ring in rings:
        points = shapely.get_coordinates(ring)
        starts, ends = points[:-1], points[1:]
        quads = np.stack([starts, ends, ends + offset, starts + offset, starts], axis=1)
        edges.extend(shapely.polygons(quads))
    return shapely.union_all([footprint, moved, *shapely.make_valid(np.array(edges, dtype=object))])


def tree_crowns(cloud: PointCloudData, origin: Origin, ground: Ground) -> pv.PolyData | None:
    """A sphere per tree: the highest cell of high vegetation among its neighbours, as wide as it is high."""
    classes = cloud.attributes.get("classification")
    if classes is None:
        return None
    points = cloud.xyz[classes == TREE_CLASS]
    if len(points) == 0:
        return None
    cells = np.floor((points[:, :2] - points[:, :2].min(axis=0)) / CROWN_CELL_M).astype(np.int64)
    top = np.full(tuple(cells.max(axis=0) + 1), -np.inf)
    np.maximum.at(top, (cells[:, 0], cells[:, 1]), points[:, 2])
    peaks = (top == ndimage.maximum_filter(top, size=3, mode="constant", cval=-np.inf)) & np.isfinite(top)
    columns, rows = np.nonzero(peaks)
    x = points[:, 0].min() + (columns + 0.5) * CROWN_CELL_M
    y = points[:, 1].min() + (rows + 0.5) * CROWN_CELL_M
    tops = top[columns, rows]
    heights = tops - ground.heights_or(x, y, float(np.nanmin(points[:, 2])))
    tall = heights >= MIN_TREE_M
    radius = np.clip(heights[tall] * 0.3, 1.5, 5.0)
    centres = np.column_stack([x[tall], y[tall], tops[tall] - radius]) - np.asarray(origin)
    seeds = pv.PolyData(centres)
    seeds["radius"] = radius
    return seeds.glyph(geom=pv.Sphere(radius=1.0, theta_resolution=10, phi_resolution=8),
                       scale="radius", orient=False)
