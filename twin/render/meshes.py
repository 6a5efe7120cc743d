"""Each layer's data as one pyvista mesh, shifted by the view's origin.

Map coordinates (UTM: hundreds of thousands of metres) lose precision in VTK's float32
pipelines, so every mesh is built relative to a local origin near the scene.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv
import shapely

from twin.core.data import (
    BuildingData,
    PointCloudData,
    RasterData,
    ResultRaster,
    SensorData,
    StreetData,
)
from twin.core.layers import Layer
from twin.core.quarter import Quarter

Origin = tuple[float, float, float]
MAX_GRID_POINTS = 500_000  # beyond this a grid is shown at a coarser stride (2 m for a 1 m DTM tile)
DRAPE_STEP = 5.0  # metres between the points of a line laid on the terrain
STREET_LIFT = 0.4  # streets float this far above the terrain so it does not hide them
SENSOR_LIFT = 3.0
RESULT_LIFT = 0.3  # result grids float above the terrain, below streets
DRY_DEPTH = 0.05  # metres of water below which a depth grid shows the ground (rain's own film)
# A difference smaller than this share of the largest is drawn as unchanged (not at all): it would be
# the white middle of the colour map anyway, and leaving it out keeps the terrain in sight.
UNCHANGED_SHARE = 0.01


class Ground:
    """Terrain heights under map points, from the scene's rasters (NaN where none covers)."""

    def __init__(self, rasters: list[RasterData]) -> None:
        self._rasters = rasters

    def heights(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = np.full(len(x), np.nan)
        for raster in self._rasters:
            inverse = ~raster.transform
            cols = np.floor(inverse.a * x + inverse.b * y + inverse.c).astype(np.int64)
            rows = np.floor(inverse.d * x + inverse.e * y + inverse.f).astype(np.int64)
            height, width = raster.shape
            open_ = np.isnan(z) & (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
            z[open_] = raster.values[rows[open_], cols[open_]]
        return z

    def heights_or(self, x: np.ndarray, y: np.ndarray, default: float) -> np.ndarray:
        z = self.heights(x, y)
        return np.where(np.isnan(z), default, z)


FLAT_GROUND = Ground([])


def raster_surface(raster: RasterData, origin: Origin) -> pv.PolyData:
    """A terrain surface of cell centres with an 'elevation' array; no-data cells left out."""
    stride = max(1, int(np.ceil(np.sqrt(raster.values.size / MAX_GRID_POINTS))))
    xs, ys = raster.cell_centres(slice(None, None, stride), slice(None, None, stride))
    heights = raster.values[::stride, ::stride].astype(np.float64)
    valid = ~np.isnan(heights)
    filled = np.where(valid, heights, np.nanmin(heights) if valid.any() else 0.0)
    grid = pv.StructuredGrid(xs - origin[0], ys - origin[1], filled - origin[2])
    grid.point_data["elevation"] = filled.ravel(order="F")
    grid.point_data["valid"] = valid.ravel(order="F").astype(np.uint8)
    surface = grid.extract_surface(algorithm="dataset_surface")
    if valid.all():
        return surface
    kept = surface.threshold(0.5, scalars="valid", preference="point", all_scalars=True)
    return kept.extract_surface(algorithm="dataset_surface")


def point_cloud(points: PointCloudData, origin: Origin) -> pv.PolyData:
    cloud = pv.PolyData(points.xyz - np.asarray(origin))
    cloud.point_data["elevation"] = points.xyz[:, 2]
    for name, values in points.attributes.items():
        cloud.point_data[name] = values
    return cloud


def building_mesh(buildings: BuildingData, origin: Origin) -> pv.PolyData:
    faces = np.hstack([np.full((len(buildings.triangles), 1), 3), buildings.triangles]).ravel()
    mesh = pv.PolyData(buildings.vertices - np.asarray(origin), faces)
    mesh.cell_data["building"] = buildings.triangle_building
    mesh.cell_data["surface"] = buildings.triangle_surface
    for name, values in buildings.attributes.items():
        if values.dtype.kind in "biuf":
            mesh.cell_data[name] = values[buildings.triangle_building]
    return mesh


def polylines(geometries: np.ndarray, origin: Origin, heights: np.ndarray | float) -> pv.PolyData:
    """Lines (shapely) as one PolyData with a 'feature' id per line cell.

    `heights` is one height for every vertex, or one per vertex in shapely's coordinate order.
    """
    coords, owner = shapely.get_coordinates(geometries, return_index=True)
    z = np.broadcast_to(np.asarray(heights, dtype=np.float64), len(coords))
    points = np.column_stack([coords - np.asarray(origin[:2]), z - origin[2]])
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
    counts = np.diff(np.r_[starts, len(owner)])
    # VTK's line cells: [n, i0, ..., in-1, m, j0, ...], built without a loop over features.
    lines = np.empty(len(owner) + len(starts), dtype=np.int64)
    is_count = np.zeros(len(lines), dtype=bool)
    is_count[starts + np.arange(len(starts))] = True
    lines[is_count] = counts
    lines[~is_count] = np.arange(len(owner))
    mesh = pv.PolyData(points, lines=lines)
    mesh.cell_data["feature"] = owner[starts]
    return mesh


def street_lines(streets: StreetData, origin: Origin, ground: Ground = FLAT_GROUND) -> pv.PolyData:
    """Streets laid on the terrain, densified so they follow it between their vertices."""
    dense = shapely.segmentize(shapely.force_2d(streets.geometries), DRAPE_STEP)
    coords = shapely.get_coordinates(dense)
    heights = ground.heights_or(coords[:, 0], coords[:, 1], default=origin[2]) + STREET_LIFT
    mesh = polylines(dense, origin, heights)
    segment = mesh.cell_data["feature"]
    for name, values in streets.attributes.items():
        if values.dtype.kind in "biuf":
            mesh.cell_data[name] = values[segment]
    if streets.inspections is not None:
        mesh.cell_data["condition"] = streets.inspections.latest(len(streets))[segment]
    return mesh


def sensor_points(sensors: SensorData, origin: Origin, ground: Ground = FLAT_GROUND) -> pv.PolyData:
    """Stations at their height, or standing on the terrain where their height is unknown."""
    xyz = sensors.xyz.astype(np.float64, copy=True)
    unknown = np.isnan(xyz[:, 2])
    xyz[unknown, 2] = ground.heights_or(xyz[unknown, 0], xyz[unknown, 1], origin[2]) + SENSOR_LIFT
    points = pv.PolyData(xyz - np.asarray(origin))
    points.point_data["station"] = np.arange(len(sensors))
    for name, values in sensors.attributes.items():
        if values.dtype.kind in "biuf":  # what the layer offers to colour by (latest values too)
            points.point_data[name] = values
    return points


def result_sheet(result: ResultRaster, origin: Origin, ground: Ground = FLAT_GROUND) -> pv.PolyData:
    """A result grid as a sheet of cell centres laid just above the terrain.

    'cell' holds each point's flat index (row * width + col) into the full grid, so a time step
    is shown by refilling the 'values' array in place, and a picked point finds its cell.
    """
    height, width = result.values.shape[-2:]
    stride = max(1, int(np.ceil(np.sqrt(height * width / MAX_GRID_POINTS))))
    rows, cols = np.arange(0, height, stride), np.arange(0, width, stride)
    xs, ys = RasterData(np.zeros((height, width), np.float32), result.transform,
                        result.crs).cell_centres(slice(None, None, stride), slice(None, None, stride))
    z = ground.heights_or(xs.ravel(), ys.ravel(), default=origin[2]).reshape(xs.shape) + RESULT_LIFT
    grid = pv.StructuredGrid(xs - origin[0], ys - origin[1], z - origin[2])
    grid.point_data["cell"] = (rows[:, None] * width + cols[None, :]).ravel(order="F")
    sheet = grid.extract_surface(algorithm="dataset_surface")
    sheet.point_data["values"] = result_values(result, sheet.point_data["cell"], step=0)
    return sheet


def result_values(result: ResultRaster, cells: np.ndarray, step: int) -> np.ndarray:
    """The grid's values at flat cell indices (of one time step); dry cells of a depth are NaN, and
    so are the cells of a difference that hardly changed.

    Cells drawn as NaN (transparent) keep the terrain visible under a flood or a comparison.
    """
    grid = result.values if result.times is None else result.values[step]
    values = grid.ravel()[cells].astype(np.float32)
    if result.palette == "water" or (not result.palette and "depth" in result.name):
        values[values < DRY_DEPTH] = np.nan
    elif result.palette == "difference":
        values[np.abs(values) < UNCHANGED_SHARE * _largest_change(result)] = np.nan
    return values


def _largest_change(result: ResultRaster) -> float:
    finite = np.abs(result.values[np.isfinite(result.values)])
    return float(finite.max()) if finite.size else 0.0


def quarter_outlines(quarters: list[Quarter], origin: Origin, ground: Ground = FLAT_GROUND,
                     lift: float = 3.0) -> pv.PolyData:
    """Quarter boundaries drawn a little above the terrain they cross."""
    rings = shapely.segmentize(np.array([quarter.polygon.exterior if quarter.polygon.geom_type == "Polygon"
                                         else quarter.polygon.geoms[0].exterior for quarter in quarters]),
                               DRAPE_STEP)
    coords = shapely.get_coordinates(rings)
    heights = ground.heights(coords[:, 0], coords[:, 1])
    typical = float(np.nanmedian(heights)) if np.isfinite(heights).any() else origin[2]
    return polylines(rings, origin, np.where(np.isnan(heights), typical, heights) + lift)


_BUILDERS: dict[type, Callable[[object, Origin], pv.PolyData]] = {
    RasterData: raster_surface,
    PointCloudData: point_cloud,
    BuildingData: building_mesh,
}
# Data without heights of their own, laid on the terrain.
_DRAPED_BUILDERS: dict[type, Callable[[object, Origin, Ground], pv.PolyData]] = {
    StreetData: street_lines,
    SensorData: sensor_points,
    ResultRaster: result_sheet,
}


def mesh_for_layer(layer: Layer, origin: Origin, ground: Ground = FLAT_GROUND) -> pv.PolyData | None:
    """The layer's mesh, or None for layers drawn on another layer (result tables).

    `ground` lays streets and stations without a height on the terrain.
    """
    data_type = type(layer.data)
    if data_type in _DRAPED_BUILDERS:
        return _DRAPED_BUILDERS[data_type](layer.data, origin, ground)
    builder = _BUILDERS.get(data_type)
    return builder(layer.data, origin) if builder else None
