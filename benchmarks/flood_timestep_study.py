"""How long may the flood solver's time step be? A convergence study of its CFL rule (issue 18).

    python benchmarks/flood_timestep_study.py quarter    [--size 120] [--minutes 30] [--theta T]
    python benchmarks/flood_timestep_study.py itzi       [--size 150] [--minutes 20]
    python benchmarks/flood_timestep_study.py validation

The defaults run in a few minutes; the figures in plugins/flood/VALIDATION.md ("Time step") come
from `quarter --size 250` and `itzi --size 300`, bench_flood's own sizes, run once with nice.

Each case runs with the solver itself (simulate: the rule compiled into plugins/flood/kernels.py)
and then steps the same solver from Python under each rule below and CFL factor alpha, the step
being alpha dx / (the fastest signal speed after the last step):
  cells  the cell's mean face discharge over its own depth, plus sqrt(g h) (the rule before issue
         18): a shoreline film drained to 0.5 mm while its faces pass 0.05 m2/s reads 26-48 m/s
  faces  each face's discharge over that face's flow depth, averaged per direction, plus sqrt(g h)
  bates  sqrt(g h_max) alone (Bates et al. 2010; LISFLOOD-FP and itzi)
Films count as at least kernels.CFL_FILM_DEPTH deep in the first two. Every run lands on the rain's
changes and the end as simulate does. Reported per run: steps, wall and processor seconds, the
deepest maximum depth, the 99th percentile of the maximum depth over the cells ever wet (1 cm),
cells deeper than 10 cm at some time, stored and outflow volumes, the mass error, and the change
of those against the smallest alpha of the faces rule; on the itzi case also against itzi.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_flood import RAIN_MIN, RAIN_MM, SAME, run_itzi, scene, twin_domain
from numba import njit

from plugins.flood import kernels, rain
from plugins.flood.rain import RainSeries, block_rain, no_rain
from plugins.flood.solver import (
    OUTSIDE,
    SEALED,
    UNSEALED,
    Domain,
    FlowState,
    Losses,
    PointInflow,
    Settings,
    flowing,
    simulate,
)

CELLS, FACES, BATES = 0, 1, 2
RULE_NAMES = {CELLS: "cells", FACES: "faces", BATES: "bates"}
# (rule, alpha): the rule before issue 18 at the solver's default, the faces rule down to a tenth
# of that factor, and the textbook rule at its textbook factor
RULES = ((CELLS, 0.5), (FACES, 0.5), (FACES, 0.3), (FACES, 0.2), (FACES, 0.1), (FACES, 0.05), (BATES, 0.7))
WET_M, FLOODED_M = 0.01, 0.1
NO_LOSSES = Losses()
REFERENCE_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "flood" / "swashes_macdonald"


@njit(cache=True, nogil=True, error_model="numpy")
def _flow_depth(z: np.ndarray, h: np.ndarray, ai: int, aj: int, bi: int, bj: int) -> float:
    return max(z[ai, aj] + h[ai, aj], z[bi, bj] + h[bi, bj]) - max(z[ai, aj], z[bi, bj])


@njit(cache=True, nogil=True, error_model="numpy")
def signal_speed(rule: int, z: np.ndarray, h_before: np.ndarray, h: np.ndarray, qx: np.ndarray,
                 qy: np.ndarray, film: float) -> float:
    """The fastest signal speed (m/s) after a step that went from depths `h_before` to `h` with the
    (limited) discharges qx, qy, by `rule`."""
    rows, cols = h.shape
    if rule == BATES:
        return np.sqrt(kernels.GRAVITY * h.max())
    fastest = 0.0
    for i in range(rows):
        north_i, south_i = max(i - 1, 0), min(i + 1, rows - 1)
        for j in range(cols):
            west, east, north, south = qx[i, j], qx[i, j + 1], qy[i, j], qy[i + 1, j]
            if rule == CELLS:
                speed = 0.5 * np.sqrt((west + east) ** 2 + (north + south) ** 2) / max(h[i, j], film)
            else:
                west_j, east_j = max(j - 1, 0), min(j + 1, cols - 1)
                u = (west / max(_flow_depth(z, h_before, i, west_j, i, j), film)
                     + east / max(_flow_depth(z, h_before, i, j, i, east_j), film))
                v = (north / max(_flow_depth(z, h_before, north_i, j, i, j), film)
                     + south / max(_flow_depth(z, h_before, i, j, south_i, j), film))
                speed = 0.5 * np.sqrt(u * u + v * v)
            fastest = max(fastest, np.sqrt(kernels.GRAVITY * h[i, j]) + speed)
    return fastest


@dataclasses.dataclass
class Run:
    """What one run took and gave."""

    label: str
    steps: int
    wall_s: float
    cpu_s: float
    state: FlowState


def step_by_rule(state: FlowState, storm: RainSeries, duration: float, rule: int, alpha: float,
                 settings: Settings, losses: Losses = NO_LOSSES, inflows: tuple[PointInflow, ...] = (),
                 checks: tuple[float, ...] = (), at_check: Callable[[float], None] | None = None) -> int:
    """Step `state` from 0 to `duration` with steps of alpha dx / signal_speed, landing on the rain's
    changes, the `checks` (calling at_check there) and the end; returns the steps taken."""
    domain = state.domain
    stops = np.unique(np.concatenate([storm.change_times(), np.asarray(checks, float), [duration]]))
    stops = stops[(stops > 0.0) & (stops <= duration)]
    h_before = state.h.copy()
    speed = signal_speed(rule, domain.terrain, state.h, state.h, state.qx, state.qy, kernels.CFL_FILM_DEPTH)
    t, steps = 0.0, 0
    for stop in stops:
        while t < stop:
            stable = alpha * domain.cell_size / speed if speed > 0.0 else settings.max_step
            dt = min(stable, settings.max_step, stop - t)
            if stop - (t + dt) < 1e-9 * max(stop, 1.0):
                dt = stop - t
            np.copyto(h_before, state.h)
            state.step(t, dt, storm.rate_at(t), losses, inflows, settings)
            t = stop if dt == stop - t else t + dt
            steps += 1
            speed = signal_speed(rule, domain.terrain, h_before, state.h, state.qx, state.qy,
                                 kernels.CFL_FILM_DEPTH)
        if at_check is not None and stop in checks:
            at_check(stop)
    state.balance.stored = state.stored_volume()
    return steps


def timed(label: str, work: Callable[[], tuple[int, FlowState]]) -> Run:
    wall, cpu = time.perf_counter(), time.process_time()
    steps, state = work()
    run = Run(label, steps, time.perf_counter() - wall, time.process_time() - cpu, state)
    print(f"  {label}: {steps} steps, {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU", flush=True)
    return run


def solver_run(domain: Domain, storm: RainSeries, duration: float,
               settings: Settings) -> tuple[int, FlowState]:
    """The solver's own time loop (simulate), its result wrapped as a state for the figures."""
    result = simulate(domain, storm, duration, settings=settings)
    state = FlowState(domain, result.depth)
    state.max_depth, state.balance = result.max_depth, result.balance
    return result.steps, state


def rule_runs(domain: Domain, storm: RainSeries, duration: float, settings: Settings,
              rules: tuple[tuple[int, float], ...] = RULES) -> list[Run]:
    simulate(domain, storm, min(duration, 60.0), settings=settings)  # compile or load the kernels
    runs = [timed(f"solver (alpha {settings.alpha:g})",
                  lambda: solver_run(domain, storm, duration, settings))]
    for rule, alpha in rules:
        def work(rule: int = rule, alpha: float = alpha) -> tuple[int, FlowState]:
            state = FlowState(domain, None)
            return step_by_rule(state, storm, duration, rule, alpha, settings), state
        runs.append(timed(f"{RULE_NAMES[rule]} {alpha:g}", work))
    return runs


def figures(max_depth: np.ndarray, open_cells: np.ndarray) -> dict[str, float]:
    depths = max_depth[open_cells]
    wet = depths[depths >= WET_M]
    return {"max": float(depths.max()), "p99": float(np.percentile(wet, 99)) if wet.size else 0.0,
            "flooded": int(np.count_nonzero(depths > FLOODED_M))}


def change(value: float, reference: float) -> str:
    return f"{100.0 * (value - reference) / reference:+.1f} %" if reference else "-"


def map_difference(max_depth: np.ndarray, reference: np.ndarray, open_cells: np.ndarray) -> str:
    """Mean and 99th percentile of |difference| of two maximum depth maps over cells wet in either (m)."""
    either = open_cells & ((max_depth >= WET_M) | (reference >= WET_M))
    difference = np.abs(max_depth - reference)[either]
    return f"{difference.mean():.3f} / {np.percentile(difference, 99):.3f}"


def print_table(runs: list[Run], open_cells: np.ndarray, reference: Run,
                other: tuple[str, np.ndarray] | None = None) -> None:
    """One markdown row per run: its figures and their change against `reference` (and `other`)."""
    ref = figures(reference.state.max_depth, open_cells)
    head = ("| run | steps | wall s | CPU s | max depth m | p99 m | cells > 10 cm | stored m3 | outflow m3 "
            "| mass error | max / p99 / cells vs " + reference.label + " | map diff m (mean / p99) |")
    if other is not None:
        head += f" max / p99 / cells vs {other[0]} | map diff vs {other[0]} |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for run in runs:
        own, balance = figures(run.state.max_depth, open_cells), run.state.balance
        row = (f"| {run.label} | {run.steps} | {run.wall_s:.1f} | {run.cpu_s:.1f} | {own['max']:.3f} "
               f"| {own['p99']:.3f} | {own['flooded']} | {balance.stored:.1f} | {balance.boundary:.1f} "
               f"| {balance.relative_error:.1e} | {_changes(own, ref)} "
               f"| {map_difference(run.state.max_depth, reference.state.max_depth, open_cells)} |")
        if other is not None:
            theirs = figures(other[1], open_cells)
            row += f" {_changes(own, theirs)} | {map_difference(run.state.max_depth, other[1], open_cells)} |"
        print(row, flush=True)


def _changes(own: dict[str, float], ref: dict[str, float]) -> str:
    return " / ".join(change(own[key], ref[key]) for key in ("max", "p99", "flooded"))


def reference_run(runs: list[Run]) -> Run:
    """The faces rule at its smallest alpha: the converged answer, if the answers converge."""
    smallest = min(alpha for rule, alpha in RULES if rule == FACES)
    return next(run for run in runs if run.label == f"faces {smallest:g}")


def study_quarter(size: int, minutes: float, theta: float | None) -> None:
    """bench_flood's synthetic quarter at 1 m, open edges, the 100-year 1-hour Euler II storm."""
    heights, transform, buildings = scene(size, 1.0)
    domain, _ = twin_domain(heights, transform, buildings, open_edges=True)
    durations, depths = zip(*rain.DRESDEN_100_YEAR_TABLE, strict=True)
    storm = rain.euler_type2(durations, depths, 60.0)
    settings = Settings() if theta is None else Settings(theta=theta)
    print(f"quarter: {size} x {size} at 1 m, the first {minutes:g} min of the 100-year Euler II storm "
          f"({storm.depth_mm:.1f} mm in 60 min), theta {settings.theta:g}", flush=True)
    runs = rule_runs(domain, storm, minutes * 60.0, settings)
    print_table(runs, flowing(domain.cell_class), reference_run(runs))


def study_itzi(size: int, minutes: float) -> None:
    """bench_flood's itzi case (2 m, buildings masked, closed edges, block rain), against itzi's own
    maximum depths (float64, its rule sqrt(g h_max) at the same alpha 0.5)."""
    heights, transform, buildings = scene(size, 2.0)
    domain, labels = twin_domain(heights, transform, buildings, open_edges=False, masked_buildings=True)
    print(f"itzi case: {size} x {size} at 2 m, {RAIN_MM:g} mm in {RAIN_MIN:g} min, {minutes:g} min, "
          f"theta {SAME.theta:g}", flush=True)
    runs = rule_runs(domain, block_rain(RAIN_MM, RAIN_MIN), minutes * 60.0, SAME)
    walls = labels > 0
    _, seconds, own_error, itzi_max = run_itzi(heights, domain.manning, walls, 2.0, minutes, np.float64)
    open_cells = flowing(domain.cell_class)
    theirs = figures(itzi_max, open_cells)
    print(f"  itzi 25.8 (float64): {seconds:.1f} s wall, max depth {theirs['max']:.3f} m, p99 "
          f"{theirs['p99']:.3f} m, {theirs['flooded']} cells > 10 cm, own continuity error {own_error:.1e}")
    print_table(runs, open_cells, reference_run(runs), other=("itzi", itzi_max))


def plain(terrain: np.ndarray, cell: float, n: float, kind: int = UNSEALED,
          open_edges: bool = False) -> Domain:
    return Domain(terrain, cell, np.full(terrain.shape, n), np.full(terrain.shape, kind, np.uint8),
                  open_edges=open_edges)


def wave_front(rule: int, alpha: float) -> tuple[int, str]:
    """Hunter et al. (2005) as in test_flood_solver: RMSE of the depth profile, front position error."""
    n, u, duration, cell, cols = 0.01, 0.4, 9000.0, 25.0, 240
    times = np.linspace(0.0, duration, 901)
    inflow_depth = (7 / 3 * n ** 2 * u ** 3 * times) ** (3 / 7)
    inflows = tuple(PointInflow(row, 0, times, u * inflow_depth * cell) for row in range(3))
    state = FlowState(plain(np.zeros((3, cols)), cell, n), None)
    steps = step_by_rule(state, no_rain(), duration, rule, alpha, Settings(theta=0.7), inflows=inflows)
    x = (np.arange(cols) + 0.5) * cell
    analytic = (7 / 3 * n ** 2 * u ** 2 * np.maximum(u * duration - x, 0.0)) ** (3 / 7)
    rmse = np.sqrt(np.mean((state.h[1] - analytic) ** 2))
    front = x[state.h[1] > 0.01].max() - u * duration
    return steps, f"RMSE {rmse:.4f} m, front {front:+.0f} m, max depth {state.max_depth.max():.4f} m"


def macdonald(case: str, inflow_per_width: float, rate: float,
              duration: float) -> Callable[[int, float], tuple[int, str]]:
    """SWASHES MacDonald channel as in test_flood_solver: mean |error| of the steady surface."""
    def run(rule: int, alpha: float) -> tuple[int, str]:
        solution = np.genfromtxt(REFERENCE_DATA / f"{case}.csv", delimiter=",", names=True)
        terrain = np.tile(solution["topo"], (5, 1))
        cell_class = np.full(terrain.shape, UNSEALED, np.uint8)
        cell_class[[0, -1]] = OUTSIDE
        domain = Domain(terrain, 5.0, np.full(terrain.shape, 0.033), cell_class, open_edges=True)
        inflows = tuple(PointInflow(row, 0, np.array([0.0, duration]), np.full(2, inflow_per_width * 5.0))
                        for row in (1, 2, 3))
        storm = RainSeries(np.array([0.0]), np.array([rate]), duration) if rate else no_rain()
        state = FlowState(domain, None)
        steps = step_by_rule(state, storm, duration, rule, alpha, Settings(), inflows=inflows)
        error = np.abs(state.h[1:4] + terrain[1:4] - solution["wse"]).mean()
        return steps, f"mean abs surface error {error:.4f} m"
    return run


def steep_plane(slope: float) -> Callable[[int, float], tuple[int, str]]:
    """Rain on a plane as in test_flood_solver: worst depth and speed error against Manning, 150-190 m."""
    def run(rule: int, alpha: float) -> tuple[int, str]:
        cell, cols, n, rate = 2.0, 100, 0.015, 100.0 / 3.6e6
        x = (np.arange(cols) + 0.5) * cell
        state = FlowState(plain(np.tile(-slope * x, (3, 1)), cell, n, open_edges=True), None)
        storm = RainSeries(np.array([0.0]), np.array([rate]), 1800.0)
        steps = step_by_rule(state, storm, 1800.0, rule, alpha, Settings())
        reach = (x >= 150.0) & (x <= 190.0)
        normal_depth = (n * rate * x / np.sqrt(slope)) ** 0.6
        speed = state.qx[1, 1:] / state.h[1]
        depth_error = np.abs(state.h[1, reach] / normal_depth[reach] - 1).max()
        speed_error = np.abs(speed[reach] / (rate * (x[reach] + 0.5 * cell) / normal_depth[reach]) - 1).max()
        return steps, f"depth {100 * depth_error:.1f} %, speed {100 * speed_error:.1f} % off Manning"
    return run


def thacker(rule: int, alpha: float) -> tuple[int, str]:
    """Thacker's planar surface in a paraboloid as in test_flood_validation (80 cells across the 4 m
    domain, one period): the worst phase error, the radius of the centre's circle after a period
    (exact 0.5 m) and the RMS depth error over the wet area at a quarter period, in h0."""
    radius, depth, eta, side, cells = 1.0, 0.1, 0.5, 4.0, 80
    omega = np.sqrt(2 * kernels.GRAVITY * depth) / radius
    dx = side / cells
    centres = (np.arange(cells) + 0.5) * dx - side / 2
    x, y = np.meshgrid(centres, centres)

    def exact(px: np.ndarray, py: np.ndarray, t: float) -> np.ndarray:
        cx, cy = eta * np.cos(omega * t), eta * np.sin(omega * t)
        return np.maximum(depth / radius ** 2 * (radius ** 2 - (px - cx) ** 2 - (py - cy) ** 2), 0.0)

    bed = -depth * (1 - (x ** 2 + y ** 2) / radius ** 2)
    state = FlowState(plain(bed, dx, 0.0), exact(x, y, 0.0))
    face_x, face_y = np.meshgrid(centres, np.arange(cells + 1) * dx - side / 2)
    state.qy[:] = eta * omega * exact(face_x, face_y, 0.0)
    period = 2 * np.pi / omega
    checks, seen = tuple(np.linspace(0.0, period, 9)[1:]), []

    def record(t: float) -> None:
        h, wanted = state.h, exact(x, y, t)
        either = (h > 1e-3) | (wanted > 1e-3)
        cx, cy = (x * h).sum() / h.sum(), (y * h).sum() / h.sum()
        phase = (np.degrees(np.arctan2(cy, cx) - omega * t) + 180) % 360 - 180
        seen.append((phase, np.hypot(cx, cy), np.sqrt(np.mean((h[either] - wanted[either]) ** 2)) / depth))

    steps = step_by_rule(state, no_rain(), period, rule, alpha, Settings(), checks=checks, at_check=record)
    worst_phase = max(abs(phase) for phase, _, _ in seen)
    return steps, (f"phase {worst_phase:.1f} deg, radius {seen[-1][1]:.3f} m, "
                   f"RMS at T/4 {seen[1][2]:.3f} h0")


def underpass(rule: int, alpha: float) -> tuple[int, str]:
    """The filling underpass of test_flood_solver (4 m trench, smooth paving, 100 mm in 30 min): the
    pond's surface spread at the end (calm: 1e-5 m), the fastest flow and the overshoot of the
    maximum over the final depth (a stability check: at alpha 0.7 of the cells rule it rang)."""
    rng = np.random.default_rng(2)
    rows, cols = 40, 60
    terrain = (100.0 + 0.03 * np.abs(np.arange(rows) - 19.5)[:, None] + 0.01 * np.arange(cols)[None, :]
               + rng.normal(0.0, 0.02, (rows, cols)))
    terrain[17:23, 10:50] -= 4.0
    state = FlowState(plain(terrain, 2.0, 0.015, SEALED), None)
    steps = step_by_rule(state, block_rain(100.0, 30.0), 3600.0, rule, alpha, Settings())
    surface = state.h[17:23, 10:50] + terrain[17:23, 10:50]
    overshoot = state.max_depth.max() - state.h.max()
    return steps, f"surface spread {surface.std():.1e} m, overshoot {overshoot:.3f} m"


VALIDATION = {
    "wave front (Hunter 2005)": wave_front,
    "MacDonald, no rain": macdonald("mcdo_norain", 2.0, 0.0, 1200.0),
    "MacDonald, rain": macdonald("mcdo_rain", 1.0, 0.001, 2400.0),
    "rain on a 1 % plane": steep_plane(0.01),
    "rain on a 3 % plane": steep_plane(0.03),
    "rain on an 8 % plane": steep_plane(0.08),
    "Thacker's bowl": thacker,
    "filling underpass": underpass,
}


def study_validation() -> None:
    """The analytic and stability cases of the test suite under every rule."""
    print("| case | rule | steps | figures |")
    print("|---|---|---|---|")
    for name, case in VALIDATION.items():
        for rule, alpha in RULES:
            steps, text = case(rule, alpha)
            print(f"| {name} | {RULE_NAMES[rule]} {alpha:g} | {steps} | {text} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=("quarter", "itzi", "validation"))
    parser.add_argument("--size", type=int, default=None, help="grid cells per side")
    parser.add_argument("--minutes", type=float, default=None, help="simulated minutes")
    parser.add_argument("--theta", type=float, default=None,
                        help="the quarter's theta (default: the solver's)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    if args.case == "quarter":
        study_quarter(args.size or 120, args.minutes or 30.0, args.theta)
    elif args.case == "itzi":
        study_itzi(args.size or 150, args.minutes or 20.0)
    else:
        study_validation()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
