"""CityGML 1.0, 2.0 and 3.0 building models to BuildingData, streamed.

The file is read one cityObjectMember at a time (lxml iterparse, hardened against entity tricks)
and every member is cleared once read, so memory stays bounded by the largest building. Element
names are matched by local name, so one code path serves all three versions.

Per building (with its BuildingParts) one LoD is chosen: the highest it has, or the one the
caller asks for where the building has it. Polygons of boundary surfaces (roof, wall, ...) carry
their SurfaceKind; geometry referenced again by xlink (a solid made of the boundary surfaces'
polygons) is counted once.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from twin.core.data import BuildingData, SurfaceKind
from twin.core.feedback import Feedback
from twin.io import model_cache
from twin.io.building_mesh import PolygonCollector, attribute_columns, model_crs, rows_without_geometry
from twin.io.errors import TwinIOError
from twin.io.safe_xml import iterparse, local_name, root_tag

READER_VERSION = 1
PROGRESS_EVERY = 25  # city objects between progress reports

_VERSIONS = {"http://www.opengis.net/citygml/1.0": "1.0", "http://www.opengis.net/citygml/2.0": "2.0",
             "http://www.opengis.net/citygml/3.0": "3.0"}
_GML_ID = ("{http://www.opengis.net/gml}id", "{http://www.opengis.net/gml/3.2}id")
_HREF = "{http://www.w3.org/1999/xlink}href"

_SURFACE_KINDS = {
    "RoofSurface": SurfaceKind.ROOF, "WallSurface": SurfaceKind.WALL,
    "GroundSurface": SurfaceKind.GROUND, "ClosureSurface": SurfaceKind.CLOSURE,
    "OuterCeilingSurface": SurfaceKind.OUTER_CEILING, "OuterFloorSurface": SurfaceKind.OUTER_FLOOR,
    "Window": SurfaceKind.WINDOW, "WindowSurface": SurfaceKind.WINDOW,
    "Door": SurfaceKind.DOOR, "DoorSurface": SurfaceKind.DOOR,
}
# lod0FootPrint and lod0RoofEdge say what they are; other LoD geometry has no semantics of its own.
_LOD_GEOMETRY = re.compile(r"lod([0-4])(Solid|MultiSurface|CompositeSurface|Geometry|FootPrint|RoofEdge)$")
_HINTED_KINDS = {"FootPrint": SurfaceKind.GROUND, "RoofEdge": SurfaceKind.ROOF}
_SURFACE_PROPERTIES = {"boundedBy", "boundary"}
_OPENING_PROPERTIES = {"opening", "fillingSurface"}
_PART_PROPERTIES = {"consistsOfBuildingPart", "buildingPart"}
_POLYGONS = {"Polygon", "PolygonPatch", "Triangle", "Rectangle"}
_RING_PROPERTIES = {"exterior", "interior", "outerBoundaryIs", "innerBoundaryIs"}
_IDENTIFIABLE = ("{*}Polygon", "{*}PolygonPatch", "{*}Triangle", "{*}Surface", "{*}CompositeSurface",
                 "{*}MultiSurface", "{*}OrientableSurface", "{*}Solid", "{*}TriangulatedSurface")

# Attribute columns every CityGML model has, with their type.
CORE_COLUMNS: dict[str, type] = {
    "object_type": str, "name": str, "function": str, "year_of_construction": float,
    "storeys_above_ground": float, "measured_height": float, "roof_type": str, "lod": str,
    "building_parts": float, "sensor_links": str,
}
_GENERIC_NUMBERS = {"intAttribute", "doubleAttribute", "measureAttribute",
                    "IntAttribute", "DoubleAttribute", "MeasureAttribute"}
_GENERIC_TEXTS = {"stringAttribute", "uriAttribute", "dateAttribute",
                  "StringAttribute", "UriAttribute", "DateAttribute"}


def read_citygml(path: Path, crs: str | None = None, lod: int | None = None,
                 feedback: Feedback | None = None) -> BuildingData:
    """The buildings of a CityGML file; `lod` picks a level of detail where a building has it."""
    data, summary = _load(Path(path), lod, feedback)
    data.crs = model_crs(path, summary["srs_name"], crs)
    return data


def citygml_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary (keys in twin/io/formats.py)."""
    data, summary = _load(Path(path), None)
    return {
        "format": "CityGML", "version": summary["version"], "crs": model_crs(path, summary["srs_name"], crs),
        "bounds": [float(v) for v in data.bounds], "buildings": len(data),
        "buildings_without_geometry": int(rows_without_geometry(data).sum()),
        "building_parts": summary["building_parts"], "surfaces": summary["surfaces"],
        "triangles": len(data.triangles), "skipped_polygons": data.skipped_polygons,
        "other_objects": summary["other_objects"],
    }


def is_citygml(head: bytes) -> bool:
    """True where the first bytes show a CityGML namespace (for telling .xml files apart)."""
    return b"http://www.opengis.net/citygml/" in head


def _load(path: Path, lod: int | None,
          feedback: Feedback | None = None) -> tuple[BuildingData, dict[str, Any]]:
    key = f"citygml-{READER_VERSION}-lod{lod}"
    return model_cache.cached(path, key, lambda: _parse(path, lod, feedback or Feedback()))


def _parse(path: Path, lod: int | None, feedback: Feedback) -> tuple[BuildingData, dict[str, Any]]:
    version = _version(path)
    reader = _ModelReader(lod)
    try:
        with warnings.catch_warnings():
            # numpy warns (rather than fails) on text that is not a number; make it fail.
            warnings.simplefilter("error", DeprecationWarning)
            for member in _members(path, reader, feedback):
                reader.read_member(member)
    except etree.XMLSyntaxError as error:
        raise TwinIOError(path, _syntax_problem(error)) from None
    except OSError as error:
        raise TwinIOError(path, f"the file cannot be read ({error.strerror or error})") from None
    columns = attribute_columns(path, reader.rows, CORE_COLUMNS)
    data = reader.collector.building_data(reader.ids, columns, None)
    summary = {"version": version, "srs_name": reader.srs_name,
               "building_parts": reader.building_parts, "surfaces": dict(reader.surfaces),
               "other_objects": dict(reader.other_objects)}
    return data, summary


def _version(path: Path) -> str:
    try:
        tag = root_tag(path)
    except etree.XMLSyntaxError as error:
        if path.stat().st_size == 0:
            raise TwinIOError(path, "the file is empty") from None
        raise TwinIOError(path, f"this is not a CityGML file: {_syntax_problem(error)}") from None
    except OSError as error:
        raise TwinIOError(path, f"the file cannot be read ({error.strerror or error})") from None
    namespace = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    if local_name(tag) != "CityModel" or namespace not in _VERSIONS:
        raise TwinIOError(path, f"this XML file is not CityGML (it holds a '{local_name(tag)}', "
                                "not a CityGML 1.0, 2.0 or 3.0 CityModel)")
    return _VERSIONS[namespace]


def _syntax_problem(error: etree.XMLSyntaxError) -> str:
    message = str(error.msg or error)
    if "Excessive depth" in message:
        return "its elements nest deeper than 256 levels, which no city model needs"
    if "amplification" in message or "entity reference loop" in message:
        return ("it defines XML entities that expand without bound or point elsewhere, "
                "which the twin does not read")
    return f"the XML is broken near line {error.lineno} ({message.split(',')[0].strip()})"


def _members(path: Path, reader: _ModelReader, feedback: Feedback) -> Iterator[etree._Element]:
    """Each top-level city object once parsed; everything before it is freed."""
    size = max(path.stat().st_size, 1)
    with path.open("rb") as stream:
        tags = ("{*}cityObjectMember", "{*}featureMember", "{*}Envelope")
        members = 0
        for _event, element in iterparse(stream, tags):
            if local_name(element.tag) == "Envelope":
                if reader.srs_name is None and element.get("srsName"):
                    reader.srs_name = element.get("srsName")
                continue
            if len(element):
                yield element[0]
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
            members += 1
            if members % PROGRESS_EVERY == 0:
                feedback.progress(stream.tell() / size, "Reading city objects")


@dataclass
class _Geometry:
    lod: int
    kind: SurfaceKind
    element: etree._Element
    surface: etree._Element | None  # the boundary surface it belongs to, for counting


@dataclass
class _CityObject:
    """What one Building or BuildingPart holds, sorted out from its direct children."""

    element: etree._Element
    geometries: list[_Geometry] = field(default_factory=list)
    parts: list[_CityObject] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


class _ModelReader:
    """Turns cityObjectMembers into rows and polygons."""

    def __init__(self, lod: int | None) -> None:
        self.lod = lod
        self.collector = PolygonCollector()
        self.ids: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.srs_name: str | None = None
        self.building_parts = 0
        self.surfaces: Counter[str] = Counter()
        self.other_objects: Counter[str] = Counter()

    def read_member(self, element: etree._Element) -> None:
        if local_name(element.tag) != "Building":
            self.other_objects[local_name(element.tag)] += 1
            return
        building = _city_object(element)
        parts = list(_all_parts(building))
        geometries = [g for obj in (building, *parts) for g in obj.geometries]
        chosen = _choose_lod([g.lod for g in geometries], self.lod)
        row = len(self.ids)
        self.ids.append(_gml_id(element) or f"building-{row + 1}")
        self.rows.append(_row(building, parts, chosen))
        self.building_parts += len(parts)
        if self.srs_name is None:
            self.srs_name = _first_srs_name(element)
        self._add_geometry([g for g in geometries if g.lod == chosen], element, row)

    def _add_geometry(self, geometries: list[_Geometry], building: etree._Element, row: int) -> None:
        # Classified geometry first, so a solid that refers to boundary-surface polygons adds
        # nothing new, while polygons only the solid has still count as unclassified.
        geometries.sort(key=lambda g: g.surface is None)
        polygons = _PolygonWalk(building)
        counted: set[int] = set()
        for geometry in geometries:
            for polygon, reverse in polygons.walk(geometry.element):
                self._add_polygon(polygon, reverse, row, geometry.kind)
            if geometry.surface is not None and id(geometry.surface) not in counted:
                counted.add(id(geometry.surface))
                self.surfaces[geometry.kind.name.lower()] += 1
        self.collector.skipped += polygons.unresolved

    def _add_polygon(self, polygon: etree._Element, reverse: bool, row: int, kind: SurfaceKind) -> None:
        try:
            rings = [_ring_points(ring) for ring in _rings(polygon)]
        except ValueError:
            self.collector.skipped += 1
            return
        if not rings or len(rings[0]) == 0:
            self.collector.skipped += 1
            return
        if reverse:
            rings = [ring[::-1] for ring in rings]
        self.collector.add(rings, row, kind)


def _city_object(element: etree._Element) -> _CityObject:
    found = _CityObject(element)
    for child in element:
        name = local_name(child.tag)
        lod = _LOD_GEOMETRY.match(name)
        if lod:
            found.geometries.append(_Geometry(int(lod.group(1)), _HINTED_KINDS.get(lod.group(2),
                                              SurfaceKind.UNCLASSIFIED), child, None))
        elif name in _SURFACE_PROPERTIES:
            for surface in child:
                found.geometries.extend(_surface_geometries(surface))
        elif name in _PART_PROPERTIES:
            found.parts.extend(_city_object(part) for part in child if local_name(part.tag) == "BuildingPart")
        else:
            _read_attribute(child, name, found.attributes)
    return found


def _surface_geometries(surface: etree._Element) -> Iterator[_Geometry]:
    """The LoD geometries of a boundary surface and of the windows and doors in it."""
    kind = _SURFACE_KINDS.get(local_name(surface.tag))
    if kind is None:
        return
    for child in surface:
        name = local_name(child.tag)
        lod = _LOD_GEOMETRY.match(name)
        if lod:
            yield _Geometry(int(lod.group(1)), kind, child, surface)
        elif name in _OPENING_PROPERTIES:
            for opening in child:
                yield from _surface_geometries(opening)


def _all_parts(city_object: _CityObject) -> Iterator[_CityObject]:
    for part in city_object.parts:
        yield part
        yield from _all_parts(part)


def _choose_lod(available: list[int], wanted: int | None) -> int | None:
    if not available:
        return None
    return wanted if wanted in available else max(available)


class _PolygonWalk:
    """Finds the polygons of a geometry, following xlinks within the building and counting
    every referenced geometry once."""

    def __init__(self, building: etree._Element) -> None:
        self._building = building
        self._by_id: dict[str, etree._Element] | None = None
        self._seen: set[str] = set()
        self.unresolved = 0

    def walk(self, element: etree._Element, reverse: bool = False) -> Iterator[tuple[etree._Element, bool]]:
        href = element.get(_HREF)
        if href is not None:
            target = self._target(href)
            if target is None:
                self.unresolved += 1
                return
            yield from self.walk(target, reverse)
            return
        identifier = _gml_id(element)
        if identifier is not None:
            if identifier in self._seen:
                return
            self._seen.add(identifier)
        name = local_name(element.tag)
        if name in _POLYGONS:
            yield element, reverse
            return
        if name == "OrientableSurface" and element.get("orientation") == "-":
            reverse = not reverse
        for child in element:
            yield from self.walk(child, reverse)

    def _target(self, href: str) -> etree._Element | None:
        if self._by_id is None:
            self._by_id = {}
            for element in self._building.iter(*_IDENTIFIABLE):
                identifier = _gml_id(element)
                if identifier is not None:
                    self._by_id[identifier] = element
        return self._by_id.get(href.rpartition("#")[2])


def _rings(polygon: etree._Element) -> Iterator[etree._Element]:
    for child in polygon:
        if local_name(child.tag) in _RING_PROPERTIES and len(child):
            yield child[0]


def _ring_points(ring: etree._Element) -> np.ndarray:
    """The (n, 3) points of a LinearRing given as posList, pos elements or coordinates."""
    first = ring[0] if len(ring) else None
    if first is None:
        return np.zeros((0, 3))
    name = local_name(first.tag)
    if name == "posList":
        text, dimension = first.text or "", first.get("srsDimension")
    elif name == "pos":
        text, dimension = " ".join(pos.text or "" for pos in ring), first.get("srsDimension")
    elif name == "coordinates":
        text, dimension = (first.text or "").replace(",", " "), None
    else:
        raise ValueError(f"no coordinates in a {name}")
    values = np.fromstring(text, sep=" ")
    width = int(dimension) if dimension and dimension.isdigit() else 3
    if width not in (2, 3) or len(values) % width:
        raise ValueError("coordinates do not fill whole points")
    points = values.reshape(-1, width)
    return points if width == 3 else np.column_stack((points, np.zeros(len(points))))


def _gml_id(element: etree._Element) -> str | None:
    return element.get(_GML_ID[0]) or element.get(_GML_ID[1])


def _first_srs_name(element: etree._Element) -> str | None:
    for geometry in element.iter("{*}Solid", "{*}MultiSurface", "{*}Polygon", "{*}Envelope",
                                 "{*}CompositeSurface"):
        if geometry.get("srsName"):
            return geometry.get("srsName")
    return None


def _row(building: _CityObject, parts: list[_CityObject], lod: int | None) -> dict[str, Any]:
    """The attribute row of a building: its own values, else those of its first part that has them."""
    row: dict[str, Any] = {}
    for city_object in reversed([building, *parts]):
        row.update(city_object.attributes)
    # Dynamizers (CityGML 3.0) may sit in a part or a room; their links belong to the building.
    links = [_sensor_link(connection) for connection in building.element.iter("{*}SensorConnection")]
    row.update(object_type="Building", lod="" if lod is None else str(lod), building_parts=len(parts),
               sensor_links=" ".join(dict.fromkeys(links)) or None)
    return row


def _read_attribute(element: etree._Element, name: str, into: dict[str, Any]) -> None:
    """Core and generic attributes of a city object (direct children only)."""
    text = (element.text or "").strip()
    match name:
        case "name" | "function" | "roofType":
            into.setdefault(_CORE_NAMES[name], text or None)
        case "yearOfConstruction" | "storeysAboveGround" | "measuredHeight":
            into[_CORE_NAMES[name]] = _number(text)
        case "dateOfConstruction":
            into["year_of_construction"] = _number(text[:4])
        case "height":
            for value in element.iter("{*}value"):
                into.setdefault("measured_height", _number((value.text or "").strip()))
        case "genericAttribute":
            for generic in element:
                _read_attribute(generic, local_name(generic.tag), into)
        case _ if name in _GENERIC_NUMBERS or name in _GENERIC_TEXTS:
            _read_generic(element, name, into)


_CORE_NAMES = {"name": "name", "function": "function", "roofType": "roof_type",
               "yearOfConstruction": "year_of_construction", "storeysAboveGround": "storeys_above_ground",
               "measuredHeight": "measured_height"}


def _read_generic(element: etree._Element, kind: str, into: dict[str, Any]) -> None:
    """gen:xxxAttribute name="n"><gen:value> (1.0, 2.0) or <gen:name>n</gen:name><gen:value> (3.0)."""
    label = element.get("name")
    value_text = None
    for child in element:
        child_name = local_name(child.tag)
        if child_name == "name":
            label = (child.text or "").strip()
        elif child_name == "value":
            value_text = (child.text or "").strip()
    if not label or value_text is None:
        return
    column = f"generic_{label}" if label in CORE_COLUMNS else label
    into.setdefault(column, _number(value_text) if kind in _GENERIC_NUMBERS else value_text)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _sensor_link(connection: etree._Element) -> str:
    """'<baseURL>/Datastreams(<id>)' for a SensorThings link, else the base URL and stream id."""
    fields = {local_name(child.tag): (child.text or "").strip() for child in connection}
    base, stream = fields.get("baseURL", ""), fields.get("datastreamID", "")
    if fields.get("connectionType", "").startswith("ogc_sta") and base and stream:
        return f"{base.rstrip('/')}/Datastreams({stream})"
    return " ".join(part for part in (base, stream) if part)
