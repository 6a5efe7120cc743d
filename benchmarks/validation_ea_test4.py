"""UK Environment Agency 2-D benchmark, Test 4 (speed of flood propagation over an extended
floodplain; Néelz & Pender 2013), rebuilt as far as its public description goes.

    python benchmarks/validation_ea_test4.py [--cell 5] [--hours 5]

From the description: a horizontal floodplain of 1000 m x 2000 m at 0 m, Manning's n 0.05
everywhere, all boundaries closed, dry at the start, an inflow along a 20 m line in the middle of
the western side with a peak of 20 m3/s and a time base of about 6 hours, 5 m cells, 5 hours
simulated. NOT from it: the hydrograph's table and the output points' coordinates come with the
EA's data set, which was not available here. This script ASSUMES a trapezoid (0 -> 20 m3/s in
the first hour, 20 m3/s to 3 h, back to 0 at 6 h) and reports at points on the inflow's axis
50, 100, 200, 300, 400 and 500 m from the western side. So its figures describe the twin's
solver on this kind of flow (arrival of the front, depth and speed at the front, mass balance);
they are not a comparison with the published ranges of the participating packages. See
plugins/flood/VALIDATION.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from plugins.flood.rain import no_rain
from plugins.flood.solver import UNSEALED, Domain, PointInflow, Settings, simulate

WIDTH, LENGTH, MANNING = 1000.0, 2000.0, 0.05  # m across (north-south), m along (west-east)
HYDROGRAPH_H = np.array([0.0, 1.0, 3.0, 6.0])  # assumed shape, see the module text
HYDROGRAPH_M3_S = np.array([0.0, 20.0, 20.0, 0.0])
DISTANCES_M = (50.0, 100.0, 200.0, 300.0, 400.0, 500.0)
FRONT_DEPTH_M = 0.10


def run(cell: float, hours: float) -> None:
    rows, cols = int(WIDTH / cell), int(LENGTH / cell)
    shape = (rows, cols)
    domain = Domain(np.zeros(shape), cell, np.full(shape, MANNING), np.full(shape, UNSEALED, np.uint8))
    line_cells = range(rows // 2 - int(10 / cell), rows // 2 + int(10 / cell))  # the 20 m line
    share = 1.0 / len(line_cells)
    inflows = tuple(PointInflow(row, 0, HYDROGRAPH_H * 3600.0, HYDROGRAPH_M3_S * share) for row in line_cells)
    probes = tuple((rows // 2, int(distance / cell)) for distance in DISTANCES_M)
    started = time.perf_counter()
    result = simulate(domain, no_rain(), hours * 3600.0, inflows=inflows, settings=Settings(), probes=probes,
                      probe_interval=60.0)
    seconds = time.perf_counter() - started
    print(f"EA Test 4 (rebuilt, assumed hydrograph): {rows} x {cols} cells of {cell:g} m, {hours:g} h, "
          f"{result.steps} steps, {seconds:.0f} s wall, volume error {result.balance.relative_error:.1e}")
    print(f"{'point':>8}{'distance m':>12}{f'front ({FRONT_DEPTH_M:g} m) h':>18}{'peak depth m':>14}"
          f"{'depth at 1 h':>14}{'depth at 3 h':>14}")
    minutes = result.probe_times / 60.0
    for index, distance in enumerate(DISTANCES_M):
        depths = result.probe_depths[:, index]
        wet = np.flatnonzero(depths >= FRONT_DEPTH_M)
        arrival = f"{minutes[wet[0]] / 60.0:.2f}" if len(wet) else "never"
        at = {hour: np.interp(hour * 60.0, minutes, depths) for hour in (1, 3)}
        print(f"{index + 1:>8}{distance:>12.0f}{arrival:>18}{depths.max():>14.3f}{at[1]:>14.3f}"
              f"{at[3]:>14.3f}")
    fastest = result.max_velocity.max()
    print(f"fastest flow anywhere {fastest:.2f} m/s; wetted area (> {FRONT_DEPTH_M:g} m) at the end "
          f"{np.count_nonzero(result.depth > FRONT_DEPTH_M) * cell * cell / 1e4:.1f} ha")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", type=float, default=5.0, help="cell size (m); the EA asks for 5")
    parser.add_argument("--hours", type=float, default=5.0, help="simulated hours; the EA asks for 5")
    args = parser.parse_args()
    run(args.cell, args.hours)


if __name__ == "__main__":
    main()
