"""The compiled year loops of the two forecast modes (numba); forecast.py prepares their arrays.

Segments come in tie-break order (more important first), so the strategy's order within a
rank bucket is the array order and a counting sort by bucket gives the strategy's full order.
Every function releases the GIL (nogil): the desktop app runs forecasts in a worker thread.
"""

from __future__ import annotations

import numba
import numpy as np

STATES = 10
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
TREATMENT_STREAM = np.uint64(0xD1B54A32D192ED03)  # the treatments' draws: a stream apart from the ageing


@numba.njit(nogil=True, cache=True)
def random_bits(seed: np.uint64, counter: np.uint64) -> np.uint64:
    """32 random bits from a seed and a counter (SplitMix64): order-free, so runs in parallel give
    what they give in sequence."""
    z = seed + counter * GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


@numba.njit(parallel=True, nogil=True, cache=True)
def monte_carlo_runs(chunks, lower, upper_odds, stay_odds, chain, group, ranks, bucket_min, cost, needed,
                     after, after_worse_odds, state_class, past_warning, midpoints, place, length_um, budget,
                     seed, value_sum, class_length, spent, backlog):  # pragma: no cover - numba
    """Runs of the chain under the strategy, `chunks` of them at a time in parallel.

    `lower`/`upper_odds`: each segment starts in state lower or lower + 1, the latter when its
    32 random bits fall below upper_odds. `stay_odds[chain, state]`: a segment stays when its
    bits fall below it (2**32 for the worst state, which keeps everything). Run r, year y and
    segment s draw from counter (r * (years + 1) + y) * segments + s, whatever the chunking (its
    ageing from the seed, its treatment from the seed xor TREATMENT_STREAM). A treated segment
    lands in state after[s] or, when its bits fall below after_worse_odds[s], one state worse.
    Each run keeps its length per place and state (in micrometres) and its backlog per place (in cents)
    as exact integers, updated only where a segment changes state. Results per run, year and
    place (quarters, then the whole network) go to the last four arrays.
    """
    runs, years, places = value_sum.shape[0], value_sum.shape[1] - 1, value_sum.shape[2]
    count, buckets = len(length_um), ranks.size
    cheapest_after = bucket_min.copy()
    for rank in range(buckets - 2, -1, -1):
        cheapest_after[rank] = min(bucket_min[rank], cheapest_after[rank + 1])
    for chunk in numba.prange(chunks):
        state = np.empty(count, dtype=np.uint8)
        aged = np.empty(count, dtype=np.uint8)
        bucket = np.empty(count, dtype=np.int32)
        slots = np.empty(count, dtype=np.int32)
        members = np.empty(buckets, dtype=np.int64)
        starts = np.empty(buckets + 1, dtype=np.int64)
        fill = np.empty(buckets, dtype=np.int64)
        tally = np.empty((places, STATES), dtype=np.int64)  # the network row holds the segments outside
        owed = np.empty(places, dtype=np.int64)
        for run in range(chunk, runs, chunks):
            counter = np.uint64(run) * np.uint64(years + 1) * np.uint64(count)
            for i in range(count):
                up = random_bits(seed, counter + np.uint64(i)) < upper_odds[i]
                state[i] = lower[i] + (1 if up else 0)
            _tally(state, group, ranks, cost, needed, past_warning, place, length_um, bucket, members, tally,
                   owed)
            _record(run, 0, tally, owed, midpoints, state_class, value_sum, class_length, backlog)
            for year in range(1, years + 1):
                counter += np.uint64(count)
                _spend(run, year, state, bucket, slots, members, starts, fill, bucket_min, cheapest_after,
                       group, ranks, cost, needed, after, after_worse_odds, seed ^ TREATMENT_STREAM, counter,
                       past_warning, place, length_um, tally, owed, budget, spent)
                for i in range(count):  # no branches: the compiler vectorises it
                    stays = random_bits(seed, counter + np.uint64(i)) < stay_odds[chain[i], state[i]]
                    aged[i] = state[i] + (0 if stays else 1)
                for i in range(count):
                    if aged[i] != state[i]:
                        _move(i, state[i], aged[i], state, group, ranks, cost, needed, past_warning, place,
                              length_um, bucket, members, tally, owed)
                _record(run, year, tally, owed, midpoints, state_class, value_sum, class_length, backlog)


@numba.njit(nogil=True, cache=True, inline="always")
def _owed_cents(cost, needed, past_warning, i, here):  # pragma: no cover - numba
    """What bringing segment i in state `here` back to good adds to the backlog, in cents."""
    return np.int64(cost[i, needed[here]] * 100.0 + 0.5) if past_warning[here] else np.int64(0)


@numba.njit(nogil=True, cache=True)
def _tally(state, group, ranks, cost, needed, past_warning, place, length_um, bucket, members, tally,
           owed):  # pragma: no cover - numba
    """Count every segment from scratch: length per place and state, backlog, strategy buckets."""
    tally[:] = 0
    owed[:] = 0
    members[:] = 0
    for i in range(len(state)):
        here = state[i]
        tally[place[i], here] += length_um[i]
        owed[place[i]] += _owed_cents(cost, needed, past_warning, i, here)
        bucket[i] = ranks[group[i], here]
        if bucket[i] >= 0:
            members[bucket[i]] += 1


@numba.njit(nogil=True, cache=True, inline="always")
def _move(i, old, new, state, group, ranks, cost, needed, past_warning, place, length_um, bucket, members,
          tally, owed):  # pragma: no cover - numba
    """Segment i goes from state `old` to `new`: update its state and the counts it is in."""
    state[i] = new
    tally[place[i], old] -= length_um[i]
    tally[place[i], new] += length_um[i]
    owed[place[i]] += _owed_cents(cost, needed, past_warning, i, new) - _owed_cents(cost, needed,
                                                                                    past_warning, i, old)
    if bucket[i] >= 0:
        members[bucket[i]] -= 1
    bucket[i] = ranks[group[i], new]
    if bucket[i] >= 0:
        members[bucket[i]] += 1


@numba.njit(nogil=True, cache=True)
def _spend(run, year, state, bucket, slots, members, starts, fill, bucket_min, cheapest_after, group, ranks,
           cost, needed, after, after_worse_odds, seed, counter, past_warning, place, length_um, tally, owed,
           budget, spent):  # pragma: no cover - numba
    """Treat candidates in strategy order while the budget allows, skipping those it cannot pay.

    A counting sort by bucket puts them in order (ties in array order, the tie-break order).
    `bucket_min[rank]` is the cheapest price a segment in a bucket can have, `cheapest_after[rank]`
    the cheapest in that bucket and all after it: below them nothing more can be paid.
    """
    buckets = len(members)
    starts[0] = 0
    for rank in range(buckets):
        starts[rank + 1] = starts[rank] + members[rank]
    if starts[buckets] == 0:
        return
    fill[:] = starts[:-1]
    for i in range(len(state)):
        if bucket[i] >= 0:
            slots[fill[bucket[i]]] = i
            fill[bucket[i]] += 1
    network = spent.shape[2] - 1
    left = budget
    for rank in range(buckets):
        if left < cheapest_after[rank]:
            break
        for j in range(starts[rank], starts[rank + 1]):
            if left < bucket_min[rank]:
                break
            i = slots[j]
            here = state[i]
            price = cost[i, needed[here]]
            if price <= left:
                left -= price
                worse = random_bits(seed, counter + np.uint64(i)) < after_worse_odds[here]
                _move(i, here, after[here] + (1 if worse else 0), state, group, ranks, cost, needed,
                      past_warning, place, length_um, bucket, members, tally, owed)
                spent[run, year, network] += price
                if place[i] < network:
                    spent[run, year, place[i]] += price


@numba.njit(nogil=True, cache=True)
def _record(run, year, tally, owed, midpoints, state_class, value_sum, class_length,
            backlog):  # pragma: no cover - numba
    """One run-year's figures per quarter; the network row sums every place, outside included."""
    network = tally.shape[0] - 1
    for where in range(tally.shape[0]):
        for here in range(STATES):
            length = tally[where, here] / 1e6
            value_sum[run, year, where] += length * midpoints[here]
            class_length[run, year, where, state_class[here]] += length
            if where < network:
                value_sum[run, year, network] += length * midpoints[here]
                class_length[run, year, network, state_class[here]] += length
        backlog[run, year, where] += owed[where] / 100.0
        if where < network:
            backlog[run, year, network] += owed[where] / 100.0


@numba.njit(nogil=True, cache=True)
def expected_years(start, stay, chain, group, ranks, cost, needed, after, after_worse, state_class,
                   past_warning, midpoints, place, length, budget, value, treated, expected_cost,
                   class_length, spent, backlog):  # pragma: no cover - numba
    """The expected forecast: every year the strategy, then one step of the chain, on state probabilities.

    The strategy takes (segment, state) pairs in its order, each as the probability mass the
    segment has in that state: where what is left covers the segment's full price (as a run
    decides), the mass is treated at the expected cost mass x price; else it is passed over. The
    treated mass lands in state after[s], the share after_worse[s] of it one state worse.
    `start` (segments, states) holds the state probabilities in year 0. Per segment and year
    come out the expected value, the mass treated by each treatment and the expected cost; per
    place (quarters, then the network) the length per colour class, the money spent and the backlog.
    """
    years, count, buckets = value.shape[0] - 1, len(length), ranks.size
    before, now = start.copy(), start.copy()
    slots = np.empty(count * STATES, dtype=np.int64)
    starts = np.empty(buckets + 1, dtype=np.int64)
    network = spent.shape[1] - 1
    _record_expected(0, now, cost, needed, state_class, past_warning, midpoints, place, length, value,
                     class_length, backlog)
    for year in range(1, years + 1):
        before[:] = now
        starts[:] = 0
        for i in range(count):
            for here in range(STATES):
                rank = ranks[group[i], here]
                if rank >= 0 and before[i, here] > 0.0:
                    starts[rank + 1] += 1
        for rank in range(buckets):
            starts[rank + 1] += starts[rank]
        candidates = starts[buckets]
        for i in range(count):  # a counting sort: by bucket, ties in array (tie-break) order
            for here in range(STATES):
                rank = ranks[group[i], here]
                if rank >= 0 and before[i, here] > 0.0:
                    slots[starts[rank]] = i * STATES + here
                    starts[rank] += 1
        left = budget
        for j in range(candidates):
            i, here = slots[j] // STATES, slots[j] % STATES
            mass = before[i, here]
            full_price = cost[i, needed[here]]
            price = mass * full_price
            if full_price <= left:
                left -= price
                now[i, here] -= mass
                now[i, after[here]] += mass * (1.0 - after_worse[here])
                now[i, after[here] + 1] += mass * after_worse[here]  # after[s] is at most the ninth state
                treated[year, i, needed[here]] += mass
                expected_cost[year, i] += price
                spent[year, network] += price
                if place[i] < network:
                    spent[year, place[i]] += price
        for i in range(count):
            row = stay[chain[i]]
            for here in range(STATES - 1, 0, -1):  # downwards: each state still reads last year's mass above
                now[i, here] = now[i, here] * row[here] + now[i, here - 1] * (1.0 - row[here - 1])
            now[i, 0] *= row[0]
        _record_expected(year, now, cost, needed, state_class, past_warning, midpoints, place, length, value,
                         class_length, backlog)


@numba.njit(nogil=True, cache=True)
def _record_expected(year, distribution, cost, needed, state_class, past_warning, midpoints, place, length,
                     value, class_length, backlog):  # pragma: no cover - numba
    network = backlog.shape[1] - 1
    for i in range(len(length)):
        expected = 0.0
        owed = 0.0
        for here in range(STATES):
            mass = distribution[i, here]
            expected += mass * midpoints[here]
            class_length[year, network, state_class[here]] += mass * length[i]
            if place[i] < network:
                class_length[year, place[i], state_class[here]] += mass * length[i]
            if past_warning[here]:
                owed += mass * cost[i, needed[here]]
        value[year, i] = expected
        backlog[year, network] += owed
        if place[i] < network:
            backlog[year, place[i]] += owed
