"""Joining a result table's rows to the features of the layer it is drawn on."""

import numpy as np

from twin.core.data import ResultTable
from twin.render.results import row_of, rows_of_features

BUILDINGS = np.array(["a", "b", "c"])


def table(**columns) -> ResultTable:
    return ResultTable("change", "buildings", {name: np.asarray(values) for name, values in columns.items()})


def test_a_row_about_a_building_the_layer_lacks_is_kept_and_joins_none():
    # a difference with a proposed new building: the others are drawn, the new one's row is kept
    change = table(building_id=["c", "new", "a"], heat=[1.0, 5.0, -2.0])
    np.testing.assert_array_equal(rows_of_features(change, BUILDINGS), [2, -1, 0])
    assert row_of(change, "new") == 1 and row_of(change, "b") is None


def test_a_table_about_none_of_the_layers_features_or_without_an_id_column_is_not_joined():
    assert rows_of_features(table(building_id=["x", "y"], heat=[1.0, 2.0]), BUILDINGS) is None
    # a column of other names is an id column only where every name is a feature's
    assert rows_of_features(table(name=["a", "zz"], heat=[1.0, 2.0]), BUILDINGS) is None
    np.testing.assert_array_equal(rows_of_features(table(name=["b", "a"], heat=[1.0, 2.0]), BUILDINGS),
                                  [1, 0, -1])
    assert row_of(table(name=["a"], heat=[1.0]), "a") is None
