"""Proposals: typed measures a workshop drafts in the scene, which the simulations can compute.

A `Measure` is one proposal: an `id` (unique in its set), a `kind`, a `title`, an `author`, a
`comment`, a shapely `geometry` in the scene CRS (or None where the measure only names picked
buildings or street segments) and the `parameters` of its kind. A `ProposalSet` holds measures
in one CRS. Both are immutable: `add`, `replace` and `remove` return a new set, so an editor's
undo/redo is a list of sets, and a bad edit raises and changes nothing.

Kinds (`KINDS`), their geometry and parameters (* required; "a | b": exactly one of them):

    retention_area  Polygon        depth_m | volume_m3         a lowered area that stores water
    unsealing       Polygon        roughness_n (optional: None takes the flood run's n_green); the
                                   ground infiltrates as the run's green areas do
    green_roof      none/footprint building_ids*, retention_mm*   roofs hold the first millimetres
    trees           LineString     crown_diameter_m*, spacing_m*   a tree row, one every spacing_m
                    Point/MultiPoint crown_diameter_m*            single trees
    new_building    Polygon        storeys | height_m, use*, construction_year*
    demolition      none/footprint building_ids*
    street_works    none/lines     segment_ids*, treatment*, year*
    comment         Point          none: a participant's remark (the comment text is required);
                                   no simulation computes it, each lists it as not applied

Every check raises `ProposalError`, one sentence naming the measure and the problem: an unknown
kind (with a suggestion), a geometry of the wrong type, a polygon that crosses itself, a missing,
unknown or ill-typed parameter, a value out of range, a duplicate id, a measure outside every
quarter (`ProposalSet.check_in_quarters`). `twin/io/proposals_geojson.py` reads and writes a set
as GeoJSON (docs/proposals.md documents the schema); the plugins' `measures.py` apply a set to
their inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin.core.errors import TwinError, did_you_mean
from twin.core.quarter import Quarter


class ProposalError(TwinError):
    """A measure or a set of measures cannot be used; the message names the measure."""


# The treatments of the street-decay plugin (plugins/street_decay/treatments.py TREATMENTS; a
# test keeps the two equal) and the uses a new building may have (plugins/energy/measures.py
# maps each to an AdV building function).
STREET_TREATMENTS = ("crack_sealing", "surface_renewal", "overlay", "reconstruction")
BUILDING_USES = ("residential", "office", "retail", "school", "kindergarten", "hospital", "hotel",
                 "sports", "parking")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a kind: its type (float, int, str or ids), limits and choices."""

    name: str
    type: str  # "number", "whole", "text", "ids"
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """A kind of measure: the geometries it takes, its parameters and its exactly-one-of groups."""

    name: str
    title: str
    geometries: tuple[str, ...]  # shapely geom_type names; "None" where a measure may have none
    parameters: tuple[Parameter, ...]
    one_of: tuple[tuple[str, ...], ...] = ()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


_BUILDING_SHAPES = ("None", "Polygon", "MultiPolygon")
KINDS: Mapping[str, Kind] = MappingProxyType({kind.name: kind for kind in (
    Kind("retention_area", "retention area", ("Polygon",), (
        Parameter("depth_m", "number", False, 0.01, 20.0),
        Parameter("volume_m3", "number", False, 0.1, 1e7)), one_of=(("depth_m", "volume_m3"),)),
    Kind("unsealing", "unsealing / green area", ("Polygon", "MultiPolygon"), (
        Parameter("roughness_n", "number", False, 0.005, 0.3),)),
    Kind("green_roof", "green roof", _BUILDING_SHAPES, (
        Parameter("building_ids", "ids"),
        Parameter("retention_mm", "number", True, 1.0, 200.0))),
    Kind("trees", "trees", ("LineString", "Point", "MultiPoint"), (
        Parameter("crown_diameter_m", "number", True, 0.5, 40.0),
        Parameter("spacing_m", "number", False, 1.0, 100.0))),
    Kind("new_building", "new building", ("Polygon",), (
        Parameter("storeys", "whole", False, 1, 60),
        Parameter("height_m", "number", False, 2.0, 250.0),
        Parameter("use", "text", True, choices=BUILDING_USES),
        Parameter("construction_year", "whole", True, 1800, 2100)), one_of=(("storeys", "height_m"),)),
    Kind("demolition", "demolition", _BUILDING_SHAPES, (Parameter("building_ids", "ids"),)),
    Kind("street_works", "street works", ("None", "LineString", "MultiLineString"), (
        Parameter("segment_ids", "ids"),
        Parameter("treatment", "text", True, choices=STREET_TREATMENTS),
        Parameter("year", "whole", True, 2000, 2100))),
    # A comment pin from the published site (twin/web): a remark on a place, not a measure to compute.
    Kind("comment", "comment pin", ("Point",), ()),
)})
COMMENT = "comment"  # the kind of a participant's comment pin
COMMENT_NOT_APPLIED = "a comment pin is a participant's remark, which no simulation computes"


@dataclass(frozen=True, eq=False)
class Measure:
    """One proposed measure; checked when made (a ProposalError says what is wrong)."""

    id: str
    kind: str
    title: str
    geometry: BaseGeometry | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    author: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ProposalError("a measure needs an id (non-empty text)")
        name = f"measure '{self.id[:60]}'"
        if self.kind not in KINDS:
            raise ProposalError(f"{name} is of an unknown kind '{str(self.kind)[:40]}'"
                                f"{did_you_mean(str(self.kind), KINDS)}; the kinds are {', '.join(KINDS)}")
        for label in ("title", "author", "comment"):
            if not isinstance(getattr(self, label), str):
                raise ProposalError(f"{name}: its {label} must be text")
        kind = KINDS[self.kind]
        if self.kind == COMMENT:
            object.__setattr__(self, "geometry", _single_point(self.geometry))
        _check_geometry(name, kind, self.geometry)
        checked = _checked_parameters(name, kind, self.parameters)
        object.__setattr__(self, "parameters", MappingProxyType(checked))
        row = self.kind == "trees" and self.geometry.geom_type == "LineString"
        if row and "spacing_m" not in checked:
            raise ProposalError(f"{name}: a tree row needs 'spacing_m', the distance between its trees")
        if self.kind == COMMENT and not self.comment.strip():
            raise ProposalError(f"{name}: a comment pin needs its comment text")

    @property
    def kind_title(self) -> str:
        return KINDS[self.kind].title

    def ids(self) -> tuple[str, ...]:
        """The buildings or street segments the measure names (empty for drawn measures)."""
        return tuple(self.parameters.get("building_ids", self.parameters.get("segment_ids", ())))

    def area_m2(self) -> float:
        """The area of its polygon (0 without one)."""
        return float(self.geometry.area) if self.geometry is not None and self.geometry.area > 0 else 0.0

    def retention_volume_m3(self) -> float:
        """A retention area's storage: its volume, or its depth times its area."""
        if self.kind != "retention_area":
            return 0.0
        if "volume_m3" in self.parameters:
            return float(self.parameters["volume_m3"])
        return float(self.parameters["depth_m"]) * self.area_m2()

    def retention_depth_m(self) -> float:
        """A retention area's depth: as given, or its volume over its area."""
        if "depth_m" in self.parameters:
            return float(self.parameters["depth_m"])
        return self.retention_volume_m3() / self.area_m2()

    def tree_points(self) -> np.ndarray:
        """The trees' positions (n, 2): the points, or one every spacing_m along the row."""
        if self.kind != "trees":
            return np.empty((0, 2))
        if self.geometry.geom_type != "LineString":
            return shapely.get_coordinates(self.geometry)
        length = self.geometry.length
        count = int(math.floor(length / float(self.parameters["spacing_m"]))) + 1
        offsets = np.linspace(0.0, length, count) if count > 1 else np.array([0.0])
        return shapely.get_coordinates(shapely.line_interpolate_point(self.geometry, offsets))

    def with_changes(self, **changes: Any) -> Measure:
        """A checked copy with some fields changed (title, geometry, parameters...)."""
        values = {"id": self.id, "kind": self.kind, "title": self.title, "geometry": self.geometry,
                  "parameters": dict(self.parameters), "author": self.author, "comment": self.comment}
        values.update(changes)
        return Measure(**values)


@dataclass(frozen=True)
class ProposalSet:
    """Measures with distinct ids in one CRS (the scene's); edits return a new set."""

    measures: tuple[Measure, ...] = ()
    crs: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "measures", tuple(self.measures))
        seen: set[str] = set()
        for measure in self.measures:
            if not isinstance(measure, Measure):
                raise ProposalError(f"a proposal set holds measures, not {type(measure).__name__}")
            if measure.id in seen:
                raise ProposalError(f"two measures have the id '{measure.id[:60]}'")
            seen.add(measure.id)

    def __len__(self) -> int:
        return len(self.measures)

    def __iter__(self) -> Iterator[Measure]:
        return iter(self.measures)

    def get(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise ProposalError(f"there is no measure '{measure_id[:60]}'{did_you_mean(measure_id, self.ids())}")

    def ids(self) -> tuple[str, ...]:
        return tuple(measure.id for measure in self.measures)

    def of_kind(self, kind: str) -> tuple[Measure, ...]:
        if kind not in KINDS:
            raise ProposalError(f"unknown kind of measure '{kind}'{did_you_mean(kind, KINDS)}")
        return tuple(measure for measure in self.measures if measure.kind == kind)

    def add(self, measure: Measure) -> ProposalSet:
        return ProposalSet((*self.measures, measure), self.crs)

    def replace(self, measure: Measure) -> ProposalSet:
        """The set with the measure of the same id replaced by `measure`."""
        self.get(measure.id)
        return ProposalSet(tuple(measure if m.id == measure.id else m for m in self.measures), self.crs)

    def remove(self, measure_id: str) -> ProposalSet:
        self.get(measure_id)
        return ProposalSet(tuple(m for m in self.measures if m.id != measure_id), self.crs)

    def new_id(self, kind: str) -> str:
        """An id not yet used, after the kind ("retention_area-3")."""
        taken = set(self.ids())
        number = 1
        while f"{kind}-{number}" in taken:
            number += 1
        return f"{kind}-{number}"

    def check_in_quarters(self, quarters: Iterable[Quarter]) -> None:
        """Raise for the first drawn measure that lies outside every quarter."""
        outlines = [quarter.polygon for quarter in quarters]
        for measure in self.measures:
            if measure.geometry is None or not outlines:
                continue
            if not any(outline.intersects(measure.geometry) for outline in outlines):
                x, y = shapely.get_coordinates(measure.geometry)[0]
                raise ProposalError(f"measure '{measure.id[:60]}' lies outside every quarter "
                                    f"(near x = {x:.1f}, y = {y:.1f})")


def _single_point(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """A pin moved in the window comes back from its sketch as a MultiPoint of one point: that point."""
    if isinstance(geometry, BaseGeometry) and geometry.geom_type == "MultiPoint" and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return geometry


def _check_geometry(name: str, kind: Kind, geometry: BaseGeometry | None) -> None:
    if geometry is None:
        if "None" not in kind.geometries:
            raise ProposalError(f"{name}: a {kind.title} needs a geometry ({_geometry_words(kind)})")
        return
    if not isinstance(geometry, BaseGeometry) or geometry.geom_type not in kind.geometries:
        got = geometry.geom_type if isinstance(geometry, BaseGeometry) else type(geometry).__name__
        raise ProposalError(f"{name}: a {kind.title} takes {_geometry_words(kind)}, not a {got}")
    if geometry.is_empty or not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise ProposalError(f"{name}: its {geometry.geom_type} is empty or has a coordinate that is "
                            "not a finite number")
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        if not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            what = "crosses itself" if "Self-intersection" in reason else "is not a valid polygon"
            raise ProposalError(f"{name}: its polygon {what} ({reason})")
        if geometry.area <= 0:
            raise ProposalError(f"{name}: its polygon has no area")
    if geometry.geom_type == "LineString" and geometry.length <= 0:
        raise ProposalError(f"{name}: its line has no length")


def _geometry_words(kind: Kind) -> str:
    shapes = [shape for shape in kind.geometries if shape != "None"]
    optional = " or none" if "None" in kind.geometries else ""
    return " or ".join(f"a {shape}" for shape in shapes) + optional


def _checked_parameters(name: str, kind: Kind, given: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise ProposalError(f"{name}: its parameters must be a mapping of names to values")
    known = [p.name for p in kind.parameters]
    for key in given:
        if kind.parameter(key) is None:
            raise ProposalError(f"{name}: a {kind.title} has no parameter '{str(key)[:40]}'"
                                f"{did_you_mean(str(key), known)}; it takes {', '.join(known)}")
    values = {key: _checked_value(name, kind.parameter(key), value)
              for key, value in given.items() if value is not None}
    for parameter in kind.parameters:
        if parameter.required and parameter.name not in values:
            raise ProposalError(f"{name}: a {kind.title} needs '{parameter.name}'")
    for group in kind.one_of:
        present = [key for key in group if key in values]
        if len(present) != 1:
            raise ProposalError(f"{name}: a {kind.title} needs exactly one of {' or '.join(group)}, "
                                f"got {', '.join(present) if present else 'none'}")
    return values


def _checked_value(name: str, parameter: Parameter, value: Any) -> Any:
    label = f"{name}: '{parameter.name}'"
    if parameter.type == "ids":
        return _checked_ids(label, value)
    if parameter.type == "text":
        if not isinstance(value, str) or (parameter.choices and value not in parameter.choices):
            raise ProposalError(f"{label} must be one of {', '.join(parameter.choices)}, got {value!r:.60}"
                                f"{did_you_mean(str(value), parameter.choices)}")
        return value
    number = _number(label, parameter, value)
    if (parameter.minimum is not None and number < parameter.minimum) or (
            parameter.maximum is not None and number > parameter.maximum):
        raise ProposalError(f"{label} must lie between {parameter.minimum:g} and {parameter.maximum:g}, "
                            f"got {number:g}")
    return number


def _number(label: str, parameter: Parameter, value: Any) -> float | int:
    whole = parameter.type == "whole"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProposalError(f"{label} must be a {'whole number' if whole else 'number'}, got {value!r:.60}")
    if whole:
        if value != int(value):
            raise ProposalError(f"{label} must be a whole number, got {value!r}")
        return int(value)
    return float(value)


def _checked_ids(label: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise ProposalError(f"{label} must be a non-empty list of ids")
    ids = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int) or not str(item).strip():
            raise ProposalError(f"{label} must hold ids (text or whole numbers), got {item!r:.60}")
        ids.append(str(item))
    if len(set(ids)) != len(ids):
        raise ProposalError(f"{label} names an id twice")
    return tuple(ids)
