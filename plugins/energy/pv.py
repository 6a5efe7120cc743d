"""Hourly PV output per kWp for roof orientations, with pvlib, from a test reference year.

PVWatts-style chain, chosen for roof-mounted modules:
- plane-of-array irradiance with the Perez (1990) sky-diffuse model (circumsolar and horizon
  brightening, which matter on tilted roofs), extraterrestrial irradiance and relative air mass as
  it needs them, ground albedo 0.2;
- angle-of-incidence loss of the glass cover: Martin and Ruiz (2001), with their closed forms for
  the sky and ground diffuse parts (pvlib.iam.martin_ruiz, martin_ruiz_diffuse; a_r = 0.16,
  standard glass); closed forms keep hundreds of roof orientations fast, where integrating the
  physical model over the dome (Marion 2017) costs about 20 ms per tilt;
- cell temperature of roof-mounted modules: the Sandia model (King et al. 2004) with its
  "close mount, glass/glass" coefficients (a = -2.98, b = -0.0471, dT = 1 K), which hold the
  hot back of modules close above a roof; open racks run cooler;
- DC power with -0.4 %/K, 14 % system losses (PVWatts' default), PVWatts inverter at 96 %.
The direct normal irradiance comes from the horizontal beam and the solar zenith, limited by the
Ineichen clear sky (pvlib.irradiance.dni), so hours around sunrise do not blow up on steep faces.

`PVModel` names these choices, so that a test can switch each off and show what it changes.
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
ROOF_MOUNT = "close_mount_glass_glass"


@dataclass(frozen=True)
class PVModel:
    """The modelling choices of the chain: transposition ("perez", "haydavies", "isotropic"),
    whether the glass's angle-of-incidence loss applies, and the cell temperature model ("sapm_roof":
    Sandia close mount; "faiman": pvlib's Faiman defaults, a free-standing module)."""

    transposition: str = "perez"
    incidence_loss: bool = True
    temperature: str = "sapm_roof"


ROOFTOP = PVModel()


@dataclass(frozen=True)
class SunAndSky:
    """Solar position and irradiance components over the hours of a reference year."""

    zenith: np.ndarray
    azimuth: np.ndarray
    dni: np.ndarray
    ghi: np.ndarray
    dhi: np.ndarray
    dni_extra: np.ndarray
    airmass: np.ndarray
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
    airmass = pvlib.atmosphere.get_relative_airmass(position["apparent_zenith"].to_numpy())
    return SunAndSky(position["zenith"].to_numpy(), position["azimuth"].to_numpy(),
                     np.nan_to_num(dni.to_numpy()), weather.global_horizontal, weather.diffuse_horizontal,
                     pvlib.irradiance.get_extra_radiation(times).to_numpy(), airmass,
                     weather.air_temperature, weather.wind_speed)


def plane_of_array(sky: SunAndSky, tilt: np.ndarray, azimuth: np.ndarray,
                   model: PVModel = ROOFTOP) -> np.ndarray:
    """Irradiance the cells receive (W/m2), shape (orientations, hours): transposed to the plane
    and, with the incidence loss, less what the glass reflects."""
    tilt = np.asarray(tilt, dtype=float)[:, None]
    azimuth = np.asarray(azimuth, dtype=float)[:, None]
    parts = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sky.zenith[None], sky.azimuth[None], sky.dni[None], sky.ghi[None], sky.dhi[None],
        dni_extra=sky.dni_extra[None], airmass=sky.airmass[None], model=model.transposition, albedo=ALBEDO)
    beam, diffuse, ground = (np.nan_to_num(np.broadcast_to(np.asarray(parts[name], dtype=float),
                                                           (len(tilt), len(sky.zenith))))
                             for name in ("poa_direct", "poa_sky_diffuse", "poa_ground_diffuse"))
    if not model.incidence_loss:
        return beam + diffuse + ground
    incidence = pvlib.irradiance.aoi(tilt, azimuth, sky.zenith[None], sky.azimuth[None])
    dome = pvlib.iam.martin_ruiz_diffuse(tilt[:, 0])
    sky_loss, ground_loss = (np.asarray(dome[part])[:, None] for part in ("sky", "ground"))
    return beam * np.nan_to_num(pvlib.iam.martin_ruiz(incidence)) + diffuse * sky_loss + ground * ground_loss


def cell_temperature(sky: SunAndSky, plane: np.ndarray, model: PVModel = ROOFTOP) -> np.ndarray:
    """Cell temperature (C) for the plane-of-array irradiance, by the model's temperature choice."""
    if model.temperature == "faiman":
        return pvlib.temperature.faiman(plane, sky.air_temperature[None], sky.wind_speed[None])
    if model.temperature == "sapm_roof":
        coefficients = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][ROOF_MOUNT]
        return pvlib.temperature.sapm_cell(plane, sky.air_temperature[None], sky.wind_speed[None],
                                           **coefficients)
    raise ValueError(f"unknown PV temperature model {model.temperature!r}: 'sapm_roof' or 'faiman'")


def ac_output_per_kwp(sky: SunAndSky, tilt: np.ndarray, azimuth: np.ndarray,
                      model: PVModel = ROOFTOP) -> np.ndarray:
    """AC power in kW per kWp, shape (orientations, hours); azimuth in degrees from north (180 south)."""
    plane = plane_of_array(sky, tilt, azimuth, model)
    cell = cell_temperature(sky, plane, model)
    dc = pvlib.pvsystem.pvwatts_dc(plane, cell, 1.0, TEMPERATURE_COEFFICIENT) * (1.0 - SYSTEM_LOSSES)
    ac = pvlib.inverter.pvwatts(dc, 1.0 / INVERTER_EFFICIENCY, eta_inv_nom=INVERTER_EFFICIENCY)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, None)
