"""Kerbs when coarsening, on a quarter: Friedrichstadt's 1 m demo DTM (which has no kerbs) with
12 cm kerbs burnt in along its streets, coarsened to 2 m by block means or keeping street channels
and kerbs (plugins/flood/grid.py): how much kerb is left between each street block and the block
beside it.

    python benchmarks/flood_kerbs.py      (needs the demo city in data/cache: `make run` once)
"""
import numpy as np

from plugins.flood import grid, rasterise
from twin.core.data import RasterData
from twin.io import read_layer

CACHE = "data/cache/v2-seed2026/"
terrain = read_layer(CACHE + "friedrichstadt_dtm1.tif", crs="EPSG:25833", name="t", to="EPSG:25833").data
streets = read_layer(CACHE + "friedrichstadt_streets.gpkg", crs="EPSG:25833", name="s", to="EPSG:25833").data
lowered = rasterise.kerb_depths(streets, terrain.transform, terrain.shape, 8.0, 0.12)
burnt = RasterData((terrain.values - lowered).astype(np.float32), terrain.transform, terrain.crs)
fine_street = rasterise.street_mask(streets, terrain.transform, terrain.shape, 8.0)
for name, on in (("averaged", None), ("kept", fine_street)):
    coarse = grid.coarsen(burnt, 2.0, on)
    rows, cols = coarse.shape
    street = fine_street[:rows * 2, :cols * 2].reshape(rows, 2, cols, 2).mean(axis=(1, 3)) >= 0.5
    z = coarse.values.astype(float)
    steps = []
    pairs = ((z[:, :-1], z[:, 1:], street[:, :-1], street[:, 1:]), (z[:-1], z[1:], street[:-1], street[1:]))
    for a, b, sa, sb in pairs:
        edge = sa != sb
        kerb = np.where(sa, b - a, a - b)[edge]  # how far the off-street block stands above the street block
        steps.append(kerb[np.isfinite(kerb)])
    kerb = np.concatenate(steps)
    print(f"{name:>9}: {len(kerb)} street-edge faces, kerb left median {np.median(kerb) * 100:.1f} cm, "
          f"under 6 cm on {np.mean(kerb < 0.06) * 100:.0f} % of the edge ({np.sum(kerb < 0.06) * 2:.0f} m)")
