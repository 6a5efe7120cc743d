"""UK Environment Agency 2-D benchmark, Test 4 (speed of flood propagation over an extended
floodplain; Néelz & Pender 2013), rebuilt as far as its public description goes.

    python benchmarks/validation_ea_test4.py [--cell 5] [--hours 5]

From the description: a horizontal floodplain of 1000 m x 2000 m at 0 m, Manning's n 0.05
everywhere, all boundaries closed, dry at the start, an inflow along a 20 m line in the middle of
the western side with a peak of 20 m3/s and a time base of about 6 hours, 5 m cells, 5 hours
simulated. The six output points are the test's own (x east of the western side, y along it, m):
1 (50, 1000), 2 (100, 1000), 3 (200, 1000), 4 (300, 1000), 5 (400, 1000), 6 (300, 1300), as the
test's required-output table gives them (quoted from Néelz & Pender 2013 on the Tygron support
wiki's page "UK EA benchmark 4 (Water Module)"). So the floodplain is 1000 m from west to east
and 2000 m along the western side, and the inflow line is centred at y = 1000 m.
NOT from it: the hydrograph's table comes with the EA's data set, which was not available here.
This script ASSUMES a trapezoid (0 -> 20 m3/s in the first hour, 20 m3/s to 3 h, back to 0 at
6 h). So its figures describe the twin's solver on this kind of flow (arrival of the front,
depths at the test's points, mass balance); they are not a comparison with the published ranges
of the participating packages. See plugins/flood/VALIDATION.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from plugins.flood.rain import no_rain
from plugins.flood.solver import UNSEALED, Domain, PointInflow, Settings, simulate

EAST_WEST, NORTH_SOUTH, MANNING = 1000.0, 2000.0, 0.05  # m
INFLOW_CENTRE_Y, INFLOW_LINE_M = 1000.0, 20.0
HYDROGRAPH_H = np.array([0.0, 1.0, 3.0, 6.0])  # assumed shape, see the module text
HYDROGRAPH_M3_S = np.array([0.0, 20.0, 20.0, 0.0])
OUTPUT_POINTS_M = ((50.0, 1000.0), (100.0, 1000.0), (200.0, 1000.0), (300.0, 1000.0), (400.0, 1000.0),
                   (300.0, 1300.0))  # (x, y) of the test's points 1-6
FRONT_DEPTH_M = 0.10


def grid_cell(x: float, y: float, cell: float) -> tuple[int, int]:
    """Row and column of the cell holding (x, y); rows run along the western side."""
    return int(y // cell), int(x // cell)


def inflow_cells(cell: float) -> range:
    """Rows of the western column that the 20 m inflow line covers."""
    first = int(round((INFLOW_CENTRE_Y - INFLOW_LINE_M / 2) / cell))
    return range(first, first + max(1, int(round(INFLOW_LINE_M / cell))))


def run(cell: float, hours: float) -> None:
    shape = (int(NORTH_SOUTH / cell), int(EAST_WEST / cell))
    domain = Domain(np.zeros(shape), cell, np.full(shape, MANNING), np.full(shape, UNSEALED, np.uint8))
    rows = inflow_cells(cell)
    inflows = tuple(PointInflow(row, 0, HYDROGRAPH_H * 3600.0, HYDROGRAPH_M3_S / len(rows)) for row in rows)
    probes = tuple(grid_cell(x, y, cell) for x, y in OUTPUT_POINTS_M)
    started = time.perf_counter()
    result = simulate(domain, no_rain(), hours * 3600.0, inflows=inflows, settings=Settings(), probes=probes,
                      probe_interval=60.0)
    seconds = time.perf_counter() - started
    print(f"EA Test 4 (rebuilt, assumed hydrograph): {shape[0]} x {shape[1]} cells of {cell:g} m, "
          f"{hours:g} h, {result.steps} steps, {seconds:.0f} s wall, "
          f"volume error {result.balance.relative_error:.1e}")
    print(f"{'point':>6}{'x m':>7}{'y m':>7}{f'front ({FRONT_DEPTH_M:g} m) h':>18}{'peak depth m':>14}"
          f"{'depth at 1 h':>14}{'depth at 3 h':>14}")
    minutes = result.probe_times / 60.0
    for index, (x, y) in enumerate(OUTPUT_POINTS_M):
        depths = result.probe_depths[:, index]
        wet = np.flatnonzero(depths >= FRONT_DEPTH_M)
        arrival = f"{minutes[wet[0]] / 60.0:.2f}" if len(wet) else "never"
        at = {hour: np.interp(hour * 60.0, minutes, depths) for hour in (1, 3)}
        print(f"{index + 1:>6}{x:>7.0f}{y:>7.0f}{arrival:>18}{depths.max():>14.3f}{at[1]:>14.3f}"
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
