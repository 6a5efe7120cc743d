"""LiDAR point clouds: LAS 1.2-1.4, LAZ and COPC through laspy with the parallel lazrs decoder.

Files are streamed in chunks, so a file larger than memory still opens. For display a cloud is
reduced to a point budget by a *spatially fair* sample:

1. Every point gets a pseudo-random priority in [0, 1) that depends only on its index in the
   file, so the same file always gives the same sample. While streaming, only points whose
   priority is below `OVERSAMPLE * budget / points` are kept: a uniform sample of about twice
   the budget, which bounds memory whatever the file size.
2. These candidates are binned into a grid of about `budget / POINTS_PER_CELL` square cells
   over the header bounds, and every occupied cell gets the same quota, the largest one that
   keeps the total within the budget ("water filling"). Sparse cells keep all their
   candidates, dense cells are thinned to the quota, keeping their lowest-priority points.

So dense areas (overlapping flight strips, building walls) are thinned more than sparse ones
(edges, roofs seen by one strip), and every occupied cell stays represented. A COPC file
larger than the budget is read by whole octree levels instead, which COPC already makes
spatially even; only the levels that fit the budget are decoded.

`info` counts the points per class in one pass (only the classification is decoded where
LAZ 1.4 allows it). The DTM/DSM gridding lives in twin/io/pointgrid.py and streams through
`stream_chunks` here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import laspy
import lazrs
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
SAMPLE_SEED = 20_240_601
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
        if _is_copc(header) and header.point_count > budget:
            records, priority = _copc_levels(path, budget, feedback)
        else:
            records, priority = _streamed_sample(path, reader, budget, feedback)
        if len(records) > budget:
            records = records[_fair_selection(records, priority, header, budget)]
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


def _streamed_sample(path: Path, reader: laspy.LasReader, budget: int, feedback: Feedback | None
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """All point records, or a uniform sample of about OVERSAMPLE * budget with their priorities."""
    total = reader.header.point_count
    keep_below = min(1.0, OVERSAMPLE * budget / total)
    records, priorities = [], []
    for start, chunk in stream_chunks(path, reader, feedback):
        if keep_below >= 1.0:
            records.append(chunk.array)
            continue
        priority = _priority(start, len(chunk)) / keep_below
        kept = priority < 1.0
        records.append(chunk.array[kept])
        priorities.append(priority[kept])
    all_records = np.concatenate(records)
    return all_records, (np.concatenate(priorities) if priorities else None)


def _copc_levels(path: Path, budget: int, feedback: Feedback | None) -> tuple[np.ndarray, None]:
    """The coarsest COPC octree levels whose points fit the budget (at least the root level)."""
    try:
        with CopcReader.open(path) as reader:
            nodes = load_octree_for_query(reader.source, reader.copc_info, reader.root_page)
            per_level = np.bincount([node.key.level for node in nodes],
                                    weights=[node.point_count for node in nodes])
            levels = max(1, int(np.searchsorted(np.cumsum(per_level), budget, side="right")))
            records = []
            for level in range(levels):
                records.append(reader.level_query(level).array)
                if feedback is not None:
                    feedback.progress((level + 1) / levels, "Reading COPC levels")
    except _LAS_FAILURES:
        raise TwinIOError(path, "the COPC octree cannot be read: the file is truncated or damaged") from None
    return np.concatenate(records), None


def _priority(start: int, count: int) -> np.ndarray:
    """Pseudo-random priorities in [0, 1) for points start..start+count (same file, same values)."""
    return np.random.default_rng([SAMPLE_SEED, start]).random(count, dtype=np.float32)


def _fair_selection(records: np.ndarray, priority: np.ndarray | None, header: laspy.LasHeader,
                    budget: int) -> np.ndarray:
    """Indices of at most `budget` records, the same quota per grid cell (see the module doc)."""
    if priority is None:
        priority = _priority(0, len(records))
    cells = _cell_of(records, header, budget)
    counts = np.bincount(cells)
    share = np.minimum(1.0, _water_level(counts, budget) / np.maximum(counts, 1))
    rank = priority / share[cells]  # below 1: within its cell's quota
    kept = np.flatnonzero(rank < 1.0)
    if len(kept) > budget:  # the quota is met on average; trim the random excess
        kept = np.sort(kept[np.argpartition(rank[kept], budget - 1)[:budget]])
    return kept


def _cell_of(records: np.ndarray, header: laspy.LasHeader, budget: int) -> np.ndarray:
    """Index of the square grid cell over the header bounds that each record falls in."""
    width, height = header.maxs[:2] - header.mins[:2]
    cell_count = max(budget / POINTS_PER_CELL, 1.0)
    side = max(np.sqrt(width * height / cell_count), max(width, height) / cell_count, 1e-9)
    columns = int(width // side) + 1
    column = (records["X"] * header.scales[0] + (header.offsets[0] - header.mins[0])) // side
    row = (records["Y"] * header.scales[1] + (header.offsets[1] - header.mins[1])) // side
    column = np.clip(column, 0, columns - 1).astype(np.int64)
    row = np.clip(row, 0, int(height // side)).astype(np.int64)
    return row * columns + column


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
