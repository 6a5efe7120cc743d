"""The German test reference year (DWD TRY 2010) that demandlib ships, read offline.

All three model quarters lie in TRY region 4 (Nordostdeutsches Tiefland, station Potsdam). Each
row holds hourly means; HH (1..24, MEZ = UTC+1) is the end of its hour, so the row's mid-time is
HH - 0.5 h MEZ: the radiation peaks at solar noon with that convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import demandlib
import numpy as np

HOURS = 8760
_COLUMNS = {"wind_speed": 7, "air_temperature": 8, "direct_horizontal": 13, "diffuse_horizontal": 14}


@dataclass(frozen=True)
class ReferenceYear:
    """Hourly weather of a typical year: W/m2, degrees C and m/s; `times_utc` are the hours' mid-times."""

    region: int
    times_utc: np.ndarray  # datetime64[s] in the reference calendar year
    air_temperature: np.ndarray
    wind_speed: np.ndarray
    direct_horizontal: np.ndarray
    diffuse_horizontal: np.ndarray

    @property
    def global_horizontal(self) -> np.ndarray:
        return self.direct_horizontal + self.diffuse_horizontal


def try_file(region: int) -> Path:
    """demandlib's TRY 2010 file of a region (1..15)."""
    return Path(demandlib.__file__).parent / "vdi" / "resources_weather" / f"TRY2010_{region:02d}_Jahr.dat"


def read_reference_year(region: int = 4, year: int = 2023) -> ReferenceYear:
    """The TRY of a region, its hours stamped in the given (non-leap) calendar year."""
    if region < 1 or region > 15:
        raise ValueError(f"the TRY region must be 1..15, got {region}")
    lines = try_file(region).read_text(encoding="latin-1").splitlines()
    first = next(number for number, line in enumerate(lines) if line.startswith("***")) + 1
    table = np.loadtxt(lines[first:first + HOURS])
    start = np.datetime64(f"{year}-01-01T00:00:00")
    # Row i is the hour ending at i + 1 h MEZ, i.e. at i h UTC; its middle is i - 0.5 h UTC.
    times = start + (np.arange(HOURS) * 3600 - 1800).astype("timedelta64[s]")
    return ReferenceYear(region, times, **{name: table[:, column] for name, column in _COLUMNS.items()})
