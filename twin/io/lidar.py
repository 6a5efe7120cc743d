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
  whenever the candidate columns (room for OVERSAMPLE * budget points and one chunk) are
  full, the quota is recomputed and the dense cells' thresholds are lowered, so memory
  stays near the budget whatever the file size.

A COPC file over the budget is read by whole octree levels instead (COPC levels are already
spatially even); only the levels that fit the budget are decoded.

`info` counts the points per class in one pass (only the classification is decoded where
LAZ 1.4 allows it). The DTM/DSM gridding lives in twin/io/pointgrid.py and streams through
`stream_chunks` here.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import laspy
import lazrs
import numba
import numpy as np
from laspy.copc import CopcReader, load_octree_for_query
from pyproj.exceptions import CRSError as PyprojCRSError

from twin.core.crs import normalize_crs, normalize_crs_at
from twin.core.data import PointCloudData
from twin.core.errors import CRSError
from twin.core.feedback import Feedback
from twin.io.errors import TwinIOError

DEFAULT_BUDGET = 3_000_000
CHUNK_POINTS = 500_000
OVERSAMPLE = 1.5
POINTS_PER_CELL = 16
BACKEND = laspy.LazBackend.LazrsParallel
COLOUR_DIMENSIONS = ("red", "green", "blue")
# LAZ 1.4 (point formats 6-10) stores fields in layers; decode only those a reader uses.
CLASS_SELECTION = laspy.DecompressionSelection.base() | laspy.DecompressionSelection.CLASSIFICATION
DISPLAY_SELECTION = (CLASS_SELECTION | laspy.DecompressionSelection.Z
                     | laspy.DecompressionSelection.INTENSITY | laspy.DecompressionSelection.RGB)
# LAS header layout: the VLR count ends at byte 104; a 1.4 header is 375 bytes; record headers.
_VLR_COUNT_END, _LAS14_HEADER_BYTES = 104, 375
_VLR_HEADER_BYTES, _EVLR_HEADER_BYTES = 54, 60
# What laspy and lazrs raise on a damaged or foreign file.
_LAS_FAILURES = (laspy.LaspyException, lazrs.LazrsError, ValueError, struct.error, IndexError, OSError,
                 OverflowError)  # OverflowError: a creation date past the year 9999


def point_cloud_info(path: Path | str, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a point cloud: header facts plus the points per class."""
    path = Path(path)
    with open_point_cloud(path, selection=CLASS_SELECTION) as reader:
        header = reader.header
        classes = np.zeros(256, dtype=np.int64)
        outside = 0
        for _start, chunk in stream_chunks(path, reader):
            classes += np.bincount(np.asarray(chunk.classification), minlength=256)
            outside += _outside_header_bounds(header, chunk)
        return {
            "format": _format_name(header),
            "version": str(header.version),
            "crs": crs_of(path, header, crs),
            "bounds": [float(value) for value in (*header.mins, *header.maxs)],
            "points": int(header.point_count),
            "classes": {str(code): int(count) for code, count in enumerate(classes) if count},
            "point_format": header.point_format.id,
            "points_outside_header_bounds": outside,
        }


def _outside_header_bounds(header: laspy.LasHeader, chunk: laspy.ScaleAwarePointRecord) -> int:
    """How many points lie outside the x-y bounds the header announces (by more than one step
    of the scale): read all the same, but the header's bounds are then not the cloud's. (`info`
    decodes no heights from LAZ 1.4, so z is not checked.)"""
    raw = [np.asarray(chunk.array[name]) for name in ("X", "Y")]
    low = np.floor((header.mins - header.offsets) / header.scales) - 1
    high = np.ceil((header.maxs - header.offsets) / header.scales) + 1
    outside = np.zeros(len(chunk), dtype=bool)
    for axis, values in enumerate(raw):
        outside |= (values < low[axis]) | (values > high[axis])
    return int(outside.sum())


def read_point_cloud(path: Path | str, crs: str | None = None, budget: int = DEFAULT_BUDGET,
                     feedback: Feedback | None = None) -> PointCloudData:
    """The cloud for display: all points, or a spatially fair sample of `budget` points."""
    if budget < 1:
        raise ValueError(f"the point budget must be at least 1, got {budget}")
    path = Path(path)
    with open_point_cloud(path, selection=DISPLAY_SELECTION) as reader:
        header = reader.header
        file_crs = crs_of(path, header, crs)
        if header.point_count <= budget:
            xyz, attributes = _all_points(path, reader, feedback)
        else:
            xyz, attributes = (_copc_levels(path, budget, feedback) if _is_copc(header)
                               else _streamed_sample(path, reader, budget, feedback))
    cloud = PointCloudData(xyz=xyz, crs=file_crs, attributes=attributes, total_points=int(header.point_count))
    if feedback is not None:
        feedback.progress(1.0, "Points read")
    return cloud


@contextmanager
def open_point_cloud(path: Path, selection: laspy.DecompressionSelection | None = None
                     ) -> Iterator[laspy.LasReader]:
    """A laspy reader on a file whose header has been checked against its content.

    The header is checked before laspy opens the file: its LAZ decoder allocates what a damaged
    chunk table announces (and aborts the process where that fails).
    """
    selection = laspy.DecompressionSelection.all() if selection is None else selection
    _check_point_count(path, _header(path))
    try:
        reader = laspy.open(path, laz_backend=BACKEND, decompression_selection=selection)
    except (*_LAS_FAILURES, MemoryError) as error:
        raise TwinIOError(path, _open_problem(error)) from None
    with reader:
        yield reader


def _header(path: Path) -> laspy.LasHeader:
    try:
        with path.open("rb") as stream:
            _check_record_counts(path, stream)
            return laspy.LasHeader.read_from(stream)
    except (*_LAS_FAILURES, MemoryError) as error:
        raise TwinIOError(path, _open_problem(error)) from None


def stream_chunks(path: Path, reader: laspy.LasReader, feedback: Feedback | None = None,
                  message: str = "Reading points") -> Iterator[tuple[int, laspy.ScaleAwarePointRecord]]:
    """(index of the first point, points) for each chunk of the file, reporting progress."""
    total = reader.header.point_count
    start = 0
    # The next chunk decodes in a second thread while the caller works on this one: the
    # caller's kernels release the GIL, so decoding and converting overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="laz-decode") as decoder:
        upcoming = decoder.submit(reader.read_points, CHUNK_POINTS)
        while start < total:
            try:
                chunk = upcoming.result()
            except _LAS_FAILURES:
                last = min(start + CHUNK_POINTS, total)
                raise TwinIOError(path, f"points {start + 1:,} to {last:,} cannot be decoded: "
                                        "the file is truncated or damaged") from None
            if len(chunk) == 0:
                raise TwinIOError(path, f"the file ends after {start:,} of the {total:,} points "
                                        "its header announces")
            if start + len(chunk) < total:
                upcoming = decoder.submit(reader.read_points, CHUNK_POINTS)
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
        centre_x, centre_y = (header.mins[:2] + header.maxs[:2]) / 2
        try:
            return normalize_crs_at(found, centre_x, centre_y)
        except CRSError:
            if given is None:
                raise TwinIOError(path, f"the coordinate system in the header ('{found.name}') has "
                                        "no EPSG code; give the file's EPSG code as its CRS") from None
            return normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _check_point_count(path: Path, header: laspy.LasHeader) -> None:
    """Refuse empty files and headers whose point count the point data contradicts."""
    if header.point_count == 0:
        raise TwinIOError(path, "the file holds no points")
    _check_scaling(path, header)
    if header.are_points_compressed:
        _check_chunk_table(path, header)
    else:
        _check_record_space(path, header)


def _check_scaling(path: Path, header: laspy.LasHeader) -> None:
    """Every coordinate is raw * scale + offset, and the fair sample's cells span the header's
    bounds: a scale, offset or bound that is not a finite number would make every point NaN."""
    numbers = {"scale": header.scales, "offset": header.offsets, "bounds": (*header.mins, *header.maxs)}
    for name, values in numbers.items():
        if not np.isfinite(values).all():
            raise TwinIOError(path, f"the header's {name} {_listed(values)} is not a finite number")
    if (header.scales == 0).any():
        raise TwinIOError(path, f"the header's scale {_listed(header.scales)} is zero on an axis")


def _listed(values: Any) -> str:
    return "(" + ", ".join(f"{value:g}" for value in values) + ")"


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
            _check_chunk_count(path, header, stream)
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


def _check_record_counts(path: Path, stream: BinaryIO) -> None:
    """Refuse a header announcing more (extended) variable-length records than the file has room for.

    laspy reads as many records as announced, past the end of the file: four billion of them
    would take hours. The stream is left at its start.
    """
    head = stream.read(_LAS14_HEADER_BYTES)
    stream.seek(0)
    if len(head) < _VLR_COUNT_END or head[:4] != b"LASF":
        return  # laspy says what is wrong with the signature or the header
    header_bytes, point_offset, records = struct.unpack_from("<HII", head, 94)
    room = min(point_offset, path.stat().st_size) - header_bytes
    if records and records * _VLR_HEADER_BYTES > room:
        raise TwinIOError(path, f"the LAS header announces {records:,} variable-length records, more "
                                "than fit before its points: the file is damaged")
    if head[25] >= 4 and len(head) == _LAS14_HEADER_BYTES:
        first, extended = struct.unpack_from("<QI", head, 235)
        room = path.stat().st_size - first
        if extended and extended * _EVLR_HEADER_BYTES > room:
            raise TwinIOError(path, f"the LAS header announces {extended:,} extended records, more "
                                    "than fit in the file: the file is damaged")


def _check_chunk_count(path: Path, header: laspy.LasHeader, stream: BinaryIO) -> None:
    """Refuse a chunk table that announces more chunks than there are points or compressed bytes.

    lazrs allocates the announced table before reading it, and a failed allocation aborts.
    The table's offset leads the point data (-1: written at the file's end by a streaming writer).
    """
    stream.seek(header.offset_to_point_data)
    (table_offset,) = struct.unpack("<q", stream.read(8))
    if table_offset == -1:
        stream.seek(-8, io.SEEK_END)
        (table_offset,) = struct.unpack("<q", stream.read(8))
    stream.seek(table_offset)
    _version, chunks = struct.unpack("<II", stream.read(8))
    compressed_bytes = table_offset - header.offset_to_point_data - 8
    if chunks > min(header.point_count, max(compressed_bytes, 0)):
        raise TwinIOError(path, f"the LAZ chunk table announces {chunks:,} chunks for "
                                f"{header.point_count:,} points in {max(compressed_bytes, 0):,} bytes: "
                                "the file is damaged")


def _compare_counts(path: Path, announced: int, fewest: int, most: int) -> None:
    present = f"{fewest:,}" if fewest == most else f"{fewest:,} to {most:,}"
    if announced > most:
        raise TwinIOError(path, f"the header announces {announced:,} points but the file holds only "
                                f"{present}: it is truncated or its header is wrong")
    if announced < fewest:
        raise TwinIOError(path, f"the header announces {announced:,} points but the file holds "
                                f"{present}: its header is wrong")


def _all_points(path: Path, reader: laspy.LasReader, feedback: Feedback | None
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every point, converted chunk by chunk into the output columns."""
    xyz, attributes = _empty_columns(reader.header, reader.header.point_count)
    for start, chunk in stream_chunks(path, reader, feedback):
        _convert_into(xyz, attributes, start, chunk)
    return xyz, attributes


def _streamed_sample(path: Path, reader: laspy.LasReader, budget: int,
                     feedback: Feedback | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    sample = _FairSample(reader.header, budget)
    for start, chunk in stream_chunks(path, reader, feedback):
        sample.add(start, chunk)
    return sample.result()


def _copc_levels(path: Path, budget: int, feedback: Feedback | None
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The coarsest COPC octree levels whose points fit the budget (the root level at least)."""
    try:
        with CopcReader.open(path, decompression_selection=DISPLAY_SELECTION) as reader:
            nodes = load_octree_for_query(reader.source, reader.copc_info, reader.root_page)
            per_level = np.bincount([node.key.level for node in nodes],
                                    weights=[node.point_count for node in nodes])
            levels = max(1, int(np.searchsorted(np.cumsum(per_level), budget, side="right")))
            sample = _FairSample(reader.header, budget)  # thins only a root level over budget
            for level in range(levels):
                sample.add(sample.seen, reader.level_query(level))
                if feedback is not None:
                    feedback.progress((level + 1) / levels, "Reading COPC levels")
    except _LAS_FAILURES:
        raise TwinIOError(path, "the COPC octree cannot be read: the file is truncated or damaged") from None
    return sample.result()


class _FairSample:
    """The streaming, spatially fair sample of the module doc.

    Candidates live in preallocated columns, already in their output form (map coordinates,
    classification, intensity, colours), with their priority and cell. Each cell holds the
    points whose priority is below its threshold; when the columns are full, every cell's
    threshold is lowered so that the cells keep the same quota (sparse cells keep all they
    have) and the columns are compacted in place. At the end they shrink in place to the
    points kept and become the cloud: no second copy of the sample is made.
    """

    def __init__(self, header: laspy.LasHeader, budget: int) -> None:
        self.budget = budget
        self.seen = 0
        self._header = header
        width, height = header.maxs[:2] - header.mins[:2]
        cell_count = max(budget / POINTS_PER_CELL, 1.0)
        side = max(np.sqrt(width * height / cell_count), max(width, height) / cell_count, 1e-9)
        self._shape = (int(height // side) + 1, int(width // side) + 1)
        # column = raw X * scale_x / side + (offset_x - min_x) / side; likewise rows from Y.
        self._raw_to_cell = np.array([header.scales[0] / side, header.scales[1] / side,
                                      (header.offsets[0] - header.mins[0]) / side,
                                      (header.offsets[1] - header.mins[1]) / side])
        self._threshold = np.ones(self._shape[0] * self._shape[1], dtype=np.float32)
        self._thinned = np.zeros(len(self._threshold), dtype=bool)
        self._counts = np.zeros(len(self._threshold), dtype=np.int64)  # candidates held per cell
        capacity = min(int(OVERSAMPLE * budget) + CHUNK_POINTS, header.point_count)
        colours = [c for c in COLOUR_DIMENSIONS if c in header.point_format.dimension_names]
        self._xyz = np.empty((capacity, 3), dtype=np.float64)
        self._attributes = {"classification": np.empty(capacity, dtype=np.uint8),
                            "intensity": np.empty(capacity, dtype=np.uint16)}
        self._attributes.update({name: np.empty(capacity, dtype=np.uint16) for name in colours})
        self._priority = np.empty(capacity, dtype=np.float32)
        self._cell = np.empty(capacity, dtype=np.int32)
        self._held = 0

    def add(self, start: int, points: laspy.ScaleAwarePointRecord) -> None:
        """Offer the points start, start + 1, ... of the file."""
        for offset in range(0, len(points), CHUNK_POINTS):
            piece = points.array[offset:offset + CHUNK_POINTS]
            if self._held + len(piece) > len(self._xyz):
                self._thin()
            if self._held + len(piece) > len(self._xyz):
                self._trim()
            self._held = _take_candidates(
                piece["X"], piece["Y"], piece["Z"], *_class_byte(piece), piece["intensity"],
                *self._colours_of(piece), start + offset, self._header.scales, self._header.offsets,
                self._raw_to_cell, self._shape[1], self._shape[0], self._threshold, self._counts,
                *self._columns(), self._held)
        self.seen = start + len(points)

    def result(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Map coordinates and attributes of at most `budget` points, in file order."""
        if self._held > self.budget:
            self._thin()
            self._trim()
        # Shrinking in place (realloc) hands the unused tail back without copying the rest.
        self._xyz.resize((self._held, 3), refcheck=False)
        for values in self._attributes.values():
            values.resize(self._held, refcheck=False)
        return self._xyz, self._attributes

    def _columns(self) -> tuple[np.ndarray, ...]:
        """The candidate columns in the order the kernels take them (no colours: empty)."""
        attributes = self._attributes
        colours = [attributes.get(name, np.empty(0, np.uint16)) for name in COLOUR_DIMENSIONS]
        return (self._xyz, attributes["classification"], attributes["intensity"], *colours,
                self._priority, self._cell)

    def _colours_of(self, records: np.ndarray) -> list[np.ndarray]:
        empty = np.empty(0, np.uint16)
        return [records[name] if name in self._attributes else empty for name in COLOUR_DIMENSIONS]

    def _thin(self) -> None:
        counts = self._counts
        # The cells keep their share only on average: aim a little low (two standard deviations
        # of the kept count) so that trimming the excess is rarely needed.
        target = max(self.budget - 2.0 * np.sqrt(self.budget), 1.0)
        share = np.minimum(1.0, _water_level(counts, target) / np.maximum(counts, 1))
        self._thinned |= share < 1.0
        # Priorities are uniform below a cell's threshold, so scaling it keeps `share` of them.
        self._threshold *= share.astype(np.float32)
        self._held = _keep_below_threshold(*self._columns(), self._held, self._threshold, counts)

    def _trim(self) -> None:
        """Down to the budget: the thinned cells meet their quota on average; drop their excess."""
        if self._held <= self.budget:
            return
        priority, cell = self._priority[:self._held], self._cell[:self._held]
        rank = np.where(self._thinned[cell], priority / self._threshold[cell], 0.0)
        excess = self._held - self.budget
        priority[np.argpartition(rank, -excess)[-excess:]] = np.inf  # now above any threshold
        self._held = _keep_below_threshold(*self._columns(), self._held, self._threshold, self._counts)


def _class_byte(records: np.ndarray) -> tuple[np.ndarray, int]:
    """The byte holding the class and the mask of its class bits (LAS before 1.4: five)."""
    if "raw_classification" in records.dtype.names:
        return records["raw_classification"], 0x1F
    return records["classification"], 0xFF


@numba.njit(cache=True, nogil=True)
def _take_candidates(X, Y, Z, classification, class_mask, intensity, red, green, blue, start,
                     scales, offsets, raw_to_cell, columns, row_count, threshold, counts,
                     kept_xyz, kept_class, kept_intensity, kept_red, kept_green, kept_blue,
                     kept_priority, kept_cell, held):  # pragma: no cover - compiled
    """Append the points whose priority is below their cell's threshold; return the new count.

    The priority is a hash (splitmix64) of the point's index in the file, uniform in [0, 1).
    """
    with_colour = kept_red.shape[0] > 0
    for i in range(X.shape[0]):
        # int() truncates towards zero, which the clamp to cell 0 makes a floor.
        column = min(max(int(X[i] * raw_to_cell[0] + raw_to_cell[2]), 0), columns - 1)
        row = min(max(int(Y[i] * raw_to_cell[1] + raw_to_cell[3]), 0), row_count - 1)
        cell = row * columns + column
        z = np.uint64(start + i) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        priority = np.float32(z >> np.uint64(40)) * np.float32(1.0 / 16777216.0)
        if priority >= threshold[cell]:
            continue
        kept_xyz[held, 0] = X[i] * scales[0] + offsets[0]
        kept_xyz[held, 1] = Y[i] * scales[1] + offsets[1]
        kept_xyz[held, 2] = Z[i] * scales[2] + offsets[2]
        kept_class[held] = classification[i] & class_mask
        kept_intensity[held] = intensity[i]
        if with_colour:
            kept_red[held] = red[i]
            kept_green[held] = green[i]
            kept_blue[held] = blue[i]
        kept_priority[held] = priority
        kept_cell[held] = cell
        counts[cell] += 1
        held += 1
    return held


@numba.njit(cache=True, nogil=True)
def _keep_below_threshold(xyz, classification, intensity, red, green, blue, priority, cell, held,
                          threshold, counts):  # pragma: no cover - compiled
    """Compact the columns in place to the candidates still below their cell's threshold."""
    with_colour = red.shape[0] > 0
    counts[:] = 0
    kept = 0
    for i in range(held):
        if priority[i] >= threshold[cell[i]]:
            continue
        counts[cell[i]] += 1
        if kept == i:  # nothing dropped yet: the row is in place
            kept += 1
            continue
        for axis in range(3):
            xyz[kept, axis] = xyz[i, axis]
        classification[kept] = classification[i]
        intensity[kept] = intensity[i]
        if with_colour:
            red[kept] = red[i]
            green[kept] = green[i]
            blue[kept] = blue[i]
        priority[kept] = priority[i]
        cell[kept] = cell[i]
        kept += 1
    return kept


def _water_level(counts: np.ndarray, budget: float) -> float:
    """The per-cell quota q with sum(min(count, q)) == budget (infinite if all counts fit)."""
    ordered = np.sort(counts[counts > 0])
    below = np.cumsum(ordered) - ordered  # points in the cells smaller than this one
    at_or_above = len(ordered) - np.arange(len(ordered))
    kept_if_quota_here = below + ordered * at_or_above
    first_over = int(np.searchsorted(kept_if_quota_here, budget, side="right"))
    if first_over == len(ordered):
        return np.inf
    return float((budget - below[first_over]) / at_or_above[first_over])


def _empty_columns(header: laspy.LasHeader, count: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Empty output columns for `count` points: xyz and the attributes this point format has."""
    names = ["classification", "intensity"]
    names += [colour for colour in COLOUR_DIMENSIONS if colour in header.point_format.dimension_names]
    attributes = {name: np.empty(count, dtype=np.uint8 if name == "classification" else np.uint16)
                  for name in names}
    return np.empty((count, 3), dtype=np.float64), attributes


def _convert_into(xyz: np.ndarray, attributes: dict[str, np.ndarray], start: int,
                  points: laspy.ScaleAwarePointRecord) -> None:
    """Scaled coordinates and attributes of `points`, written from row `start` on."""
    rows = slice(start, start + len(points))
    _scale_into(points.array["X"], points.array["Y"], points.array["Z"], points.scales, points.offsets,
                xyz[rows])
    for name, values in attributes.items():
        values[rows] = points.array[name] if name != "classification" else points.classification


@numba.njit(cache=True, nogil=True)
def _scale_into(X, Y, Z, scales, offsets, xyz):  # pragma: no cover - compiled
    """Map coordinates from the raw integers, in one pass (numpy would take six)."""
    for i in range(X.shape[0]):
        xyz[i, 0] = X[i] * scales[0] + offsets[0]
        xyz[i, 1] = Y[i] * scales[1] + offsets[1]
        xyz[i, 2] = Z[i] * scales[2] + offsets[2]


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
    if isinstance(error, MemoryError):
        return "the LAS header announces more data than memory holds: the file is damaged"
    first_line = text.splitlines()[0] if text else type(error).__name__
    return f"the LAS header cannot be read ({first_line})"
