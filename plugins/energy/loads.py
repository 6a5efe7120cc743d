"""Hourly electricity load profiles, each normalised to 1 kWh a year (multiply by kWh/a).

BDEW standard load profiles of 2025 from demandlib: H25 (households, dynamic) and G25 (commercial),
on a calendar year with Saxony's public holidays. (demandlib's 1999 H0/G0 class ElecSlp turns every
warning into an error process-wide and then fails under pandas 3, so it is not used.) "hospital" is
this plugin's own shape for a large hospital, documented in `hospital_profile`.
"""

from __future__ import annotations

import datetime
import warnings
from functools import cache

import numpy as np
import pandas as pd
from dateutil.easter import easter
from demandlib import bdew

from plugins.energy.weather import HOURS, ReferenceYear

PROFILES = ("H25", "G25", "hospital")


def saxony_holidays(year: int) -> list[datetime.date]:
    """Public holidays in Saxony: the national ones, Reformation Day and Repentance Day."""
    sunday = easter(year)
    repentance = datetime.date(year, 11, 22)
    while repentance.weekday() != 2:  # the last Wednesday before 23 November
        repentance -= datetime.timedelta(days=1)
    fixed = [(1, 1), (5, 1), (10, 3), (10, 31), (12, 25), (12, 26)]
    moving = [-2, 1, 39, 50]  # Good Friday, Easter Monday, Ascension, Whit Monday
    return sorted([datetime.date(year, month, day) for month, day in fixed]
                  + [sunday + datetime.timedelta(days=offset) for offset in moving] + [repentance])


@cache
def _bdew_profiles(year: int) -> dict[str, np.ndarray]:
    holidays = saxony_holidays(year)
    hours = pd.date_range(f"{year}-01-01", periods=HOURS, freq="h")
    with warnings.catch_warnings():  # demandlib still uses pandas' deprecated inplace keywords
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return {"H25": _normalised(bdew.H25(hours, holidays=holidays).to_numpy()),
                "G25": _normalised(bdew.G25(hours, holidays=holidays).to_numpy())}


def hospital_profile(commercial: np.ndarray, air_temperature: np.ndarray) -> np.ndarray:
    """A hospital's hourly shape: 60 % round-the-clock base (wards, IT, ventilation), 30 % following
    the G25 working-hours shape (theatres, outpatients, kitchens), 10 % compression cooling in
    proportion to the degrees above 12 C - a model, not a measured profile."""
    cooling = np.clip(air_temperature - 12.0, 0.0, None)
    shares = 0.6 * np.full(HOURS, 1.0 / HOURS) + 0.3 * commercial + 0.1 * _normalised(cooling)
    return _normalised(shares)


def load_profiles(year: int, weather: ReferenceYear) -> dict[str, np.ndarray]:
    """The profiles of PROFILES for a (non-leap) calendar year, hourly, each summing to 1."""
    profiles = dict(_bdew_profiles(year))
    profiles["hospital"] = hospital_profile(profiles["G25"], weather.air_temperature)
    return profiles


def _normalised(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values / values.sum()
