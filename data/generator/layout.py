"""The plan of one model quarter: streets, buildings (footprint, use, age, storeys, roof) and trees.

Generated, not surveyed: street names are Dresden's, the layout is drawn by rules for each
quarter's character.
- Friedrichstadt: a 19th-century grid of perimeter blocks, 4-5 storey buildings 12-14 m deep
  along every block edge around a courtyard, gabled or mansard roofs, built 1870-1910, with
  post-war infill and gaps; the hospital campus (Krankenhaus Friedrichstadt: hipped-roof
  pavilions of 2-4 storeys in a park around the baroque Palais Marcolini);
- Johannstadt: 1970s prefabricated slabs (WBS 70 / P2) 12 m deep, 60-180 m long, 5-6 and some
  10-11 storeys, flat roofs, in open rows with green between, plus fragments of the
  19th-century blocks destroyed in 1945;
- Prohlis: 1976-1984 high-rise slabs of 10-17 storeys, a few 6-storey rows, point towers,
  schools and the shopping centre, all with flat roofs.

Streets form a grid whose west-east main street runs through the quarter's underpass
(terrain.underpass_for), so heavy rain collects on a street there. Every building is an
oriented rectangle (long rows are split into one building per house section, as in the
official cadastre) standing in a block between the street buffers, so no footprint touches
a street, and inside the quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box

from data.generator.terrain import underpass_for
from twin.core.quarter import Quarter

# AdV roof types (RoofTypeTypeAdV) and building functions (BuildingFunctionTypeAdV).
ROOF_FLAT, ROOF_GABLED, ROOF_HIPPED, ROOF_MANSARD = "1000", "3100", "3200", "3400"
RESIDENTIAL, RESIDENTIAL_SHOPS = "31001_1000", "31001_1123"
COMMERCIAL, WAREHOUSE, SHOPPING_CENTRE, SHOP = "31001_2000", "31001_2143", "31001_2052", "31001_2054"
GARAGE, SCHOOL, HOSPITAL, KINDERGARTEN, GYM = ("31001_2463", "31001_3021", "31001_3051",
                                               "31001_3065", "31001_3211")

SLAB_DEPTH = 12.0
STREET_EDGE = 10.0  # how far street lines reach past the quarter before being clipped


@dataclass(frozen=True)
class PlannedStreet:
    name: str
    geometry: LineString
    road_class: str  # "main" | "side"
    width_m: float  # carriageway and pavements; buildings keep clear of width_m / 2 either side


@dataclass(frozen=True)
class Frame:
    """An oriented rectangle: centre, direction of its ridge axis (radians), extent along and across it."""

    cx: float
    cy: float
    angle: float
    length: float
    width: float

    def polygon(self) -> Polygon:
        along = np.array([np.cos(self.angle), np.sin(self.angle)]) * self.length / 2
        across = np.array([-np.sin(self.angle), np.cos(self.angle)]) * self.width / 2
        centre = np.array([self.cx, self.cy])
        # Counter-clockwise seen from above, starting at the corner (-length/2, -width/2).
        return Polygon([centre - along - across, centre + along - across,
                        centre + along + across, centre - along + across])


@dataclass(frozen=True)
class PlannedBuilding:
    id: str
    footprint: Polygon
    function: str  # AdV code, e.g. "31001_1000"
    year: int
    storeys: int
    eaves_height: float  # above the ground, m
    ridge_height: float  # above the ground, m; the eaves height for flat roofs
    roof_type: str  # AdV code, e.g. "3100"
    frame: Frame  # the rectangle the footprint is, with its ridge direction
    name: str = ""


@dataclass(frozen=True)
class Trees:
    x: np.ndarray
    y: np.ndarray
    crown_radius: np.ndarray
    height: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class QuarterPlan:
    quarter: Quarter
    streets: list[PlannedStreet]
    buildings: list[PlannedBuilding]
    trees: Trees


@dataclass(frozen=True)
class Style:
    """How one building looks, before it has a place: use, age, storeys, heights, roof."""

    function: str
    year: int
    storeys: int
    eaves_height: float
    ridge_height: float
    roof_type: str
    name: str = ""


@dataclass(frozen=True)
class StreetGrid:
    """Where the streets of a quarter run and what they are called."""

    spacing_x: tuple[float, float]  # distance between north-south streets
    spacing_y: tuple[float, float]  # distance between west-east streets
    names_x: tuple[str, ...]  # north-south streets, the main one first
    names_y: tuple[str, ...]  # west-east streets, the one through the underpass first
    main_width: float
    side_width: float
    setback: float  # pavement and front garden between a street's width and the buildings


Placed = list[tuple[Frame, Style]]
Character = tuple[list[PlannedStreet], Placed, list[Polygon]]  # streets, buildings, green areas


# --- building styles ------------------------------------------------------------------------

def _pitched(eaves: float, width: float, pitch_degrees: float) -> float:
    return eaves + width / 2 * np.tan(np.radians(pitch_degrees))


def gruenderzeit(rng: np.random.Generator, depth: float, corner: bool = False) -> Style:
    storeys = int(rng.choice([4, 5], p=[0.4, 0.6]))
    eaves = 4.2 + 3.4 * (storeys - 1) + 0.6  # a tall shop floor, then 3.4 m storeys, a cornice
    if rng.random() < 0.5:
        roof, ridge = ROOF_GABLED, _pitched(eaves, depth, rng.uniform(35, 45))
    else:
        roof, ridge = ROOF_MANSARD, eaves + rng.uniform(4.5, 6.0)
    function = RESIDENTIAL_SHOPS if corner or rng.random() < 0.2 else RESIDENTIAL
    return Style(function, int(rng.integers(1870, 1911)), storeys, eaves, ridge, roof)


def postwar_infill(rng: np.random.Generator, depth: float) -> Style:
    storeys = int(rng.choice([4, 5]))
    eaves = 2.9 * storeys + 0.6
    year = int(rng.integers(1955, 1990)) if rng.random() < 0.7 else int(rng.integers(1995, 2016))
    if rng.random() < 0.6:
        return Style(RESIDENTIAL, year, storeys, eaves, eaves, ROOF_FLAT)
    return Style(RESIDENTIAL, year, storeys, eaves, _pitched(eaves, depth, rng.uniform(30, 40)),
                 ROOF_GABLED)


def flat(function: str, year: int, storeys: int, storey_height: float, name: str = "") -> Style:
    eaves = storey_height * storeys + 0.8  # plinth and parapet
    return Style(function, year, storeys, eaves, eaves, ROOF_FLAT, name)


def pavilion(rng: np.random.Generator, width: float) -> Style:
    storeys = int(rng.choice([2, 3, 4], p=[0.3, 0.45, 0.25]))
    eaves = 4.0 * storeys + 0.8  # tall hospital storeys
    return Style(HOSPITAL, int(rng.integers(1875, 1931)), storeys, eaves,
                 _pitched(eaves, width, rng.uniform(30, 40)), ROOF_HIPPED)


def slab(rng: np.random.Generator, storeys: int, years: tuple[int, int]) -> Style:
    return flat(RESIDENTIAL, int(rng.integers(years[0], years[1] + 1)), storeys, 2.8)


# --- streets and blocks ---------------------------------------------------------------------

def _positions(lo: float, hi: float, anchor: float, spacing: tuple[float, float],
               rng: np.random.Generator) -> list[float]:
    """Street positions from an anchor outwards both ways, at random spacings within the range."""
    before, after = [], []
    position = anchor
    while (position := position - rng.uniform(*spacing)) > lo + 40:
        before.append(position)
    position = anchor
    while (position := position + rng.uniform(*spacing)) < hi - 40:
        after.append(position)
    return [anchor, *sorted(before + after)]  # the anchor first: it carries the main street's name


def _clipped_parts(line: LineString, area: Polygon, minimum: float = 30.0) -> list[LineString]:
    inside = line.intersection(area)
    parts = getattr(inside, "geoms", [inside])
    return [part for part in parts
            if isinstance(part, LineString) and part.length >= minimum]


def plan_streets(quarter: Quarter, grid: StreetGrid, rng: np.random.Generator,
                 keep_out: Polygon | None = None) -> list[PlannedStreet]:
    """A grid of straight streets; side streets stop at `keep_out` (a campus or park)."""
    minx, miny, maxx, maxy = quarter.bounds
    underpass = underpass_for(quarter)
    centre_x = (minx + maxx) / 2 + rng.uniform(-40, 40)
    xs = _positions(minx, maxx, centre_x, grid.spacing_x, rng)
    ys = _positions(miny, maxy, underpass.start[1], grid.spacing_y, rng)
    northernmost = max(ys)
    streets = []
    for axis, positions, names in (("y", ys, grid.names_y), ("x", xs, grid.names_x)):
        for index, position in enumerate(positions):
            main = index == 0 or (axis == "y" and position == northernmost)
            name = names[index] if index < len(names) else f"{names[-1]} {index}"
            if axis == "y":
                line = LineString([(minx - STREET_EDGE, position), (maxx + STREET_EDGE, position)])
            else:
                line = LineString([(position, miny - STREET_EDGE), (position, maxy + STREET_EDGE)])
            area = quarter.polygon if main or keep_out is None else quarter.polygon.difference(keep_out)
            width = grid.main_width if main else grid.side_width
            streets += [PlannedStreet(name, part, "main" if main else "side", width)
                        for part in _clipped_parts(line, area)]
    return streets


def street_space(streets: list[PlannedStreet], setback: float) -> Polygon:
    """The land the streets, their pavements and front gardens take."""
    return shapely.union_all([street.geometry.buffer(street.width_m / 2 + setback, cap_style="flat")
                              for street in streets])


def blocks_between(area: Polygon, taken: Polygon, minimum_area: float = 400.0) -> list[Polygon]:
    """The pieces of `area` left between the streets, largest first (ties by position)."""
    rest = area.difference(taken)
    pieces = [piece for piece in getattr(rest, "geoms", [rest])
              if isinstance(piece, Polygon) and piece.area >= minimum_area]
    return sorted(pieces, key=lambda p: (-round(p.area), p.bounds))


# --- filling blocks -------------------------------------------------------------------------

def _row(start: float, end: float, sizes: tuple[float, float], rng: np.random.Generator,
         smallest: float = 8.0) -> list[tuple[float, float]]:
    """Split [start, end] into consecutive pieces of random sizes; a short remainder joins the last."""
    pieces, position = [], start
    while end - position > 0:
        size = min(rng.uniform(*sizes), end - position)
        pieces.append((position, position + size))
        position += size
    if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < smallest:
        last = pieces.pop()
        pieces[-1] = (pieces[-1][0], last[1])
    return pieces


def _perimeter_frames(x0: float, y0: float, x1: float, y1: float, depth: float,
                      frontage: tuple[float, float], rng: np.random.Generator
                      ) -> list[tuple[Frame, bool]]:
    """Buildings along all four edges of a block, ridges along the street; (frame, is_corner)."""
    frames = []
    for y_mid in (y0 + depth / 2, y1 - depth / 2):  # south and north rows run the full length
        pieces = _row(x0, x1, frontage, rng)
        for index, (a, b) in enumerate(pieces):
            corner = index in (0, len(pieces) - 1)
            frames.append((Frame((a + b) / 2, y_mid, 0.0, b - a, depth), corner))
    for x_mid in (x0 + depth / 2, x1 - depth / 2):  # west and east rows between them
        for a, b in _row(y0 + depth, y1 - depth, frontage, rng):
            frames.append((Frame(x_mid, (a + b) / 2, np.pi / 2, b - a, depth), False))
    return frames


def perimeter_block(block: Polygon, rng: np.random.Generator, gap_chance: float = 0.12,
                    infill_chance: float = 0.15) -> Placed:
    """Blockrandbebauung: a closed ring of 19th-century buildings, gaps and post-war infill."""
    x0, y0, x1, y1 = block.bounds
    depth = rng.uniform(12, 14)
    if min(x1 - x0, y1 - y0) < 3 * depth:
        return []
    placed: Placed = []
    for frame, corner in _perimeter_frames(x0, y0, x1, y1, depth, (16, 28), rng):
        draw = rng.random()
        if draw < gap_chance:
            continue
        style = (postwar_infill(rng, depth) if draw < gap_chance + infill_chance
                 else gruenderzeit(rng, depth, corner))
        placed.append((frame, style))
    placed += courtyard_sheds(x0 + depth + 3, y0 + depth + 3, x1 - depth - 3, y1 - depth - 3, rng)
    return placed


def courtyard_sheds(x0: float, y0: float, x1: float, y1: float, rng: np.random.Generator) -> Placed:
    """A few garages and workshops in some courtyards."""
    if rng.random() < 0.5 or x1 - x0 < 20 or y1 - y0 < 20:
        return []
    placed: Placed = []
    for a, b in _row(x0, x1, (12, 30), rng)[: int(rng.integers(1, 4))]:
        width = rng.uniform(5, 8)
        style = flat(GARAGE, int(rng.integers(1950, 1990)), 1, 2.4)
        placed.append((Frame((a + b) / 2 + 1, y0 + width / 2, 0.0, b - a - 2, width), style))
    return placed


def slab_rows(block: Polygon, rng: np.random.Generator, storeys: Callable[[], int],
              years: tuple[int, int], spacing: tuple[float, float], lengths: tuple[float, float],
              section: tuple[float, float]) -> Placed:
    """Open rows of prefabricated slabs, each split into one building per house section."""
    x0, y0, x1, y1 = block.bounds
    along_x = rng.random() < 0.65
    length_span, across_span = (x1 - x0, y1 - y0) if along_x else (y1 - y0, x1 - x0)
    placed: Placed = []
    across = SLAB_DEPTH / 2 + rng.uniform(2, 12)
    while across + SLAB_DEPTH / 2 < across_span:
        position = rng.uniform(0, 15)
        while position + lengths[0] <= length_span:
            length = min(rng.uniform(*lengths), length_span - position)
            slab_style = slab(rng, storeys(), years)
            for a, b in _row(position, position + length, section, rng, smallest=10):
                centre = (a + b) / 2
                cx, cy = (x0 + centre, y0 + across) if along_x else (x0 + across, y0 + centre)
                placed.append((Frame(cx, cy, 0.0 if along_x else np.pi / 2, b - a, SLAB_DEPTH),
                               slab_style))
            position += length + rng.uniform(15, 35)
        across += SLAB_DEPTH + rng.uniform(*spacing)
    return placed


def _at(block: Polygon, fx: float, fy: float, angle: float, length: float, width: float) -> Frame:
    """A frame placed at fractions (fx, fy) of a block's bounding box."""
    x0, y0, x1, y1 = block.bounds
    return Frame(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), angle, length, width)


def school_block(block: Polygon, rng: np.random.Generator, years: tuple[int, int]) -> Placed:
    """A 1970s school (two wings and a gym) and a kindergarten, flat roofs, in a green block."""
    year = int(rng.integers(years[0], years[1] + 1))
    return [
        (_at(block, 0.3, 0.7, 0.0, 60, 13), flat(SCHOOL, year, 4, 3.3, "Schule")),
        (_at(block, 0.3, 0.35, 0.0, 60, 13), flat(SCHOOL, year, 3, 3.3, "Schule")),
        (_at(block, 0.72, 0.55, np.pi / 2, 36, 20), Style(GYM, year, 1, 7.5, 7.5, ROOF_FLAT, "Turnhalle")),
        (_at(block, 0.75, 0.15, 0.0, 40, 12), flat(KINDERGARTEN, year + 1, 2, 3.2, "Kindertagesstätte")),
    ]


def shops_block(block: Polygon, rng: np.random.Generator, years: tuple[int, int],
                centre: bool) -> Placed:
    """A Kaufhalle and services; in Prohlis the shopping centre by the main street."""
    year = int(rng.integers(years[0], years[1] + 1))
    placed = [(_at(block, 0.25, 0.3, 0.0, 45, 30), flat(SHOP, year, 1, 4.5, "Kaufhalle")),
              (_at(block, 0.75, 0.25, 0.0, 36, 14), flat(COMMERCIAL, year, 2, 3.5, "Dienstleistungen"))]
    if centre:
        placed.append((_at(block, 0.5, 0.7, 0.0, 110, 55),
                       flat(SHOPPING_CENTRE, year, 2, 5.0, "Einkaufszentrum")))
    return placed


def yard_block(block: Polygon, rng: np.random.Generator) -> Placed:
    """A commercial yard: workshops and warehouses behind a few street-front houses."""
    x0, y0, x1, y1 = block.bounds
    placed: Placed = []
    for a, b in _row(x0 + 10, x1 - 10, (30, 55), rng)[:3]:
        width = rng.uniform(18, 28)
        style = flat(WAREHOUSE if rng.random() < 0.5 else COMMERCIAL,
                     int(rng.integers(1900, 1991)), int(rng.integers(1, 3)), 4.5)
        placed.append((Frame((a + b) / 2, (y0 + y1) / 2, 0.0, b - a - 6, width), style))
    depth = rng.uniform(12, 14)
    for a, b in _row(x0, x1, (16, 28), rng):
        if rng.random() < 0.6:
            placed.append((Frame((a + b) / 2, y1 - depth / 2, 0.0, b - a, depth),
                           gruenderzeit(rng, depth)))
    return placed


def hospital_campus(campus: Polygon, rng: np.random.Generator) -> Placed:
    """Krankenhaus Friedrichstadt: the baroque palace, pavilions in rows, a few modern wings."""
    x0, y0, x1, y1 = campus.bounds
    palace = Frame((x0 + x1) / 2, y0 + 20, 0.0, min(110.0, (x1 - x0) * 0.5), 16)
    placed: Placed = [(palace, Style(HOSPITAL, 1736, 3, 13.0, 19.0, ROOF_MANSARD, "Palais Marcolini"))]
    row_y = y0 + 65
    while row_y < y1 - 20:
        for a, b in _row(x0 + 10, x1 - 10, (55, 80), rng):
            if b - a < 40:
                continue
            width = rng.uniform(12, 16)
            length = max(b - a - rng.uniform(15, 30), width + 10)  # longer than wide: a hipped ridge
            modern = rng.random() < 0.2
            style = (flat(HOSPITAL, int(rng.integers(1995, 2016)), int(rng.integers(4, 6)), 3.8)
                     if modern else pavilion(rng, width))
            placed.append((Frame((a + b) / 2, row_y, 0.0, length, width), style))
        row_y += rng.uniform(38, 48)
    return placed


# --- trees ----------------------------------------------------------------------------------

def _random_trees(areas: list[Polygon], per_m2: float, rng: np.random.Generator) -> np.ndarray:
    points = []
    for area in areas:
        x0, y0, x1, y1 = area.bounds
        count = rng.poisson(per_m2 * (x1 - x0) * (y1 - y0))
        xy = np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)])
        points.append(xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])])
    return np.concatenate(points) if points else np.empty((0, 2))


def _street_trees(streets: list[PlannedStreet], rng: np.random.Generator) -> np.ndarray:
    points = []
    for street in streets:
        for side in (-1.0, 1.0):
            kerb = street.geometry.offset_curve(side * (street.width_m / 2 + 1.5))
            spacing = rng.uniform(9, 14)
            along = np.arange(spacing / 2, kerb.length, spacing)
            points.append(shapely.get_coordinates(kerb.interpolate(along)))
    return np.concatenate(points) if points else np.empty((0, 2))


def plant_trees(candidates: np.ndarray, buildings: list[PlannedBuilding], quarter: Quarter,
                rng: np.random.Generator) -> Trees:
    """Trees at the candidate places inside the quarter whose crowns keep clear of the buildings."""
    radius = rng.uniform(2.5, 6.0, len(candidates))
    height = np.clip(radius * rng.uniform(2.6, 3.8, len(candidates)), 7.0, 26.0)
    points = shapely.points(candidates)
    index = shapely.STRtree([building.footprint for building in buildings])
    near = index.query(points, predicate="dwithin", distance=radius + 1.0)[0]
    keep = np.ones(len(candidates), dtype=bool)
    keep[near] = False
    keep &= quarter.contains_points(candidates[:, 0], candidates[:, 1])
    return Trees(candidates[keep, 0], candidates[keep, 1], radius[keep], height[keep])


# --- the three characters -------------------------------------------------------------------

FRIEDRICHSTADT = StreetGrid(
    spacing_x=(130, 170), spacing_y=(120, 150),
    names_x=("Weißeritzstraße", "Schäferstraße", "Seminarstraße", "Wachsbleichstraße",
             "Vorwerkstraße", "Adlergasse", "Bräuergasse", "Manitiusstraße"),
    names_y=("Friedrichstraße", "Menageriestraße", "Berliner Straße", "Waltherstraße",
             "Löbtauer Straße", "Hohenthalplatz", "Magdeburger Straße", "Schweriner Straße"),
    main_width=22.0, side_width=12.0, setback=3.0)

JOHANNSTADT = StreetGrid(
    spacing_x=(220, 290), spacing_y=(200, 250),
    names_x=("Fetscherstraße", "Arnoldstraße", "Hopfgartenstraße", "Zöllnerstraße",
             "Permoserstraße", "Gutenbergstraße"),
    names_y=("Pfotenhauerstraße", "Florian-Geyer-Straße", "Gerokstraße", "Dürerstraße",
             "Holbeinstraße", "Blasewitzer Straße"),
    main_width=24.0, side_width=12.0, setback=5.0)

PROHLIS = StreetGrid(
    spacing_x=(220, 280), spacing_y=(200, 260),
    names_x=("Georg-Palitzsch-Straße", "Gamigstraße", "Vetschauer Straße", "Boxdorfer Straße",
             "Herzberger Straße"),
    names_y=("Prohliser Allee", "Senftenberger Straße", "Finsterwalder Straße",
             "Spremberger Straße", "Niedersedlitzer Straße"),
    main_width=26.0, side_width=12.0, setback=6.0)


def _friedrichstadt(quarter: Quarter, rng: np.random.Generator) -> Character:
    minx, _, _, maxy = quarter.bounds
    road = underpass_for(quarter).start[1] + FRIEDRICHSTADT.main_width / 2 + FRIEDRICHSTADT.setback
    campus = box(minx, road, minx + 340, min(road + 300, maxy)).intersection(quarter.polygon)
    streets = plan_streets(quarter, FRIEDRICHSTADT, rng, keep_out=campus)
    taken = street_space(streets, FRIEDRICHSTADT.setback)
    campus = campus.difference(taken)
    placed = hospital_campus(campus, rng)
    blocks = blocks_between(quarter.polygon.difference(campus), taken)
    green = [campus]
    for block in blocks:
        draw = rng.random()
        if draw < 0.08:
            green.append(block)  # a park or churchyard
        elif draw < 0.2:
            placed += yard_block(block, rng)
        else:
            placed += perimeter_block(block, rng)
            green.append(block)  # courtyard trees; the crowns keep clear of the houses
    return streets, placed, green


def _estate(quarter: Quarter, grid: StreetGrid, rng: np.random.Generator,
            fill: Callable[[Polygon], Placed], years: tuple[int, int],
            remains: bool) -> Character:
    """A prefabricated-housing estate: slab rows in most blocks, a school, shops, maybe old remains."""
    streets = plan_streets(quarter, grid, rng)
    blocks = blocks_between(quarter.polygon, street_space(streets, grid.setback))
    placed: Placed = []
    for number, block in enumerate(blocks):
        if number == 1:
            placed += school_block(block, rng, years)
        elif number == 2:
            placed += shops_block(block, rng, years, centre=grid is PROHLIS)
        elif remains and number == 3:
            placed += perimeter_block(block, rng, gap_chance=0.45, infill_chance=0.1)
        else:
            placed += fill(block)
    return streets, placed, blocks


def _johannstadt(quarter: Quarter, rng: np.random.Generator) -> Character:
    def storeys() -> int:
        return int(rng.choice([5, 6, 10, 11], p=[0.3, 0.45, 0.15, 0.1]))

    def fill(block: Polygon) -> Placed:
        return slab_rows(block, rng, storeys, (1969, 1979), spacing=(30, 45), lengths=(60, 180),
                         section=(18, 30))

    return _estate(quarter, JOHANNSTADT, rng, fill, (1969, 1979), remains=True)


def _prohlis(quarter: Quarter, rng: np.random.Generator) -> Character:
    def storeys() -> int:
        return int(rng.choice([6, 10, 11, 14, 16, 17], p=[0.12, 0.3, 0.28, 0.1, 0.12, 0.08]))

    def fill(block: Polygon) -> Placed:
        rows = slab_rows(block, rng, storeys, (1976, 1984), spacing=(38, 55), lengths=(80, 200),
                         section=(15, 22))
        return point_towers(block, rng) + rows if rng.random() < 0.3 else rows

    return _estate(quarter, PROHLIS, rng, fill, (1976, 1984), remains=False)


def point_towers(block: Polygon, rng: np.random.Generator) -> Placed:
    """Seventeen-storey point towers in the middle of a block."""
    x0, y0, x1, y1 = block.bounds
    year = int(rng.integers(1978, 1985))
    return [(Frame(x, (y0 + y1) / 2, 0.0, 24, 24), flat(RESIDENTIAL, year, 17, 2.8))
            for x in np.linspace(x0 + 70, x1 - 70, max(1, int((x1 - x0 - 100) // 45)))]


CHARACTERS = {"Friedrichstadt": _friedrichstadt, "Johannstadt": _johannstadt, "Prohlis": _prohlis}


def plan_quarter(quarter: Quarter, rng: np.random.Generator) -> QuarterPlan:
    """Streets, buildings and trees of one model quarter in its character.

    Quarters other than the three model quarters are planned like Johannstadt.
    """
    character = CHARACTERS.get(quarter.name, _johannstadt)
    streets, placed, green = character(quarter, rng)
    buildings = _accepted(quarter, streets, placed)
    candidates = np.concatenate([_street_trees(streets, rng), _random_trees(green, 1 / 320, rng)])
    return QuarterPlan(quarter, streets, buildings, plant_trees(candidates, buildings, quarter, rng))


def _accepted(quarter: Quarter, streets: list[PlannedStreet], placed: Placed) -> list[PlannedBuilding]:
    """The placed buildings inside the quarter and clear of every street; the first of two that overlap."""
    footprints = np.array([frame.polygon() for frame, _ in placed], dtype=object)
    keep = shapely.contains(quarter.polygon, footprints)
    keep &= ~shapely.intersects(street_space(streets, 0.0), footprints)
    keep &= _first_of_overlapping(footprints)
    prefix = "DESN_" + quarter.name[:3].upper()
    kept = [(frame, style, footprint)
            for (frame, style), footprint, ok in zip(placed, footprints, keep, strict=True) if ok]
    return [PlannedBuilding(f"{prefix}{number:05d}", footprint, style.function, style.year,
                            style.storeys, round(style.eaves_height, 2), round(style.ridge_height, 2),
                            style.roof_type, frame, style.name)
            for number, (frame, style, footprint) in enumerate(kept, start=1)]


def _first_of_overlapping(footprints: np.ndarray) -> np.ndarray:
    """Mask dropping every footprint that overlaps (not just touches) an earlier one still kept."""
    first, second = shapely.STRtree(footprints).query(footprints, predicate="intersects")
    pairs = first < second
    first, second = first[pairs], second[pairs]
    overlapping = shapely.area(shapely.intersection(footprints[first], footprints[second])) > 0.01
    keep = np.ones(len(footprints), dtype=bool)
    order = np.argsort(second[overlapping], kind="stable")
    for earlier, later in zip(first[overlapping][order], second[overlapping][order], strict=True):
        if keep[earlier]:
            keep[later] = False
    return keep
