"""Numbers as people read them, one way in every table, legend and inspector of the twin.

Thousands are grouped ("99,852", "3,284"); a number keeps three significant digits, but never
decimals once it reaches a hundred ("9,218", "12.3", "3.28", "0.00983"); whole numbers show
no decimals ("12"); money has no cents. Calendar years are the exception: "2031", not "2,031".
The exact value belongs in a tooltip or an export, not in a table cell.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

SIGNIFICANT_DIGITS = 3
_WHOLE_UNITS = frozenset({"EUR", "€", "EUR/a", "€/a"})  # money reads in whole euros
_YEAR_NAME = re.compile(r"(^|_|\s)(year|years)($|_|\s)|year_of|_year$", re.IGNORECASE)


def names_a_year(name: str) -> bool:
    """True for a column or figure that holds calendar years ('year', 'year_of_construction')."""
    return bool(name) and _YEAR_NAME.search(name) is not None


def format_number(value: float, unit: str = "", *, name: str = "", decimals: int | None = None) -> str:
    """One number as the twin shows it in a table cell or legend label (see the module's rules).

    `unit` and `name` tell what it measures: euros have no cents, a year is not grouped.
    `decimals` overrides the rule with exactly that many (ticks of an axis: "1.0", "1.5"). NaN is 'no data'.
    """
    number = float(value)
    if math.isnan(number):
        return "no data"
    if math.isinf(number):
        return "infinite" if number > 0 else "-infinite"
    if names_a_year(name) and number == round(number) and abs(number) < 10_000:
        return f"{number:.0f}"
    strip = decimals is None
    if decimals is None:
        decimals = 0 if unit in _WHOLE_UNITS else decimals_for(number)
    text = f"{number:,.{decimals}f}"
    if strip and decimals:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def decimals_for(number: float, significant: int = SIGNIFICANT_DIGITS) -> int:
    """Decimals that show `significant` digits of a number, none from a hundred up."""
    magnitude = abs(number)
    if magnitude == 0 or magnitude == round(magnitude):
        return 0
    digits_before_point = math.floor(math.log10(magnitude)) + 1
    return max(0, significant - digits_before_point)


def column_decimals(values: Any, unit: str = "") -> int | None:
    """Decimals for every number of a column (or a row of figures), so they line up: those its
    largest value needs for three significant digits ("2.01", "2.70", "1.84"); None where the
    numbers are whole or money, which `format_number` writes without decimals anyway."""
    array = np.asarray(values)
    if array.dtype.kind != "f" or unit in _WHOLE_UNITS:
        return None
    finite = np.abs(array[np.isfinite(array)])
    if not finite.size or (finite == np.round(finite)).all():
        return None
    largest = float(finite.max())
    return max(0, SIGNIFICANT_DIGITS - (math.floor(math.log10(largest)) + 1))


def format_value(value: Any, unit: str = "", *, name: str = "", decimals: int | None = None) -> str:
    """Any cell value as a person reads it: numbers by `format_number` (with the column's
    `decimals` where given), flags as yes/no, times to the minute, text as it is; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="m")).replace("T", " ")
    if not isinstance(value, int | float | np.number):
        return str(value)
    return format_number(float(value), unit, name=name, decimals=decimals)


def format_range_labels(values: list[float], unit: str = "") -> list[str]:
    """Labels for the ticks of a colour bar: one number of decimals for all ("0.009", "0.203",
    "0.398"), enough that neighbours never read the same, and zero as "0"."""
    decimals = column_decimals(np.asarray(values, dtype=float), unit)
    labels = [format_number(value, unit, decimals=decimals) for value in values]
    step = min((abs(b - a) for a, b in zip(values, values[1:], strict=False) if b != a), default=0.0)
    if step and len(set(labels)) < len(labels):
        decimals = max(0, -math.floor(math.log10(step)))
        labels = [format_number(value, unit, decimals=decimals) for value in values]
    return ["0" if value == 0 else label for value, label in zip(values, labels, strict=True)]
