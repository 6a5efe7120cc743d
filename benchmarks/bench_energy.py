"""Energy balance: a quarter of 2,000 buildings, one year hourly with home batteries.

Compares the numba kernel (parallel over buildings, sums per quarter) with a per-building Python
loop over the hours (measured on 20 buildings and scaled to the quarter), in the same run.
Run: python benchmarks/bench_energy.py
"""

from __future__ import annotations

import time

import numpy as np

from plugins.energy.balance import Battery, building_balances
from plugins.energy.loads import load_profiles
from plugins.energy.pv import ac_output_per_kwp, sun_and_sky
from plugins.energy.weather import read_reference_year

BUILDINGS, FACES = 2000, 3


def python_loop(demand: np.ndarray, pv: np.ndarray, capacity: float, power: float,
                efficiency: float) -> float:
    step, soc, used = efficiency ** 0.5, 0.0, 0.0
    for load, generation in zip(demand.tolist(), pv.tolist(), strict=True):
        direct = min(load, generation)
        deficit, surplus = load - direct, generation - direct
        discharge = min(deficit, power, soc * step)
        soc -= discharge / step
        charge = min(surplus, power, (capacity - soc) / step)
        soc += charge * step
        used += direct + discharge
    return used


def main() -> None:
    rng = np.random.default_rng(7)
    weather = read_reference_year()
    started = time.perf_counter()
    profiles = load_profiles(2023, weather)
    yields = ac_output_per_kwp(sun_and_sky(weather), rng.uniform(0, 45, 200), rng.uniform(0, 360, 200))
    setup = time.perf_counter() - started
    stack = np.stack([profiles["H25"], profiles["G25"], profiles["hospital"]])
    profile_of = rng.integers(0, 2, BUILDINGS)
    annual = rng.uniform(2_000, 60_000, BUILDINGS)
    start = np.arange(BUILDINGS + 1) * FACES
    classes, kwp = rng.integers(0, 200, BUILDINGS * FACES), rng.uniform(1, 20, BUILDINGS * FACES)
    capacity = np.bincount(np.repeat(np.arange(BUILDINGS), FACES), weights=kwp)
    battery = Battery(capacity, capacity * 0.5, 0.9)
    groups = rng.integers(0, 3, BUILDINGS)
    building_balances(stack[:, :48], profile_of[:2], annual[:2], yields[:, :48], start[:3], classes, kwp,
                      Battery(capacity[:2], capacity[:2], 0.9), groups[:2], 3)  # compile
    started = time.perf_counter()
    balances = building_balances(stack, profile_of, annual, yields, start, classes, kwp, battery, groups, 3)
    kernel = time.perf_counter() - started
    sample = 20
    started = time.perf_counter()
    for b in range(sample):
        demand = stack[profile_of[b]] * annual[b]
        pv = (yields[classes[start[b]:start[b + 1]]] * kwp[start[b]:start[b + 1], None]).sum(axis=0)
        used = python_loop(demand, pv, capacity[b], capacity[b] * 0.5, 0.9)
        assert abs(used - balances.yearly[b, 0] - balances.yearly[b, 3]) < 1e-6 * max(used, 1.0)
    loop = (time.perf_counter() - started) / sample * BUILDINGS
    print(f"profiles, sun and 200 PV orientations: {setup:.2f} s (once per run)")
    print(f"numba kernel, {BUILDINGS} buildings x 8760 h with batteries: {kernel:.3f} s")
    print(f"per-building Python loop (scaled from {sample}): {loop:.1f} s; ratio {loop / kernel:.0f}x")


if __name__ == "__main__":
    main()
