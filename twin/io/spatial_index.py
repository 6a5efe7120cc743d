"""Building and street layers of a whole city, indexed so that a quarter's part is read alone.

The first open reads the layer once and splits it into square chunks (`CHUNK_M`, by each
feature's centre), each stored as its own file in the twin's cache folder beside the model
cache (twin/io/model_cache.py), with an index of every chunk's extent (the union of its
features' boxes, so a feature reaching out of its chunk is still found). A later read of an area
opens only the chunks whose extent meets it, and keeps the features that meet the area, in the
layer's own order. A file that changed (size or time) is indexed again; its stamp is taken before
the read, so a file changed while it was being indexed is indexed again at the next open.

Building chunks are stored as the model cache stores models; street chunks as plain arrays
(WKB lines, attribute columns, the inspection history): no pickles, as in the model cache.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from twin.core.atomic import write_atomic
from twin.core.data import BuildingData, Inspections, StreetData
from twin.core.feedback import Feedback
from twin.io.errors import TwinIOError
from twin.io.formats import read_data
from twin.io.model_cache import cache_dir, read_model, write_model
from twin.io.mosaic import buildings_subset, join_buildings

CHUNK_M = 500.0
_VERSION = 2  # bump when the stored layout changes (2: the layer's CRS and reading notes)
Bounds = tuple[float, float, float, float]
Layer = BuildingData | StreetData


@dataclass
class LayerIndex:
    """A layer's chunks on disk and their extents; `chunks_read` counts the chunks opened.

    `crs` is the layer's own (the extents are in it), `notes` what reading the file said (heights
    in another vertical reference), for the caller to pass on as a whole read would."""

    path: Path
    folder: Path
    kind: str  # buildings | streets
    extents: np.ndarray  # (chunks, 4): minx, miny, maxx, maxy
    rows: list[np.ndarray]  # each chunk's features as rows of the whole layer
    crs: str | None = None
    notes: tuple[str, ...] = ()
    chunks_read: int = 0

    @classmethod
    def open(cls, path: Path, crs: str | None = None, chunk_m: float = CHUNK_M,
             feedback: Feedback | None = None) -> LayerIndex:
        """The index of a building or street file: from the cache where current, else built now."""
        path = Path(path)
        folder = _folder_of(path, crs, chunk_m)
        index = cls._load(path, folder)
        if index is None:
            index = cls._build(path, folder, crs, chunk_m, feedback or Feedback())
        return index

    @property
    def chunks(self) -> int:
        return len(self.rows)

    @property
    def features(self) -> int:
        return sum(len(rows) for rows in self.rows)

    def read(self, area: Bounds | shapely.Geometry) -> Layer | None:
        """The features meeting `area` (a box or a polygon), in the layer's order; None where
        no chunk reaches it."""
        shape = shapely.box(*area) if isinstance(area, tuple) else area
        minx, miny, maxx, maxy = shapely.bounds(shape)
        near = np.flatnonzero((self.extents[:, 0] <= maxx) & (self.extents[:, 2] >= minx)
                              & (self.extents[:, 1] <= maxy) & (self.extents[:, 3] >= miny))
        parts, rows = [], []
        for chunk in near:
            data = self._chunk(int(chunk))
            meets = _meets(data, shape)
            parts.append(_subset(data, meets))
            rows.append(self.rows[chunk][meets])
        if not parts:
            return None
        order = np.argsort(np.concatenate(rows), kind="stable")
        return _subset(_concatenate(parts), order)

    def _chunk(self, chunk: int) -> Layer:
        self.chunks_read += 1
        entry = self.folder / f"chunk{chunk}.npz"
        data = read_model(entry) if self.kind == "buildings" else _read_streets(entry)
        if data is None:
            raise TwinIOError(self.path, f"the spatial index's chunk {entry} cannot be read; delete "
                                         f"{self.folder} to index the file again")
        return data

    @classmethod
    def _load(cls, path: Path, folder: Path) -> LayerIndex | None:
        try:
            with np.load(folder / "index.npz", allow_pickle=False) as stored:
                if str(stored["stamp"]) != _stamp(path):
                    return None
                offsets, every_row = stored["offsets"], stored["rows"]  # each ["rows"] reads it anew
                rows = [every_row[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
                return cls(path, folder, str(stored["kind"]), stored["extents"], rows,
                           str(stored["crs"]) or None, tuple(json.loads(str(stored["notes"]))))
        except (OSError, KeyError, ValueError):  # no index yet, or a broken one: built again
            return None

    @classmethod
    def _build(cls, path: Path, folder: Path, crs: str | None, chunk_m: float,
               feedback: Feedback) -> LayerIndex:
        stamp = _stamp(path)  # before the read: a change while reading shows at the next open
        notes: list[str] = []
        file_format, data = read_data(path, crs, feedback, notes)
        if file_format.kind not in ("buildings", "streets"):
            raise TwinIOError(path, f"holds {file_format.kind}; a spatial index is made of buildings "
                                    "or streets")
        boxes = _feature_boxes(data)
        centres = np.floor(((boxes[:, :2] + boxes[:, 2:]) / 2) / chunk_m).astype(np.int64)
        keys, chunk_of = np.unique(centres, axis=0, return_inverse=True)
        rows = [np.flatnonzero(chunk_of.ravel() == chunk) for chunk in range(len(keys))]
        extents = np.array([[*boxes[r, :2].min(axis=0), *boxes[r, 2:].max(axis=0)] for r in rows])
        folder.mkdir(parents=True, exist_ok=True)
        for chunk, chunk_rows in enumerate(rows):
            part = _subset(data, np.isin(np.arange(len(data)), chunk_rows))
            entry = folder / f"chunk{chunk}.npz"
            write_model(entry, part) if file_format.kind == "buildings" else _write_streets(entry, part)
        _remove_chunks_from(folder, len(rows))
        offsets = np.cumsum([0, *(len(r) for r in rows)])
        _write_npz(folder / "index.npz", stamp=np.array(stamp), kind=np.array(file_format.kind),
                   extents=extents, rows=np.concatenate(rows), offsets=offsets,
                   crs=np.array(data.crs or ""), notes=np.array(json.dumps(notes)))
        return cls(path, folder, file_format.kind, extents, rows, data.crs, tuple(notes))


def features_in_box(data: Layer, bounds: Bounds) -> Layer:
    """The features of a whole layer that meet a box, in its order: what LayerIndex.read gives."""
    return _subset(data, _meets(data, shapely.box(*bounds)))


def _remove_chunks_from(folder: Path, first: int) -> None:
    """Chunks left by an earlier index of a file that had more of them."""
    for entry in folder.glob("chunk*.npz"):
        number = entry.stem.removeprefix("chunk")
        if number.isdigit() and int(number) >= first:
            entry.unlink(missing_ok=True)


def _folder_of(path: Path, crs: str | None, chunk_m: float) -> Path:
    key = f"{path.resolve()}|{crs}|{chunk_m}|{_VERSION}"
    return cache_dir() / "index" / hashlib.sha256(key.encode()).hexdigest()[:40]


def _stamp(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size}|{status.st_mtime_ns}"


def _feature_boxes(data: Layer) -> np.ndarray:
    """Each feature's box; a building without a footprint by its triangles' corners."""
    shapes = data.footprints if isinstance(data, BuildingData) else data.geometries
    boxes = shapely.bounds(np.array([s if s is not None else shapely.Point() for s in shapes], dtype=object))
    missing = ~np.isfinite(boxes).all(axis=1)
    if missing.any() and isinstance(data, BuildingData):
        corners = data.vertices[data.triangles][:, :, :2].reshape(-1, 2)
        owner = np.repeat(data.triangle_building, 3)
        for row in np.flatnonzero(missing):
            mine = corners[owner == row]
            if len(mine):
                boxes[row] = [*mine.min(axis=0), *mine.max(axis=0)]
    return np.nan_to_num(boxes, nan=0.0)


def _meets(data: Layer, shape: shapely.Geometry) -> np.ndarray:
    if isinstance(data, BuildingData):
        without = np.array([s is None for s in data.footprints], dtype=bool)
        shapes = np.where(without, None, data.footprints)
        meets = shapely.intersects(shapes, shape)
        if without.any():  # judged by the box of its triangles
            boxes = shapely.box(*_feature_boxes(buildings_subset(data, without)).T)
            meets[without] = shapely.intersects(boxes, shape)
        return meets.astype(bool)
    return shapely.intersects(data.geometries, shape).astype(bool)


def _subset(data: Layer, rows: np.ndarray) -> Layer:
    """The features of a mask, or all features in the order of `rows` (a permutation)."""
    if isinstance(data, BuildingData):
        return buildings_subset(data, rows) if rows.dtype == bool else _buildings_in_order(data, rows)
    return _streets_subset(data, np.flatnonzero(rows) if rows.dtype == bool else rows)


def _buildings_in_order(data: BuildingData, order: np.ndarray) -> BuildingData:
    """The buildings with building `order[i]` at place i: only rows are renumbered."""
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    return BuildingData(ids=data.ids[order], attributes={k: v[order] for k, v in data.attributes.items()},
                        vertices=data.vertices, triangles=data.triangles,
                        triangle_building=place[data.triangle_building],
                        triangle_surface=data.triangle_surface, footprints=data.footprints[order],
                        crs=data.crs, skipped_polygons=data.skipped_polygons)


def _streets_subset(data: StreetData, index: np.ndarray) -> StreetData:
    inspections = None
    if data.inspections is not None:
        new_row = np.full(len(data), -1)
        new_row[index] = np.arange(len(index))
        kept = new_row[data.inspections.segment] >= 0
        inspections = Inspections(new_row[data.inspections.segment[kept]], data.inspections.date[kept],
                                  data.inspections.rating[kept])
    return StreetData(ids=data.ids[index], geometries=data.geometries[index],
                      attributes={k: v[index] for k, v in data.attributes.items()}, crs=data.crs,
                      inspections=inspections)


def _concatenate(parts: list[Layer]) -> Layer:
    if isinstance(parts[0], BuildingData):
        return join_buildings(parts)  # a chunk holds a building once, and no other chunk holds it
    inspections = [p.inspections for p in parts]
    starts = np.cumsum([0, *(len(p) for p in parts)])
    joined = None
    if any(i is not None for i in inspections):
        present = [(i, start) for i, start in zip(inspections, starts, strict=False) if i is not None]
        joined = Inspections(np.concatenate([i.segment + start for i, start in present]),
                             np.concatenate([i.date for i, _ in present]),
                             np.concatenate([i.rating for i, _ in present]))
    return StreetData(ids=np.concatenate([p.ids for p in parts]),
                      geometries=np.concatenate([p.geometries for p in parts]),
                      attributes={key: np.concatenate([p.attributes[key] for p in parts])
                                  for key in parts[0].attributes},
                      crs=parts[0].crs, inspections=joined)


def _write_streets(entry: Path, data: StreetData) -> None:
    wkb = shapely.to_wkb(data.geometries)
    arrays: dict[str, Any] = {
        "ids": np.asarray(data.ids, dtype=str),
        "wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
        "offsets": np.cumsum([0, *(len(b) for b in wkb)]),
        "names": np.array(json.dumps(list(data.attributes))),
        "crs": np.array(data.crs or ""),
    }
    for number, values in enumerate(data.attributes.values()):
        arrays[f"attribute_{number}"] = values.astype(str) if values.dtype == object else values
    if data.inspections is not None:
        arrays.update(segment=data.inspections.segment, date=data.inspections.date,
                      rating=data.inspections.rating)
    _write_npz(entry, **arrays)


def _read_streets(entry: Path) -> StreetData | None:
    try:
        with np.load(entry, allow_pickle=False) as stored:
            blob, offsets = stored["wkb"].tobytes(), stored["offsets"]
            lines = shapely.from_wkb([blob[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
            names = json.loads(str(stored["names"]))
            inspections = Inspections(stored["segment"], stored["date"], stored["rating"]) \
                if "segment" in stored else None
            return StreetData(ids=stored["ids"], geometries=np.asarray(lines, dtype=object),
                              attributes={name: stored[f"attribute_{n}"] for n, name in enumerate(names)},
                              crs=str(stored["crs"]) or None, inspections=inspections)
    except (OSError, KeyError, ValueError):
        return None


def _write_npz(entry: Path, **arrays: Any) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(entry, buffer.getvalue())
