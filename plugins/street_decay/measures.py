"""Proposed street works as planned treatments of the street-decay forecast (docs/proposals.md).

A `street_works` measure treats its segments in its year, whatever the strategy would have chosen:
at the planned year the named segments' condition is lifted as the treatment lifts it
(treatments.py: reconstruction to new, surface renewal and overlay to "good", crack sealing by
0.2), and its cost (the segment's price of that treatment, indexed to the run's prices) is spent
in that year on top of the strategy's budget. The planned segments are forecast on their own,
without the strategy, in stages between their works' years (a stage starts from the expected
value split between the two nearest states, exact after a reconstruction or renewal, which land
on a state's midpoint); every other segment keeps the forecast of the run without the works. So
with a budget, the money the strategy would have spent on the planned segments is not passed on to
others, and the backlog is that of the run without the works. The Monte-Carlo spread is not
computed for a run with planned works; the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from plugins.street_decay.chain import MIDPOINTS
from plugins.street_decay.forecast import Expected, Network, _length_weighted, _places, expected_forecast
from plugins.street_decay.treatments import CRACK_SEALING_LIFT, TREATMENTS
from twin.core.data import StreetData
from twin.core.proposals import ProposalSet
from twin.sim.proposal_inputs import proposals_record, segment_rows

KINDS = ("street_works",)
NO_SPREAD = "no Monte-Carlo spread: the run has planned street works"


@dataclass(frozen=True)
class Work:
    """A planned treatment: the year's row in the forecast, the segments' rows, the treatment."""

    measure: str
    year_index: int
    rows: np.ndarray
    treatment: int


def planned_works(proposals: ProposalSet | None, streets: StreetData, start_year: int,
                  horizon: int) -> tuple[list[Work], dict[str, str]]:
    """The works within the forecast's years, and the measures outside them with the reason."""
    works, outside = [], {}
    for measure in proposals.of_kind("street_works") if proposals else ():
        rows = segment_rows(measure, streets)
        index = measure.parameters["year"] - start_year
        if not 0 <= index <= horizon:
            outside[measure.id] = (f"its year {measure.parameters['year']} lies outside the forecast "
                                   f"({start_year}-{start_year + horizon})")
            continue
        works.append(Work(measure.id, index, rows, TREATMENTS.index(measure.parameters["treatment"])))
    return sorted(works, key=lambda work: work.year_index), outside


def record(proposals: ProposalSet, works: list[Work], outside: dict[str, str]) -> dict[str, object]:
    return proposals_record(proposals, [work.measure for work in works], outside, "street decay")


def lifted(value: np.ndarray, treatment: int) -> np.ndarray:
    """The condition value after a treatment (never worse than before)."""
    if TREATMENTS[treatment] == "reconstruction":
        after = np.full_like(value, MIDPOINTS[0])
    elif TREATMENTS[treatment] == "crack_sealing":
        after = np.maximum(value - CRACK_SEALING_LIFT, MIDPOINTS[1])
    else:
        after = np.full_like(value, MIDPOINTS[1])
    return np.minimum(after, value)


def forecast_with_works(network: Network, start: np.ndarray, years: int, budget: float,
                        works: list[Work]) -> Expected:
    """The expected forecast with the planned works done in their years (see the module text)."""
    plain = expected_forecast(network, start, years, budget)
    rows = np.unique(np.concatenate([work.rows for work in works]))
    part = _subnetwork(network, rows)
    local = {row: index for index, row in enumerate(rows)}
    moved = [Work(w.measure, w.year_index, np.array([local[r] for r in w.rows]), w.treatment) for w in works]
    alone = expected_forecast(part, start[rows], years, 0.0)
    treated = _staged(part, start[rows], years, moved)
    merged = Expected(plain.value.copy(), plain.treated.copy(), plain.cost.copy(),
                      plain.class_length - alone.class_length + treated.class_length, plain.mean_value.copy(),
                      plain.spent.copy(), plain.backlog.copy())
    merged.value[:, rows], merged.treated[:, rows] = treated.value, treated.treated
    _take_out_costs(merged, network, rows)
    total = merged.class_length[0].sum(axis=1)
    merged.mean_value = _length_weighted(network, merged.value) / np.where(total > 0, total, np.nan)
    _book_costs(merged, network, works)
    return merged


def _staged(network: Network, start: np.ndarray, years: int, works: list[Work]) -> Expected:
    """The forecast of the treated segments alone, no budget, in stages between the works' years."""
    value = np.asarray(start, dtype=float).copy()
    stages: list[tuple[int, Expected]] = []
    bounds = sorted({work.year_index for work in works} | {0, years})
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        value = _apply(value, works, first)
        stage = expected_forecast(network, value, last - first, 0.0)
        stages.append((first, stage))
        value = stage.value[-1]
    if len(bounds) == 1:  # a zero-year forecast
        stages.append((0, expected_forecast(network, _apply(value, works, 0), 0, 0.0)))
    merged = _merged(stages, years)
    if years > 0 and any(work.year_index == years for work in works):  # no stage starts in the last year
        merged.value[years] = _apply(merged.value[years], works, years)
    return merged


def _subnetwork(network: Network, rows: np.ndarray) -> Network:
    """The network of some segments only, in the tie-break order they had."""
    position = np.empty(len(network), dtype=np.int64)
    position[network.tie_order] = np.arange(len(network))
    return replace(network, length=network.length[rows], area=network.area[rows],
                   quarter=network.quarter[rows], chain=network.chain[rows], group=network.group[rows],
                   cost=network.cost[rows],
                   tie_order=np.argsort(position[rows], kind="stable"))


def _take_out_costs(expected: Expected, network: Network, rows: np.ndarray) -> None:
    """The strategy's spending on the planned segments, which the planned works replace."""
    places = _places(network)
    for year in range(len(expected.cost)):
        cost = expected.cost[year, rows]
        inside = places[rows] < network.quarters
        np.add.at(expected.spent[year], places[rows][inside], -cost[inside])
        expected.spent[year, -1] -= cost.sum()
        expected.cost[year, rows] = 0.0


def _apply(value: np.ndarray, works: list[Work], year_index: int) -> np.ndarray:
    value = value.copy()
    for work in works:
        if work.year_index == year_index:
            value[work.rows] = lifted(value[work.rows], work.treatment)
    return value


def _merged(stages: list[tuple[int, Expected]], years: int) -> Expected:
    """One Expected from the stages: each gives its rows up to the next stage's first year."""
    names = ("value", "treated", "cost", "class_length", "mean_value", "spent", "backlog")
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for number, (first, stage) in enumerate(stages):
        rows = (stages[number + 1][0] - first) if number + 1 < len(stages) else years + 1 - first
        for name in names:
            parts[name].append(getattr(stage, name)[:rows])
    return Expected(**{name: np.concatenate(parts[name]) for name in names})


def _book_costs(expected: Expected, network: Network, works: list[Work]) -> None:
    """The planned works' treatments and costs in their years, per segment and place."""
    places = _places(network)
    for work in works:
        cost = network.cost[work.rows, work.treatment]
        expected.treated[work.year_index, work.rows, work.treatment] = 1.0
        expected.cost[work.year_index, work.rows] += cost
        inside = places[work.rows] < network.quarters  # the last place is the whole network
        np.add.at(expected.spent[work.year_index], places[work.rows][inside], cost[inside])
        expected.spent[work.year_index, -1] += cost.sum()
