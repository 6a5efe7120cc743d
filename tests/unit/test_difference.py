"""Differences between two runs of one simulation: grids cell by cell, tables feature by feature."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from twin.core import Scene
from twin.core.data import ResultRaster, ResultTable
from twin.core.fields import Category
from twin.core.layers import result_layer
from twin.core.scene import RunRecord
from twin.sim.difference import (
    DifferenceError,
    DifferenceRasterLayer,
    DifferenceTableLayer,
    comparable_results,
    difference_layer,
    grid_difference,
    table_difference,
)

PLACE = Affine(2.0, 0, 411_000.0, 0, -2.0, 5_655_000.0)


def depth(values, transform=PLACE, crs="EPSG:25833", times=None) -> ResultRaster:
    return ResultRaster("max_depth", np.asarray(values, dtype=np.float32), transform, crs, "m",
                        label="deepest water", palette="water", times=times)


def buildings(ids, depths) -> ResultTable:
    return ResultTable("building_flood", "buildings", {"building_id": np.array(ids),
                                                      "max_depth": np.array(depths, dtype=float),
                                                      "affected": np.array(depths) > 0.3},
                       {"max_depth": "m"}, labels={"max_depth": "deepest water"}, headline="max_depth")


def run(scene: Scene, run_id: str, name: str, *results, simulation: str = "flood") -> RunRecord:
    record = RunRecord(run_id, simulation, name, 1, {}, {}, {})
    scene.add_run(record, [result_layer(result, f"{name}: {result.name}", run_id=run_id) for result in results])
    return record


def test_a_grid_difference_is_b_minus_a_cell_by_cell_with_nan_outside_either():
    a = depth([[0.0, 0.5], [np.nan, 1.0]])
    b = depth([[0.2, 0.5], [0.3, 3.9]])
    difference = grid_difference(a, b, ("100-year", "30-year"))
    np.testing.assert_allclose(difference.values, [[0.2, 0.0], [np.nan, 2.9]], atol=1e-6)
    assert difference.units == "m" and difference.label == "Δ deepest water"
    assert difference.palette == "difference" and "100-year minus 30-year" in difference.description


def test_grids_of_another_shape_place_crs_or_time_steps_are_refused_in_one_sentence():
    a = depth(np.zeros((4, 5)))
    refused = [depth(np.zeros((5, 4))), depth(np.zeros((4, 5)), PLACE @ Affine.translation(1, 0)),
               depth(np.zeros((4, 5)), Affine(1.0, 0, 411_000.0, 0, -1.0, 5_655_000.0)),
               depth(np.zeros((4, 5)), crs="EPSG:25832"),
               depth(np.zeros((2, 4, 5)), times=np.array([0.0, 600.0]))]
    for other in refused:
        with pytest.raises(DifferenceError) as error:
            grid_difference(a, other, ("B", "A"))
        assert "\n" not in str(error.value) and "'max_depth'" in str(error.value)


def test_a_table_difference_joins_rows_by_id_whatever_their_order():
    a = buildings(["B1", "B2", "B3"], [0.1, 0.4, 0.0])
    b = buildings(["B3", "B1", "B2"], [0.5, 0.1, 1.0])
    difference = table_difference(a, b, ("B", "A"))
    assert list(difference.columns) == ["building_id", "max_depth"]  # the flag is no quantity
    assert difference.columns["building_id"].tolist() == ["B1", "B2", "B3"]
    np.testing.assert_allclose(difference.columns["max_depth"], [0.0, 0.6, 0.5])
    assert difference.units["max_depth"] == "m" and difference.labels["max_depth"] == "Δ deepest water"
    assert difference.headline == "max_depth" and difference.target_layer == "buildings"


def test_tables_over_other_features_are_refused_naming_what_differs():
    with pytest.raises(DifferenceError, match="different buildings .*1 only in the first.*'B3'"):
        table_difference(buildings(["B1", "B2", "B3"], [0, 0, 0]), buildings(["B1", "B2"], [0, 0]), ("B", "A"))


def test_a_condition_series_differs_year_by_year_and_class_codes_are_left_out():
    classes = (Category(0, "good", "#00f"), Category(1, "poor", "#f00"))
    columns = {"segment_id": np.array(["S1", "S2"]), "condition_2026": np.array([1.5, 2.0]),
               "condition_2027": np.array([1.7, 2.4]), "class_2026": np.array([0, 0]),
               "class_2027": np.array([0, 1])}
    a = ResultTable("condition", "streets", columns, headline="class", categories={"class": classes})
    b = ResultTable("condition", "streets", {**columns, "condition_2027": np.array([1.6, 2.0])},
                    headline="class", categories={"class": classes})
    difference = table_difference(a, b, ("budget", "nothing"))
    assert list(difference.columns) == ["segment_id", "condition_2026", "condition_2027"]
    np.testing.assert_allclose(difference.columns["condition_2027"], [-0.1, -0.4])
    assert difference.headline == "condition"


def test_the_difference_layer_of_two_runs_names_both_and_only_comparable_results_are_offered():
    scene = Scene()
    base = run(scene, "r1", "30-year", depth([[0.0, 1.0]]), buildings(["B1"], [0.2]))
    storm = run(scene, "r2", "100-year", depth([[0.5, 3.9]]), buildings(["B1"], [0.9]))
    assert comparable_results(scene, base, storm) == ["max_depth", "building_flood"]
    grid = difference_layer(scene, base, storm, "max_depth")
    assert isinstance(grid, DifferenceRasterLayer) and grid.comparison == "100-year − 30-year"
    assert grid.name == "Δ max_depth: 100-year − 30-year"
    np.testing.assert_allclose(grid.data.values, [[0.5, 2.9]])
    table = difference_layer(scene, base, storm, "building_flood")
    assert isinstance(table, DifferenceTableLayer)
    np.testing.assert_allclose(table.data.columns["max_depth"], [0.7])
    scene.add_layer(grid)  # a layer like any other
    assert scene.layer("Δ max_depth: 100-year − 30-year") is grid


def test_runs_of_other_simulations_or_missing_results_cannot_be_subtracted():
    scene = Scene()
    base = run(scene, "r1", "flood", depth([[0.0, 1.0]]))
    other = run(scene, "r2", "decay", buildings(["B1"], [0.2]), simulation="street_decay")
    moved = run(scene, "r3", "moved", depth([[0.0, 1.0]], PLACE @ Affine.translation(5, 0)))
    assert comparable_results(scene, base, other) == [] and comparable_results(scene, base, moved) == []
    with pytest.raises(DifferenceError, match="different simulations"):
        difference_layer(scene, base, other, "max_depth")
    with pytest.raises(DifferenceError, match="in different places"):
        difference_layer(scene, base, moved, "max_depth")
    with pytest.raises(DifferenceError, match="itself"):
        difference_layer(scene, base, base, "max_depth")
    scene.remove_layer("moved: max_depth")
    with pytest.raises(DifferenceError, match="has no result 'max_depth'"):
        difference_layer(scene, base, moved, "max_depth")
