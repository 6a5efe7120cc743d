"""Plain data the readers produce and the layers hold: numpy arrays, attribute columns, a CRS.

Nothing here knows a file format, Qt or VTK. Attribute tables are dicts of equal-length
numpy arrays (one row per feature), so simulations can work on whole columns at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

import numpy as np
import shapely
from affine import Affine

from twin.core.fields import Category

Bounds = tuple[float, ...]  # (minx, miny, maxx, maxy) or (minx, miny, minz, maxx, maxy, maxz)


def _column_length(columns: dict[str, np.ndarray]) -> int | None:
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"attribute columns differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else None


def _check_columns(columns: dict[str, np.ndarray], rows: int, what: str) -> None:
    length = _column_length(columns)
    if length is not None and length != rows:
        raise ValueError(f"{what} has {rows} features but attribute columns of length {length}")


@dataclass
class RasterData:
    """A single-band grid. Cells without data are NaN in `values`; `nodata` is kept for writing."""

    values: np.ndarray
    transform: Affine
    crs: str | None
    nodata: float | None = None
    units: str = "m"

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(f"a raster needs a 2-D array, got shape {self.values.shape}")
        if self.transform.b != 0 or self.transform.d != 0:
            raise ValueError("rotated rasters are not supported; warp the raster north-up first")

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def resolution(self) -> tuple[float, float]:
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> Bounds:
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def cell_centres(
        self, rows: slice = slice(None), cols: slice = slice(None)
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates (x, y) of the cell centres in a window (default: the whole grid)."""
        height, width = self.shape
        col_index = np.arange(width)[cols] + 0.5
        row_index = np.arange(height)[rows] + 0.5
        xs = self.transform.c + col_index * self.transform.a
        ys = self.transform.f + row_index * self.transform.e
        return np.meshgrid(xs, ys)


@dataclass
class PointCloudData:
    """Points in map coordinates with their per-point attributes (classification, intensity...)."""

    xyz: np.ndarray
    crs: str | None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    total_points: int | None = None  # points in the file, where `xyz` holds a display sample

    def __post_init__(self) -> None:
        if self.xyz.ndim != 2 or self.xyz.shape[1] != 3:
            raise ValueError(f"point coordinates need shape (n, 3), got {self.xyz.shape}")
        _check_columns(self.attributes, len(self.xyz), "point cloud")

    @cached_property  # the coordinates never change after reading; scanning millions costs
    def bounds(self) -> Bounds:
        if len(self.xyz) == 0:
            return (np.nan,) * 6
        return (*self.xyz.min(axis=0), *self.xyz.max(axis=0))


class SurfaceKind(IntEnum):
    """Semantic class of a building triangle, after the CityGML boundary surfaces."""

    UNCLASSIFIED = 0
    ROOF = 1
    WALL = 2
    GROUND = 3
    CLOSURE = 4
    OUTER_CEILING = 5
    OUTER_FLOOR = 6
    WINDOW = 7
    DOOR = 8


@dataclass
class BuildingData:
    """Buildings as one triangle mesh plus per-building attributes and footprints.

    `triangle_building[t]` is the row of the building triangle t belongs to, so a whole
    city renders as one mesh and a picked triangle finds its building.
    """

    ids: np.ndarray
    attributes: dict[str, np.ndarray]
    vertices: np.ndarray
    triangles: np.ndarray
    triangle_building: np.ndarray
    triangle_surface: np.ndarray
    footprints: np.ndarray  # shapely geometries (Polygon or MultiPolygon), None where unknown
    crs: str | None
    skipped_polygons: int = 0

    def __post_init__(self) -> None:
        rows = len(self.ids)
        _check_columns(self.attributes, rows, "building model")
        if len(self.footprints) != rows:
            raise ValueError(f"{rows} buildings but {len(self.footprints)} footprints")
        if not (len(self.triangles) == len(self.triangle_building) == len(self.triangle_surface)):
            raise ValueError("triangle arrays differ in length")

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property  # the coordinates never change after reading; scanning millions costs
    def bounds(self) -> Bounds:
        if len(self.vertices) == 0:
            return (np.nan,) * 6
        return (*self.vertices.min(axis=0), *self.vertices.max(axis=0))


@dataclass
class Inspections:
    """Dated condition ratings of street segments, one row per inspection (a long table).

    `segment[i]` is the row in the StreetData the i-th rating belongs to; ratings are
    condition values on the German 1.0 (very good) to 5.0 (very poor) scale.
    """

    segment: np.ndarray  # int
    date: np.ndarray  # datetime64[D]
    rating: np.ndarray  # float

    def __post_init__(self) -> None:
        if not (len(self.segment) == len(self.date) == len(self.rating)):
            raise ValueError("inspection columns differ in length")

    def __len__(self) -> int:
        return len(self.segment)

    def latest(self, segments: int) -> np.ndarray:
        """The most recent rating of each of `segments` segments; NaN where a segment has none."""
        latest = np.full(segments, np.nan)
        order = np.lexsort((self.date, self.segment))  # by segment, then date: each segment's last wins
        latest[self.segment[order]] = self.rating[order]
        return latest

    def of_segment(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Dates and ratings of one segment, oldest first."""
        mine = np.flatnonzero(self.segment == row)
        order = mine[np.argsort(self.date[mine], kind="stable")]
        return self.date[order], self.rating[order]


# The twin's street schema (twin/io/streets.py): the measured condition quantities, by column.
STREET_SCHEMA: dict[str, tuple[str, str]] = {
    "width_m": ("width", "m"), "length_m": ("length", "m"),
    "unevenness_max_mm": ("unevenness, maximum", "mm"), "unevenness_mean_mm": ("unevenness, mean", "mm"),
    "rut_depth_mm": ("rut depth", "mm"), "water_depth_mm": ("water depth in ruts", "mm"),
    "cracks_pct": ("cracks", "%"), "patches_pct": ("patches", "%"), "other_damage_pct": ("other damage", "%"),
}


@dataclass
class StreetData:
    """Street segments as shapely LineStrings with one attribute row each."""

    ids: np.ndarray
    geometries: np.ndarray
    attributes: dict[str, np.ndarray]
    crs: str | None
    inspections: Inspections | None = None

    def __post_init__(self) -> None:
        if len(self.geometries) != len(self.ids):
            raise ValueError(f"{len(self.ids)} segment ids but {len(self.geometries)} geometries")
        _check_columns(self.attributes, len(self.ids), "street network")
        if self.inspections is not None and len(self.inspections) and (
                self.inspections.segment.min() < 0 or self.inspections.segment.max() >= len(self.ids)):
            raise ValueError("an inspection refers to a segment the street network does not have")

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def bounds(self) -> Bounds:
        return tuple(shapely.total_bounds(self.geometries))

    def lengths(self) -> np.ndarray:
        return shapely.length(self.geometries)


@dataclass
class TimeSeries:
    """Observations of one datastream: UTC times (datetime64[s]) and values."""

    times: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        if len(self.times) != len(self.values):
            raise ValueError("a time series needs as many times as values")


@dataclass
class Datastream:
    id: str
    station_id: str
    name: str
    quantity: str
    unit: str
    series: TimeSeries


@dataclass
class SensorData:
    """Measuring stations (one row each, with x, y, z) and their datastreams."""

    ids: np.ndarray
    xyz: np.ndarray
    attributes: dict[str, np.ndarray]
    datastreams: list[Datastream]
    crs: str | None

    def __post_init__(self) -> None:
        _check_columns(self.attributes, len(self.ids), "sensor table")

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property  # the coordinates never change after reading; scanning millions costs
    def bounds(self) -> Bounds:
        if len(self.xyz) == 0:
            return (np.nan,) * 6
        return (*self.xyz.min(axis=0), *self.xyz.max(axis=0))

    def datastreams_of(self, station_id: str) -> list[Datastream]:
        return [stream for stream in self.datastreams if stream.station_id == station_id]


@dataclass
class ResultRaster:
    """A simulated grid, or a stack of grids over time (`times` in seconds from the start)."""

    name: str
    values: np.ndarray
    transform: Affine
    crs: str | None
    units: str
    description: str = ""
    times: np.ndarray | None = None
    label: str = ""  # how a reader names the quantity; the runner fills it from the declaration
    palette: str = ""  # a declared colour palette ("water"); empty: the renderer's default

    def __post_init__(self) -> None:
        expected = 2 if self.times is None else 3
        if self.values.ndim != expected:
            raise ValueError(f"result '{self.name}' needs a {expected}-D array")
        if self.times is not None and len(self.times) != len(self.values):
            raise ValueError(f"result '{self.name}' has {len(self.times)} times for "
                             f"{len(self.values)} grids")

    @property
    def bounds(self) -> Bounds:
        grid = self.values if self.times is None else self.values[0]
        return RasterData(grid, self.transform, self.crs).bounds


@dataclass
class ResultTable:
    """Simulated values per feature of a layer (building, street segment, station)."""

    name: str
    target_layer: str
    columns: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # Filled by the runner from the simulation's declared outputs: a label per column, and the
    # column that shows what the result is about (drawn while the user has chosen no colouring).
    labels: dict[str, str] = field(default_factory=dict)
    headline: str | None = None
    categories: dict[str, tuple[Category, ...]] = field(default_factory=dict)  # by column or year series

    def __post_init__(self) -> None:
        _column_length(self.columns)

    def __len__(self) -> int:
        return _column_length(self.columns) or 0
