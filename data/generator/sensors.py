"""Measuring stations of the demo city and ten days of their series, 6-16 July 2026 (UTC).

Not measured data. What is modelled, and how:
- per quarter a rain gauge (5-minute sums, mm) and an air-quality station (hourly NO2, PM10
  in ug/m3 and air temperature); the first quarter's station stands at a main road (traffic),
  the others in residential streets (urban background);
- two Elbe water-level gauges (hourly, cm above gauge zero) on the demo terrain's river line:
  one where the river is nearest to Dresden's Augustusbruecke gauge, one upstream beside
  Johannstadt;
- the weather: hot, dry days building up to a convective storm on 10 July in the afternoon,
  a frontal rain day on 13 July, a light shower on 7 July, dry days otherwise;
- the storm: a cell moving south-west to north-east over Johannstadt (or the second quarter),
  whose hour of rain has the shape of a DWD design storm of Euler type II (the 5-minute
  blocks of a depth-duration curve, the largest one a third into the hour), 42-50 mm at its
  centre, less with distance from its track (Gaussian, 2.5 km), arriving later downwind;
  a 30-minute tail of light rain follows. Gauges tip in 0.1 mm steps;
- the Elbe: a slow summer recession around 1 m, then a rise of 45-70 cm peaking a day after
  the storm as the tributaries deliver, and a small bump after the front;
- NO2 and PM10: a background plus traffic with rush hours (local time, weaker at weekends),
  more at night under the inversion, washed out after rain; PM10 rises over the dry days;
- air temperature: a daily cycle around daily means rising to 27 C before the storm, a cold
  pool of 8-10 C at the storm's arrival, a cool front day after.
Heights: ground from the terrain model's valley floor plus the instrument height; the Elbe
gauges at a gauge zero of 102.73 m (upstream 0.3 m higher).
Everything is drawn from numpy's default_rng(seed): the same seed writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from data.generator.terrain import ELBE, RIVER_LEVEL, VALLEY_SLOPE
from twin.core.atomic import write_atomic
from twin.core.quarter import Quarter

START = np.datetime64("2026-07-06T00:00:00", "s")  # a Monday
DAYS = 10
RAIN_STEP = np.timedelta64(5, "m")
HOUR = np.timedelta64(1, "h")
LOCAL_OFFSET_H = 2  # CEST
STORM_ONSET = START + np.timedelta64(4 * 24 * 60 + 14 * 60 + 40, "m")  # 10 July, 16:40 CEST
FRONT_START = START + np.timedelta64(7 * 24 + 6, "h")  # 13 July, from 08:00 CEST
SHOWER_START = START + np.timedelta64(24 + 13, "h")  # 7 July, 15:00 CEST
STORM_DIRECTION = np.array([1.0, 1.0]) / np.sqrt(2.0)  # moving south-west to north-east
STORM_SPEED = 30_000 / 3600  # m/s
STORM_WIDTH = 2_500.0  # m, standard deviation of the depth across the track
AUGUSTUSBRUECKE = shapely.Point(411_712, 5_656_640)  # the real gauge, EPSG:25833
GAUGE_ZERO = 102.73  # m above sea level (DHHN), Dresden gauge
TO_WGS84 = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)

UNITS = {
    "precipitation": ("mm", "millimetre", "http://qudt.org/vocab/unit/MilliM"),
    "water_level": ("cm", "centimetre", "http://qudt.org/vocab/unit/CentiM"),
    "NO2": ("µg/m³", "microgram per cubic metre", "http://qudt.org/vocab/unit/MicroGM-PER-M3"),
    "PM10": ("µg/m³", "microgram per cubic metre", "http://qudt.org/vocab/unit/MicroGM-PER-M3"),
    "air_temperature": ("°C", "degree Celsius", "http://qudt.org/vocab/unit/DEG_C"),
}
DESCRIPTIONS = {
    "precipitation": "precipitation sum over 5 minutes (tipping bucket, 0.1 mm)",
    "water_level": "water level above gauge zero, hourly",
    "NO2": "nitrogen dioxide concentration, hourly mean",
    "PM10": "particulate matter below 10 µm, hourly mean",
    "air_temperature": "air temperature 2 m above ground, hourly",
}


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    type: str
    quarter: str
    description: str
    site: str  # air quality: "traffic" or "urban background"; "" for the gauges
    x: float
    y: float
    z: float


@dataclass(frozen=True)
class Series:
    """One datastream; `step` is set for sums over an interval ending at each time."""

    station: str
    quantity: str
    times: np.ndarray
    values: np.ndarray
    step: np.timedelta64 | None = None


def write_sensors(quarters: list[Quarter], out_dir: Path, seed: int) -> list[Path]:
    """sensors.sta.json (SensorThings) and sensors_stations.csv + sensors_observations.csv."""
    rng = np.random.default_rng(seed)
    rain_gauges = [_rain_gauge(quarter, rng) for quarter in quarters]
    air_stations = [_air_station(quarter, number, rng) for number, quarter in enumerate(quarters)]
    elbe_gauges = _elbe_gauges(quarters)
    centre = _storm_centre(quarters, rng)
    series = (_rain(rain_gauges, centre, rng) + _water_levels(elbe_gauges, rng)
              + _air(air_stations, centre, rng))
    stations = rain_gauges + elbe_gauges + air_stations
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "sensors.sta.json", out_dir / "sensors_stations.csv",
             out_dir / "sensors_observations.csv"]
    write_atomic(paths[0], _sensorthings_json(stations, series))
    write_atomic(paths[1], _stations_csv(stations))
    write_atomic(paths[2], _observations_csv(series))
    return paths


# Stations ------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def _ground(x: float, y: float) -> float:
    """The demo terrain's valley floor (its undulation and hollows left out)."""
    return RIVER_LEVEL + VALLEY_SLOPE * shapely.Point(x, y).distance(ELBE)


def _inside(quarter: Quarter, rng: np.random.Generator, shift: tuple[float, float]) -> shapely.Point:
    """A point near the quarter's centre, moved by `shift` and a little jitter, kept inside."""
    centre = quarter.polygon.representative_point()
    dx, dy = np.asarray(shift) + rng.uniform(-60.0, 60.0, 2)
    point = shapely.Point(centre.x + dx, centre.y + dy)
    return point if quarter.polygon.contains(point) else centre


def _rain_gauge(quarter: Quarter, rng: np.random.Generator) -> Station:
    point = _inside(quarter, rng, (-120.0, 80.0))
    return Station(f"RG-{_slug(quarter.name)}", f"Rain gauge {quarter.name}", "rain_gauge",
                   quarter.name, "tipping-bucket rain gauge on a school roof garden", "",
                   round(point.x, 2), round(point.y, 2), round(_ground(point.x, point.y) + 1.0, 2))


def _air_station(quarter: Quarter, number: int, rng: np.random.Generator) -> Station:
    point = _inside(quarter, rng, (150.0, -100.0))
    site = "traffic" if number == 0 else "urban background"
    return Station(f"AQ-{_slug(quarter.name)}", f"Air quality {quarter.name} ({site})", "air_quality",
                   quarter.name, f"air-quality container, {site} site, inlet 3.5 m above ground", site,
                   round(point.x, 2), round(point.y, 2), round(_ground(point.x, point.y) + 3.5, 2))


def _elbe_gauges(quarters: list[Quarter]) -> list[Station]:
    """Gauges where the demo river is nearest to the Augustusbruecke and to the second quarter."""
    upstream_quarter = quarters[min(1, len(quarters) - 1)]
    places = [("Augustusbruecke", "Dresden Augustusbruecke (model)", AUGUSTUSBRUECKE, GAUGE_ZERO, ""),
              # upstream: the Elbe falls about 0.2 m per km
              (_slug(upstream_quarter.name), f"Elbe at {upstream_quarter.name} (model)",
               upstream_quarter.polygon.centroid, GAUGE_ZERO + 0.3, upstream_quarter.name)]
    stations = []
    for slug, name, near, zero, quarter in places:
        on_river = ELBE.interpolate(ELBE.project(near))
        stations.append(Station(f"EL-{slug}", name, "water_level_gauge", quarter,
                                "Elbe water-level gauge, level above gauge zero", "",
                                round(on_river.x, 2), round(on_river.y, 2), zero))
    return stations


# Series --------------------------------------------------------------------------------------


def _times(step: np.timedelta64, ending: bool) -> np.ndarray:
    """The period's times at `step`: interval ends for sums, else instants from the start."""
    count = int(np.timedelta64(DAYS, "D") // step)
    return START + step * (np.arange(1, count + 1) if ending else np.arange(count))


def _hours_since(times: np.ndarray, moment: np.ndarray | np.datetime64) -> np.ndarray:
    return (times - moment) / np.timedelta64(1, "h")


def _storm_centre(quarters: list[Quarter], rng: np.random.Generator) -> np.ndarray:
    target = quarters[min(1, len(quarters) - 1)].polygon.representative_point()
    return np.array([target.x, target.y]) + rng.uniform(-300.0, 300.0, 2)


def _storm_arrival(stations: list[Station], centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per station: the storm's onset there and its distance from the storm track (m)."""
    offsets = np.array([(station.x, station.y) for station in stations]) - centre
    along = offsets @ STORM_DIRECTION
    across = offsets @ np.array([-STORM_DIRECTION[1], STORM_DIRECTION[0]])
    lag = np.round(along / STORM_SPEED / 300.0).astype(np.int64) * np.timedelta64(5, "m")
    return STORM_ONSET + lag, np.abs(across)


def euler_type_2(depth_60: float, exponent: float = 0.48) -> np.ndarray:
    """5-minute depths of a one-hour Euler type II design storm with `depth_60` mm in total.

    The depth-duration curve h(D) = depth_60 (D / 60 min)^exponent (about KOSTRA-DWD's shape for
    Dresden) gives twelve block increments; Euler II puts the largest a third into the hour,
    the next largest rising before it and the rest falling after it.
    """
    durations = np.arange(5, 65, 5)
    increments = np.diff(depth_60 * (durations / 60.0) ** exponent, prepend=0.0)
    peak = len(increments) // 3
    return np.concatenate([increments[:peak + 1][::-1], increments[peak + 1:]])


def _rain(gauges: list[Station], centre: np.ndarray, rng: np.random.Generator) -> list[Series]:
    times = _times(RAIN_STEP, ending=True)
    arrival, distance = _storm_arrival(gauges, centre)
    storm_depth = rng.uniform(42.0, 50.0) * np.exp(-0.5 * (distance / STORM_WIDTH) ** 2)
    hyetograph = np.concatenate([euler_type_2(1.0), np.linspace(0.012, 0.002, 6)])
    rain = np.zeros((len(gauges), len(times)))
    for row in range(len(gauges)):
        start = int((arrival[row] - START) // RAIN_STEP)
        blocks = storm_depth[row] * hyetograph * rng.lognormal(0.0, 0.12, len(hyetograph))
        rain[row, start:start + len(blocks)] += blocks
    rain += _front(times, len(gauges), rng) + _shower(times, len(gauges), rng)
    return [Series(gauge.id, "precipitation", times, values, RAIN_STEP)
            for gauge, values in zip(gauges, _tipping_bucket(rain), strict=True)]


def _front(times: np.ndarray, gauges: int, rng: np.random.Generator) -> np.ndarray:
    """Steady frontal rain over about eight hours, 6-12 mm, alike at every gauge."""
    hours = _hours_since(times, FRONT_START)
    shape = np.where((hours > 0) & (hours < 8), np.sin(np.pi * np.clip(hours, 0, 8) / 8) ** 2, 0.0)
    total = rng.uniform(6.0, 12.0) * rng.uniform(0.8, 1.2, (gauges, 1))
    return total * shape / shape.sum()


def _shower(times: np.ndarray, gauges: int, rng: np.random.Generator) -> np.ndarray:
    """A light half-hour shower that reaches some gauges (0-4 mm)."""
    hours = _hours_since(times, SHOWER_START)
    shape = np.where((hours > 0) & (hours <= 0.5), 1.0, 0.0)
    total = np.clip(rng.normal(1.5, 1.5, (gauges, 1)), 0.0, 4.0)
    return total * shape / shape.sum()


def _tipping_bucket(rain: np.ndarray, resolution: float = 0.1) -> np.ndarray:
    """Sums the gauges record: whole tips of 0.1 mm, the remainder carried to the next step."""
    tips = np.floor(np.cumsum(rain, axis=1) / resolution + 1e-9)
    return np.round(np.diff(tips, axis=1, prepend=0.0) * resolution, 1)


def _water_levels(gauges: list[Station], rng: np.random.Generator) -> list[Series]:
    times = _times(HOUR, ending=False)
    days = _hours_since(times, START) / 24.0
    recession = 92.0 + 14.0 * np.exp(-days / 6.0)  # summer low water, around 1 m
    rise = rng.uniform(45.0, 70.0)
    series = []
    for number, gauge in enumerate(gauges):
        lead = 2.0 * number  # the upstream gauge peaks two hours earlier
        storm = rise * (1.0 - 0.05 * number) * _wave(_hours_since(times, STORM_ONSET) + lead, 26.0)
        front = 10.0 * _wave(_hours_since(times, FRONT_START) + lead, 20.0)
        noise = rng.normal(0.0, 0.6, len(times))
        series.append(Series(gauge.id, "water_level", times, np.round(recession + storm + front + noise)))
    return series


def _wave(hours: np.ndarray, peak_after: float, delay: float = 5.0, shape: float = 3.0) -> np.ndarray:
    """A flood wave starting `delay` hours after the rain, 1.0 at its peak `peak_after` hours after."""
    rising = np.clip((hours - delay) / (peak_after - delay), 0.0, None)
    return rising ** shape * np.exp(shape * (1.0 - rising))


def _air(stations: list[Station], centre: np.ndarray, rng: np.random.Generator) -> list[Series]:
    times = _times(HOUR, ending=False)
    arrival, _ = _storm_arrival(stations, centre)
    since_storm = _hours_since(times[np.newaxis, :], arrival[:, np.newaxis])
    since_front = _hours_since(times, FRONT_START)[np.newaxis, :]
    washout = 1.0 - 0.45 * _decay(since_storm, 18.0) - 0.3 * _decay(since_front - 4.0, 12.0)
    local_hour = (_hours_since(times, START) + LOCAL_OFFSET_H) % 24.0
    weekday = ((_hours_since(times, START) + LOCAL_OFFSET_H) // 24.0) % 7
    rush_hours = np.exp(-((local_hour - 7.5) / 1.5) ** 2) + 0.8 * np.exp(-((local_hour - 17.0) / 2.0) ** 2)
    traffic = (0.3 + rush_hours) * np.where(weekday >= 5, 0.6, 1.0)
    inversion = 1.0 + 0.3 * np.cos(2 * np.pi * (local_hour - 3.0) / 24.0)
    share = np.array([1.0 if station.site == "traffic" else 0.35 for station in stations])
    no2 = (12.0 + 30.0 * share[:, None] * traffic * inversion) * washout * _noise(rng, stations, times, 0.15)
    dry_build_up = 1.0 + 0.4 * np.clip(_hours_since(times, START) / (4.5 * 24.0), 0.0, 1.0)
    pm10 = ((12.0 + 5.0 * share[:, None]) * (1.0 + 0.25 * traffic) * dry_build_up * washout
            * _noise(rng, stations, times, 0.12))
    temperature = _temperature(times, since_storm, stations, rng)
    series = []
    for row, station in enumerate(stations):
        series += [Series(station.id, "NO2", times, np.round(no2[row], 1)),
                   Series(station.id, "PM10", times, np.round(pm10[row], 1)),
                   Series(station.id, "air_temperature", times, np.round(temperature[row], 1))]
    return series


def _decay(hours: np.ndarray, timescale: float) -> np.ndarray:
    """1.0 at the moment, fading over `timescale` hours after it; 0.0 before."""
    return np.where(hours >= 0.0, np.exp(-np.clip(hours, 0.0, None) / timescale), 0.0)


def _noise(rng: np.random.Generator, stations: list[Station], times: np.ndarray,
           sigma: float) -> np.ndarray:
    """Multiplicative noise with hour-to-hour memory (AR(1), 0.8), mean about 1."""
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - 0.8 ** 2), (len(stations), len(times)))
    memory = 0.8 ** np.arange(24)
    kernel = np.apply_along_axis(lambda row: np.convolve(row, memory)[:len(times)], 1, shocks)
    return np.exp(kernel)


def _temperature(times: np.ndarray, since_storm: np.ndarray, stations: list[Station],
                 rng: np.random.Generator) -> np.ndarray:
    day_means = np.array([20.5, 21.5, 23.0, 25.0, 27.0, 21.0, 20.0, 18.5, 19.5, 21.0])
    day_ranges = np.array([5.5, 6.0, 6.0, 6.5, 6.5, 4.5, 4.5, 2.5, 4.0, 5.0])
    days = _hours_since(times, START) / 24.0
    middays = np.arange(DAYS) + 0.5
    mean, half_range = np.interp(days, middays, day_means), np.interp(days, middays, day_ranges)
    utc_hour = _hours_since(times, START) % 24.0
    cycle = mean + half_range * np.cos(2 * np.pi * (utc_hour - 13.0) / 24.0)  # warmest 15:00 CEST
    cold_pool = rng.uniform(8.0, 10.0) * _decay(since_storm, 6.0)
    site = rng.normal(0.0, 0.4, (len(stations), 1))  # urban heat and exposure differ
    return cycle + site - cold_pool + rng.normal(0.0, 0.2, cold_pool.shape)


# Files ---------------------------------------------------------------------------------------


def _iso(times: np.ndarray) -> list[str]:
    return np.strings.add(np.datetime_as_string(times, unit="s"), "Z").tolist()


def _sensorthings_json(stations: list[Station], series: list[Series]) -> str:
    """A GET /Things?$expand=Locations,Datastreams($expand=ObservedProperty,Observations) answer."""
    lon, lat = TO_WGS84.transform([station.x for station in stations], [station.y for station in stations])
    things = []
    for station, longitude, latitude in zip(stations, lon, lat, strict=True):
        location = {"@iot.id": f"{station.id}-location", "name": station.name,
                    "description": f"position of {station.name}",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point",
                                 "coordinates": [round(longitude, 7), round(latitude, 7), station.z]}}
        things.append({"@iot.id": station.id, "name": station.name, "description": station.description,
                       "properties": {"type": station.type, "quarter": station.quarter,
                                      "site": station.site},
                       "Locations": [location],
                       "Datastreams": [_datastream(stream) for stream in series
                                       if stream.station == station.id]})
    return json.dumps({"value": things}, ensure_ascii=False, separators=(",", ":")) + "\n"


def _datastream(stream: Series) -> dict:
    symbol, unit_name, definition = UNITS[stream.quantity]
    ends = _iso(stream.times)
    times = ends if stream.step is None else [f"{start}/{end}" for start, end in
                                              zip(_iso(stream.times - stream.step), ends, strict=True)]
    return {
        "@iot.id": f"{stream.station}/{stream.quantity}",
        "name": stream.quantity,
        "description": DESCRIPTIONS[stream.quantity],
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "unitOfMeasurement": {"name": unit_name, "symbol": symbol, "definition": definition},
        "ObservedProperty": {"@iot.id": stream.quantity, "name": stream.quantity,
                             "definition": f"urn:dresden-twin:def:quantity:{stream.quantity}",
                             "description": DESCRIPTIONS[stream.quantity]},
        "Observations": [{"phenomenonTime": time, "result": value}
                         for time, value in zip(times, stream.values.tolist(), strict=True)],
    }


def _stations_csv(stations: list[Station]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["station_id", "name", "type", "quarter", "site", "description", "x", "y", "z", "crs"])
    writer.writerows([station.id, station.name, station.type, station.quarter, station.site,
                      station.description, station.x, station.y, station.z, "EPSG:25833"]
                     for station in stations)
    return buffer.getvalue()


def _observations_csv(series: list[Series]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["station_id", "quantity", "unit", "time", "value"])
    for stream in series:
        count = len(stream.times)
        writer.writerows(zip([stream.station] * count, [stream.quantity] * count,
                             [UNITS[stream.quantity][0]] * count, _iso(stream.times),
                             stream.values.tolist(), strict=True))
    return buffer.getvalue()
