"""Street decay on a city-sized network: 100,000 segments, 30 years, 1,000 Monte-Carlo runs on 2 cores.

Baseline, measured in the same run: the same Monte-Carlo forecast (same chains, strategy and
budget) as a plain per-segment Python loop, timed on a subset and scaled linearly to the full
size (linear scaling ignores the loop's per-year sort, which only flatters the baseline).
CPU time is printed beside wall time: on a shared machine the wall time is inflated by others' load.
Then the calibration (the hidden Markov model fitted by EM) and the back-test on the same network
with a rating history: four campaigns 2012-2024, rating noise 0.15.
Usage: python benchmarks/bench_street_decay.py [--segments N] [--runs R]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace

import numba
import numpy as np
import shapely

from plugins.street_decay.backtest import back_test
from plugins.street_decay.chain import STATE_WIDTH, STATES, default_stay, nearest_states
from plugins.street_decay.forecast import AFTER, AFTER_WORSE_SHARE, expected_forecast, monte_carlo
from plugins.street_decay.network import build_network, chain_stays, start_condition
from plugins.street_decay.simulation import StreetDecaySimulation
from plugins.street_decay.treatments import NEEDED
from twin.core.data import Inspections, StreetData
from twin.core.quarter import Quarter

YEARS = 30


def city(count: int, rng: np.random.Generator) -> StreetData:
    """Segments of 40-160 m on a 10 km square with demo-like attributes and a measured rut depth."""
    x, y = rng.uniform(0, 10_000, count), rng.uniform(0, 10_000, count)
    length = rng.uniform(40, 160, count)
    lines = shapely.linestrings(np.stack([np.column_stack([x, y]), np.column_stack([x + length, y])], axis=1))
    main = rng.random(count) < 0.25
    return StreetData(ids=np.arange(count).astype(str), geometries=lines, crs="EPSG:25833", attributes={
        "road_class": np.where(main, "main", "side"),
        "surface": np.where(main | (rng.random(count) < 0.8), "asphalt", "paving"),
        "width_m": np.where(main, 12.0, 6.5),
        "rut_depth_mm": rng.gamma(2.0, 4.0, count),
        "tram_route": main & (rng.random(count) < 0.4),
        "bus_route": rng.random(count) < 0.2,
        "school_route": rng.random(count) < 0.1,
    })


def with_history(streets: StreetData, rng: np.random.Generator) -> StreetData:
    """The city with ratings of four campaigns (2012-2024): segments age on the side-road chain, each
    rating is the true value (uniform within its state) plus noise of 0.15, to one decimal."""
    count, stay = len(streets), default_stay("side", "asphalt")
    state, ratings = rng.integers(0, 5, count), []
    for campaign in range(4):
        for _year in range(4 if campaign else 0):
            state = np.minimum(state + (rng.random(count) >= stay[state]), STATES - 1)
        value = 1.0 + STATE_WIDTH * (state + rng.random(count)) + rng.normal(0.0, 0.15, count)
        ratings.append(np.round(np.clip(value, 1.0, 5.0), 1))
    dates = np.array([f"{year}-06-01" for year in (2012, 2016, 2020, 2024)], dtype="datetime64[D]")
    history = Inspections(segment=np.tile(np.arange(count), 4), rating=np.concatenate(ratings),
                          date=np.repeat(dates, count))
    return replace(streets, inspections=history)


def time_calibration(streets: StreetData) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    _, report = chain_stays(streets, calibrate=True, prior_years=30.0, sigma=0.15)
    calibrated, calibrated_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    tested, _ = back_test(streets, 30.0, 0.15, 2020, 2024)
    side = report["side/asphalt"]
    print(f"calibration (HMM, EM) on {len(streets)} segments x 4 campaigns: {calibrated:.2f} s "
          f"(CPU {calibrated_cpu:.2f} s); side/asphalt: {side['years_new_to_warning']} years "
          f"new to 3.5 (curve {side['family_curve_years_new_to_warning']})")
    tested_seconds, tested_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"back-test 2020 -> 2024: {tested_seconds:.2f} s (CPU {tested_cpu:.2f} s); "
          f"{tested['segments']} segments, mean error {tested['mean_error']}, "
          f"mean absolute error {tested['mean_absolute_error']}")


def python_loop(network, start_value: np.ndarray, budget: float, runs: int, seed: int) -> float:
    """The Monte-Carlo forecast one segment at a time in plain Python; returns the last mean value."""
    generator = random.Random(seed)
    stay, ranks, cost = network.stay.tolist(), network.ranks.tolist(), network.cost.tolist()
    chain, group, length = network.chain.tolist(), network.group.tolist(), network.length.tolist()
    position = {segment: place for place, segment in enumerate(network.tie_order.tolist())}
    needed, after, worse = NEEDED.tolist(), AFTER.tolist(), AFTER_WORSE_SHARE.tolist()
    lower, upper_share = (values.tolist() for values in nearest_states(start_value))
    mean = 0.0
    for _ in range(runs):
        state = [low + (generator.random() < up) for low, up in zip(lower, upper_share, strict=True)]
        for _year in range(YEARS):
            candidates = sorted((ranks[group[i]][state[i]], position[i], i) for i in range(len(state))
                                if ranks[group[i]][state[i]] >= 0)
            left = budget
            for _rank, _place, i in candidates:
                price = cost[i][needed[state[i]]]
                if price <= left:
                    left -= price
                    state[i] = after[state[i]] + (generator.random() < worse[state[i]])
            for i in range(len(state)):
                if state[i] < 9 and generator.random() >= stay[chain[i]][state[i]]:
                    state[i] += 1
        mean = sum(length[i] * (1.2 + 0.4 * state[i]) for i in range(len(state))) / sum(length)
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(2026)
    streets = city(args.segments, rng)
    quarters = [Quarter(f"Q{i}", shapely.box(i * 2500, 0, (i + 1) * 2500, 10_000)) for i in range(4)]
    params = StreetDecaySimulation.defaults()
    budget = 0.02 * args.segments * 100 * 8 * 20  # money for about 2 % of the area a year at 20 EUR/m2
    started, cpu_started = time.perf_counter(), time.process_time()
    stays, _ = chain_stays(streets, calibrate=False, prior_years=30.0, sigma=0.15)
    network = build_network(streets, quarters, stays, params)
    start = start_condition(streets, 2026)
    prepared = time.perf_counter() - started
    small = city(200, rng)  # compile the kernels first (cached after the first run); not timed
    compile_cpu = time.process_time()
    small_network, small_start = build_network(small, quarters, stays, params), start_condition(small, 2026)
    monte_carlo(small_network, small_start, 2, 1e4, 2, 0)
    expected_forecast(small_network, small_start, 2, 1e4)
    cpu_started += time.process_time() - compile_cpu
    started, cpu_mark = time.perf_counter(), time.process_time()
    expected = expected_forecast(network, start, YEARS, budget)
    expected_seconds = time.perf_counter() - started
    started, cpu_expected = time.perf_counter(), time.process_time() - cpu_mark
    spread = monte_carlo(network, start, YEARS, budget, args.runs, seed=7)
    mc_seconds, cpu_mc = time.perf_counter() - started, time.process_time() - cpu_mark - cpu_expected
    cpu_total = time.process_time() - cpu_started

    subset, subset_runs = 2_000, 2
    sub_streets = city(subset, np.random.default_rng(1))
    sub_network = build_network(sub_streets, quarters, stays, params)
    sub_start = start_condition(sub_streets, 2026)
    started = time.perf_counter()
    python_loop(sub_network, sub_start, budget * subset / args.segments, subset_runs, seed=7)
    loop_seconds = time.perf_counter() - started
    scaled = loop_seconds * (args.segments / subset) * (args.runs / subset_runs)

    print(f"network: {args.segments} segments, {YEARS} years, strategy {params['strategy']}, "
          f"budget {budget:,.0f} EUR/year, {numba.get_num_threads()} threads")
    print(f"preparation (rating, chains, network): {prepared:.2f} s")
    print(f"expected forecast:                     {expected_seconds:.2f} s (CPU {cpu_expected:.2f} s)")
    print(f"Monte-Carlo, {args.runs} runs:               {mc_seconds:.2f} s (CPU {cpu_mc:.2f} s; "
          f"{args.runs * args.segments * YEARS / mc_seconds / 1e6:.0f} M segment-years/s)")
    print(f"total:                                 {prepared + expected_seconds + mc_seconds:.2f} s "
          f"(CPU {cpu_total:.2f} s, i.e. {cpu_total / numba.get_num_threads():.2f} s on "
          f"{numba.get_num_threads()} idle cores)")
    print(f"plain Python loop: {loop_seconds:.2f} s for {subset} segments x {subset_runs} runs, "
          f"scaled to the full size: {scaled:,.0f} s")
    print(f"speed-up of the Monte-Carlo kernel over the loop: {scaled / mc_seconds:,.0f}x")
    low, high = np.percentile(spread.mean_value[:, -1, -1], [5, 95])
    print(f"mean condition year 0 -> {YEARS}: expected {expected.mean_value[0, -1]:.2f} -> "
          f"{expected.mean_value[-1, -1]:.2f}, Monte-Carlo p05-p95 in year {YEARS}: {low:.2f}-{high:.2f}")
    time_calibration(with_history(streets, rng))


if __name__ == "__main__":
    main()
