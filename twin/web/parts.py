"""The scene's layers as the published site carries them: a mesh in the site's local frame, the
legend of its colouring and the attributes of its features.

Map coordinates (EPSG:25833 metres, six and seven digits) would lose centimetres in the float32
that browsers draw with, so every mesh is shifted to a local origin (kept in the site's metadata)
and turned into glTF's axes: x east, y up, z south.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from matplotlib.colors import to_rgb
from shapely.geometry.base import BaseGeometry

from twin.core.data import BuildingData, RasterData, SurfaceKind
from twin.core.layers import Layer, ResultRasterLayer, ResultTableLayer
from twin.core.numbers import format_value
from twin.core.report_tables import ID_COLUMNS
from twin.web.colours import Colouring, value_range
from twin.web.glb import LINES, MeshPart

MAX_GRID_SIDE = 320  # cells along a grid's longer side in the browser: 1 km of DTM at about 3 m
STREET_LIFT_M = 0.6  # streets and results float this far above the ground, so the terrain hides neither
RESULT_LIFT_M = 0.3
_SURFACE_RGB = {SurfaceKind.ROOF: "#b4553c", SurfaceKind.WALL: "#ece4d4"}  # as the desktop renderer
_OTHER_SURFACE_RGB = "#d9cbb8"
_STREET_RGB = (60, 60, 60)


@dataclass(frozen=True)
class LocalFrame:
    """The site's origin in map coordinates; local = (x - x0, z - z0, -(y - y0))."""

    origin: tuple[float, float, float]

    def to_local(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        x0, y0, z0 = self.origin
        return np.column_stack([np.asarray(x, np.float64) - x0, np.asarray(z, np.float64) - z0,
                                y0 - np.asarray(y, np.float64)]).astype(np.float32)


class Ground:
    """Terrain heights at map positions, from the scene's terrain grids (nearest cell)."""

    def __init__(self, grids: list[RasterData], fallback: float) -> None:
        self._grids, self._fallback = grids, fallback

    def heights(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        heights = np.full(len(x), np.nan)
        for grid in self._grids:
            cols, rows = ~grid.transform @ (np.asarray(x, np.float64), np.asarray(y, np.float64))
            rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
            inside = (rows >= 0) & (rows < grid.shape[0]) & (cols >= 0) & (cols < grid.shape[1])
            found = np.full(len(x), np.nan)
            found[inside] = grid.values[rows[inside], cols[inside]]
            heights = np.where(np.isnan(heights), found, heights)
        return np.where(np.isfinite(heights), heights, self._fallback)


@dataclass
class Features:
    """What a click on a feature shows: one row of readable values per feature, in mesh order;
    `sections` starts a titled group of columns at a column number (a result's figures)."""

    columns: list[str]
    rows: list[list[str]]
    sections: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"columns": self.columns, "rows": self.rows, "sections": [list(s) for s in self.sections]}


@dataclass
class ColumnGroup:
    """Columns of one source (the layer's attributes, or a result joined to its features)."""

    title: str
    columns: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class PublishedLayer:
    name: str
    kind: str  # terrain, buildings, streets or result (the viewer's groups)
    mesh: MeshPart
    visible: bool = True
    opacity: float = 1.0
    colouring: Colouring | None = None
    features: Features | None = None
    extras: dict = field(default_factory=dict)


def feature_table(ids: np.ndarray, id_name: str, groups: list[ColumnGroup]) -> Features:
    """Rows of formatted values (the desktop's number format): the id, then each group's columns
    but their id columns."""
    titles, cells, sections = [id_name], [[str(value) for value in ids]], []
    for group in groups:
        names = [name for name in group.columns if name not in ID_COLUMNS]
        if group.title:
            sections.append((len(titles), group.title))
        titles += [_title(group.labels.get(name) or name.replace("_", " "), group.units.get(name, ""))
                   for name in names]
        cells += [[format_value(_plain(value), group.units.get(name, ""), name=name)
                   for value in group.columns[name]] for name in names]
    return Features(titles, [list(row) for row in zip(*cells, strict=True)], sections)


def _title(words: str, unit: str) -> str:
    return f"{words} ({unit})" if unit else words


def _plain(value: object) -> object:
    """NaN and empty numbers read as empty cells; numpy scalars as Python ones."""
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def grid_mesh(values: np.ndarray, transform: Affine, heights: np.ndarray | None, colours: np.ndarray,
              frame: LocalFrame, shown: np.ndarray) -> MeshPart:
    """A surface through the cell centres of a grid, two triangles per square of four shown cells.

    `heights` per cell (None: the values are the heights); `colours` (rows, cols, 3) per cell;
    `shown` marks the cells drawn. Larger grids are thinned to MAX_GRID_SIDE cells a side.
    """
    step = max(1, math.ceil(max(values.shape) / MAX_GRID_SIDE))
    values, colours, shown = values[::step, ::step], colours[::step, ::step], shown[::step, ::step]
    heights = values if heights is None else heights[::step, ::step]
    rows, cols = np.mgrid[0:values.shape[0], 0:values.shape[1]]
    x, y = (transform @ Affine.scale(step)) @ (cols.ravel() + 0.5, rows.ravel() + 0.5)
    corners = shown[:-1, :-1] & shown[1:, :-1] & shown[:-1, 1:] & shown[1:, 1:]
    top_left = (rows[:-1, :-1] * values.shape[1] + cols[:-1, :-1])[corners]
    width = values.shape[1]
    triangles = np.concatenate([np.column_stack([top_left, top_left + width, top_left + 1]),
                                np.column_stack([top_left + 1, top_left + width, top_left + width + 1])])
    # Only the vertices of drawn squares: the others may have no height (no-data cells).
    used, triangles = np.unique(triangles, return_inverse=True)
    positions = frame.to_local(x[used], y[used], heights.ravel()[used])
    return MeshPart(positions, colours.reshape(-1, 3)[used], indices=triangles.reshape(-1, 3))


def terrain_layer(layer: Layer, frame: LocalFrame, area: BaseGeometry | None) -> PublishedLayer | None:
    grid: RasterData = layer.data
    shown = np.isfinite(grid.values) & _inside(grid.transform, grid.values.shape, area)
    if not shown.any():
        return None
    colouring = Colouring(layer.attribute_label("elevation"), layer.colormap if layer.color_by else "earth",
                          value_range(grid.values[shown], layer.color_range))
    colours = colouring.rgb(grid.values.ravel()).reshape(*grid.values.shape, 3)
    mesh = grid_mesh(grid.values, grid.transform, None, colours, frame, shown)
    return PublishedLayer(layer.name, "terrain", mesh, layer.visible, layer.opacity,
                          colouring if layer.color_by else None)


def result_grid_layer(layer: ResultRasterLayer, frame: LocalFrame, ground: Ground,
                      area: BaseGeometry | None) -> PublishedLayer | None:
    """A simulated grid at its current time step, draped over the ground; cells without a value
    or of exactly zero (dry ground, no change) are left out so the scene shows through."""
    result = layer.data
    values = result.values if result.times is None else result.values[layer.time_index]
    shown = np.isfinite(values) & (values != 0) & _inside(result.transform, values.shape, area)
    if not shown.any():
        return None
    attribute = layer.color_by or result.name
    colouring = Colouring(layer.attribute_label(attribute), _result_colormap(layer),
                          value_range(layer.attribute_values(attribute), layer.color_range))
    rows, cols = np.mgrid[0:values.shape[0], 0:values.shape[1]]
    x, y = result.transform @ (cols.ravel() + 0.5, rows.ravel() + 0.5)
    heights = ground.heights(x, y).reshape(values.shape) + RESULT_LIFT_M
    colours = colouring.rgb(values.ravel()).reshape(*values.shape, 3)
    mesh = grid_mesh(values, result.transform, heights, colours, frame, shown)
    step = layer.time_labels[layer.time_index] if layer.time_labels else ""
    return PublishedLayer(layer.name, "result", mesh, layer.visible, layer.opacity, colouring,
                          extras={"time_step": step})


def _result_colormap(layer: Layer) -> str:
    """The colour map chosen for the layer, else the result's declared palette."""
    if layer.color_by is None and getattr(layer.data, "palette", ""):
        return layer.data.palette
    return layer.colormap


def _inside(transform: Affine, shape: tuple[int, int], area: BaseGeometry | None) -> np.ndarray:
    if area is None:
        return np.ones(shape, dtype=bool)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    x, y = transform @ (cols + 0.5, rows + 0.5)
    return shapely.contains_xy(area, x, y)


def buildings_in(data: BuildingData, area: BaseGeometry | None) -> np.ndarray:
    """The rows of the buildings whose centre (the mean of their vertices) lies in `area`."""
    if area is None:
        return np.arange(len(data))
    corners = data.triangles.ravel()
    owner = np.repeat(data.triangle_building, 3)
    counts = np.bincount(owner, minlength=len(data))
    x = np.bincount(owner, data.vertices[corners, 0], minlength=len(data)) / np.maximum(counts, 1)
    y = np.bincount(owner, data.vertices[corners, 1], minlength=len(data)) / np.maximum(counts, 1)
    return np.flatnonzero((counts > 0) & shapely.contains_xy(area, x, y))


def buildings_mesh(data: BuildingData, rows: np.ndarray, frame: LocalFrame,
                   building_rgb: np.ndarray | None = None) -> MeshPart:
    """The triangles of the buildings `rows`, each vertex its own (flat shading, one colour per
    triangle): roofs and walls in the renderer's colours, or `building_rgb` per building row."""
    feature_of_row = np.full(len(data), -1)
    feature_of_row[rows] = np.arange(len(rows))
    kept = feature_of_row[data.triangle_building] >= 0
    corners = data.vertices[data.triangles[kept].ravel()]
    owners = np.repeat(data.triangle_building[kept], 3)
    if building_rgb is None:
        surface = data.triangle_surface[kept]
        rgb = np.array([_rgb(_SURFACE_RGB.get(SurfaceKind(kind), _OTHER_SURFACE_RGB)) for kind in range(
            int(surface.max(initial=0)) + 1)], dtype=np.uint8)
        colours = np.repeat(rgb[surface], 3, axis=0)
    else:
        colours = building_rgb[owners]
    return MeshPart(frame.to_local(corners[:, 0], corners[:, 1], corners[:, 2]), colours,
                    feature_ids=feature_of_row[owners], feature_count=len(rows))


def streets_mesh(geometries: np.ndarray, ground: Ground, frame: LocalFrame,
                 segment_rgb: np.ndarray | None = None) -> MeshPart:
    """Each street segment as line pieces on the ground (lifted a little), one feature per segment."""
    points, owners = [], []
    for number, geometry in enumerate(geometries):
        for line in getattr(geometry, "geoms", [geometry]):
            coordinates = np.asarray(line.coords)[:, :2]
            pieces = np.repeat(coordinates, 2, axis=0)[1:-1]  # a b, b c, c d ...
            points.append(pieces)
            owners.append(np.full(len(pieces), number))
    if not points:
        return MeshPart(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8), mode=LINES)
    xy, owner = np.concatenate(points), np.concatenate(owners)
    z = ground.heights(xy[:, 0], xy[:, 1]) + STREET_LIFT_M
    colours = np.tile(_STREET_RGB, (len(xy), 1)) if segment_rgb is None else segment_rgb[owner]
    return MeshPart(frame.to_local(xy[:, 0], xy[:, 1], z), colours.astype(np.uint8), mode=LINES,
                    feature_ids=owner, feature_count=len(geometries))


def joined_rows(table_ids: np.ndarray, feature_ids: np.ndarray) -> np.ndarray:
    """The table row of each feature, -1 where the table has none (joined by id as text)."""
    rows_by_id = {str(value): row for row, value in enumerate(table_ids)}
    return np.array([rows_by_id.get(str(value), -1) for value in feature_ids], dtype=np.int64)


def id_column_of(layer: ResultTableLayer) -> str | None:
    return next((name for name in ID_COLUMNS if name in layer.data.columns), None)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(round(channel * 255)) for channel in to_rgb(colour))
