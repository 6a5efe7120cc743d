"""Stochastic household electricity: hourly loads of single dwellings whose mean is a standard profile.

A standard load profile (BDEW H25/H0) is the mean over many households: given to one flat it has
its peak near 0.23 kW per 1,000 kWh/a, where one household reaches several kW when the oven, the
washing machine and the kettle run together, and it overstates how much PV a household uses at
once. This module draws each dwelling's year as a bottom-up appliance model in the manner of
Paatero and Lund (2006, "A model for generating household electricity load profiles", Int. J.
Energy Res. 30, 273-290) and Richardson et al. (2010, "Domestic electricity use: a high-resolution
energy demand model", Energy and Buildings 42, 1878-1887): a steady base load (cold appliances,
standby) plus switch-on events of appliance classes whose hourly rate follows the standard
profile, so that the expected load of every hour is the standard profile's:

    E[load(h)] = base + sum_k rate_k(h) x energy_k = annual x profile(h).

Occupancy is not modelled separately (Richardson's active-occupancy chain): the standard profile
already carries when households are active. Events start in an hour and their energy counts in that
hour (each lasts at most an hour). Dwellings are independent, so the events of n dwellings are
Poisson with n times the rate: a building's year is drawn in one go, exact for the sum of its
dwellings (the year's number of events, then each event's hour). Above `EXACT_UP_TO` dwellings the
hourly sum is drawn from its normal approximation (central limit theorem: the same mean and
variance, sum_k rate_k(h) x energy_k^2 x n), one draw per hour, close for the many independent
events of a block of flats. Each building's year is then scaled to its annual energy exactly.
Draws use the run's seeded generator, so a scenario's seed gives the same loads again.

The appliance classes below (rated power, run time within the hour, share of the appliance
energy) are ESTIMATES of typical German household appliances, not a measured data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (name, kW while running, minutes running in the hour of the event, share of appliance energy).
APPLIANCES: tuple[tuple[str, float, float, float], ...] = (
    ("cooking (hob, oven)", 2.0, 30.0, 0.25),
    ("kettle, coffee, toaster", 2.0, 5.0, 0.10),
    ("washing machine", 2.0, 20.0, 0.10),
    ("dishwasher", 2.0, 20.0, 0.10),
    ("tumble dryer", 2.5, 45.0, 0.08),
    ("lights, TV, computers", 0.15, 60.0, 0.37),
)
# Cold appliances and standby run around the clock: at most this share of the annual energy, and
# never more than the profile's own lowest hour allows (the events can only add to it).
BASE_SHARE = 0.3
_CHUNK = 512  # buildings drawn at once: bounds the memory of their events
EXACT_UP_TO = 4  # dwellings per building drawn event by event; larger buildings by the normal sum


@dataclass(frozen=True)
class HouseholdModel:
    """Event rates per unit of annual energy: the base load (kW per kWh/a) and, per appliance
    class, the events per hour per kWh/a (classes, hours), with each event's energy (kWh)."""

    base: float
    rates: np.ndarray
    event_kwh: np.ndarray


def household_model(profile: np.ndarray) -> HouseholdModel:
    """The model whose expected year is `profile` (hourly, summing to 1) per kWh of annual energy."""
    profile = np.asarray(profile, dtype=float)
    hours = len(profile)
    base_share = min(BASE_SHARE, 0.9 * float(profile.min()) * hours)
    shape = (profile - base_share / hours) / (1.0 - base_share)  # sums to 1, all positive
    power = np.array([kw for _, kw, _, _ in APPLIANCES])
    event_kwh = power * np.array([minutes for _, _, minutes, _ in APPLIANCES]) / 60.0
    shares = np.array([share for _, _, _, share in APPLIANCES])
    rates = (1.0 - base_share) * shares[:, None] * shape[None, :] / event_kwh[:, None]
    return HouseholdModel(base_share / hours, rates, event_kwh)


def dwelling_loads(model: HouseholdModel, dwellings: np.ndarray, annual_kwh: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Hourly load (kW) of each building's dwellings together, shape (buildings, hours); each row
    sums to the building's annual kWh (zero rows where a building has no dwellings)."""
    dwellings = np.asarray(dwellings, dtype=float)
    annual_kwh = np.asarray(annual_kwh, dtype=float)
    scale = np.where(dwellings > 0, annual_kwh, 0.0)  # expected kWh/a of the building's dwellings
    loads = np.zeros((len(dwellings), model.rates.shape[1]))
    exact = np.flatnonzero(dwellings <= EXACT_UP_TO)
    for start in range(0, len(exact), _CHUNK):
        rows = exact[start:start + _CHUNK]
        loads[rows] = scale[rows, None] * model.base + _events(model, scale[rows], rng)
    summed = np.flatnonzero(dwellings > EXACT_UP_TO)
    loads[summed] = _normal_sum(model, scale[summed], rng)
    totals = loads.sum(axis=1)
    return loads * np.divide(annual_kwh, totals, out=np.zeros_like(totals), where=totals > 0)[:, None]


def _events(model: HouseholdModel, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Energy of the appliance events of buildings of `scale` kWh/a per hour, (buildings, hours).

    A Poisson process drawn as its year's count, then each event's hour from the rate's cumulative
    distribution: the same law as one Poisson draw per hour, at a cost per event rather than per
    hour (a dwelling has a few thousand events a year, against 8760 hours x classes)."""
    hours = model.rates.shape[1]
    energy = np.zeros(len(scale) * hours)
    for rate, kwh in zip(model.rates, model.event_kwh, strict=True):
        cumulative = np.cumsum(rate)
        counts = rng.poisson(scale * cumulative[-1])
        hour = _hours_of(cumulative, rng.random(counts.sum()) * cumulative[-1])
        energy += kwh * np.bincount(np.repeat(np.arange(len(scale)), counts) * hours + hour,
                                    minlength=len(energy))
    return energy.reshape(len(scale), hours)


def _hours_of(cumulative: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The hour each value falls in (the first whose cumulative rate exceeds it), through a guide
    table: a bin of the value range points at the first hour it can fall in, a few steps finish.
    The same answer as np.searchsorted(cumulative, values, "right"), several times faster on
    millions of unsorted values."""
    bins = 8 * len(cumulative)
    guide = np.searchsorted(cumulative, np.arange(bins) * (cumulative[-1] / bins), side="right")
    hour = guide[np.minimum((values * (bins / cumulative[-1])).astype(np.int64), bins - 1)]
    hour = np.minimum(hour, len(cumulative) - 1)
    while True:
        behind = (cumulative[hour] <= values) & (hour < len(cumulative) - 1)
        if not behind.any():
            return hour
        hour += behind


def _normal_sum(model: HouseholdModel, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Base load and events of buildings of `scale` kWh/a, drawn as normal sums with the events'
    mean and variance, never below the base load."""
    mean = model.base + model.event_kwh @ model.rates
    spread = np.sqrt(scale[:, None] * (model.event_kwh ** 2 @ model.rates)[None])
    draws = scale[:, None] * mean[None] + spread * rng.standard_normal((len(scale), len(mean)))
    return np.maximum(draws, scale[:, None] * model.base)


def coincidence_factor(loads: np.ndarray) -> float:
    """Peak of the summed load over the sum of the single peaks (rows are units)."""
    single = loads.max(axis=1).sum()
    return float(loads.sum(axis=0).max() / single) if single > 0 else float("nan")
