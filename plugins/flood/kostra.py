"""Depth-duration tables: KOSTRA-DWD exports of a grid cell, tables in a scenario, interpolation.

A table holds the design rain depth hN (mm) per duration D (rows) and return period T
(columns). Between durations it is interpolated log-log (hN = a D^b on each segment: KOSTRA
depths grow like a power of the duration, and the log-log line reproduces a left-out KOSTRA
duration within a few tenths of a millimetre where a straight line misses by up to 2 %, see
tests/plugins/test_flood_kostra.py); below the shortest duration at its constant intensity
(rain.log_log).
Between return periods hN is linear in ln T, the form of the KOSTRA/DWA-A 531 extreme-value
fit (hN = u + w ln T).

The reader takes the table layout of a KOSTRA grid-cell export as text (CSV): a few lines of
metadata (the data set, INDEX_RC or column/row of the cell), a header row whose cells after the
first name the return periods ("1 a", "T = 100 a", "HN_100A"), and one row per duration ("5",
"5 min", "1 h", "24 h"); separators ';', ',' or tab; decimal commas allowed. It also takes the
attribute-table layout of DWD's GIS files (one row per duration, columns INDEX_RC, a duration
column D_min / DURATION and HN_001A ... HN_100A). Where a header repeats the return periods
(depths, then rain rates rN), the first block, the depths, is read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plugins.flood.rain import RainError, log_log

ILLUSTRATIVE_LABEL = "illustrative Dresden table (demo default, not KOSTRA)"
_RETURN_PERIOD = re.compile(r"^(?:hn_?0*(\d+(?:[.,]\d+)?)a_?|(?:t\s*n?\s*=?\s*)?(\d+(?:[.,]\d+)?)\s*a?)$")
_DURATION = re.compile(r"^(?:d\s*=?\s*)?(\d+(?:[.,]\d+)?)\s*(min|h|d)?$")
_UNIT_MINUTES = {None: 1.0, "min": 1.0, "h": 60.0, "d": 1440.0}
_DURATION_COLUMNS = ("d_min", "duration", "duration_min", "dauerstufe", "dauer", "d")
_CELL = re.compile(r"index_rc\D{0,5}(\d{4,6})", re.IGNORECASE)
_DATASET = re.compile(r"KOSTRA-DWD-\d{4}R?", re.IGNORECASE)


@dataclass(frozen=True)
class DepthDurationTable:
    """hN (mm) per duration (rows, minutes) and return period (columns, years); `source` says
    where the values come from, as a run reports it."""

    durations_min: np.ndarray
    return_periods_a: np.ndarray
    depths_mm: np.ndarray  # (durations, return periods)
    source: str

    def __post_init__(self) -> None:
        durations, periods, depths = self.durations_min, self.return_periods_a, self.depths_mm
        if len(durations) == 0 or len(periods) == 0 or depths.shape != (len(durations), len(periods)):
            raise RainError(f"{self.source}: the table needs depths for every duration and return period")
        if np.any(np.diff(durations) <= 0) or durations[0] <= 0:
            raise RainError(f"{self.source}: the durations must be above zero and rise")
        if np.any(np.diff(periods) <= 0) or periods[0] <= 0:
            raise RainError(f"{self.source}: the return periods must be above zero and rise")
        if not np.all(np.isfinite(depths)) or np.any(depths <= 0):
            raise RainError(f"{self.source}: every depth must be a number above zero")
        if np.any(np.diff(depths, axis=0) < 0):
            raise RainError(f"{self.source}: the depths must not fall as the duration grows")

    def column(self, return_period_a: float) -> np.ndarray:
        """The depths of every duration for a return period, linear in ln T between columns."""
        periods = self.return_periods_a
        exact = np.flatnonzero(np.isclose(periods, return_period_a))
        if len(exact):
            return self.depths_mm[:, exact[0]]
        if not periods[0] < return_period_a < periods[-1]:
            listed = ", ".join(f"{period:g}" for period in periods)
            raise RainError(f"{self.source}: no return period of {return_period_a:g} years; the table "
                            f"has {listed} years")
        above = int(np.searchsorted(periods, return_period_a))
        weight = np.log(return_period_a / periods[above - 1]) / np.log(periods[above] / periods[above - 1])
        return (1.0 - weight) * self.depths_mm[:, above - 1] + weight * self.depths_mm[:, above]

    def depths_at(self, durations_min: np.ndarray, return_period_a: float) -> np.ndarray:
        """hN (mm) at any durations: log-log between the table's, constant intensity below it."""
        durations = np.asarray(durations_min, dtype=float)
        if np.any(durations > self.durations_min[-1] * (1 + 1e-9)):
            raise RainError(f"{self.source}: the table ends at {self.durations_min[-1]:g} min; it "
                            f"cannot make {durations.max():g} min")
        return log_log(durations, self.durations_min, self.column(return_period_a))


def from_rows(rows: tuple[tuple[float, ...], ...], source: str) -> DepthDurationTable:
    """A table from (duration min, return period a, depth mm) rows, as a scenario gives them."""
    values = np.asarray(rows, dtype=float).reshape(-1, 3)
    durations, periods = np.unique(values[:, 0]), np.unique(values[:, 1])
    depths = np.full((len(durations), len(periods)), np.nan)
    for duration, period, depth in values:
        row, col = np.searchsorted(durations, duration), np.searchsorted(periods, period)
        if np.isfinite(depths[row, col]):
            raise RainError(f"{source}: two depths for {duration:g} min and {period:g} years")
        depths[row, col] = depth
    if np.isnan(depths).any():
        raise RainError(f"{source}: every duration needs a depth for every return period it lists")
    return DepthDurationTable(durations, periods, depths, source)


def read_kostra_csv(path: Path | str) -> DepthDurationTable:
    """The depth-duration table of one KOSTRA grid cell from a CSV export (see the module text)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RainError(f"cannot read the KOSTRA table {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # DWD's German exports are often Windows-1252
    rows = _rows(text)
    header_at = next((index for index, row in enumerate(rows) if _header_columns(row)), None)
    if header_at is None:
        raise RainError(f"{path.name}: no header row naming return periods (such as '1 a; 2 a; ... "
                        f"100 a' or HN_001A ... HN_100A), so this is no KOSTRA table")
    header = rows[header_at]
    periods, columns = _header_columns(header)
    duration_column = _duration_column(header)
    durations, depths, cells = [], [], set()
    for row in rows[header_at + 1:]:
        duration = _duration(row[duration_column]) if len(row) > duration_column else None
        if duration is None:
            continue
        depths.append([_number(row[col], path) if col < len(row) else np.nan for col in columns])
        durations.append(duration)
        cells.update(row[col] for col, name in enumerate(header) if name.strip().lower() == "index_rc")
    if not durations:
        raise RainError(f"{path.name}: the table has no rows of durations under its header")
    if len(cells) > 1:
        raise RainError(f"{path.name}: the table holds {len(cells)} grid cells; export the one of the site")
    order = np.argsort(durations)
    source = _source(path, rows[:header_at], cells)
    return DepthDurationTable(np.asarray(durations)[order], np.asarray(periods), np.asarray(depths)[order],
                              source)


def _rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    sample = "\n".join(lines[:40])
    delimiter = max(";\t,", key=sample.count) if sample else ";"
    return [[cell.strip().strip('"') for cell in row]
            for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _header_columns(row: list[str]) -> tuple[list[float], list[int]] | None:
    """The return periods a header row names and their columns (the first block), or None."""
    periods: list[float] = []
    columns: list[int] = []
    for col, cell in enumerate(row[1:], start=1):
        match = _RETURN_PERIOD.match(cell.strip().lower())
        if match is None or not cell.strip():
            continue
        period = float((match.group(1) or match.group(2)).replace(",", "."))
        if periods and period <= periods[-1]:
            break  # a second block (rain rates rN): the depths come first
        periods.append(period)
        columns.append(col)
    # a row of data starts with a duration, whose depths would read as return periods
    return (periods, columns) if len(periods) >= 2 and _duration(row[0]) is None else None


def _duration_column(row: list[str]) -> int:
    names = [name.strip().lower().split("[")[0].strip() for name in row]
    return next((names.index(name) for name in _DURATION_COLUMNS if name in names), 0)


def _duration(cell: str) -> float | None:
    match = _DURATION.match(cell.strip().lower())
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")) * _UNIT_MINUTES[match.group(2)]


def _number(cell: str, path: Path) -> float:
    cell = cell.strip()
    if cell in ("", "-", "--", "NA", "n.a."):
        return np.nan
    try:
        return float(cell.replace(",", "."))
    except ValueError:
        raise RainError(f"{path.name}: '{cell}' is no depth in mm") from None


def _source(path: Path, metadata: list[list[str]], cells: set[str]) -> str:
    text = " ".join(" ".join(row) for row in metadata)
    dataset = _DATASET.search(text)
    cell = next(iter(cells), None) or (_CELL.search(text).group(1) if _CELL.search(text) else None)
    name = dataset.group(0).upper() if dataset else "KOSTRA-DWD (data set not named)"
    return f"{name} cell {cell or '(not named)'} (file {path.name})"
