"""Forecasts of a street network under a strategy: the expected forecast and seeded Monte-Carlo runs.

Each year the strategy first picks treatments on the condition at the start of the year, within
the yearly budget, then every segment ages one year on its chain. Year 0 is the rated start,
split between the two state midpoints around the rated value (so it starts exactly there).

The two modes play the same model:
- Monte-Carlo follows single realisations: each run draws every segment's start state and
  yearly drops; the strategy takes whole segments in its order by their drawn state and pays a
  segment's full price when what is left of that run's budget covers it, else passes it over
  for cheaper ones further down. The runs give the spread (percentiles) of the figures.
- The expected forecast follows the state probabilities of every segment. The strategy takes
  (segment, state) pairs in the same order, each as the share of the segment that is in that
  state: like a run it treats the share when what is left covers the segment's full price,
  and it pays the share's part of that price. Where the budget never runs short (or nothing
  is spent) this is exactly the mean of the Monte-Carlo runs.
- Under a budget that runs short they differ in two ways, both real (not errors of either):
  the expected forecast holds the budget on average over the realisations while a run holds
  it in each, so where the need is close to the budget (some runs could pay for all of it,
  others not) the expected forecast treats more and is better than the mean of the runs; and
  a run pays whole segments, so where single treatments cost a sizeable part of the budget
  (small networks, reconstructions) the money is spread differently. On a city network both
  shrink to the Monte-Carlo error (2,000 segments, 30 years: within 0.005 condition points);
  on a 140-segment grid under worst first they reach some tenths of a condition point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from plugins.street_decay import kernels
from plugins.street_decay.chain import MIDPOINTS, STATES, nearest_states, spread_value
from plugins.street_decay.rating import WARNING, condition_class
from plugins.street_decay.treatments import NEEDED, TREATMENTS, states_after

CLASSES = 5
STATE_CLASS = condition_class(MIDPOINTS).astype(np.int64)
PAST_WARNING = MIDPOINTS > WARNING
AFTER, AFTER_WORSE_SHARE = states_after(np.arange(STATES))  # where a treatment lands, split in two
ODDS = 2.0**32  # probabilities as thresholds on 32 random bits


@dataclass
class Network:
    """Segments ready for a forecast: what they are, how they age and what treating them costs."""

    length: np.ndarray  # m
    area: np.ndarray  # m2
    quarter: np.ndarray  # index into the quarters, -1 outside all
    quarters: int
    stay: np.ndarray  # (chains, 10) stay probabilities
    chain: np.ndarray  # chain of each segment
    group: np.ndarray  # priority group of each segment
    ranks: np.ndarray  # (groups, 10) strategy rank of each group and state, -1 not treated
    tie_order: np.ndarray  # segments in tie-break order (more important first)
    cost: np.ndarray  # (n, 4) EUR of each treatment on the whole segment

    def __len__(self) -> int:
        return len(self.length)


@dataclass
class Expected:
    """The expected forecast: per segment and year, and per quarter (last index: whole network)."""

    value: np.ndarray  # (years + 1, n) expected condition value
    treated: np.ndarray  # (years + 1, n, 4) probability the segment gets each treatment in the year
    cost: np.ndarray  # (years + 1, n) expected EUR
    class_length: np.ndarray  # (years + 1, quarters + 1, 5) expected length per colour class
    mean_value: np.ndarray  # (years + 1, quarters + 1) length-weighted
    spent: np.ndarray  # (years + 1, quarters + 1) EUR
    backlog: np.ndarray  # (years + 1, quarters + 1) EUR


@dataclass
class MonteCarlo:
    """Per run, year and quarter (last index: whole network)."""

    mean_value: np.ndarray  # (runs, years + 1, quarters + 1)
    class_length: np.ndarray  # (runs, years + 1, quarters + 1, 5)
    spent: np.ndarray  # (runs, years + 1, quarters + 1)
    backlog: np.ndarray  # (runs, years + 1, quarters + 1)


def expected_forecast(network: Network, start_value: np.ndarray, years: int, budget: float) -> Expected:
    """The forecast of the state probabilities of every segment, the strategy played on them."""
    count, places, order = len(network), network.quarters + 1, network.tie_order
    value = np.empty((years + 1, count))
    treated = np.zeros((years + 1, count, len(TREATMENTS)), dtype=np.float32)
    cost = np.zeros((years + 1, count))
    class_length = np.zeros((years + 1, places, CLASSES))
    spent, backlog = np.zeros((years + 1, places)), np.zeros((years + 1, places))
    kernels.expected_years(spread_value(start_value[order]), network.stay, network.chain[order],
                           network.group[order], network.ranks, network.cost[order], NEEDED, AFTER,
                           AFTER_WORSE_SHARE, STATE_CLASS, PAST_WARNING, MIDPOINTS, _places(network)[order],
                           network.length[order], float(budget), value, treated, cost, class_length, spent,
                           backlog)
    value[:, order], treated[:, order], cost[:, order] = value.copy(), treated.copy(), cost.copy()
    total = class_length[0].sum(axis=1)
    mean_value = _length_weighted(network, value) / np.where(total > 0, total, np.nan)
    return Expected(value, treated, cost, class_length, mean_value, spent, backlog)


def monte_carlo(network: Network, start_value: np.ndarray, years: int, budget: float, runs: int,
                seed: int) -> MonteCarlo:
    """Seeded runs of the chain with the strategy; the same seed gives the same runs on any core count."""
    order = network.tie_order
    lower, upper_share = nearest_states(start_value[order])
    places = network.quarters + 1
    value_sum = np.zeros((runs, years + 1, places))
    class_length = np.zeros((runs, years + 1, places, CLASSES))
    spent = np.zeros((runs, years + 1, places))
    backlog = np.zeros((runs, years + 1, places))
    stay_odds = np.where(network.stay >= 1.0, ODDS, np.floor(network.stay * ODDS)).astype(np.uint64)
    kernels.monte_carlo_runs(
        max(min(runs, numba.get_num_threads()), 1), lower.astype(np.uint8),
        np.floor(upper_share * ODDS).astype(np.uint64), stay_odds, network.chain[order].astype(np.uint8),
        network.group[order], network.ranks, _cheapest_in_bucket(network), network.cost[order], NEEDED, AFTER,
        np.floor(AFTER_WORSE_SHARE * ODDS).astype(np.uint64), STATE_CLASS, PAST_WARNING, MIDPOINTS,
        _places(network)[order],
        np.round(network.length[order] * 1e6).astype(np.int64), float(budget), np.uint64(seed),
        value_sum, class_length, spent, backlog)
    total_length = class_length[0, 0].sum(axis=1)
    mean_value = value_sum / np.where(total_length > 0, total_length, np.nan)
    return MonteCarlo(mean_value, class_length, spent, backlog)


def _cheapest_in_bucket(network: Network) -> np.ndarray:
    """The lowest price of any segment in each strategy bucket (a priority group in one state)."""
    cheapest = np.full(network.ranks.size, np.inf)
    needed = np.maximum(NEEDED, 0)
    for group, state in zip(*np.nonzero(network.ranks >= 0), strict=True):
        mine = network.group == group
        if mine.any():
            cheapest[network.ranks[group, state]] = network.cost[mine, needed[state]].min()
    return cheapest


def _places(network: Network) -> np.ndarray:
    """Each segment's row in the per-place figures: its quarter, or the network row when outside all."""
    return np.where(network.quarter >= 0, network.quarter, network.quarters).astype(np.int64)


def _length_weighted(network: Network, value: np.ndarray) -> np.ndarray:
    """Sums of length x value (years, n) per quarter, then over the whole network."""
    weighted = value * network.length
    inside = network.quarter >= 0
    per_quarter = np.stack([np.bincount(network.quarter[inside], row[inside], minlength=network.quarters)
                            for row in weighted])
    return np.column_stack([per_quarter, weighted.sum(axis=1)])
