"""The German condition rating, against cases worked by hand from CONDITION.md's anchor tables."""

import numpy as np
import pytest

from plugins.street_decay.rating import (
    QUANTITIES,
    anchors,
    condition_class,
    condition_value,
    measured_for,
    rate,
)

MAIN, SIDE = np.array(["main"]), np.array(["side"])


@pytest.mark.parametrize(("rut_mm", "expected"), [
    (0.0, 1.0), (2.0, 1.25), (4.0, 1.5), (9.5, 2.5), (15.0, 3.5), (20.0, 4.0),
    (25.0, 4.5), (27.5, 4.75), (30.0, 5.0), (40.0, 5.0),  # os = 1.5 * 25 - 0.5 * 15 = 30
])
def test_rut_depth_on_a_main_road(rut_mm, expected):
    assert condition_value(np.array([rut_mm]), anchors("rut_depth_mm", MAIN))[0] == pytest.approx(expected)


def test_side_roads_tolerate_more_cracks_than_main_roads():
    cracks = np.array([12.5])
    assert condition_value(cracks, anchors("cracks_pct", SIDE))[0] == pytest.approx(2.5)  # 1.5 + 2 * 7.5/15
    assert condition_value(cracks, anchors("cracks_pct", MAIN))[0] == pytest.approx(1.5 + 2 * 11.5 / 14)


def test_paved_side_roads_have_their_own_anchors_for_other_damage():
    table = anchors("other_damage_pct", np.array(["side", "side", "main"]),
                    np.array(["paving", "asphalt", "paving"]))
    np.testing.assert_array_equal(table, [[5, 25, 40], [10, 33, 50], [1, 15, 25]])


def test_usability_is_the_weighted_mean_while_nothing_is_past_the_warning_value():
    measured = {"unevenness_max_mm": np.array([8.0]), "rut_depth_mm": np.array([9.5]),
                "water_depth_mm": np.array([0.05])}
    # 0.25 * 2.5 (unevenness) + 0.5 * 2.5 (rut) + 0.25 * 1.25 (water)
    assert rate(measured, MAIN)["usability"][0] == pytest.approx(2.1875)


def test_a_deep_rut_decides_usability_and_overall():
    measured = {"unevenness_max_mm": np.array([8.0]), "rut_depth_mm": np.array([20.0]),
                "water_depth_mm": np.array([0.05]), "cracks_pct": np.array([1.0]),
                "patches_pct": np.array([1.0]), "other_damage_pct": np.array([1.0])}
    values = rate(measured, MAIN)
    assert values["usability"][0] == pytest.approx(4.0)
    assert values["substance"][0] == pytest.approx(1.5)
    assert values["overall"][0] == pytest.approx(4.0)


def test_substance_weights_cracks_patches_and_other_damage():
    measured = {"cracks_pct": np.array([12.5]), "patches_pct": np.array([5.0]),
                "other_damage_pct": np.array([0.0])}
    # side road: cracks 2.5, patches 1.5, other 1.0
    assert rate(measured, SIDE)["substance"][0] == pytest.approx(0.56 * 2.5 + 0.31 * 1.5 + 0.13 * 1.0)


def test_the_worse_unevenness_measure_counts_and_missing_ones_drop_out():
    measured = {"unevenness_max_mm": np.array([4.0]), "unevenness_mean_mm": np.array([2.5]),
                "rut_depth_mm": np.array([4.0])}
    # unevenness: max(1.5, 3.5) = 3.5; no water depth: weights 0.25 and 0.5 renormalised
    assert rate(measured, MAIN)["usability"][0] == pytest.approx((0.25 * 3.5 + 0.5 * 1.5) / 0.75)


def test_measured_for_inverts_condition_value_on_every_quantity_and_class():
    values = np.linspace(1.0, 5.0, 81)
    for quantity in QUANTITIES:
        for road_class in ("main", "side"):
            table = anchors(quantity, np.full(len(values), road_class))
            np.testing.assert_allclose(condition_value(measured_for(values, table), table), values,
                                       atol=1e-12, err_msg=f"{quantity} {road_class}")


def test_condition_classes_follow_the_colour_bands():
    values = np.array([1.0, 1.5, 1.6, 2.5, 3.0, 3.5, 4.0, 4.5, 4.6, 5.0, np.nan])
    np.testing.assert_array_equal(condition_class(values), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1])
