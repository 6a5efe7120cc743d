"""Deterioration as a Markov chain over ten condition states (Butt, Shahin, Carpenter, Carnahan 1987).

The 1.0-5.0 condition scale is cut into ten equal states of 0.4 (the ten PCI bands of 10 points
each, mapped 100..0 to 1.0..5.0). Each year a segment stays in its state with probability p_ii or
drops one state; the worst state keeps it. A chain is therefore given by its ten stay
probabilities. Defaults come from the PAVER family curves (CONDITION.md): p_ii = 1 - 1/T_i with
T_i the years the curve spends in state i. Calibration (calibration.py) fits them to the
inspection history with these defaults as its prior.
"""

from __future__ import annotations

import numba
import numpy as np

STATES = 10
STATE_WIDTH = 4.0 / STATES
MIDPOINTS = 1.0 + STATE_WIDTH * (np.arange(STATES) + 0.5)  # 1.2, 1.6, ... 4.8
# PAVER family curves (rho, alpha, beta): PCI(age) = 100 - rho / ln(alpha / age) ** (1 / beta).
# Somerville, MA, 2012 consultant data (CONDITION.md): collector for main roads, residential for side roads.
FAMILY_CURVES = {"main": (106.0, 79.0, 0.48), "side": (97.0, 110.0, 0.61)}
# Stone paving ages at 25/30 the pace of asphalt: design service lives 25 and 30 years (CONDITION.md).
# Concrete has no figure there and ages like asphalt.
SURFACE_PACE = {"asphalt": 1.0, "concrete": 1.0, "paving": 25.0 / 30.0}


def state_of(value: np.ndarray) -> np.ndarray:
    """The condition state (0 best .. 9 worst) of condition values 1.0-5.0."""
    index = np.floor((np.asarray(value, dtype=np.float64) - 1.0) / STATE_WIDTH)
    return np.clip(index, 0, STATES - 1).astype(np.int64)


def curve_value(age: np.ndarray, rho: float, alpha: float, beta: float) -> np.ndarray:
    """Condition value (1.0-5.0) after `age` years on a family curve, PCI mapped 100..0 to 1.0..5.0."""
    age = np.clip(np.asarray(age, dtype=np.float64), 1e-9, alpha * 0.999999)
    pci = np.clip(100.0 - rho / np.log(alpha / age) ** (1.0 / beta), 0.0, 100.0)
    return 1.0 + 4.0 * (100.0 - pci) / 100.0


def curve_age(drop: np.ndarray, rho: float, alpha: float, beta: float) -> np.ndarray:
    """The age at which a family curve has lost `drop` PCI points (the inverse of the curve)."""
    drop = np.asarray(drop, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(drop > 0, alpha * np.exp(-(rho / np.maximum(drop, 1e-12)) ** beta), 0.0)


def stay_from_curve(rho: float, alpha: float, beta: float, pace: float = 1.0) -> np.ndarray:
    """Stay probabilities p_ii = 1 - 1/T_i, T_i the years the curve spends in state i.

    `pace` below 1 stretches the curve (the surface ages more slowly). States the curve passes
    in under a year would need more than one drop a year; they are held at p_ii = 0.
    """
    boundaries = curve_age(np.arange(STATES + 1) * 100.0 / STATES, rho, alpha, beta) / pace
    years = np.diff(boundaries)
    stay = np.clip(1.0 - 1.0 / np.maximum(years, 1e-12), 0.0, 1.0)
    stay[-1] = 1.0  # the worst state keeps what it holds
    return stay


def fit_stay_to_curve(rho: float, alpha: float, beta: float, pace: float = 1.0, years: int = 30,
                      sweeps: int = 4) -> np.ndarray:
    """Stay probabilities whose expected forecast follows the curve (least squares, as Butt et al.).

    The sojourn estimate of stay_from_curve matches the mean time to reach each state, but the
    expected value of a chain lags behind it (the spread of the drops); fitting the expected
    forecast to the curve over `years` removes that bias. The forecast starts at the midpoint
    of the best state, which the curve reaches at age `start`; the fit ends where the curve
    reaches the midpoint of the worst state (the chain's expected value cannot go beyond it).
    """
    start, end = curve_age(100.0 * (MIDPOINTS[[0, -1]] - 1.0) / 4.0, rho, alpha, beta) / pace
    years = min(years, int(end - start))
    target = curve_value(pace * (start + np.arange(years + 1)), rho, alpha, beta)
    stay = stay_from_curve(rho, alpha, beta, pace)

    def fit(candidate: np.ndarray) -> float:
        return -float(((expected_forecast(candidate, years) - target) ** 2).sum())

    for _ in range(sweeps):
        for state in range(STATES - 1):
            stay[state] = _golden_max(lambda p, s=state: fit(_with(stay, s, p)))
    return stay


def expected_forecast(stay: np.ndarray, years: int) -> np.ndarray:
    """Expected condition value in years 0..years of a segment starting in the best state."""
    return _expected_values(np.asarray(stay, dtype=np.float64), MIDPOINTS, years)


def years_to_value(stay: np.ndarray, value: float, longest: int = 200) -> float:
    """Years the expected forecast of a new segment (best state) takes to reach `value`
    (interpolated between years; inf where it does not within `longest` years)."""
    forecast = expected_forecast(stay, longest)
    beyond = np.flatnonzero(forecast >= value)
    if len(beyond) == 0:
        return float("inf")
    year = int(beyond[0])
    if year == 0:
        return 0.0
    return year - 1 + float((value - forecast[year - 1]) / (forecast[year] - forecast[year - 1]))


def default_stay(road_class: str, surface: str) -> np.ndarray:
    """The default chain of a road class ('main' or other) and surface, fitted to its family curve."""
    curve = FAMILY_CURVES["main" if road_class == "main" else "side"]
    return fit_stay_to_curve(*curve, pace=SURFACE_PACE.get(surface, 1.0))


def transition_matrix(stay: np.ndarray) -> np.ndarray:
    """The yearly transition matrix (10 x 10, rows sum to 1) of a stay-or-drop-one chain: row i is
    where a segment in state i is a year later, by the same compiled step the forecasts take."""
    stay = np.asarray(stay, dtype=np.float64)
    matrix = np.eye(STATES)
    for row in matrix:
        _step(row, stay)
    return matrix


def spread_value(value: np.ndarray) -> np.ndarray:
    """State probabilities (n, 10) whose expected value is `value`: split between the two nearest
    state midpoints, so a forecast starts exactly at the rated value (clipped to 1.2-4.8)."""
    lower, upper_share = nearest_states(value)
    distribution = np.zeros((len(lower), STATES))
    rows = np.arange(len(lower))
    distribution[rows, lower] = 1.0 - upper_share
    distribution[rows, lower + 1] += upper_share
    return distribution


def nearest_states(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower of the two state midpoints around each value (0-8) and the upper one's share."""
    position = np.clip((np.asarray(value, dtype=np.float64) - MIDPOINTS[0]) / STATE_WIDTH, 0.0, STATES - 1)
    lower = np.minimum(np.floor(position).astype(np.int64), STATES - 2)
    share = position - lower
    return lower, np.where(share < 1e-9, 0.0, share)  # a value on a midpoint is not split by rounding noise


def expected_values(distribution: np.ndarray) -> np.ndarray:
    return distribution @ MIDPOINTS


# The fits call these thousands of times. Compiled and free of the GIL, they cost microseconds;
# in numpy, a worker thread's stream of tiny matrix products kept the GUI thread from the GIL for
# hundreds of milliseconds (each product drops and retakes it, and a waiting thread that sees the
# GIL change hands keeps waiting).
@numba.njit(nogil=True, cache=True)
def _step(distribution, stay):  # pragma: no cover - compiled
    """One year of the chain, in place: each state keeps its stay share and passes the rest on."""
    dropped = 0.0
    for state in range(distribution.size):
        held = distribution[state]
        distribution[state] = held * stay[state] + dropped
        dropped = held * (1.0 - stay[state])


@numba.njit(nogil=True, cache=True)
def _expected_values(stay, midpoints, years):  # pragma: no cover - compiled
    distribution = np.zeros(stay.size)
    distribution[0] = 1.0
    values = np.empty(years + 1)
    for year in range(years + 1):
        values[year] = np.sum(distribution * midpoints)
        _step(distribution, stay)
    return values


def _with(stay: np.ndarray, state: int, value: float) -> np.ndarray:
    changed = stay.copy()
    changed[state] = value
    return changed


def _golden_max(function, low: float = 0.0, high: float = 0.999, tolerance: float = 1e-4) -> float:
    """The argument in [low, high] maximising a unimodal function."""
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = function(c), function(d)
    while b - a > tolerance:
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = function(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = function(d)
    return (a + b) / 2.0
