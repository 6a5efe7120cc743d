"""Calibrating the chains on noisy rating histories: a hidden Markov model fitted by EM (Baum-Welch).

A rating is not the state: two raters (or two camera runs) give the same segment different
values. The model therefore keeps the condition state hidden and links it to the ratings by a
measurement model: within its state the true value is spread evenly over the state's 0.4 band,
and a rating is the true value plus normal noise of standard deviation `sigma` (clipped to the
1.0-5.0 scale, given to one decimal). Fitting transitions to rated states as if they were exact
(the former fit) reads every noisy upward rating as a drop and every downward one as a stay that
ended: it shortens the years a surface takes to decay (on histories simulated from a chain that
reaches the warning value after 24 years, it found 20.4 years with sigma 0.15 and 17.8 with 0.3).

The yearly chain is a stay-or-drop-one chain (chain.py). Ratings come years apart and not
every year: the forward-backward pass runs on a yearly grid where years without a rating carry
no evidence (an emission of one), which is the transition matrix powered by the years between
campaigns. The M-step is closed form: each stay probability is the expected stays over the
expected years spent in the state. The family curve enters as a Beta prior on every stay
probability worth `prior_years` segment-years in that state: where the history holds many more
years in a state, it decides; where it holds few, the curve does (a maximum a posteriori fit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from scipy.special import ndtr

from plugins.street_decay.chain import STATE_WIDTH, STATES

RATING_STEP = 0.1  # ratings are given to one decimal: a rating r stands for [r - 0.05, r + 0.05)
SCALE_LOW, SCALE_HIGH = 1.0, 5.0
# The default scatter of a rating: the standard deviation of repeated ratings of one unchanged
# segment. An assumption, not a measured figure (no published repeatability of ZEB values was at
# hand); the demo histories are drawn with this scatter (data/generator/streets.py).
RATING_NOISE_SIGMA = 0.15
MIN_SIGMA = 1e-3  # below this the measurement model is the exact-rating model for practical purposes
_FAR = 1e3  # an interval edge this far off the scale stands for infinity


@dataclass
class Histories:
    """Rating sequences of unchanged segments on a yearly grid.

    `rating[k, t]` is the rating of sequence k in year t after its first rating (NaN: no rating
    that year). A sequence ends at a treatment: the next rating starts a new one.
    """

    rating: np.ndarray  # (sequences, years)
    segment: np.ndarray  # (sequences,) the street segment each sequence rates
    last_date: np.ndarray  # (sequences,) datetime64[D] of each sequence's last rating

    def __len__(self) -> int:
        return len(self.rating)

    def subset(self, keep: np.ndarray) -> Histories:
        return Histories(self.rating[keep], self.segment[keep], self.last_date[keep])


@dataclass
class Fit:
    """A calibrated chain: stay probabilities, start distribution, and how much the history weighed."""

    stay: np.ndarray  # (10,)
    start: np.ndarray  # (10,) state distribution at a sequence's first rating
    history_years: np.ndarray  # (10,) expected segment-years the history spent in each state
    history_share: np.ndarray  # (10,) weight of the history against the prior in each stay probability
    log_likelihood: float
    iterations: int


def emission(rating: np.ndarray, sigma: float) -> np.ndarray:
    """P(rating | state) (..., 10) of ratings given to one decimal; NaN (no rating) gives ones.

    The true value is uniform over the state's band [a, b) and the rating is that value plus
    N(0, sigma) noise, rounded: P = (1 / (b - a)) * integral over [a, b) of
    Phi((hi - x) / sigma) - Phi((lo - x) / sigma) dx, with [lo, hi) the rounding interval
    (open to infinity at the ends of the scale, where ratings are clipped).
    """
    rating = np.asarray(rating, dtype=np.float64)[..., None]
    sigma = max(float(sigma), MIN_SIGMA)
    low = np.where(rating <= SCALE_LOW + RATING_STEP / 2, -_FAR, rating - RATING_STEP / 2)
    high = np.where(rating >= SCALE_HIGH - RATING_STEP / 2, _FAR, rating + RATING_STEP / 2)
    band_low = SCALE_LOW + STATE_WIDTH * np.arange(STATES)
    band_high = band_low + STATE_WIDTH
    probability = (_integral_below(high, band_low, band_high, sigma)
                   - _integral_below(low, band_low, band_high, sigma)) / STATE_WIDTH
    # A floor keeps a history the model deems impossible (a rise of several states with almost no
    # noise) in the fit as a very rare one.
    return np.where(np.isnan(rating), 1.0, np.clip(probability, 1e-12, 1.0))


def rating_band_probabilities(edges: np.ndarray, sigma: float) -> np.ndarray:
    """P(a rating falls between consecutive `edges` | state) (10, len(edges) - 1), by the same
    measurement model; the outer edges stand for the ends of the scale (ratings are clipped)."""
    sigma = max(float(sigma), MIN_SIGMA)
    inner = np.asarray(edges, dtype=np.float64).copy()
    inner[0], inner[-1] = -_FAR, _FAR
    band_low = (SCALE_LOW + STATE_WIDTH * np.arange(STATES))[:, None]
    below = _integral_below(inner[None, :], band_low, band_low + STATE_WIDTH, sigma) / STATE_WIDTH
    return np.diff(below, axis=1)


def _integral_below(edge: np.ndarray, low: np.ndarray, high: np.ndarray, sigma: float) -> np.ndarray:
    """Integral over x in [low, high) of Phi((edge - x) / sigma): with G(u) = u Phi(u) + phi(u),
    G' = Phi, it is sigma * (G((edge - low) / sigma) - G((edge - high) / sigma))."""
    def antiderivative(u: np.ndarray) -> np.ndarray:
        return u * ndtr(u) + np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)

    return sigma * (antiderivative((edge - low) / sigma) - antiderivative((edge - high) / sigma))


def fit(histories: Histories, prior_stay: np.ndarray, prior_years: float, sigma: float,
        tolerance: float = 1e-7, max_iterations: int = 500, check: Callable[[], None] | None = None) -> Fit:
    """The maximum a posteriori chain for the histories (Baum-Welch with a Beta prior per state).

    `prior_stay` is the family curve's chain; each stay probability has the prior
    Beta(prior_years * p + 1, prior_years * (1 - p) + 1), so the fit is
    (expected stays + prior_years * p) / (expected years in the state + prior_years).
    Iterates until the log-posterior gains less than `tolerance` (relative); `check` is called
    every iteration (a run's cancel check: on a city network a fit takes seconds).
    """
    prior_stay = np.asarray(prior_stay, dtype=np.float64)
    stay = prior_stay.copy()
    start = np.full(STATES, 1.0 / STATES)
    emitted = emission(histories.rating, sigma)  # (sequences, years, 10)
    last_year = last_rating_index(histories.rating)
    previous, iteration = -np.inf, 0
    while iteration < max_iterations:
        iteration += 1
        if check is not None:
            check()
        stays, years, first, log_likelihood = _expectations(emitted, last_year, stay, start)
        stay = _maximise(stays, years, prior_stay, prior_years)
        start = (first + 1e-6) / (first + 1e-6).sum()
        posterior = log_likelihood + _log_prior(stay, prior_stay, prior_years)
        if posterior - previous <= tolerance * abs(posterior):
            break
        previous = posterior
    share = years / (years + prior_years) if prior_years > 0 else np.ones(STATES)
    share[-1] = 0.0  # the worst state keeps everything by construction
    return Fit(stay, start, years, share, float(log_likelihood), iteration)


def _maximise(stays: np.ndarray, years: np.ndarray, prior_stay: np.ndarray, prior_years: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        stay = (stays + prior_years * prior_stay) / (years + prior_years)
    stay = np.where(years + prior_years > 0, stay, prior_stay)
    stay[-1] = 1.0
    return np.clip(stay, 0.0, 1.0)


def _log_prior(stay: np.ndarray, prior_stay: np.ndarray, prior_years: float) -> float:
    inner = stay[:-1].clip(1e-12, 1.0 - 1e-12)
    prior = prior_stay[:-1]
    return float(prior_years * (prior * np.log(inner) + (1.0 - prior) * np.log1p(-inner)).sum())


def _expectations(emitted: np.ndarray, last_year: np.ndarray, stay: np.ndarray,
                  start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """E-step: expected stays and years per state (up to each sequence's last rating), the
    expected state at the first rating, and the log-likelihood (scaled forward-backward)."""
    stays, years, first = np.zeros(STATES), np.zeros(STATES), np.zeros(STATES)
    log_likelihood = _forward_backward(emitted, last_year, stay, start, stays, years, first)
    return stays, years, first, log_likelihood


@numba.njit(nogil=True, cache=True)
def _forward_backward(emitted, last_year, stay, start, stays, years, first):  # pragma: no cover - compiled
    """Per sequence: the scaled forward pass to its last rating, then the backward pass adding
    each year's expected stays and drops per state; returns the summed log-likelihood."""
    states = stay.size
    forward = np.empty((emitted.shape[1], states))
    scale = np.empty(emitted.shape[1])
    backward, evidence = np.empty(states), np.empty(states)
    total = 0.0
    for k in range(emitted.shape[0]):
        end = last_year[k]
        for year in range(end + 1):
            for state in range(states):
                if year == 0:
                    held = start[state]
                else:
                    held = forward[year - 1, state] * stay[state]
                    if state > 0:
                        held += forward[year - 1, state - 1] * (1.0 - stay[state - 1])
                forward[year, state] = held * emitted[k, year, state]
            scale[year] = max(forward[year].sum(), 1e-300)
            forward[year] /= scale[year]
            total += np.log(scale[year])
        backward[:] = 1.0
        for year in range(end - 1, -1, -1):
            for state in range(states):
                evidence[state] = emitted[k, year + 1, state] * backward[state] / scale[year + 1]
            for state in range(states):
                kept = forward[year, state] * stay[state] * evidence[state]
                stays[state] += kept
                years[state] += kept
                backward[state] = stay[state] * evidence[state]
                if state < states - 1:
                    years[state] += forward[year, state] * (1.0 - stay[state]) * evidence[state + 1]
                    backward[state] += (1.0 - stay[state]) * evidence[state + 1]
        for state in range(states):
            first[state] += forward[0, state] * backward[state]
    return total


def _step(distribution: np.ndarray, stay: np.ndarray) -> np.ndarray:
    """One year of the chain for many distributions (n, 10) at once."""
    moved = distribution * stay
    moved[:, 1:] += distribution[:, :-1] * (1.0 - stay[:-1])
    return moved


def last_rating_index(rating: np.ndarray) -> np.ndarray:
    """The year index of each sequence's last rating (sequences, years) -> (sequences,)."""
    observed = ~np.isnan(rating)
    return observed.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)


def filtered_state(histories: Histories, stay: np.ndarray, start: np.ndarray, sigma: float) -> np.ndarray:
    """The state distribution (sequences, 10) at each sequence's last rating, given its ratings so far."""
    emitted = emission(histories.rating, sigma)
    last_year = last_rating_index(histories.rating)
    current = start * emitted[:, 0]
    result = current.copy()
    for year in range(emitted.shape[1]):
        if year > 0:
            current = _step(current, stay) * emitted[:, year]
        current /= np.maximum(current.sum(axis=1, keepdims=True), 1e-300)
        result[last_year == year] = current[last_year == year]
    return result
