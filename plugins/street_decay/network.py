"""From a street layer to what a forecast needs: start condition, chains, costs, importance, quarters.

Missing columns have documented fallbacks: road_class 'side' (class B, the milder anchors),
surface 'asphalt', width by road class (parameters). The start condition of a segment is the
overall value the measured quantities give (rating.py) where they were measured, else the
latest rating of its history, else its family curve at its age since the last treatment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import shapely

from plugins.street_decay import calibration
from plugins.street_decay import chain as chains
from plugins.street_decay.calibration import Fit
from plugins.street_decay.forecast import Network
from plugins.street_decay.rating import QUANTITIES, WARNING, rate
from plugins.street_decay.treatments import bucket_ranks
from twin.core.data import StreetData
from twin.core.quarter import Quarter
from twin.io.streets import HISTORY_FIELD
from twin.sim import SimulationInputError

ROUTES = ("tram_route", "bus_route", "school_route")


def text_column(streets: StreetData, name: str, fallback: str, lower: bool = True) -> np.ndarray:
    """A text column, stripped (and lower-cased for categories), `fallback` where missing or empty."""
    values = streets.attributes.get(name)
    if values is None:
        return np.full(len(streets), fallback)
    values = np.char.strip(np.asarray(values).astype(str))
    values = np.char.lower(values) if lower else values
    return np.where(values == "", fallback, values)


def start_condition(streets: StreetData, start_year: int) -> np.ndarray:
    """Condition value (1.0-5.0) of every segment at the start; raises SimulationInputError where none
    is known, naming the fields the condition comes from."""
    road_class = text_column(streets, "road_class", "side")
    measured = {name: np.asarray(streets.attributes[name], dtype=np.float64)
                for name in QUANTITIES if name in streets.attributes}
    value = np.full(len(streets), np.nan)
    if measured:
        value = rate(measured, road_class, text_column(streets, "surface", "asphalt"))["overall"]
    latest = _latest_ratings(streets)
    value = np.where(np.isnan(value), latest, value)
    treated = streets.attributes.get("last_treatment_year")
    if treated is not None:
        age = start_year - np.asarray(treated, dtype=np.float64)
        for road in ("main", "side"):
            mine = (road_class == "main") == (road == "main")
            from_curve = chains.curve_value(age[mine], *chains.FAMILY_CURVES[road])
            value[mine] = np.where(np.isnan(value[mine]) & (age[mine] >= 0), from_curve, value[mine])
    if np.isnan(value).any():
        raise SimulationInputError(_no_condition(streets, np.flatnonzero(np.isnan(value)), bool(measured)))
    return value


def _no_condition(streets: StreetData, unknown: np.ndarray, measured: bool) -> str:
    """One sentence on what a street layer lacks for a start condition."""
    sources = (f"the measured quantities ({', '.join(QUANTITIES)}), a rating history ('{HISTORY_FIELD}') "
               f"or 'last_treatment_year'")
    has_source = measured or streets.inspections is not None or "last_treatment_year" in streets.attributes
    if not has_source:
        return f"the street layer has none of the fields a condition comes from: it needs {sources}"
    return (f"{len(unknown)} of {len(streets)} segments (first '{streets.ids[unknown[0]]}') have no value "
            f"in any of the fields a condition comes from: {sources}")


def _latest_ratings(streets: StreetData) -> np.ndarray:
    latest = np.full(len(streets), np.nan)
    history = streets.inspections
    if history is None or len(history) == 0:
        return latest
    order = np.lexsort((history.date, history.segment))
    latest[history.segment[order]] = history.rating[order]  # the last write per segment is the newest
    return latest


def importance(streets: StreetData, params: Mapping[str, Any]) -> np.ndarray:
    """Importance weight: 1 plus the weights of main road, tram, bus and school route where marked."""
    weight = 1.0 + params["weight_main"] * (text_column(streets, "road_class", "side") == "main")
    for route in ROUTES:
        if route in streets.attributes:
            flag = np.asarray(streets.attributes[route])
            marked = flag.astype(bool) if flag.dtype.kind in "biuf" else np.isin(
                np.char.lower(flag.astype(str)), ("1", "true", "yes", "ja"))
            weight = weight + params[f"weight_{route.removesuffix('_route')}"] * marked
    return weight


def quarter_index(streets: StreetData, quarters: list[Quarter]) -> np.ndarray:
    """The quarter each segment counts in (the one holding its midpoint), -1 outside all.

    A segment straddling an outline counts whole in one quarter, so lengths add up.
    """
    index = np.full(len(streets), -1)
    middle = shapely.get_coordinates(shapely.line_interpolate_point(streets.geometries, 0.5, normalized=True))
    for number, quarter in enumerate(quarters):
        on_or_in = shapely.intersects_xy(quarter.polygon, middle[:, 0], middle[:, 1])  # outline included
        index[(index < 0) & on_or_in] = number
    return index


def build_network(streets: StreetData, quarters: list[Quarter], fits: dict[tuple[str, str], Fit],
                  params: Mapping[str, Any], cost_factor: float = 1.0) -> Network:
    """The forecast's network under the chosen strategy and costs (the unit costs times
    `cost_factor`, the price index from their price year to the run's)."""
    road_class = text_column(streets, "road_class", "side")
    surface = text_column(streets, "surface", "asphalt")
    main = road_class == "main"
    length = streets.lengths()
    width = np.asarray(streets.attributes.get("width_m", np.full(len(streets), np.nan)), dtype=np.float64)
    width = np.where(np.isfinite(width) & (width > 0), width,
                     np.where(main, params["width_main_m"], params["width_side_m"]))
    area = length * width
    keys = list(fits)
    chain = np.array([keys.index(key) for key in zip(np.where(main, "main", "side"), surface, strict=True)])
    cost_m2 = cost_factor * np.where(main[:, None], np.array(params["cost_main_eur_m2"]),
                                     np.array(params["cost_side_eur_m2"]))
    weight = importance(streets, params)
    profile = np.column_stack([cost_m2, weight])
    profiles, group = np.unique(profile, axis=0, return_inverse=True)
    ranks = bucket_ranks(params["strategy"], profiles[:, :4], profiles[:, 4])
    tie_order = np.lexsort((np.arange(len(streets)), -weight))
    return Network(length=length, area=area, quarter=quarter_index(streets, quarters), quarters=len(quarters),
                   stay=np.array([fits[key].stay for key in keys]), chain=chain, group=group.ravel(),
                   ranks=ranks, tie_order=tie_order, cost=cost_m2 * area[:, None])


def chain_keys(streets: StreetData) -> list[tuple[str, str]]:
    """The (road class, surface) chains the network needs."""
    road_class = np.where(text_column(streets, "road_class", "side") == "main", "main", "side")
    surface = text_column(streets, "surface", "asphalt")
    return sorted(set(zip(road_class.tolist(), surface.tolist(), strict=True)))


def chain_stays(streets: StreetData, calibrate: bool, prior_years: float, sigma: float,
                until_year: int | None = None,
                check: Callable[[], None] | None = None) -> tuple[dict[tuple[str, str], Fit], dict[str, Any]]:
    """The chain per (road class, surface): the family curve's, fitted to the rating history (up to
    `until_year`) with the curve as prior (calibration.py). Also a report of what the history weighed."""
    fits, report = {}, {}
    keyed = rating_histories(streets, sigma, until_year) if calibrate else None
    for key in chain_keys(streets):
        default = chains.default_stay(*key)
        name = f"{key[0]}/{key[1]}"
        if keyed is not None and (keyed[0] == name).any():
            fits[key] = calibration.fit(keyed[1].subset(keyed[0] == name), default, prior_years, sigma,
                                        check=check)
        else:
            fits[key] = calibration.Fit(default, np.full(chains.STATES, 1.0 / chains.STATES),
                                        np.zeros(chains.STATES), np.zeros(chains.STATES), 0.0, 0)
        report[name] = _chain_report(fits[key], default)
    return fits, report


def _chain_report(fit: calibration.Fit, default: np.ndarray) -> dict[str, Any]:
    return {"stay_probabilities": np.round(fit.stay, 4).tolist(),
            "family_curve_stay_probabilities": np.round(default, 4).tolist(),
            "history_years": np.round(fit.history_years, 1).tolist(),
            "history_share": np.round(fit.history_share, 3).tolist(),
            "states_calibrated": np.flatnonzero(fit.history_share >= 0.5).tolist(),
            "years_new_to_warning": round(chains.years_to_value(fit.stay, WARNING), 1),
            "family_curve_years_new_to_warning": round(chains.years_to_value(default, WARNING), 1)}


def unrecorded_treatment_margin(sigma: float) -> float:
    """How much better than the one before a rating must be to mark a treatment nobody recorded:
    more than the measurement model explains in one state (its width, plus three standard
    deviations of the difference of two noisy ratings)."""
    return chains.STATE_WIDTH + 3.0 * np.sqrt(2.0) * sigma


def rating_histories(streets: StreetData, sigma: float, until_year: int | None = None,
                     min_ratings: int = 2) -> tuple[np.ndarray, calibration.Histories] | None:
    """The rating sequences of unchanged segments, with each one's chain key ('main/asphalt', ...).

    A sequence ends at a treatment: at the last_treatment_year (a rating in that very year is left
    out: before or after the works is unknown), or where a rating is better than the one before
    by more than noise explains (unrecorded_treatment_margin): an unrecorded treatment. Ratings
    after `until_year` are left out, and so are sequences of fewer than `min_ratings` ratings (one
    rating says nothing about the decay). Sequences come by segment, each segment's oldest first.
    """
    history = streets.inspections
    if history is None or len(history) == 0:
        return None
    order = np.lexsort((history.date, history.segment))
    segment, date, rating = history.segment[order], history.date[order], history.rating[order]
    year = date.astype("datetime64[Y]").astype(np.int64) + 1970
    treated = np.asarray(streets.attributes.get("last_treatment_year", np.full(len(streets), np.nan)),
                         dtype=np.float64)[segment]
    keep = (year != treated) & (year <= (until_year if until_year is not None else year.max()))
    segment, date, rating, year, treated = segment[keep], date[keep], rating[keep], year[keep], treated[keep]
    if len(segment) < min_ratings:
        return None
    margin = unrecorded_treatment_margin(sigma)
    starts = np.ones(len(segment), dtype=bool)
    starts[1:] = ((segment[1:] != segment[:-1]) | ((year[:-1] < treated[1:]) & (year[1:] > treated[1:]))
                  | (rating[1:] < rating[:-1] - margin))
    sequence = np.cumsum(starts) - 1
    offset = np.round((date - date[starts][sequence]).astype(np.float64) / 365.25).astype(np.int64)
    grid = np.full((sequence[-1] + 1, offset.max() + 1), np.nan)
    grid[sequence, offset] = rating  # in date order: of two ratings in one year the later counts
    last_date = np.empty(len(grid), dtype="datetime64[D]")
    last_date[sequence] = date
    rated = (~np.isnan(grid)).sum(axis=1) >= min_ratings
    road = np.where(text_column(streets, "road_class", "side") == "main", "main", "side")
    key = np.char.add(np.char.add(road, "/"), text_column(streets, "surface", "asphalt"))
    first_segment = segment[starts]
    histories = calibration.Histories(grid, first_segment, last_date)
    return key[first_segment][rated], histories.subset(rated)
