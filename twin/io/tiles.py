"""The GeoSN tile grid: 2 km tiles in EPSG:25833 named after their lower-left corner in km.

GeoSN names a tile `<product>_33<EEE>_<NNNN>_2_sn` (EEE: easting, NNNN: northing of the
lower-left corner in km; 2: the tile size in km), e.g. `dgm1_33412_5654_2_sn.xyz` inside
`dgm1_33412_5654_2_sn_xyz.zip`; older deliveries write `LoD2_33_412_5654_2_SN.gml`. The name is
all a `.xyz` tile says about where it lies: it gives the CRS (zone 33: EPSG:25833, zone 32:
EPSG:25832) and the tile's extent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import shapely

from twin.core.errors import TwinError, did_you_mean
from twin.io.errors import TwinIOError
from twin.io.quarters import read_quarters_in

TILE_KM = 2
# product, UTM zone, easting and northing of the lower-left corner in km, tile size in km
_TILE_NAME = re.compile(r"(?P<product>[a-z]+\d*)_(?P<zone>3[23])_?(?P<east>\d{3})_(?P<north>\d{4})"
                        r"_(?P<size>\d{1,2})_sn", re.IGNORECASE)
# What a user downloads per tile, by product (data/README.md): terrain, surface, LiDAR, buildings
PRODUCTS = {
    "dgm1": "dgm1_{tile}_2_sn_xyz.zip",
    "dom1": "dom1_{tile}_2_sn_xyz.zip",
    "lsc": "lsc_{tile}_2_sn_laz.zip",
    "lod2": "lod2_{tile}_2_sn.gml",
}


@dataclass(frozen=True)
class Tile:
    """One tile of the grid: its product (dgm1, lsc, lod2...), zone and lower-left corner."""

    product: str
    zone: int
    east_km: int
    north_km: int
    size_km: int = TILE_KM

    @property
    def crs(self) -> str:
        return f"EPSG:258{self.zone}"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west, south = self.east_km * 1000.0, self.north_km * 1000.0
        return west, south, west + self.size_km * 1000.0, south + self.size_km * 1000.0

    @property
    def key(self) -> str:
        """The tile's place in the grid as GeoSN writes it, e.g. 33412_5654."""
        return f"{self.zone}{self.east_km:03d}_{self.north_km:04d}"


def tile_of_name(name: str) -> Tile | None:
    """The tile a GeoSN file name names, or None for a name that names none."""
    match = _TILE_NAME.search(name)
    if match is None:
        return None
    return Tile(match["product"].lower(), int(match["zone"]), int(match["east"]), int(match["north"]),
                int(match["size"]))


def tiles_covering(bounds: tuple[float, float, float, float], zone: int = 33) -> list[Tile]:
    """The 2 km tiles (as grid places, product left empty) that a box in EPSG:258<zone> touches,
    west to east within south to north. A box edge on a tile edge does not take the next tile."""
    minx, miny, maxx, maxy = bounds
    step = TILE_KM * 1000.0
    first_col, first_row = math.floor(minx / step), math.floor(miny / step)
    last_col = max(first_col, math.ceil(maxx / step) - 1)
    last_row = max(first_row, math.ceil(maxy / step) - 1)
    return [Tile("", zone, col * TILE_KM, row * TILE_KM)
            for row in range(first_row, last_row + 1) for col in range(first_col, last_col + 1)]


def download_names(tile: Tile, products: tuple[str, ...] = tuple(PRODUCTS)) -> list[str]:
    """The file names GeoSN delivers for a tile, one per product."""
    return [PRODUCTS[product].format(tile=tile.key) for product in products]


def tiles_for_area(area: str, quarters_file: Path) -> list[Tile]:
    """The tiles a quarter (by name, from `quarters_file`) or a box 'xmin,ymin,xmax,ymax' in
    EPSG:25833 covers: those it overlaps by more than an edge."""
    box = _box(area)
    if box is not None:
        outline = shapely.box(*box)
    else:
        quarters = {quarter.name: quarter for quarter in read_quarters_in(quarters_file, "EPSG:25833")}
        if area not in quarters:
            raise TwinIOError(quarters_file, f"no quarter is named '{area}'{did_you_mean(area, quarters)} "
                                             f"(the quarters are {', '.join(quarters)})")
        outline = quarters[area].polygon
    return [tile for tile in tiles_covering(outline.bounds)
            if shapely.box(*tile.bounds).intersection(outline).area > 0
            or shapely.box(*tile.bounds).contains(outline)]


def _box(area: str) -> tuple[float, float, float, float] | None:
    """The box a text 'xmin,ymin,xmax,ymax' gives, None for text that is not four numbers apart
    (a quarter's name); a TwinError for four numbers that are no box."""
    parts = area.split(",")
    if len(parts) != 4:
        return None
    try:
        minx, miny, maxx, maxy = (float(part) for part in parts)
    except ValueError:
        return None
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or minx >= maxx or miny >= maxy:
        raise TwinError(f"'{area}' is not a box: give xmin,ymin,xmax,ymax with xmin < xmax and ymin < ymax")
    return minx, miny, maxx, maxy
