"""A shape being drawn on the terrain: its vertices, and the map geometry it makes when finished.

A `Sketch` is immutable: every edit (a vertex added, moved or deleted) makes a new one, so an undo
history holds the sketches themselves and undoing restores one exactly. Vertices are map
coordinates (x, y, ground height); the finished geometry is flat (x, y), as measures are planned
on the map and laid on the terrain for display.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import shapely
from shapely.geometry.base import BaseGeometry

from twin.core.errors import TwinError

Vertex = tuple[float, float, float]


class SketchError(TwinError):
    """A sketch that does not make a usable shape; the message says why in one sentence."""


class Shape(StrEnum):
    POLYGON = "polygon"
    LINE = "line"
    POINTS = "points"


# The fewest vertices each shape needs, and what the user is told when there are fewer.
MIN_VERTICES = {Shape.POLYGON: 3, Shape.LINE: 2, Shape.POINTS: 1}
_SHAPE_WORDS = {Shape.POLYGON: "an area", Shape.LINE: "a line", Shape.POINTS: "a tree"}


@dataclass(frozen=True)
class Sketch:
    shape: Shape
    vertices: tuple[Vertex, ...] = ()

    def added(self, vertex: Vertex, at: int | None = None) -> Sketch:
        """With `vertex` inserted before index `at` (None: appended)."""
        vertices = list(self.vertices)
        vertices.insert(len(vertices) if at is None else at, _vertex(vertex))
        return replace(self, vertices=tuple(vertices))

    def moved(self, index: int, vertex: Vertex) -> Sketch:
        vertices = list(self.vertices)
        vertices[index] = _vertex(vertex)
        return replace(self, vertices=tuple(vertices))

    def without(self, index: int) -> Sketch:
        return replace(self, vertices=self.vertices[:index] + self.vertices[index + 1:])

    def geometry(self) -> BaseGeometry:
        """The flat map geometry: Polygon, LineString or MultiPoint; SketchError where it makes none."""
        needed = MIN_VERTICES[self.shape]
        if len(self.vertices) < needed:
            points = "point" if needed == 1 else "points"
            raise SketchError(f"{_SHAPE_WORDS[self.shape]} needs at least {needed} {points} on the terrain, "
                              f"{len(self.vertices)} drawn")
        flat = [(x, y) for x, y, _ in self.vertices]
        if self.shape is Shape.POINTS:
            return shapely.MultiPoint(flat)
        if self.shape is Shape.LINE:
            line = shapely.LineString(flat)
            if line.length == 0:
                raise SketchError("the line has no length: its points lie on top of each other")
            return line
        return _polygon(flat)


def _polygon(flat: list[tuple[float, float]]) -> shapely.Polygon:
    polygon = shapely.Polygon(flat)
    if polygon.convex_hull.area == 0:
        raise SketchError("the area has no extent: its points lie on one line")
    reason = shapely.is_valid_reason(polygon)
    if reason.startswith(("Self-intersection", "Ring Self-intersection")):
        raise SketchError("the area's edges cross each other; move or delete a point so its outline "
                          "does not cross itself")
    if reason != "Valid Geometry":
        raise SketchError(f"the area is not a simple outline ({reason.lower()})")
    return shapely.orient_polygons(polygon)  # outer ring anticlockwise, as GeoJSON (RFC 7946) asks


def sketch_of(geometry: BaseGeometry, heights: list[float] | None = None) -> Sketch:
    """The sketch that edits an existing flat geometry (its vertices at `heights`, or 0)."""
    if geometry.geom_type == "Polygon":
        shape, coords = Shape.POLYGON, list(geometry.exterior.coords)[:-1]
    elif geometry.geom_type == "LineString":
        shape, coords = Shape.LINE, list(geometry.coords)
    elif geometry.geom_type in ("MultiPoint", "Point"):
        shape, coords = Shape.POINTS, [point.coords[0] for point in getattr(geometry, "geoms", [geometry])]
    else:
        raise SketchError(f"a {geometry.geom_type} cannot be edited as a sketch")
    zs = heights if heights is not None else [0.0] * len(coords)
    return Sketch(shape, tuple((float(c[0]), float(c[1]), float(z)) for c, z in zip(coords, zs, strict=True)))


def _vertex(vertex: Vertex) -> Vertex:
    x, y, z = (float(value) for value in vertex)
    return x, y, z


@dataclass(frozen=True)
class FeatureChoice:
    """Buildings or street segments picked one by one for a measure, by their ids in `layer`."""

    kind: str  # "buildings" or "streets"
    layer: str
    ids: tuple[str, ...] = ()

    def toggled(self, feature_id: str) -> FeatureChoice:
        """With `feature_id` added, or taken out where it was chosen already."""
        if feature_id in self.ids:
            return replace(self, ids=tuple(chosen for chosen in self.ids if chosen != feature_id))
        return replace(self, ids=(*self.ids, feature_id))

    def checked(self) -> tuple[str, ...]:
        if not self.ids:
            word = "building" if self.kind == "buildings" else "street segment"
            raise SketchError(f"no {word} is chosen: click at least one in the view")
        return self.ids
