"""The simulation contract: what a simulation needs, what it makes, which parameters it takes.

Like landlab components, every simulation declares its input layers and fields, its output
fields with units and where they live, and its parameters with type, range, default and help.
The runner checks inputs and parameters against these declarations; the GUI builds its
parameter form from them; `python main.py plugins` lists them.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from twin.core.charts import ChartData
from twin.core.data import ResultRaster, ResultTable
from twin.core.feedback import Feedback
from twin.core.fields import AttributeLegend, FieldSpec, OutputCatalogue
from twin.core.layers import Layer
from twin.core.proposals import ProposalSet
from twin.core.quarter import Quarter
from twin.core.scene import RunRecord


@dataclass(frozen=True)
class InputSpec:
    """An input layer: its slot name, the layer kind it must be, and fields it must carry."""

    name: str
    kind: str
    doc: str
    required: bool = True
    fields: tuple[FieldSpec, ...] = ()


class ParameterError(ValueError):
    """A parameter value the simulation cannot take."""


# `list` means a list of numbers (scenario years); `tuple` a table of rows with the declared
# `columns` (points as x/y pairs, a hydrograph as minute/discharge), kept as a tuple of row tuples.
# Both hold floats, and minimum and maximum apply to every element.
_TYPE_NAMES = {float: "a number", int: "a whole number", bool: "true or false", str: "text",
               list: "a list of numbers", tuple: "a table of rows"}


@dataclass(frozen=True)
class ParameterSpec:
    """A declared parameter: type, default, allowed range or choices, units and help text."""

    name: str
    type: type
    default: Any
    help: str
    units: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""  # how the form names it; default: the name in words
    group: str = ""  # the form's section
    advanced: bool = False  # folded away in the form until asked for
    # Applies only while other parameters hold one of the given values ({"rain": ("block",)}).
    applies_when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    columns: tuple[str, ...] = ()  # a table's column headings, with units: ("minute", "m³/s")
    choice_labels: Mapping[str, str] = field(default_factory=dict)  # how the form shows a choice

    def __post_init__(self) -> None:
        if self.type not in _TYPE_NAMES:
            raise TypeError(f"parameter '{self.name}' has unsupported type {self.type.__name__}")
        if (self.type is tuple) != bool(self.columns):
            raise TypeError(f"parameter '{self.name}': a table (type tuple) and only a table has columns")
        self.validate(self.default)

    @property
    def title(self) -> str:
        """The label a person reads."""
        return self.label or self.name.replace("_", " ")

    def applies(self, params: Mapping[str, Any]) -> bool:
        """Whether this parameter means anything given the others' values."""
        return all(params.get(name) in values for name, values in self.applies_when.items())

    def validate(self, value: Any) -> Any:
        """Return the value in the declared type, or raise ParameterError saying why not."""
        value = self._coerce(value)
        if self.type in (list, tuple):
            for element in np.ravel(np.asarray(value, dtype=float)):
                self._check_range(element)
            return value
        self._check_range(value)
        if self.choices and value not in self.choices:
            raise ParameterError(f"parameter '{self.name}' must be one of "
                                 f"{', '.join(self.choices)}; got '{value}'")
        return value

    def _check_range(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ParameterError(f"parameter '{self.name}' must be at least "
                                 f"{self.minimum}{self._unit_suffix}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ParameterError(f"parameter '{self.name}' must be at most "
                                 f"{self.maximum}{self._unit_suffix}, got {value}")

    def describe(self) -> dict[str, Any]:
        """A plain description for listings and JSON."""
        default = to_plain(self.default)
        described = {"name": self.name, "label": self.title, "type": _DESCRIBED_TYPES[self.type],
                     "default": default, "units": self.units, "help": self.help}
        if self.columns:
            described["columns"] = list(self.columns)
        if self.group:
            described["group"] = self.group
        if self.advanced:
            described["advanced"] = True
        if self.choice_labels:
            described["choice_labels"] = dict(self.choice_labels)
        if self.applies_when:
            described["applies_when"] = {name: list(values) for name, values in self.applies_when.items()}
        if self.minimum is not None:
            described["minimum"] = self.minimum
        if self.maximum is not None:
            described["maximum"] = self.maximum
        if self.choices:
            described["choices"] = list(self.choices)
        return described

    @property
    def _unit_suffix(self) -> str:
        return f" {self.units}" if self.units else ""

    def _coerce(self, value: Any) -> Any:
        # bool is an int in Python; a parameter typed int or float must not take true/false.
        wrong = ParameterError(f"parameter '{self.name}' must be {_TYPE_NAMES[self.type]}, "
                               f"got {value!r}")
        if self.type is list:
            return self._coerce_list(value)
        if self.type is tuple:
            return self._coerce_table(value)
        if self.type is bool:
            if not isinstance(value, bool | np.bool_):
                raise wrong
            return bool(value)
        if isinstance(value, bool | np.bool_):
            raise wrong
        if self.type is int:
            if isinstance(value, int | np.integer):
                return int(value)
            if isinstance(value, float | np.floating) and float(value).is_integer():
                return int(value)
            raise wrong
        if self.type is float:
            if not isinstance(value, int | float | np.integer | np.floating):
                raise wrong
            if not math.isfinite(value):
                raise ParameterError(f"parameter '{self.name}' must be a finite number, "
                                     f"got {value}")
            return float(value)
        if not isinstance(value, str):
            raise wrong
        return value

    def _coerce_list(self, value: Any) -> tuple[float, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple | np.ndarray):
            raise ParameterError(f"parameter '{self.name}' must be a list of numbers, got {value!r}")
        numbers = []
        for element in value:
            if isinstance(element, bool | np.bool_) or not isinstance(
                    element, int | float | np.integer | np.floating) or not math.isfinite(element):
                raise ParameterError(f"parameter '{self.name}' must be a list of finite numbers, "
                                     f"got {element!r} in it")
            numbers.append(float(element))
        return tuple(numbers)

    def _coerce_table(self, value: Any) -> tuple[tuple[float, ...], ...]:
        width = len(self.columns)
        shape = f"rows of {width} numbers ({', '.join(self.columns)})"
        if isinstance(value, str) or not isinstance(value, list | tuple | np.ndarray):
            raise ParameterError(f"parameter '{self.name}' must be a table: {shape}, got {value!r}")
        if len(value) and not any(isinstance(row, list | tuple | np.ndarray) for row in value):
            value = self._rows_from_flat_list(value, width, shape)
        rows = []
        for row in value:
            numbers = self._coerce_list(row)
            if len(numbers) != width:
                raise ParameterError(f"parameter '{self.name}' must be {shape}; a row has "
                                     f"{len(numbers)} numbers")
            rows.append(numbers)
        return tuple(rows)

    def _rows_from_flat_list(self, value: Any, width: int, shape: str) -> list[tuple[float, ...]]:
        """Scenarios written before tables had rows listed every number in one flat list."""
        numbers = self._coerce_list(value)
        if len(numbers) % width:
            raise ParameterError(f"parameter '{self.name}' must be {shape}; got {len(numbers)} numbers")
        warnings.warn(f"parameter '{self.name}': a flat list of numbers is deprecated; write rows such "
                      f"as [[{', '.join(self.columns)}], ...]", FutureWarning, stacklevel=4)
        return [numbers[start:start + width] for start in range(0, len(numbers), width)]


_DESCRIBED_TYPES = {float: "float", int: "int", bool: "bool", str: "str", list: "list", tuple: "table"}


def to_plain(value: Any) -> Any:
    """A parameter value as TOML and JSON write it: tables as lists of lists."""
    if isinstance(value, tuple | list):
        return [to_plain(element) for element in value]
    return value


@dataclass
class SimulationInputs:
    """What a run gets: its input layers by slot, the quarters to report on, the scene CRS, and
    the proposals whose measures change the inputs (twin/core/proposals.py; None: none)."""

    layers: dict[str, Layer]
    quarters: list[Quarter]
    crs: str
    proposals: ProposalSet | None = None


@dataclass
class SimulationOutput:
    """What a run makes: overall and per-quarter figures, and result grids or tables."""

    summary: dict[str, Any]
    per_quarter: dict[str, dict[str, Any]]
    results: list[ResultRaster | ResultTable] = field(default_factory=list)


@dataclass
class QuickEstimate:
    """A simulation's quick estimate of its run with proposals (QuickEstimator.estimate): the figures
    and results it could derive (`output`; those it could not are absent, and `not_estimated` names
    them), one sentence saying what was computed where, and the same as plain numbers (`details`)."""

    output: SimulationOutput
    note: str
    not_estimated: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


class QuickEstimator(ABC):
    """How a simulation estimates its run with proposals from its run before them, in a part of the
    time a run takes (the flood: again only downstream of the measures). twin/sim/quick_effect.py
    runs the before run with `before_parameters`, keeps `baseline`'s answer for the next estimates
    with other measures, and labels `estimate`'s output as an estimate wherever it shows."""

    @abstractmethod
    def before_parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The before run's parameters: `params` with what the estimates need of that run."""

    @abstractmethod
    def baseline(self, inputs: SimulationInputs, params: Mapping[str, Any], before: SimulationOutput,
                 feedback: Feedback) -> Any:
        """What every estimate reuses, made from the before run's output (`inputs` without proposals);
        raise SimulationInputError where that run cannot serve (one sentence saying why)."""

    @abstractmethod
    def estimate(self, inputs: SimulationInputs, baseline: Any, feedback: Feedback) -> QuickEstimate:
        """The run with `inputs.proposals`, estimated from the baseline."""


class Simulation(ABC):
    """Base of every simulation plugin. `run` is pure: no Qt, no global state."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    inputs: ClassVar[tuple[InputSpec, ...]] = ()
    outputs: ClassVar[tuple[FieldSpec, ...]] = ()
    parameters: ClassVar[tuple[ParameterSpec, ...]] = ()
    # Hidden simulations (self-tests) stay out of the user's list unless asked for.
    hidden: ClassVar[bool] = False
    # Classes this simulation lends to attributes of its input layers, for their legends.
    legends: ClassVar[tuple[AttributeLegend, ...]] = ()
    # The kinds of proposed measures (twin/core/proposals.py KINDS) this simulation applies to
    # its inputs; a run given proposals of other kinds lists them as not applied.
    proposal_kinds: ClassVar[tuple[str, ...]] = ()

    def check_parameters(self, params: Mapping[str, Any]) -> None:  # noqa: B027 - an optional hook
        """Refuse combinations of valid values that cannot run together: raise ParameterError."""

    @classmethod
    def charts(cls, run: RunRecord, tables: Mapping[str, ResultTable],
               quarter: str | None) -> list[ChartData]:
        """The charts of a run's report, for one quarter or all (None); `tables` are its result
        tables by name, those the user has not removed."""
        return []

    def quick_estimator(self) -> QuickEstimator | None:
        """How this simulation estimates a run with proposals from the run before them; None: it has
        no quick estimate (its runs are fast enough to run again in full)."""
        return None

    @classmethod
    def catalogue(cls) -> OutputCatalogue:
        return OutputCatalogue(cls.outputs)

    @abstractmethod
    def run(
        self,
        inputs: SimulationInputs,
        params: Mapping[str, Any],
        *,
        rng: np.random.Generator,
        feedback: Feedback,
    ) -> SimulationOutput:
        """Compute the simulation. Call feedback.progress often and feedback.check between steps."""

    @classmethod
    def parameter(cls, name: str) -> ParameterSpec:
        for spec in cls.parameters:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {spec.name: spec.default for spec in cls.parameters}

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A plain description of the contract, for `plugins --json` and the GUI."""
        return {
            "name": cls.name,
            "title": cls.title,
            "description": cls.description,
            "hidden": cls.hidden,
            "inputs": [{"name": spec.name, "kind": spec.kind, "required": spec.required,
                        "doc": spec.doc, "fields": [_field(f) for f in spec.fields]}
                       for spec in cls.inputs],
            "outputs": [_field(spec) for spec in cls.outputs],
            "parameters": [spec.describe() for spec in cls.parameters],
        }


def _field(spec: FieldSpec) -> dict[str, str]:
    described = {"name": spec.name, "location": spec.location.value, "units": spec.units,
                 "doc": spec.doc, "label": spec.label, "type": spec.dtype.value}
    if spec.result:
        described["result"] = spec.result
    return described
