"""Hourly PV output per kWp for roof orientations, with pvlib, from a test reference year.

PVWatts-style chain: plane-of-array irradiance (Hay-Davies sky diffuse, ground albedo 0.2), cell
temperature (Faiman), DC power with -0.4 %/K, 14 % system losses, PVWatts inverter at 96 %.
The direct normal irradiance comes from the horizontal beam and the solar zenith, limited by the
Ineichen clear sky (pvlib.irradiance.dni), so hours around sunrise do not blow up on steep faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

from plugins.energy.weather import ReferenceYear

DRESDEN = (51.05, 13.74, 115.0)  # latitude, longitude (degrees), altitude (m)
TEMPERATURE_COEFFICIENT = -0.004  # 1/K
SYSTEM_LOSSES = 0.14
INVERTER_EFFICIENCY = 0.96
ALBEDO = 0.2


@dataclass(frozen=True)
class SunAndSky:
    """Solar position and irradiance components over the hours of a reference year."""

    zenith: np.ndarray
    azimuth: np.ndarray
    dni: np.ndarray
    ghi: np.ndarray
    dhi: np.ndarray
    dni_extra: np.ndarray
    air_temperature: np.ndarray
    wind_speed: np.ndarray


def sun_and_sky(weather: ReferenceYear, site: tuple[float, float, float] = DRESDEN) -> SunAndSky:
    """The solar geometry at the site and the beam normal irradiance of each hour."""
    times = pd.DatetimeIndex(weather.times_utc).tz_localize("UTC")
    latitude, longitude, altitude = site
    location = pvlib.location.Location(latitude, longitude, altitude=altitude)
    position = location.get_solarposition(times)
    clear = location.get_clearsky(times, solar_position=position)
    dni = pvlib.irradiance.dni(pd.Series(weather.global_horizontal, times),
                               pd.Series(weather.diffuse_horizontal, times),
                               position["zenith"], dni_clear=clear["dni"])
    return SunAndSky(position["zenith"].to_numpy(), position["azimuth"].to_numpy(),
                     np.nan_to_num(dni.to_numpy()), weather.global_horizontal, weather.diffuse_horizontal,
                     pvlib.irradiance.get_extra_radiation(times).to_numpy(),
                     weather.air_temperature, weather.wind_speed)


def ac_output_per_kwp(sky: SunAndSky, tilt: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """AC power in kW per kWp, shape (orientations, hours); azimuth in degrees from north (180 south)."""
    tilt = np.asarray(tilt, dtype=float)[:, None]
    azimuth = np.asarray(azimuth, dtype=float)[:, None]
    irradiance = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sky.zenith[None], sky.azimuth[None], sky.dni[None], sky.ghi[None], sky.dhi[None],
        dni_extra=sky.dni_extra[None], model="haydavies", albedo=ALBEDO)
    plane = np.nan_to_num(np.asarray(irradiance["poa_global"], dtype=float))
    cell = pvlib.temperature.faiman(plane, sky.air_temperature[None], sky.wind_speed[None])
    dc = pvlib.pvsystem.pvwatts_dc(plane, cell, 1.0, TEMPERATURE_COEFFICIENT) * (1.0 - SYSTEM_LOSSES)
    ac = pvlib.inverter.pvwatts(dc, 1.0 / INVERTER_EFFICIENCY, eta_inv_nom=INVERTER_EFFICIENCY)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, None)
