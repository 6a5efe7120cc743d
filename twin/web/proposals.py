"""Proposals on the published site: the measures of proposals files (twin/io/proposals_geojson.py)
placed on the ground in the site's local frame, with what a click on one shows.

The participants' comment pins travel the other way: the viewer writes them as a proposals
file of the same schema (`twin_proposals`, the scene CRS, properties id, kind, title, author,
comment), one Point feature of kind COMMENT_KIND per pin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from twin.core.numbers import format_value
from twin.core.proposals import COMMENT, Measure
from twin.io.proposals_geojson import read_proposals as read_proposals_file
from twin.web.parts import Ground, LocalFrame

COMMENT_KIND = COMMENT  # the kind the viewer gives a participant's pin
STOREY_HEIGHT_M = 3.0  # a new building given in storeys is drawn this high per storey


@dataclass
class Proposals:
    """The measures of the files given, in the scene CRS."""

    measures: list[Measure]

    def as_json(self, ground: Ground, frame: LocalFrame) -> list[dict]:
        return [_measure_json(measure, ground, frame) for measure in self.measures]


def read_proposals(paths: list[Path], scene_crs: str | None) -> Proposals:
    """Every measure of the proposals files (TwinIOError names a file that cannot be used)."""
    measures: list[Measure] = []
    for path in paths:
        measures.extend(read_proposals_file(path, scene_crs))
    return Proposals(measures)


def _measure_json(measure: Measure, ground: Ground, frame: LocalFrame) -> dict:
    shape, parts = _shape(measure, ground, frame)
    return {"id": measure.id, "kind": measure.kind, "kind_title": measure.kind_title,
            "title": measure.title, "author": measure.author, "comment": measure.comment,
            "parameters": {name.replace("_", " "): _readable(name, value)
                           for name, value in measure.parameters.items()},
            "shape": shape, "parts": parts, "height": _height(measure),
            "crown": float(measure.parameters.get("crown_diameter_m", 0.0))}


def _shape(measure: Measure, ground: Ground, frame: LocalFrame) -> tuple[str | None, list]:
    """"area", "line", "points" or "pin", with the outlines, lines or points in local coordinates on
    the ground; (None, []) for a measure that only names buildings or segments."""
    geometry = measure.geometry
    if measure.kind == "trees":
        return "points", [_on_ground(measure.tree_points(), ground, frame)]
    if measure.kind == COMMENT:
        return "pin", [_pin(geometry, ground, frame)]
    if geometry is None:
        return None, []
    kind = geometry.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        return "area", [_on_ground(shapely.get_coordinates(polygon.exterior), ground, frame)
                        for polygon in getattr(geometry, "geoms", [geometry])]
    if kind in ("LineString", "MultiLineString"):
        return "line", [_on_ground(shapely.get_coordinates(line), ground, frame)
                        for line in getattr(geometry, "geoms", [geometry])]
    return "points", [_on_ground(shapely.get_coordinates(geometry), ground, frame)]


def _on_ground(xy: np.ndarray, ground: Ground, frame: LocalFrame) -> list[list[float]]:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    local = frame.to_local(xy[:, 0], xy[:, 1], ground.heights(xy[:, 0], xy[:, 1]))
    return np.round(local.astype(np.float64), 2).tolist()


def _pin(point: shapely.Point, ground: Ground, frame: LocalFrame) -> list[float]:
    """Where a comment pin points: the height clicked (a roof, say) where the pin has one, else the ground."""
    if not point.has_z:
        return _on_ground(shapely.get_coordinates(point), ground, frame)[0]
    local = frame.to_local(np.array([point.x]), np.array([point.y]), np.array([point.z]))
    return np.round(local.astype(np.float64), 2).tolist()[0]


def _height(measure: Measure) -> float:
    """How high a new building stands (0 for every other kind: drawn flat on the ground)."""
    if measure.kind != "new_building":
        return 0.0
    if "height_m" in measure.parameters:
        return float(measure.parameters["height_m"])
    return float(measure.parameters["storeys"]) * STOREY_HEIGHT_M


def _readable(name: str, value: object) -> str:
    """A parameter as the desktop writes it (the name tells years, which are never grouped)."""
    if isinstance(value, tuple | list):
        return ", ".join(str(item) for item in value)
    return format_value(value, name=name)
