"""The whole-city flood, tiled by sub-catchments on Dask, against the same flood as one domain.

On the demo city's Johannstadt terrain (1 m DTM, 1.4 km x 1.25 km, with its buildings and
streets) at 2 m, a 100-year 1-hour Euler II storm (the shipped scenario's parameters, the whole
terrain rather than the quarter), run

1. as one domain in this process (the flood plugin through its contract);
2. split into sub-catchment domains (`--domain-m`, `--buffer-m`) run on a LocalCluster of
   `--workers` processes and stitched (`python main.py citywide`).

Both are warmed first (the flood kernels compiled in this process; the workers load them from
numba's cache). Printed: each way's wall time, the tiling error (maximum depth differences and
the flooded-area difference, cells deeper than 10 cm), the measured cell-update rate per worker
and from it the time the whole city (328 km2) would take at 2 m on N workers: the city's cells
times the cell updates per cell that this run's domains took (their own time steps, their
buffers), over the rate and the workers.

    nice .venv/bin/python benchmarks/bench_citywide.py [--workers 2] [--domain-m 500] [--buffer-m 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
CITY_KM2 = 328.0
DEMO = ROOT / "data" / "cache" / "v2-seed2026"


def scenario_file(folder: Path, minutes: float) -> Path:
    path = folder / "johannstadt_whole.toml"
    path.write_text(f"""[scenario]
name = "Johannstadt terrain, 100-year 1-hour storm, whole tile"
simulation = "flood"
quarters_file = "{ROOT / 'data' / 'quarters.geojson'}"
quarters = ["Johannstadt"]
[inputs]
terrain = "{DEMO / 'johannstadt_dtm1.tif'}"
buildings = "{DEMO / 'johannstadt_lod2.gml'}"
streets = "{DEMO / 'johannstadt_streets.gpkg'}"
[parameters]
rain = "euler2"
rain_duration_min = 60.0
duration_min = {minutes}
cell_size_m = 2.0
buildings_as = "walls"
edges = "open"
""", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--domain-m", type=float, default=500.0)
    parser.add_argument("--buffer-m", type=float, default=100.0)
    parser.add_argument("--minutes", type=float, default=90.0, help="simulated minutes")
    args = parser.parse_args()
    if not (DEMO / "johannstadt_dtm1.tif").is_file():
        from data.demo import demo_project

        demo_project()
    from twin.sim.batch_dask import LocalBatchCluster
    from twin.sim.citywide import (
        cell_area_of,
        plan_citywide,
        read_grid,
        run_citywide,
        run_single_domain,
        tiling_error,
        whole_city_hours,
    )

    print(f"load before: {os.getloadavg()[0]:.1f} (uptime 1-min load average), 2 cores shared")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        plan = plan_citywide(scenario_file(folder, args.minutes), args.domain_m, args.buffer_m)
        split = plan.split
        print(f"terrain {plan.grid.shape[0]} x {plan.grid.shape[1]} cells of 2 m; {len(split.domains)} "
              f"domains from {split.catchments} catchments ({split.merged_by_flats} merged by flats)")
        _warm()
        started = time.perf_counter()
        single, summary = run_single_domain(plan)
        single_s = time.perf_counter() - started
        print(f"single domain: {single_s:.1f} s wall, {summary['solver_seconds']:.1f} s solver, "
              f"{summary['time_steps']} steps, {summary['cell_updates_per_s'] / 1e6:.1f} M cell updates/s "
              f"(load {os.getloadavg()[0]:.1f})")
        with LocalBatchCluster(args.workers) as client:
            client.run(_warm)  # the workers load the flood kernels once, as a long run would
            started = time.perf_counter()
            outcome = run_citywide(plan, folder / "out", client=client)
            tiled_s = time.perf_counter() - started
        city = outcome.summary
        print(f"tiled on {args.workers} workers: {tiled_s:.1f} s wall, {city['solver_seconds']:.1f} s solver "
              f"summed over domains, {city['domain_cells'] / city['cells']:.2f}x the cells (buffers), "
              f"{len(outcome.failed)} failed (load {os.getloadavg()[0]:.1f})")
        error = tiling_error(read_grid(folder / "out" / "max_depth.tif"), single, cell_area_of(plan))
        print("tiling error: max |dh| {max_abs_depth_difference_m:.3f} m, "
              "p99 {p99_abs_depth_difference_m:.3f} m, mean {mean_abs_depth_difference_m:.4f} m; "
              "flooded area (>10 cm) {flooded_area_single_m2:.0f} m2 single vs "
              "{flooded_area_tiled_m2:.0f} m2 tiled ({flooded_area_difference_pct:+.2f} %)".format(**error))
        rate = city["cell_updates_per_solver_s"]
        steps = city["cell_updates"] / city["domain_cells"]  # each domain takes its own time steps
        share = city["domain_cells"] / city["cells"] - 1.0
        print(f"measured per worker: {rate / 1e6:.1f} M cell updates/s; {steps:.0f} steps a domain cell "
              f"on average for {args.minutes:g} min (single domain: {summary['time_steps']}); buffers "
              f"add {share:.0%} cells")
        for workers in (1, 2, 8, 32):
            hours = whole_city_hours(CITY_KM2, 2.0, steps, rate, workers, share)
            print(f"whole city ({CITY_KM2:g} km2) at 2 m on {workers:>2} workers: {hours:7.1f} h")


def _warm() -> None:
    """A one-minute flood on a small plane: compiles the kernels (or loads them from numba's cache)."""
    import numpy as np
    from affine import Affine

    from plugins.flood.simulation import FloodSimulation
    from twin.core.data import RasterData
    from twin.core.layers import RasterLayer
    from twin.sim import SimulationInputs, run_simulation

    heights = np.add.outer(np.zeros(24), np.linspace(101.0, 100.0, 24)).astype(np.float32)
    terrain = RasterData(heights, Affine(2.0, 0, 412_000.0, 0, -2.0, 5_654_000.0), "EPSG:25833")
    inputs = SimulationInputs({"terrain": RasterLayer(terrain, "terrain")}, [], "EPSG:25833")
    run_simulation(FloodSimulation(), inputs, {"rain": "block", "duration_min": 1.0}, seed=0)


if __name__ == "__main__":
    main()
