"""Kerbs when coarsening: street water stays in its channel after 1 m terrain becomes 2 m cells."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine

from plugins.flood import grid, rasterise
from plugins.flood.rain import no_rain
from plugins.flood.solver import SEALED, Domain, PointInflow, Settings, simulate
from twin.core.data import RasterData, StreetData

X0, Y1 = 411_000.0, 5_657_000.0
LENGTH, WIDTH = 200, 30  # m, 1 m cells
ROAD_ROWS = slice(9, 17)  # 8 m carriageway; its edges fall inside 2 m blocks, not on their borders
KERB, GARDEN = 0.15, -0.30  # m above the carriageway: pavement with kerb, gardens behind it


def street_terrain() -> tuple[RasterData, StreetData]:
    """A street falling 0.5 % to the east: an 8 m carriageway, kerbs 15 cm high with 2 m of
    pavement at kerb height on each side, and gardens 30 cm below the carriageway behind them."""
    rows = np.arange(WIDTH)[:, None]
    across = np.where((rows >= 7) & (rows < 19), KERB, GARDEN) + np.zeros((WIDTH, LENGTH))
    across[ROAD_ROWS] = 0.0
    heights = 100.0 - 0.005 * np.arange(LENGTH)[None, :] + across
    transform = Affine(1.0, 0, X0, 0, -1.0, Y1)
    middle = Y1 - (ROAD_ROWS.start + ROAD_ROWS.stop) / 2.0
    street = StreetData(ids=np.array(["S1"]), geometries=np.array(
        [shapely.LineString([(X0, middle), (X0 + LENGTH, middle)])], dtype=object),
        attributes={"width_m": np.array([8.0])}, crs="EPSG:25833")
    return RasterData(heights.astype(np.float32), transform, "EPSG:25833"), street


def water_beside_the_street(coarse: RasterData, on_street_fine: np.ndarray) -> tuple[float, float]:
    """Run 0.4 m3/s into the street's upper end for 10 minutes; the volume that reached the
    gardens (m3) and the deepest water in the carriageway (m)."""
    heights = coarse.values.astype(np.float64)
    shape = heights.shape
    domain = Domain(heights, 2.0, np.full(shape, 0.015), np.full(shape, SEALED, np.uint8), open_edges=True)
    inflow = PointInflow(6, 1, np.array([0.0, 600.0]), np.array([0.4, 0.4]))
    result = simulate(domain, no_rain(), 600.0, inflows=(inflow,), settings=Settings())
    gardens = np.zeros(shape, bool)
    gardens[:3] = gardens[10:] = True  # the 2 m rows behind the pavements
    street = on_street_fine.reshape(shape[0], 2, shape[1], 2).mean(axis=(1, 3)) >= 0.5
    return float(result.max_depth[gardens].sum() * 4.0), float(result.max_depth[street].max())


def test_water_stays_in_the_street_channel_after_coarsening_when_kerbs_are_kept():
    """Block means halve the kerb (a 2 m block holds one pavement and one carriageway row) and
    the street's 9 cm of water spills into the gardens; keeping the kerbs holds it."""
    fine, street = street_terrain()
    on_street = rasterise.street_mask(street, fine.transform, fine.shape, 8.0)
    assert on_street[ROAD_ROWS].all() and on_street.sum() == 8 * LENGTH
    kept = grid.coarsen(fine, 2.0, on_street)
    averaged = grid.coarsen(fine, 2.0)
    kerb_rows = kept.values[[3, 9], 5] - kept.values[6, 5]
    assert kerb_rows == pytest.approx([KERB, KERB], abs=0.006)  # the full kerb (and 0.5 % of 1 m fall)
    assert averaged.values[4, 5] - averaged.values[6, 5] == pytest.approx(KERB / 2, abs=1e-3)
    spilled_kept, depth_kept = water_beside_the_street(kept, on_street)
    spilled_averaged, _ = water_beside_the_street(averaged, on_street)
    assert 0.05 < depth_kept < KERB
    assert spilled_kept < 0.01
    assert spilled_averaged > 1.0


def test_kerbs_are_burnt_into_a_dtm_without_them():
    fine, street = street_terrain()
    flat = RasterData(np.full(fine.shape, 100.0, np.float32), fine.transform, fine.crs)
    lowered = rasterise.kerb_depths(street, flat.transform, flat.shape, 8.0, 0.12)
    assert set(np.unique(lowered)) == {0.0, 0.12} and np.all(lowered[ROAD_ROWS] == 0.12)
    street.attributes["kerb_height_m"] = np.array([0.1])
    assert rasterise.kerb_depths(street, flat.transform, flat.shape, 8.0, 0.12).max() == 0.1
