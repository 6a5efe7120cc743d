"""The building stock from a LoD2 model: use, TABULA type, conditioned floor area, dwellings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from twin.core.data import BuildingData

# AdV building function codes (31001_xxxx): 1000-1999 housing and mixed use with housing.
RESIDENTIAL_CODES = (1000, 2000)
HOSPITAL = "31001_3051"
# Parking (Gebäude zum Parken, Parkhaus, Parkdeck, Garage, Fahrzeughalle, Tiefgarage): not heated.
UNHEATED_CODES = {"31001_2460", "31001_2461", "31001_2462", "31001_2463", "31001_2464", "31001_2465"}
KINDS = ("SFH", "TH", "MFH", "AB", "non-residential", "unheated")


@dataclass(frozen=True)
class Stock:
    kind: np.ndarray  # one of KINDS
    function: np.ndarray  # the AdV function code as given ("" where none)
    year: np.ndarray
    storeys: np.ndarray
    floor_area: np.ndarray  # conditioned floor area, m2
    dwellings: np.ndarray


def classify(buildings: BuildingData, default_year: float, storey_height: float, area_factor: float,
             flat_size: float) -> Stock:
    """Use from the AdV function, TABULA type from storeys, age and neighbours, area from footprint."""
    attributes = buildings.attributes
    rows = len(buildings)
    function = _column(attributes, "function", rows, "").astype(str)
    year = _column(attributes, "year_of_construction", rows, np.nan).astype(float)
    year = np.where(np.isfinite(year), year, default_year)
    footprint = np.array([0.0 if shape is None else shape.area for shape in buildings.footprints])
    storeys = _storeys(attributes, rows, storey_height)
    floor_area = footprint * storeys * area_factor
    code = np.array([function_code(text) for text in function])
    residential = (code >= RESIDENTIAL_CODES[0]) & (code < RESIDENTIAL_CODES[1])
    attached = _touches_a_neighbour(buildings.footprints)
    kind = np.where(storeys >= 3, "MFH", np.where(attached, "TH", "SFH")).astype(object)
    kind[(storeys >= 5) & ((year >= 1958) | (floor_area >= 3000))] = "AB"  # slab and tower blocks
    kind[~residential] = "non-residential"
    kind[np.isin(function, list(UNHEATED_CODES))] = "unheated"
    floor_area = np.where(kind == "unheated", 0.0, floor_area)
    dwellings = np.where(np.isin(kind, ("SFH", "TH")), 1.0,
                         np.where(residential, np.maximum(1.0, np.round(floor_area / flat_size)), 0.0))
    return Stock(kind.astype(str), function, year, storeys, floor_area, dwellings)


def _column(attributes: dict[str, np.ndarray], name: str, rows: int, missing: object) -> np.ndarray:
    values = attributes.get(name)
    return np.full(rows, missing, dtype=object) if values is None else np.asarray(values)


def _storeys(attributes: dict[str, np.ndarray], rows: int, storey_height: float) -> np.ndarray:
    """storeysAboveGround, else measuredHeight / storey height, at least one."""
    given = _column(attributes, "storeys_above_ground", rows, np.nan).astype(float)
    height = _column(attributes, "measured_height", rows, np.nan).astype(float)
    from_height = np.round(height / storey_height)
    storeys = np.where(np.isfinite(given) & (given > 0), given, from_height)
    return np.where(np.isfinite(storeys), np.maximum(storeys, 1.0), 1.0)


def function_code(function: str) -> int:
    """The number of an AdV function code ("31001_2054") or of a plain one ("1000", as in CityGML's
    own code list, which the AdV list extends); -1 where there is none."""
    head, _, number = function.partition("_")
    if not number:
        head, number = "31001", head
    return int(number) if head == "31001" and number.isdigit() else -1


def _touches_a_neighbour(footprints: np.ndarray) -> np.ndarray:
    """Buildings whose footprint touches or overlaps another's (terraces, perimeter blocks)."""
    present = np.array([shape is not None for shape in footprints])
    shapes = np.array([shape for shape in footprints if shape is not None], dtype=object)
    touching = np.zeros(len(footprints), dtype=bool)
    if len(shapes) < 2:
        return touching
    tree = shapely.STRtree(shapes)
    pairs = tree.query(shapely.buffer(shapes, 0.1), predicate="intersects")
    counts = np.bincount(pairs[0][pairs[0] != pairs[1]], minlength=len(shapes))
    touching[np.flatnonzero(present)] = counts > 0
    return touching
