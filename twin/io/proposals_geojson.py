"""Proposals as GeoJSON: a FeatureCollection of measures in the scene CRS with typed properties.

    {"type": "FeatureCollection",
     "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
     "twin_proposals": 1,
     "features": [{"type": "Feature", "id": "retention_area-1",
                   "geometry": {"type": "Polygon", "coordinates": [...]},
                   "properties": {"id": "retention_area-1", "kind": "retention_area",
                                  "title": "Pond in the park", "author": "A. B.", "comment": "...",
                                  "depth_m": 0.8}}]}

Every property other than id, kind, title, author and comment is a parameter of the kind
(twin/core/proposals.py KINDS; docs/proposals.md lists them with units). A file without the
`crs` member is taken as RFC 7946 GeoJSON (WGS84 longitudes and latitudes, as a web form writes)
where its coordinates are degrees, else as lying in the scene CRS; it is moved into the scene
CRS. A feature without an id gets one after its kind. Every problem is a TwinIOError naming the
file, the feature and what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer
from shapely.errors import GeometryTypeError
from shapely.geometry.base import BaseGeometry

from twin.core.atomic import write_atomic
from twin.core.crs import normalize_crs
from twin.core.errors import CRSError
from twin.core.proposals import Measure, ProposalError, ProposalSet
from twin.io.errors import TwinIOError

SCHEMA_VERSION = 1
_COMMON = ("id", "kind", "title", "author", "comment")


def read_proposals(path: Path | str, scene_crs: str | None = None) -> ProposalSet:
    """The measures of a proposals file, in `scene_crs` (the file's own CRS where None)."""
    path = Path(path)
    document = _document(path)
    file_crs = _file_crs(path, document)
    features = document.get("features")
    if not isinstance(features, list):
        raise TwinIOError(path, "the proposals file's 'features' is not a list")
    measures = []
    taken = {f.get("properties", {}).get("id") for f in features
             if isinstance(f, dict) and isinstance(f.get("properties"), dict)}
    for number, feature in enumerate(features, start=1):
        measures.append(_measure(path, number, feature, taken))
    target = normalize_crs(scene_crs) if scene_crs is not None else None
    source = file_crs or _assumed_crs(measures, target)
    if target is not None and source is not None and source != target:
        measures = _moved(path, measures, source, target)
    try:
        return ProposalSet(tuple(measures), target or source)
    except ProposalError as error:
        raise TwinIOError(path, str(error)) from None


def write_proposals(proposals: ProposalSet, path: Path | str) -> None:
    """Write the set as GeoJSON in its CRS (atomically: a failed write leaves the old file)."""
    document: dict[str, Any] = {"type": "FeatureCollection"}
    if proposals.crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": _urn(proposals.crs)}}
    document["twin_proposals"] = SCHEMA_VERSION
    document["features"] = [_feature(measure) for measure in proposals]
    write_atomic(Path(path), json.dumps(document, ensure_ascii=False, indent=1))


def measure_to_feature(measure: Measure) -> dict[str, Any]:
    """One measure as a GeoJSON Feature (a dict), as the file holds it."""
    return _feature(measure)


def _feature(measure: Measure) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": measure.id, "kind": measure.kind, "title": measure.title,
                                  "author": measure.author, "comment": measure.comment}
    for key, value in measure.parameters.items():
        properties[key] = list(value) if isinstance(value, tuple) else value
    geometry = None if measure.geometry is None else shapely.geometry.mapping(measure.geometry)
    return {"type": "Feature", "id": measure.id, "geometry": geometry, "properties": properties}


def _document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TwinIOError(path, "the proposals file does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TwinIOError(path, f"not a readable GeoJSON file ({error})") from None
    except RecursionError:
        raise TwinIOError(path, "the JSON nests too deeply to be a proposals file") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise TwinIOError(path, "a proposals file must be a GeoJSON FeatureCollection")
    version = document.get("twin_proposals", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise TwinIOError(path, f"the proposals file is of schema version {version!r:.20}, this twin "
                                f"reads version {SCHEMA_VERSION}")
    return document


def _file_crs(path: Path, document: dict[str, Any]) -> str | None:
    crs = document.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and not isinstance(name, str):
        raise TwinIOError(path, "the file's crs member names no CRS (expected "
                                "{\"type\": \"name\", \"properties\": {\"name\": \"EPSG:25833\"}})")
    try:
        return normalize_crs(name)
    except CRSError as error:
        raise TwinIOError(path, f"the file's crs member is not usable ({error})") from None


def _measure(path: Path, number: int, feature: Any, taken: set[Any]) -> Measure:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise TwinIOError(path, f"feature {number} is not a GeoJSON Feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise TwinIOError(path, f"feature {number} has no properties (a proposal needs at least 'kind')")
    if "kind" not in properties:
        raise TwinIOError(path, f"feature {number} has no 'kind' property (the kind of measure)")
    measure_id = properties.get("id", feature.get("id"))
    if measure_id is None:
        measure_id = _free_id(str(properties["kind"]), number, taken)
    parameters = {key: value for key, value in properties.items() if key not in _COMMON}
    try:
        return Measure(id=str(measure_id), kind=properties["kind"], title=properties.get("title", ""),
                       geometry=_geometry(path, number, feature.get("geometry")),
                       parameters=parameters, author=properties.get("author", ""),
                       comment=properties.get("comment", ""))
    except ProposalError as error:
        raise TwinIOError(path, f"feature {number}: {error}") from None


def _free_id(kind: str, number: int, taken: set[Any]) -> str:
    candidate = f"{kind}-{number}"
    while candidate in taken:
        candidate += "'"
    taken.add(candidate)
    return candidate


def _geometry(path: Path, number: int, geometry: Any) -> BaseGeometry | None:
    if geometry is None:
        return None
    try:
        return shapely.geometry.shape(geometry)
    except (GeometryTypeError, ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        raise TwinIOError(path, f"feature {number} has no usable geometry ({error})") from None


def _assumed_crs(measures: list[Measure], scene_crs: str | None) -> str | None:
    """RFC 7946: a file without a crs member is in WGS84, where its coordinates can be degrees."""
    shapes = [m.geometry for m in measures if m.geometry is not None]
    if not shapes:
        return scene_crs
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(shapes, dtype=object))
    degrees = -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0
    return "EPSG:4326" if degrees else scene_crs


def _moved(path: Path, measures: list[Measure], source: str, target: str) -> list[Measure]:
    transformer = Transformer.from_crs(source, target, always_xy=True)

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    moved = []
    for measure in measures:
        if measure.geometry is None:
            moved.append(measure)
            continue
        geometry = shapely.transform(measure.geometry, move)
        if not np.isfinite(shapely.get_coordinates(geometry)).all():
            raise TwinIOError(path, f"measure '{measure.id}' cannot be brought from {source} into {target}")
        try:
            moved.append(measure.with_changes(geometry=geometry))
        except ProposalError as error:
            raise TwinIOError(path, f"{error} after moving it from {source} into {target}") from None
    return moved


def _urn(crs: str) -> str:
    """'EPSG:25833' -> 'urn:ogc:def:crs:EPSG::25833' (as GDAL writes GeoJSON's crs member)."""
    authority, _, code = crs.partition(":")
    return f"urn:ogc:def:crs:{authority}::{code}" if code.isdigit() else crs
