"""From a street layer to what a forecast needs: start condition, chains, costs, importance, quarters.

Missing columns have documented fallbacks: road_class 'side' (class B, the milder anchors),
surface 'asphalt', width by road class (parameters). The start condition of a segment is the
overall value the measured quantities give (rating.py) where they were measured, else the
latest rating of its history, else its family curve at its age since the last treatment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from plugins.street_decay import chain as chains
from plugins.street_decay.forecast import Network
from plugins.street_decay.rating import QUANTITIES, rate
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


def build_network(streets: StreetData, quarters: list[Quarter], stays: dict[tuple[str, str], np.ndarray],
                  params: Mapping[str, Any]) -> Network:
    """The forecast's network under the chosen strategy and costs."""
    road_class = text_column(streets, "road_class", "side")
    surface = text_column(streets, "surface", "asphalt")
    main = road_class == "main"
    length = streets.lengths()
    width = np.asarray(streets.attributes.get("width_m", np.full(len(streets), np.nan)), dtype=np.float64)
    width = np.where(np.isfinite(width) & (width > 0), width,
                     np.where(main, params["width_main_m"], params["width_side_m"]))
    area = length * width
    keys = list(stays)
    chain = np.array([keys.index(key) for key in zip(np.where(main, "main", "side"), surface, strict=True)])
    cost_m2 = np.where(main[:, None], np.array(params["cost_main_eur_m2"]),
                       np.array(params["cost_side_eur_m2"]))
    weight = importance(streets, params)
    profile = np.column_stack([cost_m2, weight])
    profiles, group = np.unique(profile, axis=0, return_inverse=True)
    ranks = bucket_ranks(params["strategy"], profiles[:, :4], profiles[:, 4])
    tie_order = np.lexsort((np.arange(len(streets)), -weight))
    return Network(length=length, area=area, quarter=quarter_index(streets, quarters), quarters=len(quarters),
                   stay=np.array([stays[key] for key in keys]), chain=chain, group=group.ravel(),
                   ranks=ranks, tie_order=tie_order, cost=cost_m2 * area[:, None])


def chain_keys(streets: StreetData) -> list[tuple[str, str]]:
    """The (road class, surface) chains the network needs."""
    road_class = np.where(text_column(streets, "road_class", "side") == "main", "main", "side")
    surface = text_column(streets, "surface", "asphalt")
    return sorted(set(zip(road_class.tolist(), surface.tolist(), strict=True)))


def chain_stays(streets: StreetData, calibrate: bool, min_moves: int,
                max_gap_years: int = 12) -> tuple[dict[tuple[str, str], np.ndarray], dict[str, Any]]:
    """Stay probabilities per (road class, surface): defaults from the curves, calibrated where the
    history holds at least `min_moves` moves from a state. Also a report of what was fitted."""
    stays, report = {}, {}
    moves = _history_moves(streets) if calibrate else None
    for key in chain_keys(streets):
        default = chains.default_stay(*key)
        stays[key], fitted = default, np.zeros(chains.STATES, dtype=bool)
        if moves is not None:
            mine = moves[0] == f"{key[0]}/{key[1]}"
            counts = chains.transition_counts(moves[1][mine], moves[2][mine], moves[3][mine], max_gap_years)
            if counts.any():
                stays[key], fitted = chains.calibrate(default, counts, min_moves)
        report[f"{key[0]}/{key[1]}"] = {"stay_probabilities": np.round(stays[key], 4).tolist(),
                                        "states_calibrated": np.flatnonzero(fitted).tolist()}
    return stays, report


def _history_moves(streets: StreetData) -> tuple[np.ndarray, ...] | None:
    """Consecutive rating pairs without a treatment in between: (chain key, state from, state to, years)."""
    history = streets.inspections
    if history is None or len(history) < 2:
        return None
    order = np.lexsort((history.date, history.segment))
    segment, date, rating = history.segment[order], history.date[order], history.rating[order]
    pair = np.flatnonzero(segment[1:] == segment[:-1])
    row = segment[pair]
    years = np.round((date[pair + 1] - date[pair]).astype(np.float64) / 365.25).astype(np.int64)
    before, after = chains.state_of(rating[pair]), chains.state_of(rating[pair + 1])
    keep = after >= before  # a better rating later means a treatment (or a measuring error) between
    treated = streets.attributes.get("last_treatment_year")
    if treated is not None:
        year = np.asarray(treated, dtype=np.float64)[row]
        first = date[pair].astype("datetime64[Y]").astype(np.int64) + 1970
        last = date[pair + 1].astype("datetime64[Y]").astype(np.int64) + 1970
        keep &= ~((year >= first) & (year <= last))
    road = np.where(text_column(streets, "road_class", "side") == "main", "main", "side")
    key = np.char.add(np.char.add(road, "/"), text_column(streets, "surface", "asphalt"))[row]
    return key[keep], before[keep], after[keep], years[keep]
