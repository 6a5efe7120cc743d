"""Space heating and hot water per building, today and after years of refurbishment.

Housing takes the TABULA typology (need, kWh/(m2 a)). Other heated buildings take the German
benchmark of their use (plugins.energy.nonresidential: final energy, existing stock); refurbished,
their heating falls by the share TABULA gives multi-family houses of the same age class for the same
package, and their hot water stays.
"""

from __future__ import annotations

import numpy as np

from plugins.energy import nonresidential
from plugins.energy.tabula import HOT_WATER, TYPES, Typology


def heat_intensities(kinds: np.ndarray, years: np.ndarray, functions: np.ndarray, floor_area: np.ndarray,
                     typology: Typology) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per building: space heating (buildings, 3: existing / usual / advanced) and hot water,
    kWh/(m2 a), and the name of the figures' source (TABULA type or benchmark category)."""
    housing = np.isin(kinds, TYPES)
    space = typology.q_h_nd(np.where(housing, kinds, "MFH"), years)
    hot_water = np.array([HOT_WATER.get(str(kind), 0.0) for kind in kinds])
    source = np.array([f"TABULA {kind}" for kind in kinds], dtype=object)
    unheated = np.asarray(kinds) == "unheated"
    space[unheated] = 0.0
    source[unheated] = "unheated"
    other = ~housing & ~unheated
    names, heating, other_hot_water = nonresidential.benchmarks(np.asarray(functions)[other],
                                                                np.asarray(floor_area)[other])
    space[other] = heating[:, None] * space[other] / space[other, :1]
    hot_water[other] = other_hot_water
    source[other] = names
    return space, hot_water, source.astype(str)


def refurbished_share(base_year: int, year: float, rate: float) -> float:
    """Share of the stock refurbished by a year when `rate` of it is refurbished each year."""
    return float(np.clip(rate * (year - base_year), 0.0, 1.0))


def heat_demand_mwh(floor_area: np.ndarray, space: np.ndarray, hot_water: np.ndarray, share: float,
                    depth: int) -> np.ndarray:
    """Expected yearly heat per building (MWh) when a share of the stock is refurbished to a
    depth (1 usual, 2 advanced): every building carries that share of the refurbished value."""
    intensity = (1.0 - share) * space[:, 0] + share * space[:, depth] + hot_water
    return floor_area * intensity / 1000.0
