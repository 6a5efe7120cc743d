"""Space heating and hot water per building: calculated need and final energy (typical consumption),
today and after years of refurbishment.

Housing takes the TABULA typology: need q_h_nd (existing / usual / advanced package) and hot water,
kWh/(m2 a). Today a share of each construction-year class already carries the usual package
(`REFURBISHED_TODAY`). Final energy is the calculated need times the heat supply's expenditure
factor, then brought to the typical level of measured consumption by TABULA's own adaptation
(`typical_consumption_factor`): old, poorly insulated buildings use markedly less than calculated
(the prebound effect), efficient ones about as calculated.

Other heated buildings take the German benchmark of their use (plugins.energy.nonresidential),
which already is final energy of the existing stock (measured consumption): they carry no
calculated need. Refurbished from today on, their heating falls by the share TABULA gives
multi-family houses of the same age class for the same package, and their hot water stays.

Need and final energy are kept apart everywhere: need exists for housing only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugins.energy import nonresidential
from plugins.energy.tabula import HOT_WATER, TYPES, Typology

# Share of the stock of each TABULA construction-year class (01 ..-1859, 02 1860-1918, 03 -1948,
# 04 -1957, 05 -1968, 06 -1978, 07 -1983, 08 -1994, 09 -2001, 10 -2009, 11 -2015, 12 2016-) whose
# walls, roof (or top floor ceiling) and windows have been modernised since construction.
# ESTIMATES for Dresden's East German stock, most of it refurbished after 1990: they follow the order
# of magnitude of the modernisation rates of the IWU/BBSR "Datenbasis Gebäudebestand" surveys
# (Diefenbach et al. 2010; Cischinsky and Diefenbach 2018: windows replaced almost everywhere,
# roofs in about two thirds, walls in a third to a half of the pre-1979 stock, higher in the East
# German industrially built stock) but are not that survey's table. Replace them with the published
# rates (or Dresden's own housing statistics) through the parameter `refurbished_today`.
# A published whole-stock figure to hold them against (Diefenbach et al. 2010, as quoted by
# haeuserblog.de, "70 Prozent aller Häuser vor 1978 ohne Fassadendämmung"): of all German
# residential buildings, including new ones insulated when built, 42 % have walls at least partly
# insulated, 76 % roofs or top floor ceilings, 37 % floors or cellar ceilings. The survey's tables
# by age class and region were not readable where this was written. Dresden's own figure
# (Landeshauptstadt Dresden, press release of July 2002 "Dresdner Wohnungen: 85 Prozent seit 1991
# saniert", from "Dresdner Zahlen aktuell" 4/2002): by 2001 more than 85 % of the occupied
# dwellings and over 80 % of the dwellings in multi-family houses had been modernised since 1991,
# the 1970s-80s slab blocks with nearly a quarter of their occupied dwellings still unmodernised.
# It counts any modernisation (heating, bathrooms, windows, envelope) per dwelling as of 2001, so it
# is context for, not a source of, the envelope shares above.
MODERNISED_COMPONENTS: dict[int, tuple[float, float, float]] = {
    1: (0.35, 0.65, 0.90), 2: (0.35, 0.65, 0.90), 3: (0.35, 0.65, 0.90), 4: (0.40, 0.65, 0.90),
    5: (0.55, 0.70, 0.95), 6: (0.60, 0.70, 0.95), 7: (0.55, 0.65, 0.95), 8: (0.45, 0.55, 0.90),
    9: (0.05, 0.05, 0.10), 10: (0.0, 0.0, 0.0), 11: (0.0, 0.0, 0.0), 12: (0.0, 0.0, 0.0),
}
# The share of a class in TABULA's "usual" refurbished state: the mean of its three components.
REFURBISHED_TODAY = tuple(round(float(np.mean(MODERNISED_COMPONENTS[number])), 3)
                          for number in sorted(MODERNISED_COMPONENTS))

# TABULA's adaptation to the typical level of measured consumption (Loga and Diefenbach 2013,
# "TABULA Calculation Method - Energy Use for Heating and Domestic Hot Water", section on the
# adaptation; the German typology, Loga et al. 2015, "Deutsche Wohngebäudetypologie", applies it):
# the factor is given at delivered energy (heating and hot water, without auxiliary electricity) of
# 0, 100, ..., 500 kWh/(m2 a) and interpolated linearly between, held beyond 500. This mechanism
# is checked against the IWU's own implementation (T. Loga, IWU: MobasyModel, R/17_CalcSystem.R,
# "Adaption of calculation to typical level of measured consumption", derived from
# tabula-calculator.xlsx): the same six nodes, the reference value q_del_h + q_del_w, linear
# between nodes and the factor at 500 held above it.
ADAPTATION_NODES = (0.0, 100.0, 200.0, 300.0, 400.0, 500.0)
# ESTIMATES of the German factors, read from the shape of the published curve (about 1 where
# calculated final energy is low, falling to about 0.6 near 300 kWh/(m2 a)). The IWU's table
# ("Tab.CalcAdapt", code DE.M.01, columns F_CalcAdapt_M_000 ... _500) is shipped only in binary
# form (IWUGERMANY/tabuladata: data/calcadapt.rda, data-raw/tabula-values.xlsx), which could not be
# read where this was written; no text copy of its values was found (searched: the TABULA and
# MOBASY R code, the TABULA web tool's forms, the energy atlas of Baden-Württemberg and the iSFP
# handbook's pages, which name the IWU's "typical consumption" but print no values). Replace the
# six numbers with that table's DE.M.01 row (module constants, not a run parameter).
ADAPTATION_FACTORS = (1.0, 0.95, 0.75, 0.63, 0.55, 0.5)
# Delivered heat per unit of need of a district-heated building (transfer station, distribution and
# hot water storage losses): an ESTIMATE in the range of TABULA's district heating systems.
EXPENDITURE_FACTOR = 1.15


@dataclass(frozen=True)
class HeatIntensities:
    """Per building, kWh/(m2 a): TABULA space heating need (buildings, 3: existing / usual /
    advanced; NaN where the figures are a final-energy benchmark), hot water need, benchmark final
    energy for heating and hot water (NaN for housing), the TABULA year class, the source's name."""

    space_need: np.ndarray
    hot_water_need: np.ndarray
    benchmark_heating: np.ndarray
    benchmark_hot_water: np.ndarray
    year_class: np.ndarray
    refurbished_ratio: np.ndarray  # (buildings, 3): space heating per package over existing (MFH for others)
    source: np.ndarray


def heat_intensities(kinds: np.ndarray, years: np.ndarray, functions: np.ndarray, floor_area: np.ndarray,
                     typology: Typology) -> HeatIntensities:
    """The figures each building's heat comes from, by its type, age and use."""
    kinds = np.asarray(kinds).astype(str)
    housing = np.isin(kinds, TYPES)
    unheated = kinds == "unheated"
    other = ~housing & ~unheated
    space = typology.q_h_nd(np.where(housing, kinds, "MFH"), years)
    ratio = space / space[:, :1]
    hot_water = np.array([HOT_WATER.get(kind, 0.0) for kind in kinds])
    benchmark_heating = np.full(len(kinds), np.nan)
    benchmark_hot_water = np.full(len(kinds), np.nan)
    source = np.array([f"TABULA {kind}" for kind in kinds], dtype=object)
    names, heating, other_hot_water = nonresidential.benchmarks(np.asarray(functions)[other],
                                                                np.asarray(floor_area)[other])
    benchmark_heating[other], benchmark_hot_water[other], source[other] = heating, other_hot_water, names
    benchmark_heating[unheated] = benchmark_hot_water[unheated] = 0.0
    space[~housing] = np.nan
    hot_water[~housing] = np.nan
    source[unheated] = "unheated"
    return HeatIntensities(space, hot_water, benchmark_heating, benchmark_hot_water,
                           typology.year_class(years), ratio, source.astype(str))


def typical_consumption_factor(delivered: np.ndarray, nodes: tuple[float, ...] = ADAPTATION_NODES,
                               factors: tuple[float, ...] = ADAPTATION_FACTORS) -> np.ndarray:
    """TABULA's ratio of typical measured consumption to calculated delivered energy (kWh/(m2 a))."""
    return np.interp(np.asarray(delivered, dtype=float), nodes, factors)


def refurbished_shares(year_class: np.ndarray, today: tuple[float, ...], base_year: int, year: float,
                       rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Per building: the share refurbished before today (usual package) and the share refurbished
    from today until `year` at `rate` of the stock a year (the chosen package), together at most 1."""
    before = np.asarray(today, dtype=float)[np.asarray(year_class, dtype=int) - 1]
    since = np.minimum(float(np.clip(rate * (year - base_year), 0.0, 1.0)), 1.0 - before)
    return before, since


@dataclass(frozen=True)
class HeatState:
    """Per building, kWh/(m2 a): need (NaN for benchmark buildings) and final energy at the typical
    level of measured consumption."""

    need: np.ndarray
    final: np.ndarray


def heat_state(figures: HeatIntensities, before: np.ndarray, since: np.ndarray, depth: int,
               expenditure: float = EXPENDITURE_FACTOR) -> HeatState:
    """Need and final energy when `before` of each building's class carries the usual package and
    `since` the package `depth` (1 usual, 2 advanced); the rest is as built."""
    as_built = 1.0 - before - since
    space = (as_built * figures.space_need[:, 0] + before * figures.space_need[:, 1]
             + since * figures.space_need[:, depth])
    need = space + figures.hot_water_need
    delivered = need * expenditure
    final = delivered * typical_consumption_factor(delivered)
    # Benchmarks describe today's stock as it is: only refurbishment from today on lowers them.
    benchmark_ratio = 1.0 - since + since * figures.refurbished_ratio[:, depth]
    benchmark = figures.benchmark_heating * benchmark_ratio + figures.benchmark_hot_water
    return HeatState(need, np.where(np.isnan(need), benchmark, final))


def heat_mwh(floor_area: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    """Yearly heat per building (MWh) from kWh/(m2 a); NaN stays NaN (no such figure)."""
    return np.asarray(floor_area, dtype=float) * intensity / 1000.0
