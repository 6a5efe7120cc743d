"""Treatments, their costs and effects, and the yearly budget loop of the maintenance strategies.

Which treatment a state needs follows the PCI bands of CONDITION.md (state i has its PCI
midpoint at 95 - 10 i): >= 88 nothing; 68-88 crack sealing; 47-68 surface renewal (the source's
thin "overlay"); 25-47 overlay (the source's "rehabilitation", a structural overlay);
0-25 reconstruction. Costs are the source's US$ per square yard (Somerville, MA, 2012) per m2
(/ 0.836) in EUR at the 2012 mean rate of 0.78 EUR per US$, so in 2012 prices (COST_PRICE_YEAR;
a run scales them to its start year with the road-building price index, prices.py): main roads
take the collector figures, side roads the residential ones. Crack sealing at 1.7 EUR/m2 is of the order
of the German 3.75 EUR per metre of crack at about two metres of crack per m2 of cracked area.
Effects (CONDITION.md: "reconstruction: to new; patching: a few points only"): crack sealing
lifts the condition value by 0.2 (5 PCI points, half a state); surface renewal and overlay
renew the surface to "good" (1.6, the middle of the second state, PCI 85) but not to new, because
the base below stays as old as it was; only reconstruction makes a segment new (1.2, the best
state). No treatment but reconstruction lifts a segment into the best state: crack sealing a
segment in the second state gains nothing and is not chosen. The 0.2 and 1.6 are this model's
reading of the sheet, not published figures. A lifted value between two state midpoints is
split between the two states (as a rated start value is), so crack sealing moves half of a
segment's chance one state up in the expected forecast, and in a Monte-Carlo run lifts a segment
one state with even odds.
"""

from __future__ import annotations

import numba
import numpy as np

from plugins.street_decay.chain import MIDPOINTS, STATES, nearest_states

TREATMENTS = ("crack_sealing", "surface_renewal", "overlay", "reconstruction")
NONE = -1
# The treatment each state needs (index into TREATMENTS, NONE for the best state).
NEEDED = np.array([NONE, 0, 0, 1, 1, 2, 2, 2, 3, 3], dtype=np.int64)
CRACK_SEALING_LIFT = 0.2  # condition points: "a few points only" (5 of 100 PCI points)
# The value each treatment leaves (crack sealing: value_after): renewal and overlay good, reconstruction new.
VALUE_AFTER = (np.nan, MIDPOINTS[1], MIDPOINTS[1], MIDPOINTS[0])
COST_PRICE_YEAR = 2012  # the prices the costs below are in
COST_MAIN_EUR_M2 = (1.7, 17.3, 85.0, 137.8)
COST_SIDE_EUR_M2 = (1.7, 17.3, 71.7, 130.4)
STRATEGIES = ("do_nothing", "worst_first", "benefit_per_cost")


def value_after(state: np.ndarray) -> np.ndarray:
    """The condition value right after the treatment each state needs (the state's own midpoint
    where it needs none or gains nothing: never worse than before)."""
    state = np.asarray(state)
    treatment = NEEDED[state]
    sealed = np.maximum(MIDPOINTS[state] - CRACK_SEALING_LIFT, MIDPOINTS[1])
    renewed = np.asarray(VALUE_AFTER)[np.maximum(treatment, 0)]
    value = np.where(treatment == 0, sealed, np.where(treatment == NONE, MIDPOINTS[state], renewed))
    return np.minimum(value, MIDPOINTS[state])


def states_after(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a treated segment lands: the better of two neighbouring states and the chance of the
    worse one (0 where it lands on a midpoint), split so the expected value is value_after."""
    return nearest_states(value_after(state))


def gain(state: np.ndarray) -> np.ndarray:
    """Condition points the treatment each state needs gains at once (0: nothing to gain)."""
    return MIDPOINTS[np.asarray(state)] - value_after(state)


def bucket_ranks(strategy: str, cost_m2: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Rank (0 first) of every (priority group, state) pair under a strategy; -1 where not treated.

    A priority group is a set of segments with the same costs per m2 and the same importance
    weight: the strategy's order then depends only on the group and the state, because the
    segment's area cancels in benefit per cost ((gain x area x weight) / (cost per m2 x area)).
    States whose treatment gains nothing (crack sealing in the second state) are not treated.
    Worst first orders by state, then weight; benefit per cost by gain x weight / cost per m2.
    """
    groups, states = np.meshgrid(np.arange(len(weight)), np.arange(STATES), indexing="ij")
    treatment = NEEDED[states]
    treated = (treatment != NONE) & (gain(states) > 1e-9) & (strategy != "do_nothing")
    if strategy == "worst_first":
        key = states * 1e6 + weight[groups]
    else:
        key = gain(states) * weight[groups] / cost_m2[groups, np.maximum(treatment, 0)]
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
