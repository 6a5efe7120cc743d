"""An airborne LiDAR point cloud (LAZ, LAS 1.4, point format 6) of a planned quarter, like GeoSN's.

Not surveyed. The survey is simulated as flight strips 500 m wide, flown north at 60 m/s from
1000 m: each scan line sends pulses across the strip at the chosen density (pulses per m2,
with a little jitter), and a pulse returns from the first surface below it:
- a roof (class 6): the same roof function the CityGML is written from (buildings.roof_height),
  at the same ground height, so LiDAR and model agree to the centimetre noise;
- a tree crown (class 5): an ellipsoid over the ground; many pulses return a second time from
  the ground (or roof) below, and some a third time inside the crown;
- otherwise the ground (class 2): the DTM, bilinear, plus 3 cm noise.
Points come in acquisition order (strip, scan line, pulse), which is also what keeps the LAZ
small. Intensities are raw sensor values (asphalt dark, grass and gravel bright, roofs per
material), gps_time is adjusted standard GPS time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import laspy
import numpy as np
import pyproj
import rasterio.features
import shapely
from affine import Affine

from data.generator.buildings import ground_heights, local_coordinates, roof_height
from data.generator.layout import ROOF_FLAT, QuarterPlan
from twin.core.data import RasterData

GROUND, HIGH_VEGETATION, BUILDING = 2, 5, 6
STRIP_WIDTH = 500.0
FLIGHT_HEIGHT = 1000.0
SPEED = 60.0  # m/s
TURN_SECONDS = 240.0
FLIGHT_DATE = datetime.date(2023, 4, 18)
# Adjusted standard GPS time (GPS seconds minus 1e9) of the first pulse, 2023-04-18 09:00 UTC.
START_TIME = (datetime.datetime(2023, 4, 18, 9, 0, 18) - datetime.datetime(1980, 1, 6)).total_seconds() - 1e9
CHUNK_PULSES = 500_000
GROUND_NOISE, ROOF_NOISE, CROWN_NOISE = 0.03, 0.015, 0.3
RETURNS_IN_CROWN = (0.35, 0.45, 0.2)  # chance of 1, 2 or 3 returns for a pulse hitting a crown


@dataclass
class Strip:
    """The pulses of one flight strip on their grid (scan line, pulse) and what each one hits first."""

    number: int
    first_col: int
    pulse_x: np.ndarray  # (pulses,) easting of each pulse along a scan line, before the line's shift
    line_y: np.ndarray  # (lines,) northing of each scan line, before its shift
    line_shift: np.ndarray  # (2, lines) how far roll and pitch move each line east and north
    roof: np.ndarray  # (lines, pulses) absolute roof height under the pulse, NaN where none (float32)
    roof_building: np.ndarray  # index of that building, -1 where none
    crown_top: np.ndarray  # highest crown surface under the pulse, NaN where none (float32)
    crown_base: np.ndarray  # the crown's lowest height at that place

    @property
    def shape(self) -> tuple[int, int]:
        return self.roof.shape  # type: ignore[return-value]

    def coordinates(self, lines: slice, pulses: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates (x, y) of the pulses in a window, shaped (lines, pulses)."""
        x = self.pulse_x[pulses] + self.line_shift[0, lines, None]
        y = self.line_y[lines, None] + self.line_shift[1, lines, None] + np.zeros_like(self.pulse_x[pulses])
        return x, y


def write_laz(plan: QuarterPlan, dtm: RasterData, path: Path, rng: np.random.Generator,
              density: float = 5.0) -> Path:
    """The quarter's bounding box scanned at `density` pulses per m2, written as LAZ in EPSG:25833."""
    spacing = 1.0 / np.sqrt(density)
    minx, miny, maxx, maxy = plan.quarter.bounds
    cols, rows = int(np.ceil((maxx - minx) / spacing)), int(np.ceil((maxy - miny) / spacing))
    strip_cols = int(np.ceil(STRIP_WIDTH / spacing))
    grounds = ground_heights(plan.buildings, dtm)
    roof_brightness = _roof_brightness(plan, rng)
    streets = _street_mask(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    with laspy.open(path, mode="w", header=_header(plan), do_compress=True) as writer:
        for number, first_col in enumerate(range(0, cols, strip_cols)):
            strip = _scan_strip(plan, dtm, grounds, number, first_col,
                                min(first_col + strip_cols, cols), rows, spacing, rng)
            lines_per_chunk = max(1, CHUNK_PULSES // strip.shape[1])
            for line in range(0, rows, lines_per_chunk):
                lines = slice(line, line + lines_per_chunk)
                writer.write_points(_points(writer.header, plan, dtm, strip, lines, spacing,
                                            roof_brightness, streets, rng))
    return path


def _header(plan: QuarterPlan) -> laspy.LasHeader:
    minx, miny, _, _ = plan.quarter.bounds
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([np.floor(minx / 1000) * 1000, np.floor(miny / 1000) * 1000, 0.0])
    header.add_crs(pyproj.CRS("EPSG:25833"))
    header.global_encoding.gps_time_type = laspy.header.GpsTimeType.STANDARD
    header.system_identifier = "GENERATED DEMO (not surveyed)"
    header.generating_software = "dresden-twin data/generator"
    header.creation_date = FLIGHT_DATE  # fixed, so the same seed writes the same file
    return header


def terrain_heights(dtm: RasterData, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The DTM interpolated bilinearly between cell centres."""
    col = (x - dtm.transform.c) / dtm.transform.a - 0.5
    row = (y - dtm.transform.f) / dtm.transform.e - 0.5
    height, width = dtm.shape
    col0 = np.clip(np.floor(col).astype(np.int64), 0, width - 2)
    row0 = np.clip(np.floor(row).astype(np.int64), 0, height - 2)
    tc, tr = np.clip(col - col0, 0, 1), np.clip(row - row0, 0, 1)
    values = dtm.values
    top = values[row0, col0] * (1 - tc) + values[row0, col0 + 1] * tc
    bottom = values[row0 + 1, col0] * (1 - tc) + values[row0 + 1, col0 + 1] * tc
    return top * (1 - tr) + bottom * tr


def _scan_strip(plan: QuarterPlan, dtm: RasterData, grounds: np.ndarray, number: int, first_col: int,
                end_col: int, rows: int, spacing: float, rng: np.random.Generator) -> Strip:
    minx, miny, _, _ = plan.quarter.bounds
    shape = (rows, end_col - first_col)
    # Scan lines wobble as the aircraft rolls and pitches; along a line the pulses are regular.
    strip = Strip(number, first_col, minx + (np.arange(first_col, end_col) + 0.5) * spacing,
                  miny + (np.arange(rows) + 0.5) * spacing, rng.uniform(-0.2, 0.2, (2, rows)) * spacing,
                  np.full(shape, np.nan, np.float32), np.full(shape, -1, np.int32),
                  np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32))
    _hit_roofs(plan, grounds, strip, spacing)
    _hit_crowns(plan, dtm, strip, spacing)
    return strip


def _window(strip: Strip, spacing: float, origin: tuple[float, float],
            bounds: tuple[float, float, float, float]) -> tuple[slice, slice] | None:
    """The pulses of a strip that may fall inside `bounds` (the grid cells around it, plus jitter)."""
    x0, y0, x1, y1 = bounds
    rows, cols = strip.shape
    col0 = max(int((x0 - origin[0]) / spacing) - 1 - strip.first_col, 0)
    col1 = min(int((x1 - origin[0]) / spacing) + 2 - strip.first_col, cols)
    row0, row1 = max(int((y0 - origin[1]) / spacing) - 1, 0), min(int((y1 - origin[1]) / spacing) + 2, rows)
    if col0 >= col1 or row0 >= row1:
        return None
    return slice(row0, row1), slice(col0, col1)


def _hit_roofs(plan: QuarterPlan, grounds: np.ndarray, strip: Strip, spacing: float) -> None:
    origin = plan.quarter.bounds[:2]
    for index, (building, bounds) in enumerate(zip(plan.buildings, _bounds(plan), strict=True)):
        window = _window(strip, spacing, origin, bounds)
        if window is None:
            continue
        u, v = local_coordinates(building.frame, *strip.coordinates(*window))
        inside = (np.abs(u) <= building.frame.length / 2) & (np.abs(v) <= building.frame.width / 2)
        if not inside.any():
            continue
        strip.roof[window][inside] = grounds[index] + roof_height(building, u[inside], v[inside])
        strip.roof_building[window][inside] = index


def _hit_crowns(plan: QuarterPlan, dtm: RasterData, strip: Strip, spacing: float) -> None:
    trees, origin = plan.trees, plan.quarter.bounds[:2]
    feet = terrain_heights(dtm, trees.x, trees.y)
    semi_axis = 0.65 * trees.height / 2  # the crown fills the upper 65 % of the tree
    centres = feet + trees.height - semi_axis
    for tree in range(len(trees)):
        tx, ty, radius = trees.x[tree], trees.y[tree], trees.crown_radius[tree]
        window = _window(strip, spacing, origin, (tx - radius, ty - radius, tx + radius, ty + radius))
        if window is None:
            continue
        x, y = strip.coordinates(*window)
        share = 1 - ((x - tx) ** 2 + (y - ty) ** 2) / radius ** 2
        rise = semi_axis[tree] * np.sqrt(np.maximum(share, 0))
        tops, bases = strip.crown_top[window], strip.crown_base[window]  # views into the strip
        higher = (share > 0) & ~(tops >= centres[tree] + rise)  # where no crown is yet, tops are NaN
        tops[higher] = (centres[tree] + rise)[higher]
        bases[higher] = (centres[tree] - rise)[higher]


def _bounds(plan: QuarterPlan) -> np.ndarray:
    return shapely.bounds(np.array([building.footprint for building in plan.buildings], dtype=object))


def _roof_brightness(plan: QuarterPlan, rng: np.random.Generator) -> np.ndarray:
    """A raw intensity per building: dark bitumen on flat roofs, brighter tiles and slate."""
    flat = np.array([building.roof_type == ROOF_FLAT for building in plan.buildings])
    return np.where(flat, 70.0, 125.0) * rng.uniform(0.75, 1.25, len(plan.buildings))


def _street_mask(plan: QuarterPlan) -> tuple[np.ndarray, Affine]:
    """A 1 m grid over the quarter's box marking the street surfaces (asphalt)."""
    minx, miny, maxx, maxy = plan.quarter.bounds
    transform = Affine(1.0, 0, np.floor(minx), 0, -1.0, np.ceil(maxy))
    shape = (int(np.ceil(maxy) - np.floor(miny)) + 1, int(np.ceil(maxx) - np.floor(minx)) + 1)
    shapes = [street.geometry.buffer(street.width_m / 2, cap_style="flat") for street in plan.streets]
    if not shapes:
        return np.zeros(shape, dtype=bool), transform
    return rasterio.features.rasterize(shapes, out_shape=shape, transform=transform,
                                       dtype="uint8").astype(bool), transform


def _points(header: laspy.LasHeader, plan: QuarterPlan, dtm: RasterData, strip: Strip, lines: slice,
            spacing: float, roof_brightness: np.ndarray, streets: tuple[np.ndarray, Affine],
            rng: np.random.Generator) -> laspy.ScaleAwarePointRecord:
    """Every return of the pulses on the given scan lines, in acquisition order."""
    x, y = (values.ravel() for values in strip.coordinates(lines))
    roof, building = strip.roof[lines].ravel().astype(np.float64), strip.roof_building[lines].ravel()
    crown_top, crown_base = strip.crown_top[lines].ravel(), strip.crown_base[lines].ravel()
    on_roof = building >= 0
    ground = terrain_heights(dtm, x, y)
    # The surface under everything else: a roof or the ground; a crown pulse's last return.
    surface = np.where(on_roof, roof + rng.normal(0, ROOF_NOISE, x.size),
                       ground + rng.normal(0, GROUND_NOISE, x.size))
    surface_class = np.where(on_roof, BUILDING, GROUND).astype(np.uint8)
    surface_brightness = _surface_brightness(x, y, on_roof, building, roof_brightness, streets, rng)
    in_crown = crown_top > np.where(on_roof, roof, ground) + 0.5  # NaN (no crown) compares False
    returns = np.where(in_crown, rng.choice([1, 2, 3], size=x.size, p=RETURNS_IN_CROWN), 1)

    pulse = np.repeat(np.arange(x.size), returns)
    number = np.arange(pulse.size) - np.repeat(np.cumsum(returns) - returns, returns) + 1
    count = returns[pulse]
    # A crown pulse returns first from the crown top, then from inside it, last from the surface;
    # a crown pulse with one return did not get through the foliage.
    from_crown = in_crown[pulse] & ((number < count) | (count == 1))
    inside_crown = crown_base[pulse] + rng.uniform(0.2, 0.9, pulse.size) * (crown_top - crown_base)[pulse]
    crown_z = np.where(number == 1, crown_top[pulse] + rng.normal(0, CROWN_NOISE, pulse.size), inside_crown)
    # Each further return carries less of the pulse's energy.
    crown_brightness = rng.normal(90, 25, pulse.size) * np.where(number == 1, 1.0, 0.5)
    brightness = np.where(from_crown, crown_brightness,
                          surface_brightness[pulse] * np.where(count > 1, 0.5, 1.0))

    points = laspy.ScaleAwarePointRecord.zeros(pulse.size, header=header)
    points.x, points.y = x[pulse], y[pulse]
    points.z = np.where(from_crown, crown_z, surface[pulse])
    points.classification = np.where(from_crown, HIGH_VEGETATION, surface_class[pulse])
    points.return_number, points.number_of_returns = number, count
    points.intensity = np.clip(np.round(brightness), 1, 65535).astype(np.uint16)
    rows, cols = np.divmod(np.arange(x.size), strip.shape[1])
    points.gps_time = _pulse_times(strip, rows + lines.start, cols, spacing)[pulse]
    strip_centre = plan.quarter.bounds[0] + (strip.first_col + strip.shape[1] / 2) * spacing
    angle = np.degrees(np.arctan((x - strip_centre) / FLIGHT_HEIGHT))
    points.scan_angle = np.round(angle / 0.006).astype(np.int16)[pulse]  # LAS 1.4 units of 0.006 deg
    points.point_source_id = np.full(pulse.size, strip.number + 1, dtype=np.uint16)
    return points


def _surface_brightness(x: np.ndarray, y: np.ndarray, on_roof: np.ndarray, building: np.ndarray,
                        roof_brightness: np.ndarray, streets: tuple[np.ndarray, Affine],
                        rng: np.random.Generator) -> np.ndarray:
    mask, transform = streets
    col, row = ~transform @ (x, y)
    row = np.clip(row.astype(np.int64), 0, mask.shape[0] - 1)
    col = np.clip(col.astype(np.int64), 0, mask.shape[1] - 1)
    ground = np.where(mask[row, col], 45.0, 170.0)
    base = np.where(on_roof, roof_brightness[np.maximum(building, 0)], ground)
    return base * rng.normal(1.0, 0.15, x.size)


def _pulse_times(strip: Strip, rows: np.ndarray, cols: np.ndarray, spacing: float) -> np.ndarray:
    line_seconds = spacing / SPEED
    strip_seconds = strip.shape[0] * line_seconds + TURN_SECONDS
    return (START_TIME + strip.number * strip_seconds + rows * line_seconds
            + cols * line_seconds / strip.shape[1])
