"""One way of writing numbers in every table, legend and inspector."""

from __future__ import annotations

import numpy as np
import pytest

from twin.core.numbers import format_number, format_range_labels, format_value, names_a_year


@pytest.mark.parametrize(("value", "shown"), [
    (3284, "3,284"), (99852, "99,852"), (9218.4, "9,218"),  # the three ways one table showed them
    (123.456, "123"), (12.34, "12.3"), (12.0, "12"), (2.5987, "2.6"), (0.00983, "0.00983"),
    (-5.55, "-5.55"), (-0.0001, "-0.0001"), (0.0, "0"), (-0.0, "0"), (1_234_567.8, "1,234,568"),
])
def test_numbers_keep_three_significant_digits_and_group_thousands(value, shown):
    assert format_number(value) == shown


def test_money_has_no_cents_and_years_are_not_grouped():
    assert format_number(36_773.42, "EUR") == "36,773"
    assert format_number(2.5, "EUR") == "2"
    assert format_value(2031, name="year") == "2031"
    assert format_value(1985.0, name="year_of_construction") == "1985"
    assert format_value(2031, name="spent_eur") == "2,031"  # a number that is not a year is grouped
    assert names_a_year("year") and names_a_year("years") and not names_a_year("yearly_cost")


def test_other_values_read_as_words():
    assert format_value(float("nan")) == "no data"
    assert [format_value(True), format_value(np.bool_(False)), format_value(None)] == ["yes", "no", ""]
    assert format_value(np.datetime64("2026-07-10T14:35:12")) == "2026-07-10 14:35"
    assert format_value("S12") == "S12"
    assert format_value(np.float32(0.25), "m") == "0.25"


def test_colour_bar_labels_are_formatted_alike_and_never_repeat():
    assert format_range_labels([0.0, 1.95, 3.9]) == ["0", "1.95", "3.90"]
    assert format_range_labels([0.00901, 0.2036, 0.398]) == ["0.009", "0.204", "0.398"]  # not 0.00901
    assert format_range_labels([1000.2, 1000.5, 1000.8]) == ["1,000.2", "1,000.5", "1,000.8"]
    assert format_range_labels([-2.0, 0.0, 2.0]) == ["-2", "0", "2"]


def test_a_column_shares_one_number_of_decimals_so_its_numbers_line_up():
    from twin.core.numbers import column_decimals

    condition = np.array([2.01, 2.7, 1.843, np.nan])
    decimals = column_decimals(condition)
    assert [format_value(value, decimals=decimals) for value in condition] == ["2.01", "2.70", "1.84", "no data"]
    assert column_decimals(np.array([120.5, 3.25])) == 0  # the largest sets the scale
    assert column_decimals(np.array([0.012, 0.0034])) == 4  # three digits of the largest: 0.0120
    assert column_decimals(np.array([1.0, 2.0])) is None and column_decimals(np.array([3, 4])) is None
    assert column_decimals(np.array([1.5, 2.25]), "EUR") is None
