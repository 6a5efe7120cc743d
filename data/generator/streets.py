"""The demo streets: segments with measured condition quantities and a dated rating history.

What is modelled, per segment of at most SEGMENT_LENGTH metres:
- surface: main roads asphalt; side roads mostly asphalt, some stone paving (more of it in the
  19th-century Friedrichstadt), a little concrete;
- ageing: the years since the last treatment, stretched or shortened per segment (traffic,
  subsoil), turned into a condition value by the published PAVER family curves (collector curve
  for main roads, residential for side roads; CONDITION.md) mapped from PCI 100..0 to 1.0..5.0;
  stone paving ages at 25/30 the pace of asphalt (design lives 25 and 30 years);
- the measured quantities (unevenness, rut depth, fictive water depth, cracks, patches, other
  damage) are drawn around that condition value, each with its own scatter and one dominant
  damage type per segment, and converted with the inverse of the German rating scheme;
- the history: ratings from capture campaigns every four years since 2012 (plus the current
  measurement in MEASURED_YEAR, whose rating is the one the measured quantities give), each the
  curve at the segment's age then, with measuring scatter; a treatment resets the curve.
- importance: tram and bus routes on main roads, some school routes.
Written as a GeoPackage (EPSG:25833) with the history as JSON text, the schema twin/io/streets.py reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from pyogrio.raw import write as write_layer
from shapely.ops import substring

from data.generator.layout import PlannedStreet
from plugins.street_decay.rating import QUANTITIES, anchors, measured_for, rate

SEGMENT_LENGTH = 160.0
MEASURED_YEAR = 2026
CAMPAIGN_YEARS = (2012, 2016, 2020, 2024)
# PAVER family curves (rho, alpha, beta): PCI(age) = 100 - rho / ln(alpha / age) ** (1 / beta)
FAMILY_CURVES = {"main": (106.0, 79.0, 0.48), "side": (97.0, 110.0, 0.61)}
PAVING_PACE = 25.0 / 30.0


def write_streets(streets: Sequence[PlannedStreet], quarter: str, path: Path,
                  rng: np.random.Generator) -> Path:
    """Write the quarter's street segments with condition data as a GeoPackage."""
    street_of, geometries = _segments(streets)
    count = len(geometries)
    road_class = np.array([streets[i].road_class for i in street_of])
    surface = _surfaces(road_class, quarter, rng)
    treated = _last_treatment_years(road_class, rng)
    pace = rng.lognormal(0.0, 0.3, count) * np.where(surface == "paving", PAVING_PACE, 1.0)
    measured = {quantity: np.round(values, 2) for quantity, values in
                _measured_quantities(road_class, surface, MEASURED_YEAR - treated, pace, rng).items()}
    rating_now = np.round(rate(measured, road_class, surface)["overall"], 1)
    inspected = np.array([_date(MEASURED_YEAR, day) for day in rng.integers(100, 250, count)])
    histories = _histories(road_class, treated, pace, rng)
    for history, date, rating in zip(histories, inspected, rating_now, strict=True):
        history.append({"date": date, "rating": float(rating)})
    fields = {
        "segment_id": np.array([f"{quarter[:2].upper()}-{row + 1:04d}" for row in range(count)]),
        "name": np.array([streets[i].name for i in street_of]),
        "road_class": road_class,
        "surface": surface,
        "width_m": np.array([round(float(streets[i].width_m), 1) for i in street_of]),
        "length_m": np.round(shapely.length(geometries), 1),
        "built_year": treated - rng.integers(0, 40, count) * (rng.random(count) < 0.5),
        "last_treatment_year": treated,
        "inspected": inspected,
        **measured,
        **_routes(streets, street_of, rng),
        "inspections": np.array([json.dumps(history) for history in histories]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    write_layer(path, shapely.to_wkb(geometries), list(fields.values()), fields=list(fields),
                      geometry_type="LineString", crs="EPSG:25833", driver="GPKG",
                      layer=f"{quarter.lower()}_streets")
    return path


def _segments(streets: Sequence[PlannedStreet]) -> tuple[np.ndarray, np.ndarray]:
    """Each street cut into equal pieces no longer than SEGMENT_LENGTH: (street index, piece)."""
    street_of, pieces = [], []
    for index, street in enumerate(streets):
        count = max(1, int(np.ceil(street.geometry.length / SEGMENT_LENGTH)))
        cuts = np.linspace(0.0, 1.0, count + 1)
        for start, end in zip(cuts[:-1], cuts[1:], strict=True):
            pieces.append(substring(street.geometry, start, end, normalized=True))
            street_of.append(index)
    return np.array(street_of, dtype=np.int64), np.array(pieces, dtype=object)


def _surfaces(road_class: np.ndarray, quarter: str, rng: np.random.Generator) -> np.ndarray:
    paving_share = 0.35 if quarter.lower() == "friedrichstadt" else 0.1
    draw = rng.random(len(road_class))
    side = np.where(draw < paving_share, "paving", np.where(draw > 0.95, "concrete", "asphalt"))
    return np.where(road_class == "main", "asphalt", side)


def _last_treatment_years(road_class: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Main roads are treated more often than side roads: their last treatment is more recent."""
    oldest = np.where(road_class == "main", 2000, 1988)
    return rng.integers(oldest, MEASURED_YEAR - 1)


def condition_at(age: np.ndarray, road_class: np.ndarray) -> np.ndarray:
    """Condition value (1.0-5.0) after `age` years on the road class's family curve."""
    rho, alpha, beta = (np.where(road_class == "main", FAMILY_CURVES["main"][i], FAMILY_CURVES["side"][i])
                        for i in range(3))
    age = np.clip(age, 1e-3, alpha * 0.999)
    pci = np.clip(100.0 - rho / np.log(alpha / age) ** (1.0 / beta), 0.0, 100.0)
    return 1.0 + 4.0 * (100.0 - pci) / 100.0


def _measured_quantities(road_class: np.ndarray, surface: np.ndarray, age: np.ndarray, pace: np.ndarray,
                         rng: np.random.Generator) -> dict[str, np.ndarray]:
    count = len(road_class)
    level = condition_at(age * pace, road_class)
    dominant = rng.integers(0, len(QUANTITIES), count)
    measured = {}
    for index, quantity in enumerate(QUANTITIES):
        # The dominant damage type sits at the segment's level, the others scatter below it.
        offset = np.where(dominant == index, 0.0, -np.abs(rng.normal(0.0, 0.6, count)))
        value = np.clip(level + offset + rng.normal(0.0, 0.1, count), 1.0, 5.0)
        measured[quantity] = measured_for(value, anchors(quantity, road_class, surface))
    return measured


def _histories(road_class: np.ndarray, treated: np.ndarray, pace: np.ndarray,
               rng: np.random.Generator) -> list[list[dict[str, float | str]]]:
    """Ratings of the capture campaigns, oldest first; a treatment in between resets the curve."""
    count = len(road_class)
    previous_treatment = treated - rng.integers(18, 35, count)
    ratings = np.empty((len(CAMPAIGN_YEARS), count))
    for i, year in enumerate(CAMPAIGN_YEARS):
        since = np.where(year >= treated, year - treated, year - previous_treatment)
        level = condition_at(since * pace, road_class) + rng.normal(0.0, 0.15, count)
        ratings[i] = np.round(np.clip(level, 1.0, 5.0), 1)
    days = rng.integers(90, 280, ratings.shape)
    return [[{"date": _date(year, days[i, row]), "rating": float(ratings[i, row])}
             for i, year in enumerate(CAMPAIGN_YEARS)] for row in range(count)]


def _routes(streets: Sequence[PlannedStreet], street_of: np.ndarray,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Tram, bus and school routes follow whole streets: drawn per street, given to its segments."""
    main = np.array([street.road_class == "main" for street in streets])
    draw = rng.random((3, len(streets)))
    per_street = {
        "tram_route": main & (draw[0] < 0.5),
        "bus_route": np.where(main, draw[1] < 0.6, draw[1] < 0.1),
        "school_route": draw[2] < 0.15,
    }
    return {name: flags[street_of] for name, flags in per_street.items()}


def _date(year: int, day_of_year: int) -> str:
    return str(np.datetime64(f"{year}-01-01") + np.timedelta64(int(day_of_year), "D"))
