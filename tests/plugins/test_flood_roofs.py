"""Roof rain with buildings as walls: gutters into a sewer of limited capacity, the rest from the
downpipes onto the ground beside the footprint, every drop accounted for."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.flood.rain import MM_PER_HOUR, block_rain
from plugins.flood.solver import ROOF, SEALED, UNSEALED, Domain, Losses, downpipes, simulate

CELL = 2.0
SEWER_MM_H, RAIN_MM, RAIN_MIN, RUN_MIN = 20.0, 50.0, 30.0, 45.0


def perimeter_block() -> Domain:
    """A 40 x 40 cell (80 m) plot sloping gently to the east, with a perimeter block of houses
    (four wings whose roofs touch) around a green courtyard, sealed streets and yards around it
    and a green strip along the west edge."""
    rows = cols = 40
    terrain = 100.0 - 0.005 * CELL * np.arange(cols)[None, :] + np.zeros((rows, 1))
    cell_class = np.full((rows, cols), SEALED, np.uint8)
    cell_class[:, :6] = UNSEALED
    cell_class[10:30, 12:32] = ROOF
    cell_class[15:25, 17:27] = UNSEALED  # the courtyard
    manning = np.where(cell_class == UNSEALED, 0.05, 0.015)
    return Domain(terrain, CELL, manning, cell_class, open_edges=True)


def losses(roofs_to_sewer: bool) -> Losses:
    return Losses(infiltration_final=10 * MM_PER_HOUR, infiltration_initial=60 * MM_PER_HOUR,
                  horton_decay=2 / 3600, sewer=SEWER_MM_H * MM_PER_HOUR, roofs_to_sewer=roofs_to_sewer)


@pytest.mark.parametrize("roofs_to_sewer", [True, False])
def test_the_water_balance_of_a_building_block_closes_and_the_sewer_limit_holds_for_the_whole_area(
        roofs_to_sewer):
    """Rain in = stored + infiltrated + sewer + outflow, to round-off; the sewer takes at most its
    capacity over the area connected to it: sealed ground, and roofs where they are connected.

    Before, roof rain went to the sewer whole: 50 mm from every roof against the 15 mm that
    20 mm/h allow in 45 minutes, three times the capacity on the roofs."""
    domain = perimeter_block()
    result = simulate(domain, block_rain(RAIN_MM, RAIN_MIN), RUN_MIN * 60.0, losses=losses(roofs_to_sewer))
    balance = result.balance
    accounted = balance.stored + balance.infiltration + balance.sewer + balance.boundary
    assert balance.rain == pytest.approx(RAIN_MM / 1000 * domain.cell_area * domain.terrain.size)
    assert abs(balance.rain - accounted) < 1e-10 * balance.rain
    assert balance.repair < 1e-12 * balance.rain
    connected = np.count_nonzero(domain.cell_class == SEALED) + (domain.roof_cells if roofs_to_sewer else 0)
    capacity = SEWER_MM_H * MM_PER_HOUR * RUN_MIN * 60.0 * connected * domain.cell_area
    assert balance.sewer <= capacity * (1 + 1e-12)
    assert balance.sewer > 0.5 * capacity  # 100 mm/h on sealed ground keeps the inlets busy
    courtyard = result.max_depth[15:25, 17:27]
    assert courtyard.min() > 0.0  # the downpipes pour into the courtyard too
    assert np.all(result.depth[domain.cell_class == ROOF] == 0)


def test_roof_water_the_sewer_cannot_take_runs_out_of_the_downpipes():
    """With the roofs connected, 100 mm/h on a roof leaves 80 mm/h for the downpipes: a closed,
    flat, sealed plot without sewer elsewhere holds that volume on the ground."""
    rows = cols = 12
    cell_class = np.full((rows, cols), UNSEALED, np.uint8)
    cell_class[4:8, 4:8] = ROOF
    domain = Domain(np.zeros((rows, cols)), 1.0, np.full((rows, cols), 0.03), cell_class)
    only_roof_sewer = Losses(sewer=SEWER_MM_H * MM_PER_HOUR)
    result = simulate(domain, block_rain(50.0, 30.0), 1800.0, losses=only_roof_sewer)
    roof_area = 16.0
    assert result.balance.sewer == pytest.approx(0.010 * roof_area, rel=1e-9)  # 20 mm/h for 30 min
    ground = result.depth[cell_class == UNSEALED].sum()
    assert ground == pytest.approx(0.050 * (rows * cols - roof_area) + 0.040 * roof_area, rel=1e-9)


def test_touching_roofs_drain_as_one_block_onto_the_open_cells_beside_it():
    cell_class = np.full((6, 8), SEALED, np.uint8)
    cell_class[1:3, 1:4] = ROOF  # two houses sharing a wall...
    cell_class[1:3, 4:6] = ROOF
    cell_class[4, 7] = ROOF  # ...and a shed in the corner
    cells, shares, unrouted = downpipes(cell_class)
    assert unrouted == 0
    assert shares.sum() == pytest.approx(np.count_nonzero(cell_class == ROOF))
    rows, cols = np.divmod(cells, cell_class.shape[1])
    assert np.all(cell_class[rows, cols] == SEALED)
    # the block of ten roof cells pours evenly onto its 14 neighbours, the shed onto its 3
    block_share = shares[(rows <= 3) & (cols <= 6)]
    assert len(block_share) == 14 and np.allclose(block_share, 10 / 14)
