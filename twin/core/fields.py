"""Declared outputs: what a simulation's figures, grids and table columns are, as plain data.

A simulation declares each output once (`FieldSpec`): its name or a name pattern for a family
(`heat_{year}_mwh` with `year` a declared `Dimension`), where it lives, its unit, label and type,
and for class codes the classes with their colours (`Category`). The runner checks a run's
output against these declarations; units, labels, legends and report rows all come from them, so
the core never guesses from names and never needs to know a plugin.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np


class Location(StrEnum):
    """Where a field's values live."""

    CELL = "cell"
    POINT = "point"
    BUILDING = "building"
    SEGMENT = "segment"
    STATION = "station"
    QUARTER = "quarter"
    SCENE = "scene"


class DType(StrEnum):
    """What a value is. Figures: number, integer, flag, text, time, series (a list per year of the
    run's `years` axis), axis (that list of years) or record (kept, not reported: diagnostics)."""

    NUMBER = "number"
    INTEGER = "integer"
    FLAG = "flag"
    TEXT = "text"
    TIME = "time"
    SERIES = "series"
    AXIS = "axis"
    RECORD = "record"
    CLASS = "class"  # a class code of the field's categories


@dataclass(frozen=True)
class Dimension:
    """A placeholder in a family of names, such as the year of `condition_{year}`."""

    name: str
    pattern: str  # a regular expression one value matches
    # How a value reads, where not as is; not part of the hash (a dimension is known by its pattern).
    value_labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    def label_of(self, value: str) -> str:
        return self.value_labels.get(value, value.replace("_", " "))


YEAR = Dimension("year", r"\d{4}")  # tables with a column per year play on the time slider


@dataclass(frozen=True)
class Category:
    """One class of a categorical output: its code, label and colour; `upper` bounds the values of
    a continuous attribute that fall in it (condition values up to 1.5 are 'very good')."""

    code: int
    label: str
    colour: str
    upper: float | None = None


def by_code(categories: tuple[Category, ...]) -> tuple[Category, ...]:
    """The classes as a column of class codes uses them: matched by code, not by value bounds."""
    return tuple(replace(category, upper=None) for category in categories)


@dataclass(frozen=True)
class Quantity:
    """How a figure or attribute reads: a label, its unit, and the factor from stored value to unit."""

    label: str
    unit: str = ""
    scale: float = 1.0


@dataclass(frozen=True)
class FieldSpec:
    """A quantity a simulation reads from an input layer or writes to a result.

    `name` may hold `{dimension}` placeholders; `label` may use the same placeholders. `result` names
    the grid or table the field belongs to; empty for a figure of the summary and the quarters.
    `scale` turns a stored value into `units` (a stored share of 0.27 reads as 27 %).
    """

    name: str
    location: Location
    units: str
    doc: str
    label: str = ""
    dtype: DType = DType.NUMBER
    result: str = ""
    dimensions: tuple[Dimension, ...] = ()
    scale: float = 1.0
    categories: tuple[Category, ...] = ()
    headline: bool = False  # the column that shows what its table is about (drawn by default)
    palette: str = ""  # for a grid: a colour palette of the renderer's ("water")

    def __post_init__(self) -> None:
        placeholders = set(re.findall(r"{(\w+)}", self.name))
        declared = {dimension.name for dimension in self.dimensions}
        if placeholders != declared:
            raise ValueError(f"output '{self.name}' declares dimensions {sorted(declared)} but its name "
                             f"uses {sorted(placeholders)}")

    def match(self, key: str) -> dict[str, str] | None:
        """The dimension values when `key` belongs to this field, else None."""
        match = _name_pattern(self.name, self.dimensions).fullmatch(key)
        return None if match is None else match.groupdict()

    def quantity(self, key: str) -> Quantity:
        """The label (with the key's dimension values filled in), unit and scale of one key."""
        if not self.label:
            return Quantity(key.replace("_", " "), self.units, self.scale)
        values = self.match(key) or {}
        readable = {dimension.name: dimension.label_of(values.get(dimension.name, dimension.name))
                    for dimension in self.dimensions}
        return Quantity(self.label.format(**readable), self.units, self.scale)

    def series_name(self) -> str | None:
        """For a family with one column per year (`class_{year}`): the series name (`class`)."""
        if self.dimensions == (YEAR,) and self.name.endswith("_{year}"):
            return self.name.removesuffix("_{year}")
        return None


_PATTERNS: dict[tuple[str, tuple[tuple[str, str], ...]], re.Pattern] = {}


def _name_pattern(name: str, dimensions: tuple[Dimension, ...]) -> re.Pattern:
    key = (name, tuple((dimension.name, dimension.pattern) for dimension in dimensions))
    if key not in _PATTERNS:
        by_name = dict(key[1])
        parts = re.split(r"({\w+})", name)
        regex = "".join(f"(?P<{part[1:-1]}>{by_name[part[1:-1]]})" if part.startswith("{")
                        else re.escape(part) for part in parts)
        _PATTERNS[key] = re.compile(regex)
    return _PATTERNS[key]


@dataclass(frozen=True)
class AttributeLegend:
    """Classes a simulation lends to an attribute of an input layer (street condition values)."""

    kind: str  # the layer kind
    attribute: str
    title: str
    categories: tuple[Category, ...]


class OutputError(ValueError):
    """A run's output that its simulation did not declare, or of another type than declared."""


class OutputCatalogue:
    """A simulation's declared outputs, looked up by the keys and columns a run produces."""

    def __init__(self, fields: Iterable[FieldSpec]) -> None:
        self.fields = tuple(fields)

    def figure(self, key: str) -> FieldSpec | None:
        """The declaration of a summary or quarter figure (flattened key), or None."""
        return self._find(key, lambda spec: not spec.result and spec.location in _FIGURE_PLACES)

    def grid(self, name: str) -> FieldSpec | None:
        """The declaration of a result grid, or None."""
        return self._find(name, lambda spec: spec.location is Location.CELL)

    def column(self, result: str, key: str) -> FieldSpec | None:
        """The declaration of a result table's column, or None."""
        return self._find(key, lambda spec: spec.result == result)

    def figure_quantity(self, key: str) -> Quantity:
        """How a figure reads; an undeclared one reads as its name, without a unit."""
        spec = self.figure(key)
        return spec.quantity(key) if spec is not None else Quantity(key.replace("_", " "))

    def _find(self, key: str, wanted: Callable[[FieldSpec], bool]) -> FieldSpec | None:
        return next((spec for spec in self.fields if wanted(spec) and spec.match(key) is not None), None)


_FIGURE_PLACES = (Location.QUARTER, Location.SCENE)


def flatten_figures(catalogue: OutputCatalogue, figures: Mapping[str, Any],
                    prefix: str = "") -> dict[str, tuple[FieldSpec | None, Any]]:
    """The figures by flattened key (nested groups joined with '_'), each with its declaration.

    A nested mapping that is no declared field is a group whose members are figures of their own
    (the flood's water balance `volumes` holds `rain_m3`, ...: `volumes_rain_m3`).
    """
    flat: dict[str, tuple[FieldSpec | None, Any]] = {}
    for name, value in figures.items():
        key = f"{prefix}_{name}" if prefix else str(name)
        spec = catalogue.figure(key)
        if spec is None and isinstance(value, Mapping):
            flat.update(flatten_figures(catalogue, value, key))
        else:
            flat[key] = (spec, value)
    return flat


def check_figure(spec: FieldSpec, key: str, value: Any, years: int | None) -> None:
    """Raise OutputError unless the value has the declared type (a series one value per year)."""
    if not _fits(spec.dtype, value, years):
        raise OutputError(f"figure '{key}' should be {_EXPECTED[spec.dtype]}, got {_shown(value)}")


def check_column(spec: FieldSpec, name: str, values: np.ndarray) -> None:
    """Raise OutputError unless a table column's array kind fits the declared type."""
    kinds = _COLUMN_KINDS.get(spec.dtype)
    if kinds is not None and np.asarray(values).dtype.kind not in kinds:
        raise OutputError(f"column '{name}' should be {_EXPECTED[spec.dtype]}, got an array of "
                          f"{np.asarray(values).dtype}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) \
        and not isinstance(value, bool | np.bool_)


def _fits(dtype: DType, value: Any, years: int | None) -> bool:
    if dtype is DType.RECORD:
        return True
    if dtype in (DType.SERIES, DType.AXIS):
        return isinstance(value, list | tuple) and all(_is_number(item) or item is None for item in value) \
            and (years is None or dtype is DType.AXIS or len(value) == years)
    if value is None:
        return dtype is not DType.FLAG
    if dtype is DType.FLAG:
        return isinstance(value, bool | np.bool_)
    if dtype is DType.INTEGER or dtype is DType.CLASS:
        return _is_number(value) and float(value).is_integer()
    if dtype is DType.NUMBER:
        return _is_number(value) and (math.isfinite(value) or math.isnan(value))
    return isinstance(value, str)


_EXPECTED = {DType.NUMBER: "a number", DType.INTEGER: "a whole number", DType.FLAG: "true or false",
             DType.TEXT: "text", DType.TIME: "an ISO 8601 time",
             DType.SERIES: "a list of numbers, one per year",
             DType.AXIS: "a list of years", DType.RECORD: "anything", DType.CLASS: "a class code"}
_COLUMN_KINDS = {DType.NUMBER: "fiub", DType.INTEGER: "iub", DType.FLAG: "b", DType.CLASS: "fiu",
                 DType.TEXT: "UOS", DType.TIME: "MUOS"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
