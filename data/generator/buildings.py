"""LoD2 CityGML 2.0 buildings of a planned quarter, shaped like the GeoSN tiles, and their roofs.

Each building is a closed solid on its rectangular footprint: a ground polygon at the lowest
DTM height under the footprint, one wall per footprint edge (gable ends follow the roof
profile) and the roof faces of its type. Every roof is the lowest of a few planes over the
footprint (z = c + cu * u + cv * v in the building's frame: u along the ridge, v across it),
so the faces written here and the heights the LiDAR samples (lidar.py) come from one function.
- flat (1000): one plane at the eaves;
- gabled (3100): two planes meeting at the ridge along u;
- hipped (3200): the gabled planes plus two end planes of the same pitch;
- mansard (3400): steep lower planes from the eaves to a break, shallower ones up to the ridge.
Rings are closed and run counter-clockwise seen from outside, so normals point outwards (the
ground ring runs clockwise seen from above).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio.features
from lxml import etree

from data.generator.layout import (
    ROOF_FLAT,
    ROOF_GABLED,
    ROOF_HIPPED,
    ROOF_MANSARD,
    Frame,
    PlannedBuilding,
    QuarterPlan,
)
from twin.core.data import RasterData

CORE = "http://www.opengis.net/citygml/2.0"
BLDG = "http://www.opengis.net/citygml/building/2.0"
GML = "http://www.opengis.net/gml"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"core": CORE, "bldg": BLDG, "gml": GML, "xlink": XLINK, "xsi": XSI}
SCHEMA_LOCATION = f"{BLDG} http://schemas.opengis.net/citygml/building/2.0/building.xsd"
SRS_NAME = "urn:adv:crs:ETRS89_UTM33*DE_DHHN2016_NH"  # EPSG:25833 with DHHN2016 heights
CODELISTS = "https://repository.gdi-de.org/schemas/adv/citygml/Codelisten/"
FUNCTION_CODES = CODELISTS + "BuildingFunctionTypeAdV.xml"
ROOF_CODES = CODELISTS + "RoofTypeTypeAdV.xml"

MANSARD_INSET = 0.15  # the mansard break lies this share of the width in from the eaves...
MANSARD_RISE = 0.65  # ...at this share of the roof's height above the eaves


# --- roof geometry --------------------------------------------------------------------------

def local_coordinates(frame: Frame, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v): along the ridge axis and across it, from the frame's centre."""
    cos, sin = np.cos(frame.angle), np.sin(frame.angle)
    dx, dy = x - frame.cx, y - frame.cy
    return dx * cos + dy * sin, -dx * sin + dy * cos


def world_coordinates(frame: Frame, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cos, sin = np.cos(frame.angle), np.sin(frame.angle)
    return frame.cx + u * cos - v * sin, frame.cy + u * sin + v * cos


def roof_planes(building: PlannedBuilding) -> np.ndarray:
    """Rows (c, cu, cv) of the planes z = c + cu * u + cv * v whose minimum is the roof (z above ground)."""
    eaves, ridge = building.eaves_height, building.ridge_height
    half_length, half_width = building.frame.length / 2, building.frame.width / 2
    if building.roof_type == ROOF_FLAT:
        return np.array([[eaves, 0.0, 0.0]])
    if building.roof_type == ROOF_MANSARD:
        inset, rise = MANSARD_INSET * 2 * half_width, MANSARD_RISE * (ridge - eaves)
        steep, shallow = rise / inset, (ridge - eaves - rise) / (half_width - inset)
        return np.array([[eaves + steep * half_width, 0.0, sign * steep] for sign in (1, -1)]
                        + [[ridge, 0.0, sign * shallow] for sign in (1, -1)])
    slope = (ridge - eaves) / half_width
    planes = [[ridge, 0.0, slope], [ridge, 0.0, -slope]]
    if building.roof_type == ROOF_HIPPED:
        end = ridge + slope * (half_length - half_width)
        planes += [[end, slope, 0.0], [end, -slope, 0.0]]
    elif building.roof_type != ROOF_GABLED:
        raise ValueError(f"no roof geometry for roof type {building.roof_type}")
    return np.array(planes)


def roof_height(building: PlannedBuilding, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Height of the roof above the ground at local coordinates (u, v) inside the footprint."""
    planes = roof_planes(building)
    heights = planes[:, :1] + planes[:, 1:2] * np.ravel(u) + planes[:, 2:3] * np.ravel(v)
    return heights.min(axis=0).reshape(np.shape(u))


def _profile_breaks(building: PlannedBuilding) -> list[float]:
    """Where the roof profile across the ridge bends (v), eaves to eaves, for all but hipped roofs."""
    half = building.frame.width / 2
    if building.roof_type == ROOF_FLAT:
        return [-half, half]
    if building.roof_type == ROOF_MANSARD:
        inset = MANSARD_INSET * 2 * half
        return [-half, -half + inset, 0.0, half - inset, half]
    return [-half, 0.0, half]


def roof_faces(building: PlannedBuilding) -> list[np.ndarray]:
    """The roof faces as counter-clockwise (u, v) rings (not closed)."""
    hl, hw = building.frame.length / 2, building.frame.width / 2
    if building.roof_type == ROOF_HIPPED:
        ridge = hl - hw  # half the ridge length; the layout keeps hipped buildings longer than wide
        return [np.array(ring) for ring in (
            [(-hl, -hw), (hl, -hw), (ridge, 0), (-ridge, 0)], [(hl, -hw), (hl, hw), (ridge, 0)],
            [(hl, hw), (-hl, hw), (-ridge, 0), (ridge, 0)], [(-hl, hw), (-hl, -hw), (-ridge, 0)])]
    breaks = _profile_breaks(building)
    return [np.array([(-hl, low), (hl, low), (hl, high), (-hl, high)])
            for low, high in zip(breaks[:-1], breaks[1:], strict=True)]


def _wall_tops(building: PlannedBuilding) -> list[np.ndarray]:
    """Per footprint edge (counter-clockwise), the (u, v) points along its top from start to end."""
    hl, hw = building.frame.length / 2, building.frame.width / 2
    corners = [(-hl, -hw), (hl, -hw), (hl, hw), (-hl, hw)]
    inner = [] if building.roof_type == ROOF_HIPPED else _profile_breaks(building)[1:-1]
    gable_east = [(hl, v) for v in inner]
    gable_west = [(-hl, v) for v in reversed(inner)]
    middles = [[], gable_east, [], gable_west]
    return [np.array([corners[i], *middles[i], corners[(i + 1) % 4]]) for i in range(4)]


def building_surfaces(building: PlannedBuilding, ground: float) -> dict[str, list[np.ndarray]]:
    """Closed (n, 3) rings in map coordinates: 'RoofSurface', 'WallSurface', 'GroundSurface'."""
    frame = building.frame

    def lift(uv: np.ndarray, heights: np.ndarray) -> np.ndarray:
        x, y = world_coordinates(frame, uv[:, 0], uv[:, 1])
        return _closed(np.column_stack([x, y, ground + heights]))

    roofs = [lift(face, roof_height(building, face[:, 0], face[:, 1])) for face in roof_faces(building)]
    walls = []
    for top in _wall_tops(building):
        base = top[[0, -1]]
        outline = np.concatenate([base, top[::-1]])
        heights = np.concatenate([np.zeros(2), roof_height(building, top[::-1, 0], top[::-1, 1])])
        walls.append(lift(outline, heights))
    hl, hw = frame.length / 2, frame.width / 2
    floor = np.array([(-hl, -hw), (-hl, hw), (hl, hw), (hl, -hw)])  # clockwise: normal down
    return {"RoofSurface": roofs, "WallSurface": walls, "GroundSurface": [lift(floor, np.zeros(4))]}


def _closed(ring: np.ndarray) -> np.ndarray:
    return np.vstack([ring, ring[:1]])


# --- ground heights -------------------------------------------------------------------------

def ground_heights(buildings: list[PlannedBuilding], dtm: RasterData) -> np.ndarray:
    """The lowest DTM height under each footprint (the cell under its centre for tiny ones)."""
    labels = rasterio.features.rasterize(
        ((building.footprint, number) for number, building in enumerate(buildings, start=1)),
        out_shape=dtm.shape, transform=dtm.transform, fill=0, dtype="int32")
    inside = labels > 0
    lowest = np.full(len(buildings) + 1, np.inf)
    np.minimum.at(lowest, labels[inside], dtm.values[inside].astype(np.float64))
    heights = lowest[1:]
    for number in np.flatnonzero(~np.isfinite(heights)):
        col, row = ~dtm.transform @ (buildings[number].frame.cx, buildings[number].frame.cy)
        heights[number] = dtm.values[int(row), int(col)]
    return heights


# --- CityGML --------------------------------------------------------------------------------

def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _sub(parent: etree._Element, namespace: str, tag: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(namespace, tag), attributes)
    element.text = text
    return element


def _pos_list(ring: np.ndarray) -> str:
    return " ".join(f"{value:.3f}" for value in ring.ravel())


def _building_element(building: PlannedBuilding, surfaces: dict[str, list[np.ndarray]]) -> etree._Element:
    element = etree.Element(_q(BLDG, "Building"), {_q(GML, "id"): building.id})
    if building.name:
        _sub(element, GML, "name", building.name)
    _sub(element, BLDG, "function", building.function, codeSpace=FUNCTION_CODES)
    _sub(element, BLDG, "yearOfConstruction", str(building.year))
    _sub(element, BLDG, "roofType", building.roof_type, codeSpace=ROOF_CODES)
    _sub(element, BLDG, "measuredHeight", f"{building.ridge_height:.2f}", uom="m")
    _sub(element, BLDG, "storeysAboveGround", str(building.storeys))
    shell = _sub(_sub(_sub(_sub(element, BLDG, "lod2Solid"), GML, "Solid"), GML, "exterior"),
                 GML, "CompositeSurface")
    polygon_number = 0
    for kind, rings in surfaces.items():
        for face_number, ring in enumerate(rings, start=1):
            polygon_number += 1
            polygon_id = f"{building.id}_poly{polygon_number}"
            _sub(shell, GML, "surfaceMember", **{_q(XLINK, "href"): f"#{polygon_id}"})
            face = _sub(_sub(element, BLDG, "boundedBy"), BLDG, kind,
                        **{_q(GML, "id"): f"{building.id}_{kind}{face_number}"})
            member = _sub(_sub(_sub(face, BLDG, "lod2MultiSurface"), GML, "MultiSurface"),
                          GML, "surfaceMember")
            polygon = _sub(member, GML, "Polygon", **{_q(GML, "id"): polygon_id})
            ring_element = _sub(_sub(polygon, GML, "exterior"), GML, "LinearRing")
            _sub(ring_element, GML, "posList", _pos_list(ring), srsDimension="3")
    return element


def write_citygml(plan: QuarterPlan, dtm: RasterData, path: Path) -> Path:
    """One CityGML 2.0 file with the quarter's buildings in LoD2; the same plan writes the same bytes."""
    grounds = ground_heights(plan.buildings, dtm)
    model = etree.Element(_q(CORE, "CityModel"), {_q(XSI, "schemaLocation"): SCHEMA_LOCATION},
                          nsmap=NSMAP)
    _sub(model, GML, "name", f"{plan.quarter.name}, LoD2 (generated demo, not surveyed)")
    envelope = _sub(_sub(model, GML, "boundedBy"), GML, "Envelope", srsName=SRS_NAME, srsDimension="3")
    low, high = np.full(3, np.inf), np.full(3, -np.inf)
    for building, ground in zip(plan.buildings, grounds, strict=True):
        surfaces = building_surfaces(building, float(ground))
        points = np.concatenate([ring for rings in surfaces.values() for ring in rings])
        low, high = np.minimum(low, points.min(axis=0)), np.maximum(high, points.max(axis=0))
        _sub(model, CORE, "cityObjectMember").append(_building_element(building, surfaces))
    _sub(envelope, GML, "lowerCorner", " ".join(f"{value:.3f}" for value in low))
    _sub(envelope, GML, "upperCorner", " ".join(f"{value:.3f}" for value in high))
    path.parent.mkdir(parents=True, exist_ok=True)
    etree.ElementTree(model).write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return path
