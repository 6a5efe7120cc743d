"""Flood solver speed: against itzi, against a memory-bandwidth roofline, and a 1 km2 quarter.

    python benchmarks/bench_flood.py itzi      [--size 300] [--minutes 20]
    python benchmarks/bench_flood.py roofline  [--size 1000]
    python benchmarks/bench_flood.py quarter   [--minutes 60]
    python benchmarks/bench_flood.py passes    [--size 300] [--minutes 10]

itzi (pip package, not a dependency of the twin: `pip install itzi==25.8` into the venv) runs
in memory on the same 2 m grid, terrain, buildings (masked cells: walls), roughness and block
rain, with closed edges and no losses, so that the water stored at the end must equal the rain
that fell on the open cells: both mass errors are computed the same way from the final depths.
Both solvers use the same CFL factor, theta, flow-depth threshold and longest step.

Targets (issue 18, on the 2-core machine): itzi at least 10x slower than the twin on the itzi
case, and the quarter (1 km2 at 1 m, the 1-hour 100-year Euler II storm) in under 60 s of wall
time. Every case prints the load average and the OpenMP wait policy it ran under: both solvers
share the process's setting (the twin's kernels ask for passive threads; see
plugins/flood/kernels.py), and on a busy machine a ratio taken in one run is the figure to trust.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import numba
import numpy as np
import shapely
from affine import Affine

from data.generator.terrain import Underpass, depressions, underpass_cut, undulation, valley_floor
from plugins.flood import kernels, rain, rasterise
from plugins.flood.solver import OUTSIDE, Domain, FlowState, Losses, Settings, flowing, simulate
from twin.core.data import BuildingData, RasterData

X0, Y1 = 411_600.0, 5_657_400.0  # Johannstadt, EPSG:25833
RAIN_MM, RAIN_MIN = 50.0, 15.0
ITZI_TARGET, QUARTER_TARGET_S = 10.0, 60.0


def conditions() -> str:
    """The machine's state a timing was taken under."""
    return (f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, {numba.get_num_threads()} "
            f"solver threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")


def scene(size: int, cell: float, seed: int = 7) -> tuple[np.ndarray, Affine, BuildingData]:
    """A generated DTM (valley floor, undulation, hollows, an underpass, noise) and house blocks."""
    rng = np.random.default_rng(seed)
    transform = Affine(cell, 0, X0, 0, -cell, Y1)
    xs, ys = RasterData(np.zeros((size, size)), transform, "EPSG:25833").cell_centres()
    middle_x, middle_y = X0 + size * cell / 2, Y1 - size * cell / 2
    heights = (valley_floor(xs, ys) + undulation(xs, ys, rng) + depressions(xs, ys, rng, count=6)
               - underpass_cut(xs, ys, Underpass((middle_x - 90, middle_y + 6),
                                                 (middle_x + 90, middle_y + 6)))
               + rng.normal(0.0, 0.02, xs.shape))
    return heights, transform, house_blocks(size * cell, rng)


def house_blocks(extent: float, rng: np.random.Generator) -> BuildingData:
    """Perimeter blocks of houses on a 100 m street grid, leaving a 20 m street between blocks."""
    footprints = []
    for bx in np.arange(10.0, extent - 90.0, 100.0):
        for by in np.arange(10.0, extent - 90.0, 100.0):
            for offset in np.arange(0.0, 80.0, 20.0):
                depth = rng.uniform(10.0, 14.0)
                footprints += [shapely.box(X0 + bx + offset, Y1 - by - depth, X0 + bx + offset + 18, Y1 - by),
                               shapely.box(X0 + bx + offset, Y1 - by - 80, X0 + bx + offset + 18,
                                           Y1 - by - 80 + depth)]
    count = len(footprints)
    return BuildingData(ids=np.arange(count).astype(str), attributes={}, vertices=np.zeros((0, 3)),
                        triangles=np.zeros((0, 3), int), triangle_building=np.zeros(0, int),
                        triangle_surface=np.zeros(0, int), footprints=np.array(footprints, dtype=object),
                        crs="EPSG:25833")


def twin_domain(heights: np.ndarray, transform: Affine, buildings: BuildingData,
                open_edges: bool, masked_buildings: bool = False) -> tuple[Domain, np.ndarray]:
    """The twin's grid; `masked_buildings` takes the footprints out of the domain as itzi's mask
    does (their rain is lost), instead of roofs that pour from their downpipes."""
    labels = rasterise.building_labels(buildings, transform, heights.shape)
    cell_class, manning = rasterise.land_cover(heights, labels, np.zeros(heights.shape, bool), transform.a,
                                               buildings_as_walls=True, yard_m=5.0, open_land_sealed=False,
                                               roughness=rasterise.Roughness())
    if masked_buildings:
        cell_class[labels > 0] = OUTSIDE
    return Domain(heights, transform.a, manning, cell_class, open_edges=open_edges), labels


# The twin's default CFL factor. At itzi's default (0.7) itzi goes unstable on the underpass (mass
# error about 4, depths of 8 m): its run is then slow and meaningless, and a ratio against it flatters.
SAME = Settings(alpha=0.5, theta=0.9, max_step=5.0, dry_depth=0.005)


def run_itzi(heights: np.ndarray, manning: np.ndarray, walls: np.ndarray, cell: float, minutes: float,
             dtype: type, cfl: float = SAME.alpha) -> tuple[np.ndarray, float, float, np.ndarray]:
    """itzi's final depths, wall seconds, own continuity error and maximum depths on the itzi case."""
    from itzi.configreader import SimulationTimes
    from itzi.rasterdomain import DomainData
    from itzi.simulation_factories import create_memory_simulation

    rows, cols = heights.shape
    times = SimulationTimes({"start_time": "2000-01-01 00:00", "end_time": None,
                             "duration": f"{int(minutes // 60):02d}:{int(minutes % 60):02d}:00",
                             "record_step": f"{int(minutes // 60):02d}:{int(minutes % 60):02d}:00"})
    params = {"hmin": SAME.dry_depth, "cfl": cfl, "theta": SAME.theta, "g": 9.81, "vrouting": 0.1,
              "dtmax": SAME.max_step, "slmax": 0.1, "dtinf": 1.0, "max_error": 1.0, "inf_model": "null"}
    drainage = {"swmm_inp": None}
    domain = DomainData(north=rows * cell, south=0.0, east=cols * cell, west=0.0, rows=rows, cols=cols)
    started = time.perf_counter()
    simulation = create_memory_simulation(times, {"water_depth": "h"}, params, drainage, domain, walls, dtype)
    simulation.set_array("dem", heights.astype(dtype))
    simulation.set_array("friction", manning.astype(dtype))
    simulation.set_array("rain", np.full(heights.shape, RAIN_MM / 1000 / (RAIN_MIN * 60), dtype=dtype))
    simulation.initialize()
    simulation.update_until(timedelta(minutes=min(RAIN_MIN, minutes)))
    simulation.set_array("rain", np.zeros(heights.shape, dtype=dtype))
    while simulation.sim_time < simulation.end_time:
        simulation.update()
    simulation.finalize()
    seconds = time.perf_counter() - started
    depth = np.asarray(simulation.get_array("water_depth"), dtype=np.float64)
    # itzi's own continuity check (error depth it accumulated / volume change), for comparison
    own_error = simulation.continuity_data.continuity_error
    max_depth = np.asarray(simulation.get_array("hmax"), dtype=np.float64)
    return np.where(walls, 0.0, depth), seconds, own_error, np.where(walls, 0.0, max_depth)


def bench_itzi(size: int, minutes: float) -> None:
    heights, transform, buildings = scene(size, 2.0)
    domain, labels = twin_domain(heights, transform, buildings, open_edges=False, masked_buildings=True)
    walls = labels > 0
    open_cells = np.count_nonzero(~walls)
    rain_volume = RAIN_MM / 1000 * min(minutes / RAIN_MIN, 1.0) * open_cells * 4.0
    storm = rain.block_rain(RAIN_MM, RAIN_MIN)
    simulate(domain, storm, 60.0, settings=SAME)  # compile (numba caches it for later runs)
    started = time.perf_counter()
    ours = simulate(domain, storm, minutes * 60.0, settings=SAME)
    our_seconds = time.perf_counter() - started
    our_error = abs(ours.depth.sum() * 4.0 - rain_volume) / rain_volume
    print(f"grid {size} x {size} cells of 2 m, {len(buildings)} buildings, {RAIN_MM:g} mm in "
          f"{RAIN_MIN:g} min, {minutes:g} min simulated, closed edges")
    print(f"{'solver':<22}{'wall s':>10}{'steps':>10}{'mass error':>14}{'max depth m':>14}")
    print(f"{'twin (numba, f64)':<22}{our_seconds:>10.2f}{ours.steps:>10d}{our_error:>14.2e}"
          f"{ours.depth.max():>14.3f}")
    try:
        for dtype in (np.float32, np.float64):
            depth, seconds, own_error, _ = run_itzi(heights, domain.manning, walls, 2.0, minutes, dtype)
            error = abs(depth.sum() * 4.0 - rain_volume) / rain_volume
            ratio = seconds / our_seconds
            print(f"{'itzi 25.8 (' + np.dtype(dtype).name + ')':<22}{seconds:>10.2f}{'':>10}{error:>14.2e}"
                  f"{depth.max():>14.3f}   twin is {ratio:.1f}x faster (target {ITZI_TARGET:g}x: "
                  f"{'met' if ratio >= ITZI_TARGET else 'MISSED'}); itzi's own continuity error "
                  f"{own_error:.2e}")
        print(conditions())
    except ImportError as error:
        print(f"itzi is not installed ({error}); pip install itzi==25.8 into the venv to compare")


# Bytes one cell-update moves at least, per kernel (8-byte floats, 1-byte class), reads + writes:
# velocities: z h class qx qy -> ux vy; fluxes: z h class qx qy ux vy n2x n2y dropx dropy (4-byte)
# -> qx' qy'; limits: h qx' qy' -> factor; depths: h class qx' qy' factor max_depth max_velocity
# arrival excess_infiltrated -> h qx qy max_depth max_velocity arrival excess_infiltrated.
BYTES_PER_CELL_UPDATE = (33 + 16) + (73 + 16) + (24 + 8) + (65 + 56)


def bench_roofline(size: int) -> None:
    heights, transform, buildings = scene(size, 1.0)
    domain, _ = twin_domain(heights, transform, buildings, open_edges=True)
    storm = rain.block_rain(RAIN_MM, RAIN_MIN)
    simulate(domain, storm, 30.0, settings=SAME)  # compile
    result = simulate(domain, storm, 300.0, settings=SAME)
    updates_per_s = result.cell_updates / result.seconds
    arrays = [np.random.default_rng(0).random(heights.size) for _ in range(4)]
    one_core = copy_bandwidth(arrays, 1)
    bandwidth = copy_bandwidth(arrays, numba.get_num_threads())
    roofline = bandwidth / BYTES_PER_CELL_UPDATE
    print(f"grid {size} x {size} at 1 m, 5 min of {RAIN_MM:g} mm / {RAIN_MIN:g} min, {result.steps} steps")
    print(f"numpy copy of the same arrays: {bandwidth / 1e9:.1f} GB/s (read + write) on "
          f"{numba.get_num_threads()} threads, as many as the solver uses ({one_core / 1e9:.1f} GB/s on one)")
    print(f"roofline at {BYTES_PER_CELL_UPDATE} B per cell-update: {roofline / 1e6:.0f} M cell-updates/s")
    print(f"solver: {updates_per_s / 1e6:.0f} M cell-updates/s = {updates_per_s / roofline:.0%} "
          f"of the roofline")


def copy_bandwidth(arrays: list[np.ndarray], threads: int, repeats: int = 20) -> float:
    """Bytes per second read and written by numpy copies of `arrays`, split into one slice per
    thread (numpy releases the GIL while it copies)."""
    copies = [np.empty_like(array) for array in arrays]
    size = arrays[0].size
    parts = [slice(k * size // threads, (k + 1) * size // threads) for k in range(threads)]

    def copy_part(part: slice) -> None:
        for _ in range(repeats):
            for source, target in zip(arrays, copies, strict=True):
                np.copyto(target[part], source[part])

    with ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(copy_part, parts))
        seconds = time.perf_counter() - started
    return repeats * sum(2 * array.nbytes for array in arrays) / seconds


def bench_passes(size: int, minutes: float, repeats: int = 300) -> None:
    """The time of each pass of a step, on the itzi case's grid after `minutes` of its storm."""
    heights, transform, buildings = scene(size, 2.0)
    domain, _ = twin_domain(heights, transform, buildings, open_edges=False)
    wet = simulate(domain, rain.block_rain(RAIN_MM, RAIN_MIN), minutes * 60.0, settings=SAME)
    state = FlowState(domain, wet.depth)
    dt, dx, s = state.stable_step(SAME), domain.cell_size, SAME
    z, h, cells = domain.terrain, state.h, domain.cell_class
    qx, qy = state.qx, state.qy
    ux, vy, qx_new, qy_new = np.zeros_like(qx), np.zeros_like(qy), np.zeros_like(qx), np.zeros_like(qy)
    factor = np.ones((size + 2, size + 2))
    passes = {
        "face velocities": lambda: kernels.face_velocities(z, h, cells, qx, qy, ux, vy, s.advection_depth),
        "fluxes": lambda: kernels.update_fluxes(z, h, cells, qx, qy, ux, vy, qx_new, qy_new,
                                                state.n2x, state.n2y, state.dropx, state.dropy, dt, dx,
                                                s.theta, s.dry_depth, True, s.limiter, False),
        "outflow limits": lambda: kernels.outflow_limits(h, qx_new, qy_new, dt, dx, factor),
        "whole step": lambda: state.step(minutes * 60.0, dt, 0.0, Losses(), (), s),
    }
    print(f"grid {size} x {size} at 2 m after {minutes:g} min of the itzi case's storm, "
          f"{np.count_nonzero(h > s.dry_depth) / h.size:.0%} of the cells wet; ms per call, "
          f"median of 5 x {repeats // 5}")
    for name, call in passes.items():
        call()
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(repeats // 5):
                call()
            rounds.append((time.perf_counter() - started) / (repeats // 5))
        print(f"  {name:<16}{np.median(rounds) * 1e3:8.3f}")
    print("  (the depth update, limits applied, is the whole step less the three passes above)")


def bench_quarter(minutes: float) -> None:
    heights, transform, buildings = scene(1000, 1.0)
    domain, _ = twin_domain(heights, transform, buildings, open_edges=True)
    durations, depths = zip(*rain.DRESDEN_100_YEAR_TABLE, strict=True)
    storm = rain.euler_type2(durations, depths, 60.0)
    simulate(domain, storm, 30.0, settings=Settings())  # compile
    started = time.perf_counter()
    last = [0.0]

    def report(fraction: float, message: str) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  {datetime.now():%H:%M:%S} {message}", flush=True)

    result = simulate(domain, storm, minutes * 60.0, settings=Settings(), progress=report)
    seconds = time.perf_counter() - started
    active = np.count_nonzero(flowing(domain.cell_class))
    print(f"1 km2 at 1 m ({heights.size:,} cells, {active:,} open), {len(buildings)} buildings, Euler II "
          f"{storm.depth_mm:.1f} mm / 60 min, {minutes:g} min simulated")
    print(f"wall {seconds:.0f} s (target under {QUARTER_TARGET_S:g} s: "
          f"{'met' if seconds < QUARTER_TARGET_S else 'MISSED'}), {result.steps} steps, "
          f"{result.cell_updates / seconds / 1e6:.0f} M cell-updates/s, "
          f"max depth {result.max_depth.max():.2f} m, mass error {result.balance.relative_error:.1e}")
    print(conditions())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=("itzi", "roofline", "quarter", "passes"))
    parser.add_argument("--size", type=int, default=None, help="grid cells per side")
    parser.add_argument("--minutes", type=float, default=None, help="simulated minutes")
    args = parser.parse_args()
    if args.case == "itzi":
        bench_itzi(args.size or 300, args.minutes or 20.0)
    elif args.case == "roofline":
        bench_roofline(args.size or 1000)
    elif args.case == "passes":
        bench_passes(args.size or 300, args.minutes or 10.0)
    else:
        bench_quarter(args.minutes or 60.0)


if __name__ == "__main__":
    main()
