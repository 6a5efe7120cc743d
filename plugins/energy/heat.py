"""Space heating and hot water per building, today and after years of refurbishment."""

from __future__ import annotations

import numpy as np

from plugins.energy.tabula import HOT_WATER, Typology

# TABULA covers housing only; other heated buildings take the multi-family values of their age class
# and a hot water need of offices and schools.
NONRESIDENTIAL_HOT_WATER = 5.0


def heat_intensities(kinds: np.ndarray, years: np.ndarray,
                     typology: Typology) -> tuple[np.ndarray, np.ndarray]:
    """q_h_nd (buildings, 3: existing / usual / advanced) and hot water (buildings), kWh/(m2 a)."""
    tabula_kind = np.where(np.isin(kinds, ("SFH", "TH", "MFH", "AB")), kinds, "MFH")
    space = typology.q_h_nd(tabula_kind, years)
    hot_water = np.array([HOT_WATER.get(str(kind), NONRESIDENTIAL_HOT_WATER) for kind in kinds])
    return space, hot_water


def refurbished_share(base_year: int, year: float, rate: float) -> float:
    """Share of the stock refurbished by a year when `rate` of it is refurbished each year."""
    return float(np.clip(rate * (year - base_year), 0.0, 1.0))


def heat_demand_mwh(floor_area: np.ndarray, space: np.ndarray, hot_water: np.ndarray, share: float,
                    depth: int) -> np.ndarray:
    """Expected yearly heat need per building (MWh) when a share of the stock is refurbished to a
    depth (1 usual, 2 advanced): every building carries that share of the refurbished value."""
    intensity = (1.0 - share) * space[:, 0] + share * space[:, depth] + hot_water
    return floor_area * intensity / 1000.0
