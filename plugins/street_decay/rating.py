"""Condition values of street segments after the German scheme (ZEB / E EMI 2012, AP 9 K).

Each measured quantity maps to a condition value (Zustandswert, ZW) from 1.0 (very good) to
5.0 (very poor) through three anchors f1, f2, f3 (the values that map to 1.5, 3.5 and 4.5).
Usability and substance values combine them; the overall value is the worse of the two.
Source: tests/data/streets/CONDITION.md (municipal working paper AP 9 K, FGSV).
"""

from __future__ import annotations

import numpy as np

TARGET, WARNING, THRESHOLD = 1.5, 3.5, 4.5

QUANTITIES = (
    "unevenness_max_mm",
    "unevenness_mean_mm",
    "rut_depth_mm",
    "water_depth_mm",
    "cracks_pct",
    "patches_pct",
    "other_damage_pct",
)

# (f1, f2, f3) per quantity; class A = main roads, class B = side roads, footways, cycleways.
_ANCHORS_A = {
    "unevenness_max_mm": (4.0, 12.0, 16.0),
    "unevenness_mean_mm": (1.0, 2.5, 3.5),
    "rut_depth_mm": (4.0, 15.0, 25.0),
    "water_depth_mm": (0.1, 4.0, 6.0),
    "cracks_pct": (1.0, 15.0, 25.0),
    "patches_pct": (1.0, 15.0, 25.0),
    "other_damage_pct": (1.0, 15.0, 25.0),
}
_ANCHORS_B = {
    "unevenness_max_mm": (4.0, 16.0, 25.0),
    "unevenness_mean_mm": (1.0, 3.5, 5.0),
    "rut_depth_mm": (4.0, 15.0, 25.0),
    "water_depth_mm": (0.1, 4.0, 6.0),
    "cracks_pct": (5.0, 20.0, 33.0),
    "patches_pct": (5.0, 20.0, 33.0),
    "other_damage_pct": (10.0, 33.0, 50.0),
}
_OTHER_DAMAGE_PAVING_B = (5.0, 25.0, 40.0)


def anchors(quantity: str, road_class: np.ndarray, surface: np.ndarray | None = None) -> np.ndarray:
    """Anchors (n, 3) per segment for one quantity: main roads class A, all others class B."""
    road_class = np.asarray(road_class)
    table = np.where((road_class == "main")[:, None], _ANCHORS_A[quantity], _ANCHORS_B[quantity])
    if quantity == "other_damage_pct" and surface is not None:
        paved_side = (road_class != "main") & (np.asarray(surface) == "paving")
        table[paved_side] = _OTHER_DAMAGE_PAVING_B
    return table


def condition_value(measured: np.ndarray, anchor_table: np.ndarray) -> np.ndarray:
    """ZW of measured values (n,) with anchors (n, 3); NaN stays NaN (not measured)."""
    x = np.asarray(measured, dtype=np.float64)
    f1, f2, f3 = (anchor_table[:, i] for i in range(3))
    upper = 1.5 * f3 - 0.5 * f2
    value = np.select(
        [x < f1, x <= f2, x <= f3, x <= upper],
        [1.0 + 0.5 * x / f1,
         1.5 + 2.0 * (x - f1) / (f2 - f1),
         3.5 + (x - f2) / (f3 - f2),
         4.5 + 0.5 * (x - f3) / (upper - f3)],
        default=5.0,
    )
    return np.where(np.isnan(x), np.nan, value)


def measured_for(value: np.ndarray, anchor_table: np.ndarray) -> np.ndarray:
    """The measured quantity that gives condition value `value` (the inverse of condition_value)."""
    zw = np.clip(np.asarray(value, dtype=np.float64), 1.0, 5.0)
    f1, f2, f3 = (anchor_table[:, i] for i in range(3))
    upper = 1.5 * f3 - 0.5 * f2
    return np.select(
        [zw < TARGET, zw <= WARNING, zw <= THRESHOLD],
        [(zw - 1.0) / 0.5 * f1,
         f1 + (zw - 1.5) / 2.0 * (f2 - f1),
         f2 + (zw - 3.5) * (f3 - f2)],
        default=f3 + (zw - 4.5) / 0.5 * (upper - f3),
    )


def rate(measured: dict[str, np.ndarray], road_class: np.ndarray,
         surface: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """ZW per quantity plus 'usability', 'substance' and 'overall' values per segment.

    Of the two unevenness measures the worse one counts, where both were taken.
    """
    zw = {quantity: condition_value(measured[quantity], anchors(quantity, road_class, surface))
          for quantity in QUANTITIES if quantity in measured}
    rows = len(np.asarray(road_class))
    missing = np.full(rows, np.nan)
    unevenness = np.fmax(zw.get("unevenness_max_mm", missing), zw.get("unevenness_mean_mm", missing))
    usability = _combine(unevenness, zw.get("rut_depth_mm", missing), zw.get("water_depth_mm", missing),
                         weights=(0.25, 0.5, 0.25), decisive=(0, 1))
    substance = _combine(zw.get("cracks_pct", missing), zw.get("patches_pct", missing),
                         zw.get("other_damage_pct", missing), weights=(0.56, 0.31, 0.13), decisive=(0, 2))
    return {**zw, "usability": usability, "substance": substance,
            "overall": np.fmax(usability, substance)}


def _combine(*values: np.ndarray, weights: tuple[float, ...], decisive: tuple[int, ...]) -> np.ndarray:
    """Weighted mean of part values, unless a decisive part is past the warning value: then its max.

    Parts not measured (NaN) drop out and the remaining weights are renormalised.
    """
    stack = np.vstack(values)
    weight = np.asarray(weights)[:, None] * ~np.isnan(stack)
    total = weight.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(stack * weight, axis=0) / total
    worst = np.fmax.reduce(stack[list(decisive)], axis=0)
    combined = np.where(worst > WARNING, worst, mean)
    return np.where(total > 0, combined, np.nan)


def condition_class(value: np.ndarray) -> np.ndarray:
    """Colour class per value: 0 blue (<=1.5), 1 dark green (<=2.5), 2 light green (<=3.5),
    3 yellow (<=4.5), 4 red; -1 where not rated."""
    value = np.asarray(value, dtype=np.float64)
    classes = np.searchsorted([TARGET, 2.5, WARNING, THRESHOLD], value, side="left")
    return np.where(np.isnan(value), -1, classes)
