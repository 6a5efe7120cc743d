"""A parameter form generated from a simulation's declared parameters (twin/sim/contract.py).

One editor per ParameterSpec: a spin box with the units as suffix for numbers, a check box for
true/false, a combo box for choices, a line edit for text and for lists of numbers. Every edit
is checked with the spec's own `validate`; a refused value is marked red with the spec's
sentence and `values()` declines until it is mended. Parameters in a row whose names share a
leading word (cost_main, cost_side) are grouped under a heading; the whole form scrolls.

The naming and grouping rules are plain functions (no Qt) above the widget classes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import did_you_mean
from twin.sim.contract import ParameterError, ParameterSpec

# Words written their usual way in labels.
_SPELLING = {"kwh": "kWh", "kwp": "kWp", "kw": "kW", "mwh": "MWh", "pv": "PV", "eur": "EUR",
             "cfl": "CFL", "try": "TRY", "m2": "m²"}
_MIN_GROUP_WORD = 3  # a leading word shorter than this ("n") names no group
_UNBOUNDED = 1e15
_INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
_MAX_DECIMALS = 6
_ERROR_STYLE = "color: #b00020;"
_REFUSED_STYLE = "border: 1px solid #b00020;"
_HEADER_STYLE = "font-weight: bold; padding-top: 6px;"
_GROUP_INDENT = 12


def readable_name(name: str, units: str = "", prefix: str = "") -> str:
    """'rain_duration_min' with units 'min' -> 'Rain duration'; a group's `prefix` words are left
    out ('cost_main_eur_m2' under 'cost' -> 'Main'), unless nothing but units would be left."""
    words = name.split("_")
    prefix_words = prefix.split("_") if prefix else []
    unit_words = units.lower().replace("/", "_").split("_") if units else []
    rest = words[len(prefix_words):] if words[:len(prefix_words)] == prefix_words else words
    if unit_words and rest[-len(unit_words):] == unit_words:
        rest = rest[:-len(unit_words)]
    if not rest:  # 'infiltration' under 'infiltration', 'quarter_battery_kw' under 'quarter_battery'
        rest = [word for word in words if word not in unit_words] or words
    text = " ".join(_SPELLING.get(word, word) for word in rest)
    return text if rest[0] in _SPELLING else text[:1].upper() + text[1:]


def parameter_groups(specs: Sequence[ParameterSpec]) -> list[tuple[str, list[ParameterSpec]]]:
    """The specs in declared order, split into runs. A run of two or more whose names start with
    the same word is a group titled by the words they all share ('quarter_battery'); every other
    run is untitled ("")."""
    runs: list[tuple[str, list[ParameterSpec]]] = []
    for spec in specs:
        word = _leading_word(spec.name)
        if runs and word and runs[-1][0] == word:
            runs[-1][1].append(spec)
        else:
            runs.append((word, [spec]))
    groups: list[tuple[str, list[ParameterSpec]]] = []
    for _word, members in runs:
        title = _shared_prefix([spec.name for spec in members]) if len(members) > 1 else ""
        if not title and groups and not groups[-1][0]:
            groups[-1][1].extend(members)
        else:
            groups.append((title, members))
    return groups


def row_labels(prefix: str, specs: Sequence[ParameterSpec]) -> dict[str, str]:
    """Labels for a group's rows; two that would read alike show their units."""
    plain = {spec.name: readable_name(spec.name, spec.units, prefix) for spec in specs}
    alike = [label for label in plain.values() if list(plain.values()).count(label) > 1]
    return {spec.name: f"{plain[spec.name]} ({spec.units})" if spec.units and plain[spec.name] in alike
            else plain[spec.name] for spec in specs}


def help_text(spec: ParameterSpec) -> str:
    """The tooltip: help, units, allowed range or choices, default."""
    lines = [spec.help[:1].upper() + spec.help[1:]]
    if spec.units:
        lines.append(f"Units: {spec.units}")
    if spec.minimum is not None or spec.maximum is not None:
        low = "" if spec.minimum is None else f"{spec.minimum:g}"
        high = "" if spec.maximum is None else f"{spec.maximum:g}"
        lines.append(f"Allowed: {low} .. {high}" + (" (each element)" if spec.type is list else ""))
    if spec.choices:
        lines.append(f"One of: {', '.join(spec.choices)}")
    lines.append(f"Default: {format_value(spec.default)}")
    return "\n".join(lines)


def format_value(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(f"{element:.12g}" for element in value)
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def parse_number_list(text: str) -> list[float] | str:
    """'5, 10, 15' -> [5.0, 10.0, 15.0]; an empty text is an empty list; anything else stays text
    (so the spec refuses it with its own sentence)."""
    if not text.strip():
        return []
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        return text


def step_and_decimals(spec: ParameterSpec) -> tuple[float, int]:
    """A spin-box step about a tenth of the default's magnitude (whole steps for year-like values),
    and enough decimals to show the default, the bounds and a step."""
    bounds = [value for value in (spec.minimum, spec.maximum) if value is not None]
    reference = abs(spec.default) or (bounds[-1] - bounds[0] if len(bounds) == 2 else 1.0) or 1.0
    whole = all(float(value).is_integer() for value in (spec.default, *bounds))
    step = 1.0 if whole and 10 <= reference < 10_000 else 10.0 ** (math.floor(math.log10(reference)) - 1)
    decimals = max(_decimals(value) for value in (step, spec.default, *bounds))
    return step, decimals


def _decimals(value: float) -> int:
    for decimals in range(_MAX_DECIMALS + 1):
        if abs(round(value, decimals) - value) <= 1e-9 * max(1.0, abs(value)):
            return decimals
    return _MAX_DECIMALS


def _leading_word(name: str) -> str:
    word = name.split("_")[0]
    return word if len(word) >= _MIN_GROUP_WORD else ""


def _shared_prefix(names: Sequence[str]) -> str:
    shared = []
    for words in zip(*(name.split("_") for name in names), strict=False):
        if len(set(words)) > 1:
            break
        shared.append(words[0])
    return "_".join(shared)


class ParameterField(QWidget):
    """One parameter's editor with its error line below it."""

    edited = Signal()

    def __init__(self, spec: ParameterSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.editor = self._make_editor()
        self.editor.setToolTip(help_text(spec))
        self.editor.setWhatsThis(help_text(spec))
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.error_label)
        self._refused: str | None = None  # a value set from a file that the editor cannot show
        self.set_value(spec.default)

    @property
    def error(self) -> str | None:
        if self._refused is not None:
            return self._refused
        try:
            self.spec.validate(self._raw_value())
        except ParameterError as error:
            return str(error)
        return None

    def value(self) -> Any:
        """The value in the declared type; ParameterError when the spec refuses it."""
        if self._refused is not None:
            raise ParameterError(self._refused)
        return self.spec.validate(self._raw_value())

    def set_value(self, value: Any) -> None:
        """Show the value; one the spec refuses is kept visible where the editor can hold it."""
        self._refused = None
        try:
            self._show(value)
        except (TypeError, ValueError, OverflowError):
            try:
                self.spec.validate(value)
            except ParameterError as error:
                self._refused = str(error)
            else:  # valid, yet beyond what the editor holds (a whole number past 2**31)
                self._refused = f"parameter '{self.spec.name}' cannot be edited here: {value!r}"
        self._mark()

    def _make_editor(self) -> QWidget:
        spec = self.spec
        if spec.type is bool:
            editor = QCheckBox()
            editor.toggled.connect(self._changed)
        elif spec.type is str and spec.choices:
            editor = QComboBox()
            editor.addItems(list(spec.choices))
            editor.currentTextChanged.connect(self._changed)
        elif spec.type is int:
            editor = QSpinBox()
            editor.setRange(-_INT_LIMIT, _INT_LIMIT)  # the spec, not the box, says what is allowed
            editor.valueChanged.connect(self._changed)
        elif spec.type is float:
            editor = QDoubleSpinBox()
            step, decimals = step_and_decimals(spec)
            editor.setDecimals(decimals)
            editor.setSingleStep(step)
            editor.setRange(-_UNBOUNDED, _UNBOUNDED)
            editor.valueChanged.connect(self._changed)
        else:
            editor = QLineEdit()
            if spec.type is list:
                editor.setPlaceholderText("numbers separated by commas")
            editor.textChanged.connect(self._changed)
        if spec.units and isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setSuffix(f" {spec.units}")
        return editor

    def _raw_value(self) -> Any:
        editor = self.editor
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            return editor.value()
        text = editor.text()
        return parse_number_list(text) if self.spec.type is list else text

    def _show(self, value: Any) -> None:
        """Put a value in the editor; TypeError/ValueError when the editor cannot hold it."""
        editor = self.editor
        if isinstance(editor, QCheckBox):
            if not isinstance(value, bool):
                raise TypeError(value)
            editor.setChecked(value)
        elif isinstance(editor, QComboBox):
            if value not in self.spec.choices:
                raise ValueError(value)
            editor.setCurrentText(value)
        elif isinstance(editor, QSpinBox):
            if isinstance(value, bool) or not float(value).is_integer() or abs(value) > _INT_LIMIT:
                raise ValueError(value)
            editor.setValue(int(value))
        elif isinstance(editor, QDoubleSpinBox):
            if isinstance(value, bool) or not math.isfinite(float(value)) or abs(value) > _UNBOUNDED:
                raise ValueError(value)
            editor.setDecimals(max(editor.decimals(), _decimals(float(value))))
            editor.setValue(float(value))
        elif self.spec.type is list:
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise TypeError(value)
            editor.setText(format_value(tuple(value)))
        else:
            if not isinstance(value, str):
                raise TypeError(value)
            editor.setText(value)

    def _changed(self, *args: object) -> None:
        self._refused = None
        self._mark()
        self.edited.emit()

    def _mark(self) -> None:
        error = self.error
        self.error_label.setText(error or "")
        self.error_label.setVisible(error is not None)
        self.editor.setStyleSheet(_REFUSED_STYLE if error else "")


class ParameterForm(QWidget):
    """The form for one simulation's parameters, in a scroll area.

    `values()` gives the checked parameter dict (ParameterError while a field is refused),
    `set_values(values)` fills it from a scenario, `reset_defaults()` restores the declared
    defaults. `validity_changed(bool)` tells whether every field is acceptable (to enable Run).
    """

    edited = Signal()
    validity_changed = Signal(bool)

    def __init__(self, specs: Sequence[ParameterSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = tuple(specs)
        self.fields: dict[str, ParameterField] = {}
        self.labels: dict[str, QLabel] = {}
        content = QWidget()
        form = QFormLayout(content)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for title, members in parameter_groups(self.specs):
            self._add_rows(form, title, members)
        if not self.specs:
            form.addRow(QLabel("This simulation takes no parameters."))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._valid = True
        self._update_validity()

    @property
    def valid(self) -> bool:
        return self._valid

    def errors(self) -> dict[str, str]:
        """The refused fields, by parameter name, with the spec's sentence."""
        return {name: field.error for name, field in self.fields.items() if field.error is not None}

    def values(self) -> dict[str, Any]:
        """Every parameter in its declared type; ParameterError naming the first refused one."""
        return {name: field.value() for name, field in self.fields.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the named fields (others keep their value); an unknown name raises ParameterError."""
        for name in values:
            if name not in self.fields:
                raise ParameterError(f"there is no parameter '{name}'{did_you_mean(name, self.fields)}")
        for name, value in values.items():
            self.fields[name].blockSignals(True)
            self.fields[name].set_value(value)
            self.fields[name].blockSignals(False)
        self._update_validity()
        self.edited.emit()

    def reset_defaults(self) -> None:
        self.set_values({spec.name: spec.default for spec in self.specs})

    def _add_rows(self, form: QFormLayout, title: str, specs: list[ParameterSpec]) -> None:
        if title:
            header = QLabel(readable_name(title))
            header.setStyleSheet(_HEADER_STYLE)
            form.addRow(header)
        labels = row_labels(title, specs)
        for spec in specs:
            field = ParameterField(spec)
            field.edited.connect(self._field_edited)
            label = QLabel(labels[spec.name])
            label.setToolTip(help_text(spec))
            label.setBuddy(field.editor)
            if title:
                label.setIndent(_GROUP_INDENT)
            form.addRow(label, field)
            self.fields[spec.name] = field
            self.labels[spec.name] = label

    def _field_edited(self) -> None:
        self._update_validity()
        self.edited.emit()

    def _update_validity(self) -> None:
        valid = not self.errors()
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
