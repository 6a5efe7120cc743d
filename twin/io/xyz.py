"""Terrain delivered as an ASCII point grid (`.xyz`): one `x y z` line per grid point.

GeoSN delivers DGM1/DGM2 this way, one 2 km tile per file (4 million lines for DGM1). The
lines may come in any order, separated by spaces, tabs, commas or semicolons, with or without
a header line. The file is parsed by a numba kernel straight from its bytes (pandas or
np.loadtxt take many times longer on a 4-million-line tile), then each point is placed on the
grid by integer index from the spacing of its coordinates. The points are the cells' centres,
as in GDAL's XYZ driver. A grid point without a line is a cell without data (NaN); points off a
regular grid are refused.

An `.xyz` file names no CRS: a GeoSN tile name gives it (`dgm1_33412_5654_2_sn.xyz` is
EPSG:25833), else the CRS the caller gives, else none (the app then asks for one).
Eastings written with the zone in front (33412000.5) are read as zone 33's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numba
import numpy as np
from affine import Affine

from twin.core.crs import normalize_crs
from twin.core.data import RasterData
from twin.core.errors import CRSError
from twin.core.feedback import Feedback
from twin.io.errors import TwinIOError
from twin.io.tiles import tile_of_name

# Coordinates off the grid by more than this share of a cell are not on a regular grid.
GRID_TOLERANCE = 1e-3
# A grid the points fill less than this share of is a sign of an irregular spacing, not of gaps.
MIN_FILLED_SHARE = 1 / 16
_NOT_A_NUMBER, _NOT_THREE_NUMBERS, _NOT_A_TERRAIN_POINT = 1, 2, 3
_PROBLEMS = {_NOT_A_NUMBER: "holds something that is not a number",
             _NOT_THREE_NUMBERS: "does not hold three numbers (x y z)",
             _NOT_A_TERRAIN_POINT: "holds a number no terrain point has (infinite, or a coordinate beyond "
                                   "1e9)"}
MAX_COORDINATE = 1e9  # metres or degrees: beyond any projected CRS's extent
SNIFF_BYTES = 64 * 1024  # a header line is shorter than this
_POWERS_OF_TEN = 10.0 ** np.arange(23)
# What each byte is to the parser (one table look-up instead of a chain of comparisons).
_SEPARATOR, _DIGIT = 1, 2  # 0: anything else (a line break is told by its code, 10)
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[list(b" \t,;\r")] = _SEPARATOR
_BYTE_CLASS[list(b"0123456789")] = _DIGIT


def read_xyz(path: Path, crs: str | None = None, feedback: Feedback | None = None) -> RasterData:
    """The grid of an `.xyz` file as a raster (float32, NaN where a grid point has no line)."""
    feedback = feedback or Feedback()
    x, y, z = _points(path, feedback)
    x, zone = _without_zone(x)
    feedback.progress(0.7, f"Placing {len(z):,} points on their grid")
    values, transform = _grid(path, x, y, z)
    feedback.progress(1.0, "Grid read")
    return RasterData(values=values, transform=transform, crs=_crs(path, zone, crs), nodata=None)


def xyz_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of an `.xyz` grid (the whole file is read: it has no header to ask)."""
    raster = read_xyz(path, crs)
    rows, cols = raster.shape
    return {
        "format": "XYZ", "version": None, "crs": raster.crs, "bounds": list(raster.bounds),
        "width": cols, "height": rows, "bands": 1, "dtype": "float32",
        "resolution": list(raster.resolution), "nodata": None,
        "points": int(np.isfinite(raster.values).sum()),
        "missing_cells": int(np.isnan(raster.values).sum()),
    }


def _points(path: Path, feedback: Feedback) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = _bytes(path)
    feedback.progress(0.1, f"Parsing {len(text) / 1e6:.0f} MB of points")
    start = 3 if text[:3].tobytes() == b"\xef\xbb\xbf" else 0  # a UTF-8 byte order mark
    rows = np.empty((_count_lines(text), 3), dtype=np.float64)
    count, bad_line, problem = _parse(text, start, rows)
    if problem == _NOT_A_NUMBER and bad_line == 1:  # a header line (x y z, or column names)
        first_line = text[:SNIFF_BYTES].tobytes().split(b"\n", 1)[0]
        count, bad_line, problem = _parse(text, len(first_line) + 1, rows)
        bad_line += 1
    if problem:
        raise TwinIOError(path, f"line {bad_line:,} {_PROBLEMS[problem]}; an .xyz grid has one 'x y z' "
                                "line per point")
    if count == 0:
        raise TwinIOError(path, "the file holds no points")
    feedback.check()
    return rows[:count, 0], rows[:count, 1], rows[:count, 2]


def _bytes(path: Path) -> np.ndarray:
    size = path.stat().st_size
    # The text, its points as float64 (about a third of its size each) and the grid fit at once.
    if size * 3 > _memory_bytes():
        raise TwinIOError(path, f"the file is {size / 1e9:.1f} GB, too large for this machine's memory")
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise TwinIOError(path, f"the file cannot be read ({error.strerror})") from None


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _grid(path: Path, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, Affine]:
    columns, rows = np.unique(x), np.unique(y)
    dx, dy = _spacing(path, columns, "x"), _spacing(path, rows, "y")
    width = int(round((columns[-1] - columns[0]) / dx)) + 1
    height = int(round((rows[-1] - rows[0]) / dy)) + 1
    if width * height * MIN_FILLED_SHARE > len(z):
        raise TwinIOError(path, f"the points are not on a regular grid: {len(z):,} points fill only "
                                f"{len(z) / (width * height):.1%} of the {width:,} x {height:,} cells of "
                                f"{dx:g} x {dy:g} m their spacing gives")
    values = np.full((height, width), np.nan, dtype=np.float32)
    twice = _place(x, y, z, columns[0], rows[-1], dx, dy, values)
    if twice >= 0:
        raise TwinIOError(path, f"two lines give the grid point x = {x[twice]:.3f}, y = {y[twice]:.3f}")
    transform = Affine(dx, 0.0, columns[0] - dx / 2, 0.0, -dy, rows[-1] + dy / 2)
    return values, transform


def _spacing(path: Path, coordinates: np.ndarray, axis: str) -> float:
    """The grid step along one axis: the smallest gap between distinct coordinates, which every
    other gap must be a whole multiple of."""
    if len(coordinates) < 2:
        raise TwinIOError(path, f"all points have the same {axis}; a grid needs at least two rows "
                                "and two columns")
    gaps = np.diff(coordinates)
    step = gaps.min()
    steps = gaps / step
    off = np.abs(steps - np.rint(steps))
    if off.max() > GRID_TOLERANCE:
        other = gaps[int(np.argmax(off))]
        raise TwinIOError(path, f"the points are not on a regular grid: neighbouring {axis} coordinates "
                                f"are {step:g} m and {other:g} m apart")
    # The mean step over the whole extent is closer to the true one than one rounded gap.
    return float((coordinates[-1] - coordinates[0]) / np.rint(steps).sum())


def _without_zone(x: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Eastings with the UTM zone written in front (33412000.5 for 412000.5 in zone 33, as some
    German deliveries have them) without it, and the zone; other eastings as they are."""
    for zone in (32, 33):
        if zone * 1e6 <= x.min() and x.max() < (zone + 1) * 1e6:
            return x - zone * 1e6, zone
    return x, None


def _crs(path: Path, zone: int | None, given: str | None) -> str | None:
    """The CRS a GeoSN tile name or a zone before the eastings gives, else the one given."""
    tile = tile_of_name(path.name)
    try:
        if tile is not None:
            return tile.crs
        if zone is not None:
            return f"EPSG:258{zone}"
        return normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


@numba.njit(cache=True, nogil=True)
def _place(x, y, z, west, north, dx, dy, values):  # pragma: no cover - compiled
    """Each point's height into its cell (by integer index from the grid's corner point); the
    index of the first point whose cell an earlier one filled, or -1."""
    for k in range(len(z)):
        row, col = int(np.rint((north - y[k]) / dy)), int(np.rint((x[k] - west) / dx))
        if not np.isnan(values[row, col]):
            return k
        values[row, col] = z[k]
    return -1


@numba.njit(cache=True, nogil=True)
def _count_lines(text):  # pragma: no cover - compiled
    """Lines in `text`, the last one counted also without a closing line break."""
    lines = 1
    for byte in text:
        if byte == 10:
            lines += 1
    return lines


@numba.njit(cache=True, nogil=True)
def _parse(text, start, rows):  # pragma: no cover - compiled
    """Numbers from `text` (bytes) into `rows` (n, 3), three per line; returns the rows read,
    and the line (from 1) and problem code of the first bad line (0 where all are good)."""
    count, line, i, end = 0, 1, start, len(text)
    while i < end:
        fields = 0
        while True:
            while i < end and _BYTE_CLASS[text[i]] == _SEPARATOR:
                i += 1
            if i >= end or text[i] == 10:
                break
            value, i = _number(text, i)
            if i < 0:
                return count, line, _NOT_A_NUMBER
            # an infinite number (1e400), or coordinates beyond any map's: no terrain point
            if not np.isfinite(value) or (fields < 2 and abs(value) > MAX_COORDINATE):
                return count, line, _NOT_A_TERRAIN_POINT
            if fields < 3:
                rows[count, fields] = value
            fields += 1
        if fields == 3:
            count += 1
        elif fields != 0:  # an empty line is skipped
            return count, line, _NOT_THREE_NUMBERS
        i += 1
        line += 1
    return count, line, 0


@numba.njit(cache=True, nogil=True, inline="always")  # inlined: a call per number costs a third
def _number(text, i):  # pragma: no cover - compiled
    """The decimal number at text[i:] and the index after it; index -1 where there is none.
    Digits are gathered as an integer and divided by a power of ten once, so a number of up
    to 15 digits comes out as the nearest double, as Python's float() gives it."""
    end = len(text)
    negative = False
    if text[i] == 45 or text[i] == 43:  # - or +
        negative = text[i] == 45
        i += 1
    mantissa, exponent, digits = 0, 0, 0
    while i < end and _BYTE_CLASS[text[i]] == _DIGIT:
        if digits < 18:
            mantissa = mantissa * 10 + (text[i] - 48)
        else:
            exponent += 1
        digits += 1
        i += 1
    if i < end and text[i] == 46:  # .
        i += 1
        while i < end and _BYTE_CLASS[text[i]] == _DIGIT:
            if digits < 18:
                mantissa = mantissa * 10 + (text[i] - 48)
                exponent -= 1
            digits += 1
            i += 1
    if digits == 0:
        return 0.0, -1
    if i < end and (text[i] == 101 or text[i] == 69):  # e, E
        i += 1
        sign = 1
        if i < end and (text[i] == 45 or text[i] == 43):
            sign = -1 if text[i] == 45 else 1
            i += 1
        power, power_digits = 0, 0
        while i < end and 48 <= text[i] <= 57:
            power = min(power * 10 + (text[i] - 48), 1000)
            power_digits += 1
            i += 1
        if power_digits == 0:
            return 0.0, -1
        exponent += sign * power
    if i < end and _BYTE_CLASS[text[i]] != _SEPARATOR and text[i] != 10:
        return 0.0, -1
    value = float(mantissa)
    if 0 < -exponent <= 22:
        value = value / _POWERS_OF_TEN[-exponent]
    elif 0 < exponent <= 22:
        value = value * _POWERS_OF_TEN[exponent]
    elif exponent != 0:
        value = value * 10.0 ** exponent
    return (-value if negative else value), i
