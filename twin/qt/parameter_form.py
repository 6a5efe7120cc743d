"""A parameter form generated from a simulation's declared parameters (twin/sim/contract.py).

One editor per ParameterSpec: a spin box with the units as suffix for numbers, a check box for
true/false, a combo box for choices, a line edit for text and lists of numbers, a small table for
tables (points, hydrographs). Every edit is checked with the spec's own `validate`; a refused value
is marked red with the spec's sentence and `values()` declines until it is mended. Labels, sections
and the advanced fold come from the declarations (`label`, `group`, `advanced`); a parameter that
does not apply to the others' values (`applies_when`) is hidden, as QGIS Processing does.
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
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import did_you_mean
from twin.sim.contract import ParameterError, ParameterSpec

_UNBOUNDED = 1e15
_INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
_MAX_DECIMALS = 6
_ERROR_STYLE = "color: #b00020;"
_REFUSED_STYLE = "border: 1px solid #b00020;"
_HEADER_STYLE = "font-weight: bold; padding-top: 6px;"
_GROUP_INDENT = 12
_TABLE_ROWS_SHOWN = 4


def help_text(spec: ParameterSpec) -> str:
    """The tooltip: help, units, allowed range or choices, default."""
    lines = [spec.help[:1].upper() + spec.help[1:]]
    if spec.units:
        lines.append(f"Units: {spec.units}")
    if spec.minimum is not None or spec.maximum is not None:
        low = "" if spec.minimum is None else f"{spec.minimum:g}"
        high = "" if spec.maximum is None else f"{spec.maximum:g}"
        lines.append(f"Allowed: {low} .. {high}" + (" (each number)" if spec.type in (list, tuple) else ""))
    if spec.choices:
        lines.append(f"One of: {', '.join(spec.choices)} (as written in scenarios)")
    lines.append(f"Default: {format_value(spec.default)}")
    return "\n".join(lines)


def format_value(value: Any) -> str:
    if value and isinstance(value, tuple | list) and isinstance(value[0], tuple | list):
        return "; ".join(format_value(row) for row in value)  # a table's rows, in tooltips
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


class TableEditor(QWidget):
    """Rows of numbers under the declared column headings, with buttons to add and remove rows."""

    changed = Signal()

    def __init__(self, columns: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(list(columns))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + _TABLE_ROWS_SHOWN * self.table.verticalHeader().defaultSectionSize())
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        add, remove = QPushButton("Add row"), QPushButton("Remove row")
        add.clicked.connect(self.add_row)
        remove.clicked.connect(self._remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def rows(self) -> list[list[float]] | str:
        """The rows as numbers; the text of the first cell that is no number (for the spec to refuse)."""
        rows = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, column) for column in range(self.table.columnCount())]
            texts = [cell.text().strip() if cell is not None else "" for cell in cells]
            try:
                rows.append([float(text) for text in texts])
            except ValueError:
                return next(text for text in texts if not _is_float(text)) or "an empty cell"
        return rows

    def set_rows(self, rows: Iterable[Sequence[float]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for values in rows:
            self._append([f"{value:.12g}" for value in values])
        self.table.blockSignals(False)
        self.changed.emit()

    def add_row(self) -> None:
        self._append(["0"] * self.table.columnCount())
        self.changed.emit()

    def _append(self, texts: Sequence[str]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate(texts):
            self.table.setItem(row, column, QTableWidgetItem(text))

    def _remove_row(self) -> None:
        row = self.table.currentRow() if self.table.currentRow() >= 0 else self.table.rowCount() - 1
        if row >= 0:
            self.table.removeRow(row)
            self.changed.emit()


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
            self.spec.validate(self.raw_value())
        except ParameterError as error:
            return str(error)
        return None

    def value(self) -> Any:
        """The value in the declared type; ParameterError when the spec refuses it."""
        if self._refused is not None:
            raise ParameterError(self._refused)
        return self.spec.validate(self.raw_value())

    def set_value(self, value: Any) -> None:
        """Show the value; one the spec refuses is kept visible where the editor can hold it."""
        self._refused = None
        try:
            self._show(value)
        except (TypeError, ValueError, OverflowError, ParameterError):
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
            for choice in spec.choices:
                editor.addItem(spec.choice_labels.get(choice, choice), choice)
            editor.currentIndexChanged.connect(self._changed)
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
        elif spec.type is tuple:
            editor = TableEditor(spec.columns)
            editor.changed.connect(self._changed)
        else:
            editor = QLineEdit()
            if spec.type is list:
                editor.setPlaceholderText("numbers separated by commas")
            editor.textChanged.connect(self._changed)
        if spec.units and isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setSuffix(f" {spec.units}")
        return editor

    def raw_value(self) -> Any:
        """What the editor holds, before the spec checks it."""
        editor = self.editor
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            return editor.value()
        if isinstance(editor, TableEditor):
            return editor.rows()
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
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QSpinBox):
            if isinstance(value, bool) or not float(value).is_integer() or abs(value) > _INT_LIMIT:
                raise ValueError(value)
            editor.setValue(int(value))
        elif isinstance(editor, QDoubleSpinBox):
            if isinstance(value, bool) or not math.isfinite(float(value)) or abs(value) > _UNBOUNDED:
                raise ValueError(value)
            editor.setDecimals(max(editor.decimals(), _decimals(float(value))))
            editor.setValue(float(value))
        elif isinstance(editor, TableEditor):
            editor.set_rows(self.spec.validate(value))
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
        self._headers: dict[str, list[QLabel]] = {}
        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.advanced_toggle = QCheckBox("Show advanced parameters")
        self.advanced_toggle.toggled.connect(self._update_visibility)
        self._add_sections([spec for spec in self.specs if not spec.advanced])
        if any(spec.advanced for spec in self.specs):
            self._form.addRow(self.advanced_toggle)
            self._add_sections([spec for spec in self.specs if spec.advanced])
        if not self.specs:
            self._form.addRow(QLabel("This simulation takes no parameters."))
        content = QWidget()
        content.setLayout(self._form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._valid = True
        self._update_visibility()
        self._update_validity()

    def applies(self, name: str) -> bool:
        """Whether the parameter means anything with the values now in the form (shown)."""
        spec = self.fields[name].spec
        return spec.applies({other: field.raw_value() for other, field in self.fields.items()})

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
        self._update_visibility()
        self._update_validity()
        self.edited.emit()

    def reset_defaults(self) -> None:
        self.set_values({spec.name: spec.default for spec in self.specs})

    def _add_sections(self, specs: list[ParameterSpec]) -> None:
        """Rows in declared order, under a heading wherever the declared group changes."""
        group = None
        for spec in specs:
            if spec.group != group and spec.group:
                header = QLabel(spec.group)
                header.setStyleSheet(_HEADER_STYLE)
                self._form.addRow(header)
                self._headers.setdefault(spec.group, []).append(header)
            group = spec.group
            self._add_row(spec)

    def _add_row(self, spec: ParameterSpec) -> None:
        field = ParameterField(spec)
        field.edited.connect(self._field_edited)
        title = spec.title
        label = QLabel(title[:1].upper() + title[1:])
        label.setToolTip(help_text(spec))
        label.setBuddy(field.editor)
        if spec.group:
            label.setIndent(_GROUP_INDENT)
        self._form.addRow(label, field)
        self.fields[spec.name] = field
        self.labels[spec.name] = label

    def _update_visibility(self, *_args: object) -> None:
        advanced = self.advanced_toggle.isChecked()
        for name, field in self.fields.items():
            shown = (advanced or not field.spec.advanced) and self.applies(name)
            self._form.setRowVisible(field, shown)
        for group, headers in self._headers.items():
            members = [field for field in self.fields.values() if field.spec.group == group]
            for header in headers:
                self._form.setRowVisible(header, any(not field.isHidden() for field in members))

    def _field_edited(self) -> None:
        self._update_visibility()
        self._update_validity()
        self.edited.emit()

    def _update_validity(self) -> None:
        valid = not self.errors()
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
