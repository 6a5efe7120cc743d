"""CityJSON 1.0 to 2.0 city models to BuildingData.

Every top-level city object becomes a row: buildings, and also roads, land use, plant cover,
water... so a whole model renders; the attribute column "object_type" tells them apart.
Children (BuildingPart, BuildingInstallation...) add their triangles to the row of their
top-level object. Per row one LoD is chosen: the highest, or the one the caller asks for
("2" takes the highest 2.x) where the object has it. Semantic surfaces give the SurfaceKind.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from twin.core.data import BuildingData, SurfaceKind
from twin.io import model_cache
from twin.io.building_mesh import PolygonCollector, attribute_columns, model_crs, rows_without_geometry
from twin.io.errors import TwinIOError

READER_VERSION = 1
# The largest CityJSON file read: the whole document is parsed into Python objects first,
# which take about ten times the file's size in memory.
MAX_FILE_BYTES = 512 * 1024**2

# "type": "CityJSON" may come last (keys sorted); "CityObjects" then usually comes first.
_SIGNATURE = re.compile(rb'"type"\s*:\s*"CityJSON"|"CityObjects"\s*:')
_SURFACE_KINDS = {
    "RoofSurface": SurfaceKind.ROOF, "WallSurface": SurfaceKind.WALL,
    "GroundSurface": SurfaceKind.GROUND, "ClosureSurface": SurfaceKind.CLOSURE,
    "OuterCeilingSurface": SurfaceKind.OUTER_CEILING, "OuterFloorSurface": SurfaceKind.OUTER_FLOOR,
    "Window": SurfaceKind.WINDOW, "Door": SurfaceKind.DOOR,
}
# How deep the surfaces sit in `boundaries`: a MultiSurface is a list of surfaces, a Solid a list
# of shells of surfaces, a MultiSolid a list of solids. Points, lines and templates are not drawn.
_SURFACE_DEPTH = {"MultiSurface": 0, "CompositeSurface": 0, "Solid": 1, "MultiSolid": 2, "CompositeSolid": 2}
# CityGML-style attribute names get the same column names the CityGML reader uses.
_CORE_NAMES = {"measuredHeight": "measured_height", "yearOfConstruction": "year_of_construction",
               "storeysAboveGround": "storeys_above_ground", "roofType": "roof_type", "function": "function"}
CORE_COLUMNS: dict[str, type] = {"object_type": str, "lod": str, "building_parts": float}


def is_cityjson(head: bytes) -> bool:
    """True where the first bytes of a .json file show a CityJSON document."""
    return _SIGNATURE.search(head) is not None


def read_cityjson(path: Path, crs: str | None = None, lod: str | None = None) -> BuildingData:
    """The city objects of a CityJSON file; `lod` ("2", "2.2") picks a level of detail where present."""
    data, summary = _load(Path(path), lod)
    data.crs = model_crs(path, summary["srs_name"], crs)
    return data


def cityjson_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary (keys in twin/io/formats.py); "buildings" counts Building objects only."""
    data, summary = _load(Path(path), None)
    is_building = data.attributes["object_type"] == "Building"
    return {
        "format": "CityJSON", "version": summary["version"],
        "crs": model_crs(path, summary["srs_name"], crs),
        "bounds": [float(v) for v in data.bounds],
        "buildings": int(np.count_nonzero(is_building)),
        "buildings_without_geometry": int(np.count_nonzero(is_building & rows_without_geometry(data))),
        "building_parts": summary["building_parts"], "surfaces": summary["surfaces"],
        "triangles": len(data.triangles), "skipped_polygons": data.skipped_polygons,
        "other_objects": summary["other_objects"],
    }


def _load(path: Path, lod: str | None) -> tuple[BuildingData, dict[str, Any]]:
    return model_cache.cached(path, f"cityjson-{READER_VERSION}-lod{lod}", lambda: _parse(path, lod))


def _parse(path: Path, lod: str | None) -> tuple[BuildingData, dict[str, Any]]:
    document = _document(path)
    objects = document.get("CityObjects")
    if not isinstance(objects, dict):
        raise TwinIOError(path, "the CityJSON file has no CityObjects")
    vertices = _vertices(path, document)
    top_level = [key for key, obj in objects.items() if isinstance(obj, dict) and not obj.get("parents")]
    rows = {key: row for row, key in enumerate(top_level)}
    members: list[list[dict[str, Any]]] = [[objects[key]] for key in top_level]
    for key, obj in objects.items():
        root = _root(key, objects) if isinstance(obj, dict) else key
        if root != key and root in rows:
            members[rows[root]].append(obj)
    surfaces = _Surfaces()
    attribute_rows = []
    for row, key in enumerate(top_level):
        geometries = [g for obj in members[row] for g in _list(obj.get("geometry")) if isinstance(g, dict)]
        chosen = _choose_lod(geometries, lod)
        for geometry in geometries:
            if str(geometry.get("lod")) == chosen:
                surfaces.add(geometry, row)
        attribute_rows.append(_row(objects[key], chosen, members[row][1:]))
    points = _points(path, vertices, surfaces, top_level)
    collector = PolygonCollector()
    collector.skipped = surfaces.skipped
    collector.add_batch(points, surfaces.ring_sizes, surfaces.polygon_rings, surfaces.polygon_row,
                        surfaces.polygon_kind)
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    types = Counter(_type_of(objects[key]) for key in top_level)
    summary = {
        "version": str(document.get("version", "")),
        "srs_name": _text_or_none(metadata.get("referenceSystem")),
        "building_parts": sum(
            1 for row, key in enumerate(top_level) if _type_of(objects[key]) == "Building"
            for obj in members[row][1:] if _type_of(obj) == "BuildingPart"),
        "surfaces": dict(surfaces.counts),
        "other_objects": {name: n for name, n in types.items() if name != "Building"},
    }
    data = collector.building_data(top_level, attribute_columns(path, attribute_rows, CORE_COLUMNS), None)
    return data, summary


def _document(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TwinIOError(path, f"the file holds {size / 1e6:,.1f} MB of JSON; the twin reads CityJSON "
                                    f"files of at most {MAX_FILE_BYTES / 1e6:,.1f} MB (split it into tiles)")
        with path.open("rb") as stream:
            document = json.load(stream)
    except OSError as error:
        raise TwinIOError(path, f"the file cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise TwinIOError(path, "the file is not JSON text (it is not UTF-8)") from None
    except json.JSONDecodeError as error:
        if not error.doc.strip():
            raise TwinIOError(path, "the file is empty") from None
        raise TwinIOError(path, f"the file is not valid JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise TwinIOError(path, "the JSON nests too deeply to be a city model") from None
    if not isinstance(document, dict) or document.get("type") != "CityJSON":
        raise TwinIOError(path, 'this JSON file is not CityJSON (it has no "type": "CityJSON")')
    return document


def _vertices(path: Path, document: dict[str, Any]) -> np.ndarray:
    """The shared vertex list in map coordinates (transform applied where the file has one)."""
    try:
        vertices = np.asarray(document.get("vertices", []), dtype=np.float64).reshape(-1, 3)
        transform = document.get("transform")
        if transform:
            vertices = vertices * np.asarray(transform["scale"], dtype=np.float64) + np.asarray(
                transform["translate"], dtype=np.float64)
    except (ValueError, TypeError, KeyError):
        raise TwinIOError(path, "the vertices or the transform of the CityJSON file are not lists "
                                "of three numbers") from None
    return vertices


def _root(key: str, objects: dict[str, Any]) -> str:
    """The top-level object a child belongs to (its first parent's root), guarding against cycles."""
    seen = {key}
    while True:
        obj = objects.get(key)
        parents = obj.get("parents") if isinstance(obj, dict) else None
        if not (isinstance(parents, list) and parents and isinstance(parents[0], str)):
            return key
        key = parents[0]
        if key in seen or key not in objects:
            return key
        seen.add(key)


def _list(value: Any) -> list[Any]:
    """A member that must be a list; a damaged file's anything else counts as empty."""
    return value if isinstance(value, list) else []


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _type_of(obj: dict[str, Any]) -> str:
    """The "type" member as text; "" where it is missing or not text (a damaged file)."""
    kind = obj.get("type")
    return kind if isinstance(kind, str) else ""


def _choose_lod(geometries: list[dict[str, Any]], wanted: str | None) -> str | None:
    """The highest LoD of an object, among those matching `wanted` ("2" matches "2.2") if any do."""
    available = [str(g.get("lod")) for g in geometries if _type_of(g) in _SURFACE_DEPTH]
    if wanted is not None:
        matching = [lod for lod in available if lod == wanted or lod.startswith(f"{wanted}.")]
        available = matching or available
    return max(available, key=_lod_value) if available else None


def _lod_value(lod: str) -> float:
    try:
        return float(lod)
    except ValueError:
        return -1.0


def _row(obj: dict[str, Any], lod: str | None, children: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    attributes = obj.get("attributes") if isinstance(obj.get("attributes"), dict) else {}
    for name, value in attributes.items():
        column = _CORE_NAMES.get(name, name)
        if column in CORE_COLUMNS:
            column = f"attribute_{column}"
        if value is None or isinstance(value, int | float) and not isinstance(value, bool):
            row[column] = value
        else:
            row[column] = value if isinstance(value, str) else json.dumps(value)
    row.update(object_type=_type_of(obj), lod=lod or "",
               building_parts=sum(1 for child in children if _type_of(child) == "BuildingPart"))
    return row


class _Surfaces:
    """Rings (as vertex indices) of the chosen geometries, with row and kind per polygon."""

    def __init__(self) -> None:
        self.indices: list[int] = []
        self.ring_sizes: list[int] = []
        self.polygon_rings: list[int] = []
        self.polygon_row: list[int] = []
        self.polygon_kind: list[int] = []
        self.counts: Counter[str] = Counter()
        self.skipped = 0

    def add(self, geometry: dict[str, Any], row: int) -> None:
        depth = _SURFACE_DEPTH.get(_type_of(geometry))
        if depth is None:
            return
        semantics = geometry.get("semantics") if isinstance(geometry.get("semantics"), dict) else {}
        kinds = [_SURFACE_KINDS.get(_type_of(s), SurfaceKind.UNCLASSIFIED) if isinstance(s, dict)
                 else SurfaceKind.UNCLASSIFIED for s in _list(semantics.get("surfaces"))]
        used: set[int] = set()
        for surface, value in _surfaces(_list(geometry.get("boundaries")), semantics.get("values"), depth):
            rings = [ring for ring in surface if isinstance(ring, list)]
            if not rings:  # no ring at all: nothing to triangulate, not even an outer ring
                self.skipped += 1
                continue
            known = isinstance(value, int) and 0 <= value < len(kinds)
            kind = kinds[value] if known else SurfaceKind.UNCLASSIFIED
            if kind != SurfaceKind.UNCLASSIFIED:
                used.add(value)
            for ring in rings:
                self.indices.extend(ring)
                self.ring_sizes.append(len(ring))
            self.polygon_rings.append(len(rings))
            self.polygon_row.append(row)
            self.polygon_kind.append(int(kind))
        for value in used:
            self.counts[kinds[value].name.lower()] += 1


def _surfaces(boundaries: list[Any], values: Any, depth: int) -> Iterator[tuple[list[Any], Any]]:
    """Each surface (a list of rings) with its semantic value, `depth` list levels down."""
    if depth == 0:
        for i, surface in enumerate(boundaries):
            if isinstance(surface, list) and surface:
                yield surface, values[i] if isinstance(values, list) and i < len(values) else None
        return
    for i, part in enumerate(boundaries):
        if isinstance(part, list):
            yield from _surfaces(part, values[i] if isinstance(values, list) and i < len(values) else None,
                                 depth - 1)


def _points(path: Path, vertices: np.ndarray, surfaces: _Surfaces, ids: list[str]) -> np.ndarray:
    """The coordinates of every ring point; a vertex index outside the list is the file's error."""
    try:
        indices = np.asarray(surfaces.indices, dtype=np.int64)
    except (ValueError, TypeError, OverflowError):
        raise TwinIOError(path, "a surface of the CityJSON file lists something other than vertex "
                                "numbers") from None
    bad = np.flatnonzero((indices < 0) | (indices >= len(vertices)))
    if len(bad):
        ring = np.searchsorted(np.cumsum(surfaces.ring_sizes), bad[0], side="right")
        polygon = np.searchsorted(np.cumsum(surfaces.polygon_rings), ring, side="right")
        owner = ids[surfaces.polygon_row[polygon]]
        raise TwinIOError(path, f"city object '{owner}' refers to vertex {indices[bad[0]]}, but the "
                                f"file has only {len(vertices)} vertices")
    return vertices[indices]
