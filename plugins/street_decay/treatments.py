"""Treatments, their costs and effects, and the yearly budget loop of the maintenance strategies.

Which treatment a state needs follows the PCI bands of CONDITION.md (state i has its PCI
midpoint at 95 - 10 i): >= 88 nothing; 68-88 crack sealing; 47-68 surface renewal (the source's
thin "overlay"); 25-47 overlay (the source's "rehabilitation", a structural overlay);
0-25 reconstruction. Costs are the source's US$ per square yard (Somerville, MA, 2012) per m2
(/ 0.836) in EUR at the 2012 mean rate of 0.78 EUR per US$, not indexed: main roads take the
collector figures, side roads the residential ones. Crack sealing at 1.7 EUR/m2 is of the order
of the German 3.75 EUR per metre of crack at about two metres of crack per m2 of cracked area.
Effects: crack sealing lifts a segment by one state ("a few points only"); the others reset it
to the best state.
"""

from __future__ import annotations

import numba
import numpy as np

from plugins.street_decay.chain import MIDPOINTS, STATES

TREATMENTS = ("crack_sealing", "surface_renewal", "overlay", "reconstruction")
NONE = -1
# The treatment each state needs (index into TREATMENTS, NONE for the best state).
NEEDED = np.array([NONE, 0, 0, 1, 1, 2, 2, 2, 3, 3], dtype=np.int64)
STATES_LIFTED = np.array([1, STATES, STATES, STATES], dtype=np.int64)  # a reset lifts to state 0
COST_MAIN_EUR_M2 = (1.7, 17.3, 85.0, 137.8)
COST_SIDE_EUR_M2 = (1.7, 17.3, 71.7, 130.4)
STRATEGIES = ("do_nothing", "worst_first", "benefit_per_cost")


def state_after(state: np.ndarray) -> np.ndarray:
    """The state a segment is in right after the treatment its state needs."""
    treatment = NEEDED[state]
    lifted = STATES_LIFTED[np.maximum(treatment, 0)]
    return np.where(treatment == NONE, state, np.maximum(state - lifted, 0))


def bucket_ranks(strategy: str, cost_m2: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Rank (0 first) of every (priority group, state) pair under a strategy; -1 where not treated.

    A priority group is a set of segments with the same costs per m2 and the same importance
    weight: the strategy's order then depends only on the group and the state, because the
    segment's area cancels in benefit per cost ((gain x area x weight) / (cost per m2 x area)).
    Worst first orders by state, then weight; benefit per cost by gain x weight / cost per m2.
    """
    groups, states = np.meshgrid(np.arange(len(weight)), np.arange(STATES), indexing="ij")
    treatment = NEEDED[states]
    treated = (treatment != NONE) & (strategy != "do_nothing")
    if strategy == "worst_first":
        key = states * 1e6 + weight[groups]
    else:
        gain = MIDPOINTS[states] - MIDPOINTS[state_after(states)]
        key = gain * weight[groups] / cost_m2[groups, np.maximum(treatment, 0)]
    order = np.argsort(-np.where(treated, key, -np.inf), axis=None, kind="stable")
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(order.size)
    return np.where(treated, ranks.reshape(groups.shape), -1)


@numba.njit(nogil=True, cache=True)
def select_within_budget(costs: np.ndarray, budget: float) -> np.ndarray:
    """Take candidates in the given order while the budget allows; skip those it cannot pay."""
    chosen = np.zeros(len(costs), dtype=np.bool_)
    left = budget
    for i in range(len(costs)):
        if costs[i] <= left:
            chosen[i] = True
            left -= costs[i]
    return chosen
