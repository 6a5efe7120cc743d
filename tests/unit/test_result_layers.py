"""Result layers: one class per data type, with the facts a reader needs taken from the data."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from twin.core.data import ResultRaster, ResultTable
from twin.core.layers import ResultLayer, ResultRasterLayer, ResultTableLayer, result_layer


def condition_table(headline: str | None) -> ResultTable:
    """Condition classes and values by year for three segments, and a cost column."""
    columns = {"segment_id": np.array(["a", "b", "c"]),
               "class_2026": np.array([1, 2, 3]), "class_2027": np.array([2, 3, 5]),
               "condition_2026": np.array([1.5, 2.5, 3.1]), "condition_2027": np.array([1.9, 2.9, 4.4]),
               "cost": np.array([0.0, 120.0, 900.0])}
    return ResultTable("condition", "streets", columns, {"condition_2026": "grade", "condition_2027": "grade",
                                                         "cost": "EUR"},
                       labels={"cost": "works cost"}, headline=headline)


def test_the_data_type_picks_the_layer_class():
    grid = ResultRaster("depth", np.zeros((2, 3, 4)), Affine(2, 0, 0, 0, -2, 8), "EPSG:25833", "m",
                        times=np.array([0.0, 900.0]), label="water depth")
    assert type(result_layer(grid, "depth")) is ResultRasterLayer
    assert type(result_layer(condition_table(None), "condition")) is ResultTableLayer
    with pytest.raises(TypeError, match="ResultRaster or a ResultTable"):
        result_layer(np.zeros(3), "not a result")
    with pytest.raises(TypeError, match="result_layer"):
        ResultLayer(grid, "the base alone")


def test_a_grid_layer_gives_its_steps_unit_and_label_from_its_data():
    values = np.stack([np.zeros((3, 4)), np.full((3, 4), 0.7)])
    grid = ResultRaster("depth", values, Affine(2, 0, 0, 0, -2, 8), "EPSG:25833", "m",
                        times=np.array([0.0, 900.0]), label="water depth")
    layer = result_layer(grid, "Flood: depth", run_id="r1")
    assert layer.time_labels == ["0 min", "15 min"] and layer.georeferenced and layer.run_id == "r1"
    assert layer.attribute_label("depth") == "water depth (m)"
    assert layer.value_range("depth") == (0.0, 0.7)  # over every step


def test_a_table_colours_by_its_declared_headline_else_its_last_float_column():
    assert result_layer(condition_table("class"), "t").default_color_by() == "class"
    assert result_layer(condition_table(None), "t").default_color_by() == "cost"


def test_a_year_series_has_the_unit_and_range_of_all_its_columns():
    layer = result_layer(condition_table("class"), "t")
    assert layer.color_attributes() == ["class", "condition", "cost"]
    assert layer.attribute_unit("condition") == "grade" and layer.attribute_unit("class") == ""
    assert layer.value_range("condition") == (1.5, 4.4)
    layer.time_index = 1
    assert layer.values_of("class").tolist() == [2, 3, 5]
    assert layer.attribute_label("cost") == "works cost (EUR)"
    assert not layer.georeferenced and layer.crs is None
