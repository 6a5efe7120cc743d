"""The back-test: calibrate the chains on the ratings up to one year, forecast a later campaign,
and compare the forecast with what that campaign rated, per condition class.

Each segment starts from its state distribution at its last rating up to `until_year`, given its
ratings since its last treatment (the hidden Markov model's filter, calibration.py), and ages
on its chain to the date of its first rating in `year`. Segments treated in between (by
last_treatment_year, or by a rating better than the last by more than noise explains) are left
out: the back-test checks the decay, not the works. The error is forecast minus rating; the
rating itself carries the rating noise, so even a perfect chain shows a mean absolute error of
about 0.8 sigma.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from plugins.street_decay import calibration
from plugins.street_decay import chain as chains
from plugins.street_decay.network import chain_stays, rating_histories, unrecorded_treatment_margin
from plugins.street_decay.presentation import CLASS_NAMES
from plugins.street_decay.rating import TARGET, THRESHOLD, WARNING, condition_class
from twin.core.data import ResultTable, StreetData

# A rating given to one decimal falls in the class of its rounded value: continuous edges half a step up.
CLASS_EDGES = np.array([1.0, TARGET, 2.5, WARNING, THRESHOLD, 5.0]) + calibration.RATING_STEP / 2


def back_test(streets: StreetData, prior_years: float, sigma: float, until_year: int, year: int,
              check: Callable[[], None] | None = None) -> tuple[dict[str, Any], ResultTable | None]:
    """The back-test's figures (for the summary) and its table per class (None where the history
    cannot give one: the figures then hold a note saying why)."""
    keyed = rating_histories(streets, sigma, until_year, min_ratings=1)
    target = _first_ratings_in(streets, year)
    if keyed is None or not np.isfinite(target[0]).any():
        return {"until": until_year, "year": year, "segments": 0,
                "note": f"no back-test: the history holds no ratings up to {until_year} and in {year}"}, None
    fits, _ = chain_stays(streets, True, prior_years, sigma, until_year, check)
    keys, histories = keyed
    last = np.r_[histories.segment[1:] != histories.segment[:-1], True]  # each segment's latest sequence
    keys, histories = keys[last], histories.subset(last)
    rating, date = target[0][histories.segment], target[1][histories.segment]
    comparable = np.isfinite(rating) & ~_treated_between(streets, histories, rating, date, sigma)
    keys, histories, rating, date = keys[comparable], histories.subset(comparable), rating[comparable], \
        date[comparable]
    if len(histories) == 0:
        return {"until": until_year, "year": year, "segments": 0, "note": f"no back-test: no segment "
                f"rated up to {until_year} and in {year} went untreated"}, None
    forecast = _forecast(fits, keys, histories, date, sigma)
    length = streets.lengths()[histories.segment]
    return _compare(forecast, calibration.rating_band_probabilities(CLASS_EDGES, sigma), rating, length,
                    until_year, year)


def _first_ratings_in(streets: StreetData, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's first rating in `year` and its date (NaN / NaT where it has none)."""
    rating = np.full(len(streets), np.nan)
    date = np.full(len(streets), np.datetime64("NaT"), dtype="datetime64[D]")
    history = streets.inspections
    if history is None:
        return rating, date
    inside = np.flatnonzero(history.date.astype("datetime64[Y]").astype(np.int64) + 1970 == year)
    inside = inside[np.lexsort((-history.date[inside].astype(np.int64), history.segment[inside]))]
    rating[history.segment[inside]] = history.rating[inside]  # newest first: the oldest writes last
    date[history.segment[inside]] = history.date[inside]
    return rating, date


def _treated_between(streets: StreetData, histories: calibration.Histories, rating: np.ndarray,
                     date: np.ndarray, sigma: float) -> np.ndarray:
    treated = np.asarray(streets.attributes.get("last_treatment_year", np.full(len(streets), np.nan)),
                         dtype=np.float64)[histories.segment]
    first = histories.last_date.astype("datetime64[Y]").astype(np.int64) + 1970
    last = date.astype("datetime64[Y]").astype(np.int64) + 1970
    latest = histories.rating[np.arange(len(histories)), calibration.last_rating_index(histories.rating)]
    return ((treated >= first) & (treated <= last)) | (rating < latest - unrecorded_treatment_margin(sigma))


def _forecast(fits: dict[tuple[str, str], calibration.Fit], keys: np.ndarray,
              histories: calibration.Histories, date: np.ndarray, sigma: float) -> np.ndarray:
    """The state distribution (segments, 10) at each target date."""
    years = np.round((date - histories.last_date).astype(np.float64) / 365.25).astype(np.int64)
    forecast = np.empty((len(histories), chains.STATES))
    for key, fit in fits.items():
        mine = keys == f"{key[0]}/{key[1]}"
        if not mine.any():
            continue
        start = calibration.filtered_state(histories.subset(mine), fit.stay, fit.start, sigma)
        matrix = chains.transition_matrix(fit.stay)
        for gap in np.unique(years[mine]):
            chosen = years[mine] == gap
            rows = np.flatnonzero(mine)[chosen]
            forecast[rows] = start[chosen] @ np.linalg.matrix_power(matrix, int(max(gap, 0)))
    return forecast


def _compare(forecast: np.ndarray, class_given_state: np.ndarray, rating: np.ndarray, length: np.ndarray,
             until_year: int, year: int) -> tuple[dict[str, Any], ResultTable]:
    """Forecast against rating: the shares of length per class (the forecast's: the chance that a
    rating of the forecast state falls in the class), and the errors per class of the forecast
    value. Grouped by the forecast, a right chain's errors average out in every class; grouped by
    the rating they would not (the ratings that came out worst are, more often than not, those
    whose noise or drops came out high: a right chain would seem too optimistic there)."""
    expected = forecast @ chains.MIDPOINTS
    error = expected - rating
    rated_class, forecast_class = condition_class(rating), condition_class(expected)
    forecast_share = length @ (forecast @ class_given_state) / length.sum()
    rated_share = np.bincount(rated_class, length, minlength=len(CLASS_NAMES)) / length.sum()
    counts = np.bincount(forecast_class, minlength=len(CLASS_NAMES))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_error = np.bincount(forecast_class, error, minlength=len(CLASS_NAMES)) / counts
        absolute = np.bincount(forecast_class, np.abs(error), minlength=len(CLASS_NAMES)) / counts
    figures: dict[str, Any] = {"until": until_year, "year": year, "segments": len(rating),
                               "mean_error": round(float(error.mean()), 3),
                               "mean_absolute_error": round(float(np.abs(error).mean()), 3)}
    for colour, name in enumerate(CLASS_NAMES):
        figures[name] = {"segments": int(counts[colour]), "rated_share": round(float(rated_share[colour]), 4),
                         "forecast_share": round(float(forecast_share[colour]), 4),
                         "mean_error": _rounded(mean_error[colour]),
                         "mean_absolute_error": _rounded(absolute[colour])}
    table = ResultTable("backtest", "", {
        "class": np.array(CLASS_NAMES), "segments": counts, "rated_share": rated_share,
        "forecast_share": forecast_share, "mean_error": mean_error, "mean_absolute_error": absolute}, {},
        f"back-test: chains calibrated on the ratings up to {until_year}, forecast to the {year} ratings; "
        f"per class: shares of length rated and forecast; segments forecast in the class and their error "
        f"(forecast minus rating)")
    return figures, table


def _rounded(value: float) -> float | None:
    return round(float(value), 3) if np.isfinite(value) else None
