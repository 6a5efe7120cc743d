"""LiDAR point clouds: LAS 1.2-1.4, LAZ and COPC through laspy with the parallel lazrs decoder.

Files are streamed in chunks, so a file larger than memory still opens. For display a cloud
with more points than the budget is reduced to a *spatially fair* sample:

- The header bounds are divided into about `budget / POINTS_PER_CELL` square cells, and every
  point gets a pseudo-random priority in [0, 1), a hash of its index in the file (the same
  file always gives the same sample; no stripes along scan lines).
- Fair means every occupied cell gets the same quota of points, the largest quota that keeps
  the total within the budget ("water filling"): a cell with fewer points than the quota
  keeps them all, a denser cell keeps its quota of lowest-priority points. So dense areas
  (overlapping flight strips, walls) are thinned more than sparse ones (edges, roofs seen by
  one strip), and a cell under the quota is never emptied.
- This is done while streaming: each cell keeps the points below its priority threshold;
  whenever more than OVERSAMPLE * budget are held, the quota is recomputed and the dense
  cells' thresholds are lowered, so memory stays near the budget whatever the file size.

A COPC file over the budget is read by whole octree levels instead (COPC levels are already
spatially even); only the levels that fit the budget are decoded.

`info` counts the points per class in one pass (only the classification is decoded where
LAZ 1.4 allows it). The DTM/DSM gridding lives in twin/io/pointgrid.py and streams through
`stream_chunks` here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import laspy
import lazrs
import numba
import numpy as np
from laspy.copc import CopcReader, load_octree_for_query
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError as PyprojCRSError

from twin.core.crs import normalize_crs
from twin.core.data import PointCloudData
from twin.core.errors import CRSError
from twin.core.feedback import Feedback
from twin.io.errors import TwinIOError

DEFAULT_BUDGET = 3_000_000
CHUNK_POINTS = 1_000_000
OVERSAMPLE = 2.0
POINTS_PER_CELL = 16
BACKEND = laspy.LazBackend.LazrsParallel
COLOUR_DIMENSIONS = ("red", "green", "blue")
CLASS_SELECTION = laspy.DecompressionSelection.base() | laspy.DecompressionSelection.CLASSIFICATION
# What laspy and lazrs raise on a damaged or foreign file.
_LAS_FAILURES = (laspy.LaspyException, lazrs.LazrsError, ValueError, struct.error, IndexError, OSError)


def point_cloud_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a point cloud: header facts plus the points per class."""
    with open_point_cloud(path, selection=CLASS_SELECTION) as reader:
        header = reader.header
        classes = np.zeros(256, dtype=np.int64)
        for _start, chunk in stream_chunks(path, reader):
            classes += np.bincount(np.asarray(chunk.classification), minlength=256)
        return {
            "format": _format_name(header),
            "version": str(header.version),
            "crs": crs_of(path, header, crs),
            "bounds": [float(value) for value in (*header.mins, *header.maxs)],
            "points": int(header.point_count),
            "classes": {str(code): int(count) for code, count in enumerate(classes) if count},
            "point_format": header.point_format.id,
        }


def read_point_cloud(path: Path, crs: str | None = None, budget: int = DEFAULT_BUDGET,
                     feedback: Feedback | None = None) -> PointCloudData:
    """The cloud for display: all points, or a spatially fair sample of `budget` points."""
    if budget < 1:
        raise ValueError(f"the point budget must be at least 1, got {budget}")
    with open_point_cloud(path) as reader:
        header = reader.header
        file_crs = crs_of(path, header, crs)
        if header.point_count <= budget:
            records = _all_points(path, reader, feedback)
        elif _is_copc(header):
            records = _copc_levels(path, budget, feedback)
        else:
            records = _streamed_sample(path, reader, budget, feedback)
        points = laspy.ScaleAwarePointRecord(records, header.point_format, header.scales, header.offsets)
        cloud = PointCloudData(xyz=_xyz(points), crs=file_crs, attributes=_attributes(points),
                               total_points=int(header.point_count))
    if feedback is not None:
        feedback.progress(1.0, "Points read")
    return cloud


@contextmanager
def open_point_cloud(path: Path, selection: laspy.DecompressionSelection | None = None
                     ) -> Iterator[laspy.LasReader]:
    """A laspy reader on a file whose header has been checked against its content."""
    selection = laspy.DecompressionSelection.all() if selection is None else selection
    try:
        reader = laspy.open(path, laz_backend=BACKEND, decompression_selection=selection)
    except _LAS_FAILURES as error:
        raise TwinIOError(path, _open_problem(error)) from None
    with reader:
        _check_point_count(path, reader.header)
        yield reader


def stream_chunks(path: Path, reader: laspy.LasReader, feedback: Feedback | None = None,
                  message: str = "Reading points") -> Iterator[tuple[int, laspy.ScaleAwarePointRecord]]:
    """(index of the first point, points) for each chunk of the file, reporting progress."""
    total = reader.header.point_count
    start = 0
    while start < total:
        try:
            chunk = reader.read_points(CHUNK_POINTS)
        except _LAS_FAILURES:
            raise TwinIOError(path, f"the points cannot be decoded after point {start:,}: "
                                    "the file is truncated or damaged") from None
        if len(chunk) == 0:
            raise TwinIOError(path, f"the file ends after {start:,} of the {total:,} points "
                                    "its header announces")
        yield start, chunk
        start += len(chunk)
        if feedback is not None:
            feedback.progress(start / total, message)


def crs_of(path: Path, header: laspy.LasHeader, given: str | None) -> str | None:
    """The header's CRS as 'EPSG:NNNN'; `given` where the header has none (or one without a code)."""
    try:
        found = header.parse_crs()
    except (PyprojCRSError, *_LAS_FAILURES):
        raise TwinIOError(path, "the coordinate system in the header cannot be read") from None
    try:
        if found is None:
            return normalize_crs(given)
        try:
            return normalize_crs(found)
        except CRSError:
            code = _epsg_matching(found, header)
            if code is None and given is None:
                raise TwinIOError(path, f"the coordinate system in the header ('{found.name}') has "
                                        "no EPSG code; give the file's EPSG code as its CRS") from None
            return code or normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _epsg_matching(crs: CRS, header: laspy.LasHeader) -> str | None:
    """The EPSG projected CRS with the same definition, for WKT that names none (ESRI style).

    Only the CRSs whose area of use holds the cloud's centre are compared, so this is quick.
    """
    horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
    if not horizontal.is_projected:
        return None
    centre_x, centre_y = (header.mins[:2] + header.maxs[:2]) / 2
    to_degrees = Transformer.from_crs(horizontal, horizontal.geodetic_crs, always_xy=True)
    lon, lat = to_degrees.transform(centre_x, centre_y)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return None
    candidates = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS, contains=True,
                                area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    for candidate in candidates:
        if not candidate.deprecated and CRS.from_epsg(candidate.code).equals(
                horizontal, ignore_axis_order=True):
            return f"EPSG:{candidate.code}"
    return None


def _check_point_count(path: Path, header: laspy.LasHeader) -> None:
    """Refuse empty files and headers whose point count the point data contradicts."""
    if header.point_count == 0:
        raise TwinIOError(path, "the file holds no points")
    if header.are_points_compressed:
        _check_chunk_table(path, header)
    else:
        _check_record_space(path, header)


def _check_record_space(path: Path, header: laspy.LasHeader) -> None:
    data_end = path.stat().st_size
    if header.number_of_evlrs and header.start_of_first_evlr:
        data_end = min(data_end, header.start_of_first_evlr)
    present = max(data_end - header.offset_to_point_data, 0) // header.point_format.size
    _compare_counts(path, header.point_count, present, present)


def _check_chunk_table(path: Path, header: laspy.LasHeader) -> None:
    """The LAZ chunk table says how many points the compressed data holds (to a chunk)."""
    laszip = header.vlrs.get("LasZipVlr")
    if not laszip:
        raise TwinIOError(path, "the points are compressed but the LAZ description is missing")
    try:
        vlr = lazrs.LazVlr(laszip[0].record_data)
        with path.open("rb") as stream:
            stream.seek(header.offset_to_point_data)
            table = lazrs.read_chunk_table(stream, vlr)
    except _LAS_FAILURES:
        raise TwinIOError(path, "the compressed points are truncated or damaged "
                                "(their chunk table cannot be read)") from None
    if vlr.uses_variable_size_chunks():
        fewest = most = sum(count for count, _size in table)
    else:
        fewest, most = (len(table) - 1) * vlr.chunk_size() + 1, len(table) * vlr.chunk_size()
    _compare_counts(path, header.point_count, fewest, most)


def _compare_counts(path: Path, announced: int, fewest: int, most: int) -> None:
    present = f"{fewest:,}" if fewest == most else f"{fewest:,} to {most:,}"
    if announced > most:
        raise TwinIOError(path, f"the header announces {announced:,} points but the file holds only "
                                f"{present}: it is truncated or its header is wrong")
    if announced < fewest:
        raise TwinIOError(path, f"the header announces {announced:,} points but the file holds "
                                f"{present}: its header is wrong")


def _all_points(path: Path, reader: laspy.LasReader, feedback: Feedback | None) -> np.ndarray:
    return np.concatenate([chunk.array for _start, chunk in stream_chunks(path, reader, feedback)])


def _streamed_sample(path: Path, reader: laspy.LasReader, budget: int,
                     feedback: Feedback | None) -> np.ndarray:
    sample = _FairSample(reader.header, budget)
    for start, chunk in stream_chunks(path, reader, feedback):
        sample.add(start, chunk.array)
    return sample.records()


def _copc_levels(path: Path, budget: int, feedback: Feedback | None) -> np.ndarray:
    """The coarsest COPC octree levels whose points fit the budget (the root level at least)."""
    try:
        with CopcReader.open(path) as reader:
            nodes = load_octree_for_query(reader.source, reader.copc_info, reader.root_page)
            per_level = np.bincount([node.key.level for node in nodes],
                                    weights=[node.point_count for node in nodes])
            levels = max(1, int(np.searchsorted(np.cumsum(per_level), budget, side="right")))
            sample = _FairSample(reader.header, budget)  # thins only a root level over budget
            for level in range(levels):
                points = reader.level_query(level).array
                sample.add(sample.seen, points)
                if feedback is not None:
                    feedback.progress((level + 1) / levels, "Reading COPC levels")
    except _LAS_FAILURES:
        raise TwinIOError(path, "the COPC octree cannot be read: the file is truncated or damaged") from None
    return sample.records()


class _FairSample:
    """The streaming, spatially fair sample of the module doc.

    Each grid cell holds the candidates whose priority is below its threshold. When more than
    OVERSAMPLE * budget are held, every cell's threshold is lowered so that the cells keep
    the same quota (sparse cells keep all they have), which bounds memory.
    """

    def __init__(self, header: laspy.LasHeader, budget: int) -> None:
        self.budget = budget
        self.seen = 0
        width, height = header.maxs[:2] - header.mins[:2]
        cell_count = max(budget / POINTS_PER_CELL, 1.0)
        side = max(np.sqrt(width * height / cell_count), max(width, height) / cell_count, 1e-9)
        self._shape = (int(height // side) + 1, int(width // side) + 1)
        # column = raw X * scale_x / side + (offset_x - min_x) / side; likewise rows from Y.
        self._raw_to_cell = np.array([header.scales[0] / side, header.scales[1] / side,
                                      (header.offsets[0] - header.mins[0]) / side,
                                      (header.offsets[1] - header.mins[1]) / side])
        self._threshold = np.ones(self._shape[0] * self._shape[1], dtype=np.float32)
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._held = 0
        self._thinned = np.zeros(len(self._threshold), dtype=bool)

    def add(self, start: int, records: np.ndarray) -> None:
        """Offer the points start, start + 1, ... of the file."""
        index, priority, cell = _candidates(records["X"], records["Y"], start, self._raw_to_cell,
                                            self._shape[1], self._shape[0], self._threshold)
        self._parts.append((records[index], priority, cell))
        self._held += len(index)
        self.seen = start + len(records)
        if self._held > OVERSAMPLE * self.budget:
            self._thin()

    def records(self) -> np.ndarray:
        """At most `budget` records in file order."""
        records, priority, cell = self._thin()
        if len(records) <= self.budget:
            return records
        # The thinned cells meet their quota on average; drop their random excess.
        rank = np.where(self._thinned[cell], priority / self._threshold[cell], 0.0)
        kept = np.sort(np.argpartition(rank, self.budget - 1)[:self.budget])
        return records[kept]

    def _thin(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        records, priority, cell = (np.concatenate(column) for column in zip(*self._parts, strict=True))
        counts = np.bincount(cell, minlength=len(self._threshold))
        share = np.minimum(1.0, _water_level(counts, self.budget) / np.maximum(counts, 1))
        self._thinned = share < 1.0
        # Priorities are uniform below a cell's threshold, so scaling it keeps `share` of them.
        self._threshold *= share.astype(np.float32)
        kept = priority < self._threshold[cell]
        self._parts = [(records[kept], priority[kept], cell[kept])]
        self._held = int(kept.sum())
        return self._parts[0]


@numba.njit(cache=True, nogil=True)
def _candidates(X, Y, start, raw_to_cell, columns, rows, threshold):  # pragma: no cover - compiled
    """Indices, priorities and cells of the points whose priority is below their cell's threshold.

    The priority is a hash (splitmix64) of the point's index in the file, uniform in [0, 1).
    """
    count = X.shape[0]
    index = np.empty(count, dtype=np.int64)
    priority = np.empty(count, dtype=np.float32)
    cell = np.empty(count, dtype=np.int32)
    kept = 0
    for i in range(count):
        column = min(max(int(math.floor(X[i] * raw_to_cell[0] + raw_to_cell[2])), 0), columns - 1)
        row = min(max(int(math.floor(Y[i] * raw_to_cell[1] + raw_to_cell[3])), 0), rows - 1)
        here = row * columns + column
        z = np.uint64(start + i) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        value = np.float32(z >> np.uint64(40)) * np.float32(1.0 / 16777216.0)
        if value < threshold[here]:
            index[kept] = i
            priority[kept] = value
            cell[kept] = here
            kept += 1
    return index[:kept], priority[:kept], cell[:kept]


def _water_level(counts: np.ndarray, budget: int) -> float:
    """The per-cell quota q with sum(min(count, q)) == budget (infinite if all counts fit)."""
    ordered = np.sort(counts[counts > 0])
    below = np.cumsum(ordered) - ordered  # points in the cells smaller than this one
    at_or_above = len(ordered) - np.arange(len(ordered))
    kept_if_quota_here = below + ordered * at_or_above
    first_over = int(np.searchsorted(kept_if_quota_here, budget, side="right"))
    if first_over == len(ordered):
        return np.inf
    return float((budget - below[first_over]) / at_or_above[first_over])


def _xyz(points: laspy.ScaleAwarePointRecord) -> np.ndarray:
    xyz = np.empty((len(points), 3), dtype=np.float64)
    for axis, name in enumerate("XYZ"):
        np.multiply(points.array[name], points.scales[axis], out=xyz[:, axis])
        xyz[:, axis] += points.offsets[axis]
    return xyz


def _attributes(points: laspy.ScaleAwarePointRecord) -> dict[str, np.ndarray]:
    attributes = {"classification": np.asarray(points.classification, dtype=np.uint8),
                  "intensity": np.asarray(points.array["intensity"], dtype=np.uint16)}
    names = set(points.point_format.dimension_names)
    for colour in COLOUR_DIMENSIONS:
        if colour in names:
            attributes[colour] = np.asarray(points.array[colour], dtype=np.uint16)
    return attributes


def _is_copc(header: laspy.LasHeader) -> bool:
    return any(vlr.user_id == "copc" and vlr.record_id == 1 for vlr in header.vlrs)


def _format_name(header: laspy.LasHeader) -> str:
    if _is_copc(header):
        return "COPC"
    return "LAZ" if header.are_points_compressed else "LAS"


def _open_problem(error: Exception) -> str:
    text = str(error)
    if "signature" in text:
        return "not a LAS or LAZ file (it does not begin with the LAS signature 'LASF')"
    if "empty" in text.lower():
        return "the file is empty"
    if isinstance(error, OSError) and error.strerror:
        return f"the file cannot be opened ({error.strerror})"
    first_line = text.splitlines()[0] if text else type(error).__name__
    return f"the LAS header cannot be read ({first_line})"
