"""Forecasts of a street network under a strategy: the expected-value chain and seeded Monte-Carlo runs.

Each year the strategy first picks treatments on the condition at the start of the year, within
the yearly budget, then every segment ages one year on its chain. Year 0 is the rated start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from plugins.street_decay.chain import (
    MIDPOINTS,
    STATES,
    nearest_states,
    spread_value,
    state_of,
    transition_matrix,
)
from plugins.street_decay.rating import WARNING, condition_class
from plugins.street_decay.treatments import NEEDED, NONE, select_within_budget, state_after

CLASSES = 5
STATE_CLASS = condition_class(MIDPOINTS).astype(np.int64)
PAST_WARNING = MIDPOINTS > WARNING
AFTER = state_after(np.arange(STATES))


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
    treatment: np.ndarray  # (years + 1, n) treatment index applied in the year, -1 none
    cost: np.ndarray  # (years + 1, n) EUR
    class_length: np.ndarray  # (years + 1, quarters + 1, 5) expected length per colour class
    mean_value: np.ndarray  # (years + 1, quarters + 1) length-weighted
    spent: np.ndarray  # (years + 1, quarters + 1) EUR
    backlog: np.ndarray  # (years + 1, quarters + 1) EUR


def expected_forecast(network: Network, start_value: np.ndarray, years: int, budget: float) -> Expected:
    """The deterministic forecast v(t+1) = v(t) P, with treatments picked on the expected values."""
    count, places = len(network), network.quarters + 1
    distribution = spread_value(start_value)
    matrices = [transition_matrix(stay) for stay in network.stay]
    result = Expected(np.empty((years + 1, count)), np.full((years + 1, count), NONE),
                      np.zeros((years + 1, count)), np.zeros((years + 1, places, CLASSES)),
                      np.zeros((years + 1, places)), np.zeros((years + 1, places)),
                      np.zeros((years + 1, places)))
    _record_expected(network, distribution, result, 0)
    for year in range(1, years + 1):
        state = state_of(distribution @ MIDPOINTS)
        chosen, treatment = _choose(network, state, budget)
        result.treatment[year, chosen] = treatment
        result.cost[year, chosen] = network.cost[chosen, treatment]
        distribution[chosen] = _treated(distribution[chosen], treatment)
        for chain, matrix in enumerate(matrices):
            mine = network.chain == chain
            distribution[mine] = distribution[mine] @ matrix
        _record_expected(network, distribution, result, year)
        result.spent[year] = _per_place(network, result.cost[year])
    return result


def _choose(network: Network, state: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments treated this year (in strategy order) and their treatments."""
    bucket = network.ranks[network.group, state]
    position = np.empty(len(network), dtype=np.int64)
    position[network.tie_order] = np.arange(len(network))
    candidates = np.flatnonzero(bucket >= 0)
    candidates = candidates[np.lexsort((position[candidates], bucket[candidates]))]
    treatment = NEEDED[state[candidates]]
    costs = network.cost[candidates, treatment]
    chosen = select_within_budget(costs, float(budget))
    return candidates[chosen], treatment[chosen]


def _treated(distribution: np.ndarray, treatment: np.ndarray) -> np.ndarray:
    """State probabilities after a treatment: crack sealing lifts one state, the rest reset."""
    treated = np.zeros_like(distribution)
    treated[:, 0] = 1.0
    sealing = treatment == 0
    lifted = distribution[sealing]
    treated[sealing, :-1] = lifted[:, 1:]
    treated[sealing, 0] += lifted[:, 0]
    treated[sealing, -1] = 0.0
    return treated


def _record_expected(network: Network, distribution: np.ndarray, result: Expected, year: int) -> None:
    value = distribution @ MIDPOINTS
    result.value[year] = value
    length = network.length[:, None] * distribution
    for colour in range(CLASSES):
        in_class = length[:, colour == STATE_CLASS].sum(axis=1)
        result.class_length[year, :, colour] = _per_place(network, in_class)
    total = _per_place(network, network.length)
    result.mean_value[year] = _per_place(network, network.length * value) / np.where(total > 0, total, np.nan)
    needed = np.maximum(NEEDED, 0)
    backlog = (distribution[:, PAST_WARNING] * network.cost[:, needed[PAST_WARNING]]).sum(axis=1)
    result.backlog[year] = _per_place(network, backlog)


def _per_place(network: Network, values: np.ndarray) -> np.ndarray:
    """Sums per quarter, then over the whole network."""
    inside = network.quarter >= 0
    sums = np.bincount(network.quarter[inside], values[inside], minlength=network.quarters)
    return np.append(sums, values.sum())


@dataclass
class MonteCarlo:
    """Per run, year and quarter (last index: whole network)."""

    mean_value: np.ndarray  # (runs, years + 1, quarters + 1)
    class_length: np.ndarray  # (runs, years + 1, quarters + 1, 5)
    spent: np.ndarray  # (runs, years + 1, quarters + 1)
    backlog: np.ndarray  # (runs, years + 1, quarters + 1)


def monte_carlo(network: Network, start_value: np.ndarray, years: int, budget: float, runs: int,
                seed: int) -> MonteCarlo:
    """Seeded runs of the chain with the strategy; the same seed gives the same runs on any core count."""
    lower, upper_share = nearest_states(start_value)
    places = network.quarters + 1
    value_sum = np.zeros((runs, years + 1, places))
    class_length = np.zeros((runs, years + 1, places, CLASSES))
    spent = np.zeros((runs, years + 1, places))
    backlog = np.zeros((runs, years + 1, places))
    _monte_carlo(lower, upper_share, MIDPOINTS, network.stay, network.chain, network.group, network.ranks,
                 network.tie_order, network.cost, NEEDED, AFTER, STATE_CLASS, PAST_WARNING,
                 network.quarter, network.length, years, float(budget), np.uint64(seed),
                 value_sum, class_length, spent, backlog)
    total_length = class_length[0, 0].sum(axis=1)
    mean_value = value_sum / np.where(total_length > 0, total_length, np.nan)
    return MonteCarlo(mean_value, class_length, spent, backlog)


@numba.njit(cache=True)
def _uniform(seed: np.uint64, counter: np.uint64) -> float:
    """A uniform number in [0, 1) from a seed and a counter (SplitMix64): order-free, so runs
    in parallel give what they give in sequence."""
    z = seed + counter * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(parallel=True, cache=True)
def _monte_carlo(lower, upper_share, midpoints, stay, chain, group, ranks, tie_order, cost, needed, after,
                 state_class, past_warning, quarter, length, years, budget, seed, value_sum, class_length,
                 spent,
                 backlog):  # pragma: no cover - numba
    runs, count = value_sum.shape[0], len(length)
    buckets = ranks.size
    for run in numba.prange(runs):
        state = np.empty(count, dtype=np.int64)
        base = np.uint64(run) * np.uint64(years + 1) * np.uint64(count)
        for i in range(count):
            state[i] = lower[i] + (1 if _uniform(seed, base + np.uint64(i)) < upper_share[i] else 0)
        _record(run, 0, state, midpoints, state_class, past_warning, needed, cost, quarter, length, value_sum,
                class_length, backlog)
        slots = np.empty(count, dtype=np.int64)
        for year in range(1, years + 1):
            starts = np.zeros(buckets + 1, dtype=np.int64)
            for i in range(count):
                bucket = ranks[group[i], state[i]]
                if bucket >= 0:
                    starts[bucket + 1] += 1
            for bucket in range(buckets):
                starts[bucket + 1] += starts[bucket]
            candidates = starts[buckets]
            for i in tie_order:  # a counting sort: strategy order, ties in tie-break order
                bucket = ranks[group[i], state[i]]
                if bucket >= 0:
                    slots[starts[bucket]] = i
                    starts[bucket] += 1
            left = budget
            for j in range(candidates):
                i = slots[j]
                price = cost[i, needed[state[i]]]
                if price <= left:
                    left -= price
                    state[i] = after[state[i]]
                    spent[run, year, value_sum.shape[2] - 1] += price
                    if quarter[i] >= 0:
                        spent[run, year, quarter[i]] += price
            counter = base + np.uint64(year) * np.uint64(count)
            for i in range(count):
                if _uniform(seed, counter + np.uint64(i)) >= stay[chain[i], state[i]]:
                    state[i] = min(state[i] + 1, stay.shape[1] - 1)
            _record(run, year, state, midpoints, state_class, past_warning, needed, cost, quarter, length,
                    value_sum, class_length, backlog)


@numba.njit(cache=True)
def _record(run, year, state, midpoints, state_class, past_warning, needed, cost, quarter, length, value_sum,
            class_length, backlog):  # pragma: no cover - numba
    network = value_sum.shape[2] - 1
    for i in range(len(state)):
        value = midpoints[state[i]]
        owed = cost[i, needed[state[i]]] if past_warning[state[i]] else 0.0
        for place in (quarter[i], network):
            if place >= 0:
                value_sum[run, year, place] += length[i] * value
                class_length[run, year, place, state_class[state[i]]] += length[i]
                backlog[run, year, place] += owed
