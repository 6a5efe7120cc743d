"""Hourly electricity load profiles, each normalised to 1 kWh a year (multiply by kWh/a).

BDEW standard load profiles on a calendar year with Saxony's public holidays:
- H25 (households, dynamic) and G25 (commercial) of 2025, through demandlib;
- H0 (households, dynamic) and G0 (commercial) of 1999, from the table demandlib ships
  (bdew_data/selp_series.csv). demandlib's own ElecSlp class turns every warning into an error
  process-wide and then fails under pandas 3, so the table is read here and the BDEW method is
  applied as demandlib documents it: winter 1 Nov - 20 Mar, summer 15 May - 14 Sep, transition
  between; working days, Saturdays and Sundays each have their day; a public holiday counts as a
  Sunday. H0 is dynamised with the BDEW 4th-degree polynomial over the day of the year.
"hospital" is this plugin's own shape for a large hospital, documented in `hospital_profile`.
"""

from __future__ import annotations

import csv
import datetime
import warnings
from functools import cache
from pathlib import Path

import demandlib
import numpy as np
import pandas as pd
from dateutil.easter import easter
from demandlib import bdew

from plugins.energy.weather import HOURS, ReferenceYear

PROFILES = ("H25", "G25", "H0", "G0", "hospital")
HOUSEHOLD_PROFILES = ("H25", "H0")
COMMERCIAL_PROFILES = ("G25", "G0")
SELP_TABLE = Path(demandlib.__file__).parent / "bdew" / "bdew_data" / "selp_series.csv"
SEASONS = ("winter", "summer", "transition")
# BDEW dynamisation of H0: F(t) = -3.92e-10 t^4 + 3.2e-7 t^3 - 7.02e-5 t^2 + 2.1e-3 t + 1.24,
# t the day of the year (1..365); coefficients from the highest power down.
H0_DYNAMISATION = (-3.92e-10, 3.2e-7, -7.02e-5, 2.1e-3, 1.24)


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
        profiles = {"H25": _normalised(bdew.H25(hours, holidays=holidays).to_numpy()),
                    "G25": _normalised(bdew.G25(hours, holidays=holidays).to_numpy())}
    tables = read_selp_table()
    profiles["H0"] = _normalised(bdew_1999_hourly(tables["h0"], year, holidays, dynamic=True))
    profiles["G0"] = _normalised(bdew_1999_hourly(tables["g0"], year, holidays, dynamic=False))
    return profiles


@cache
def read_selp_table(path: Path = SELP_TABLE) -> dict[str, np.ndarray]:
    """The 1999 BDEW profiles of the table by name (h0, g0, ...): arrays (season in SEASONS,
    weekday 1..7 as 0..6, quarter hour 0..95) of the mean power in kW per 1,000 kWh a year."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    names = header[3:]
    tables = {name: np.full((len(SEASONS), 7, 96), np.nan) for name in names}
    filled = np.zeros((len(SEASONS), 7), dtype=int)
    for row in rows[1:]:
        season, weekday = SEASONS.index(row[1]), int(row[2]) - 1
        quarter = filled[season, weekday]
        for name, value in zip(names, row[3:], strict=True):
            tables[name][season, weekday, quarter] = float(value)
        filled[season, weekday] += 1
    if not (filled == 96).all():
        raise ValueError(f"{path} does not hold 96 quarter hours for every season and weekday")
    return tables


def bdew_1999_hourly(table: np.ndarray, year: int, holidays: list[datetime.date],
                     dynamic: bool) -> np.ndarray:
    """Hourly mean power (kW per 1,000 kWh/a before normalising) of a 1999 profile over a year."""
    days = np.arange(f"{year}-01-01", f"{year + 1}-01-01", dtype="datetime64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    weekday[np.isin(days, np.array(holidays, dtype="datetime64[D]"))] = 6
    hourly = table.reshape(len(SEASONS), 7, 24, 4).mean(axis=3)
    per_day = hourly[day_seasons(days), weekday]
    if dynamic:
        per_day = per_day * np.polyval(H0_DYNAMISATION, np.arange(1, len(days) + 1))[:, None]
    return per_day.ravel()[:HOURS]


def day_seasons(days: np.ndarray) -> np.ndarray:
    """The BDEW season (index into SEASONS) of each day."""
    month_day = ((days.astype("datetime64[M]").astype(np.int64) % 12 + 1) * 100
                 + (days - days.astype("datetime64[M]")).astype(np.int64) + 1)
    season = np.full(len(days), SEASONS.index("transition"))
    season[(month_day <= 320) | (month_day >= 1101)] = SEASONS.index("winter")
    season[(month_day >= 515) & (month_day <= 914)] = SEASONS.index("summer")
    return season


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
