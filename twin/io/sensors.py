"""Measuring stations and their time series: OGC SensorThings API JSON and a CSV pair.

SensorThings (v1.1): the response of
    GET /Things?$expand=Locations,Datastreams($expand=ObservedProperty,Observations)
that is {"value": [Thing, ...]}, a bare list of Things or one Thing. "@iot.nextLink"s are not
followed (the info counts them). Each Thing needs a Location in GeoJSON (WGS84 longitude,
latitude and optional height, as the standard demands, so the CRS is EPSG:4326). A
Datastream's quantity is its ObservedProperty's name, its unit the unitOfMeasurement symbol;
an Observation's time is its phenomenonTime (the end of an interval), its value the numeric
result.

CSV: two files in one folder, NAME_stations.csv and NAME_observations.csv (NAME may be
empty: stations.csv and observations.csv); opening either reads both. UTF-8, comma
separated, a header row, one record per line.

    NAME_stations.csv      station_id, name, and a position:
                             x, y [, z] with a crs column ("EPSG:25833", the same on every row),
                             x, y [, z] without one (the CRS is the one the user gives), or
                             lon, lat [, z] in WGS84 (EPSG:4326);
                           z may be empty where a station's height is unknown;
                           optional type, description and any further columns (attributes).
    NAME_observations.csv  station_id, quantity, unit, time, value, optionally datastream:
                             time   ISO 8601, UTC unless it carries "Z" or an offset
                                    ("2026-07-10T15:05:00Z", "2026-07-10T17:05:00+02:00");
                                    sums over an interval are stamped with the interval's end;
                             value  a number on every row (leave out a row for a gap);
                             datastream  names the series where a station has two of the same
                                    quantity (default: the quantity); its id is
                                    station_id/datastream.

Heights that a file does not give are NaN.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely.geometry
from shapely.errors import GeometryTypeError

from twin.core.crs import normalize_crs
from twin.core.data import Datastream, SensorData, TimeSeries
from twin.core.errors import CRSError
from twin.io.errors import TwinIOError

WGS84 = "EPSG:4326"
GEOJSON_ENCODINGS = ("application/geo+json", "application/vnd.geo+json", "application/json")
STATION_COLUMNS = ("station_id", "name")
OBSERVATION_COLUMNS = ("station_id", "quantity", "unit", "time", "value")
_PAIR_NAME = re.compile(r"(.*?)(stations|observations)\.csv", re.IGNORECASE)
_STA_MARKERS = (b'"@iot.', b'"Datastreams"', b'"Things"')


class _BadValue(ValueError):
    """The first of a batch of values that cannot be read, by its position in the batch."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def is_sensorthings(head: bytes) -> bool:
    """True for the first bytes of a SensorThings API response."""
    return any(marker in head for marker in _STA_MARKERS)


def read_sensors(path: Path, crs: str | None = None) -> SensorData:
    """Stations and series of a SensorThings JSON file or a sensor CSV pair."""
    return _read_csv_pair(path, crs) if _is_csv(path) else _read_sensorthings(path)[0]


def sensors_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a sensor file (see twin/io/formats.py for the keys)."""
    extra: dict[str, Any] = {}
    if _is_csv(path):
        sensors = _read_csv_pair(path, crs)
    else:
        sensors, extra["unfollowed_next_links"] = _read_sensorthings(path)
    times = [stream.series.times for stream in sensors.datastreams if len(stream.series.times)]
    first = min(series.min() for series in times) if times else None
    last = max(series.max() for series in times) if times else None
    return {
        "format": "CSV" if _is_csv(path) else "SensorThings",
        "version": None if _is_csv(path) else "1.1",
        "crs": sensors.crs,
        "bounds": _bounds(sensors.xyz),
        "stations": len(sensors),
        "datastreams": len(sensors.datastreams),
        "observations": sum(len(stream.series.values) for stream in sensors.datastreams),
        "stations_without_observations": _stations_without_observations(sensors),
        "time_range": [_iso(first), _iso(last)] if times else None,
        **extra,
    }


def _utc_times(texts: np.ndarray | list[str]) -> np.ndarray:
    """ISO 8601 instants or intervals (taking the end) as datetime64[s] UTC, vectorised.

    Times without "Z" or an offset count as UTC. Raises _BadValue for the first unreadable one.
    """
    if len(texts) == 0:  # a Datastream without Observations
        return np.array([], dtype="datetime64[s]")
    text = _text_array(texts)
    _, slash, end = np.strings.partition(text, "/")
    local, offset_minutes = _split_offsets(np.where(slash == "/", end, text))
    try:
        times = np.array(local, dtype="datetime64[ms]")
    except ValueError:
        raise _BadValue(_first_failing(local, lambda item: np.datetime64(item, "ms"))) from None
    if np.isnat(times).any():  # "NaT" and "" parse, but are no time
        raise _BadValue(int(np.argmax(np.isnat(times))))
    return (times - offset_minutes.astype("timedelta64[m]")).astype("datetime64[s]")


def _text_array(texts: np.ndarray | list) -> np.ndarray:
    """Times as a 1-D array of stripped text; raises _BadValue for the first that is a list."""
    try:
        text = np.asarray(texts, dtype=str)
    except ValueError:  # lists among the times, of differing lengths
        text = np.array([], dtype=str)
    if text.ndim != 1 or len(text) != len(texts):
        raise _BadValue(next((index for index, item in enumerate(texts) if isinstance(item, list)), 0))
    return np.strings.strip(text)


def _split_offsets(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times without their UTC designator ("Z", "+02:00", "+0200", "+02") and its minutes east."""
    text = np.where(np.strings.endswith(text, "Z") | np.strings.endswith(text, "z"),
                    np.strings.slice(text, 0, -1), text)
    time_start = np.maximum(np.strings.find(text, "T"), np.strings.find(text, " "))
    sign_at = np.maximum(np.strings.rfind(text, "+"), np.strings.rfind(text, "-"))
    has_offset = (time_start > 0) & (sign_at > time_start)
    minutes = np.zeros(len(text), dtype=np.int64)
    if not has_offset.any():
        return text, minutes
    designators = np.strings.slice(text[has_offset], sign_at[has_offset], None)
    digits = np.strings.ljust(np.strings.replace(np.strings.slice(designators, 1, None), ":", ""), 4, "0")
    try:
        hours_minutes = digits.astype(np.int64)
    except ValueError:
        raise _BadValue(int(np.flatnonzero(has_offset)[0])) from None
    sign = np.where(np.strings.startswith(designators, "-"), -1, 1)
    minutes[has_offset] = sign * (hours_minutes // 100 * 60 + hours_minutes % 100)
    return np.where(has_offset, np.strings.slice(text, 0, sign_at), text), minutes


# SensorThings --------------------------------------------------------------------------------


def _read_sensorthings(path: Path) -> tuple[SensorData, int]:
    """The stations of a SensorThings response and how many next links were not followed."""
    document = _load_json(path)
    return sensors_from_response(path, document), _count_next_links(document, _things(path, document))


def sensors_from_response(path: Path, document: Any) -> SensorData:
    """The stations of a parsed SensorThings response (a file's, or a service's: path names it)."""
    things = _things(path, document)
    ids, xyz, rows, streams = [], [], [], []
    for number, thing in enumerate(things, start=1):
        if not isinstance(thing, dict):
            raise TwinIOError(path, f"entry {number} of the response is not a Thing object")
        station_id = _text(thing.get("@iot.id", thing.get("name", number)))
        ids.append(station_id)
        xyz.append(_location(path, station_id, thing))
        rows.append({"name": _text(thing.get("name", station_id)),
                     "description": _text(thing.get("description", "")),
                     **_scalar_properties(thing.get("properties"))})
        datastreams = thing.get("Datastreams") or []
        if not isinstance(datastreams, list):
            raise TwinIOError(path, f"the Datastreams of Thing '{station_id}' are not a list")
        streams += [_datastream(path, station_id, stream) for stream in datastreams]
    return SensorData(ids=np.array(ids, dtype=str), xyz=np.array(xyz, dtype=np.float64),
                      attributes=_attribute_columns(rows), datastreams=streams, crs=WGS84)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise TwinIOError(path, "not a SensorThings JSON file: the text is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise TwinIOError(path, f"the JSON does not parse: {error.msg} at line {error.lineno}, "
                                f"column {error.colno}") from None
    except RecursionError:
        raise TwinIOError(path, "the JSON nests too deeply to be a SensorThings response") from None


def _things(path: Path, document: Any) -> list:
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        things = document["value"]
    elif isinstance(document, list):
        things = document
    elif isinstance(document, dict) and ("Locations" in document or "Datastreams" in document):
        things = [document]
    else:
        raise TwinIOError(path, "not a SensorThings response: expected {\"value\": [Thing, ...]}, "
                                "a list of Things or one Thing")
    if not things:
        raise TwinIOError(path, "the response holds no Things (stations)")
    if all(isinstance(thing, dict) and "url" in thing and "@iot.id" not in thing for thing in things):
        raise TwinIOError(path, "this is a SensorThings service's root document; save the answer of "
                                "GET /Things?$expand=Locations,Datastreams($expand=ObservedProperty,"
                                "Observations) instead")
    return things


def _location(path: Path, station_id: str, thing: dict) -> tuple[float, float, float]:
    """Longitude, latitude and height (NaN where not given) of a Thing's first Location."""
    locations = thing.get("Locations")
    if not (isinstance(locations, list) and locations and isinstance(locations[0], dict)
            and locations[0].get("location")):
        raise TwinIOError(path, f"Thing '{station_id}' has no location (request it with "
                                "$expand=Locations)")
    location = locations[0]
    encoding = location.get("encodingType", "application/geo+json")
    if encoding not in GEOJSON_ENCODINGS:
        raise TwinIOError(path, f"the location of Thing '{station_id}' is encoded as '{encoding}'; "
                                "the twin reads GeoJSON locations")
    geometry = location["location"]
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    try:
        shape = shapely.geometry.shape(geometry)
    except (GeometryTypeError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        raise TwinIOError(path, f"the location of Thing '{station_id}' is not a GeoJSON "
                                "geometry") from None
    point = shape if shape.geom_type == "Point" else shape.centroid
    if point.is_empty:
        raise TwinIOError(path, f"the location of Thing '{station_id}' is empty")
    if not np.isfinite([point.x, point.y]).all() or (point.has_z and not np.isfinite(point.z)):
        raise TwinIOError(path, f"the location of Thing '{station_id}' has a coordinate that is not a "
                                "finite number")
    return point.x, point.y, point.z if point.has_z else np.nan


def _datastream(path: Path, station_id: str, stream: Any) -> Datastream:
    if not isinstance(stream, dict):
        raise TwinIOError(path, f"a Datastream of Thing '{station_id}' is not an object")
    name = _text(stream.get("name", ""))
    stream_id = _text(stream.get("@iot.id", f"{station_id}/{name}"))
    observed = _object(stream.get("ObservedProperty"))
    unit = _object(stream.get("unitOfMeasurement"))
    observations = stream.get("Observations") or []
    if not isinstance(observations, list):
        raise TwinIOError(path, f"the Observations of Datastream '{stream_id}' of Thing '{station_id}' "
                                "are not a list")
    where = f"Datastream '{stream_id}' of Thing '{station_id}'"
    return Datastream(id=stream_id, station_id=station_id, name=name,
                      quantity=_text(observed.get("name", name)),
                      unit=_text(unit.get("symbol") or unit.get("name") or ""),
                      series=_observation_series(path, where, observations))


def _observation_series(path: Path, where: str, observations: list) -> TimeSeries:
    return _sorted_series(*observation_arrays(path, where, observations))


def observation_arrays(path: Path, where: str, observations: list) -> tuple[np.ndarray, np.ndarray]:
    """UTC times (datetime64[s], an interval's end) and values of SensorThings Observations, in order."""
    try:
        times = [observation["phenomenonTime"] for observation in observations]
        results = [observation["result"] for observation in observations]
    except (KeyError, TypeError):
        number, key = _first_incomplete(observations)
        raise TwinIOError(path, f"observation {number} of {where} has no {key}") from None
    try:
        values = _numbers(results)
    except _BadValue as bad:
        raise TwinIOError(path, f"observation {bad.index + 1} of {where} has no numeric result "
                                f"(found {json.dumps(results[bad.index])})") from None
    try:
        parsed = _utc_times(times)
    except _BadValue as bad:
        raise TwinIOError(path, f"observation {bad.index + 1} of {where} has an unreadable "
                                f"phenomenonTime '{times[bad.index]}'") from None
    return parsed, values


def _numbers(results: list) -> np.ndarray:
    """JSON results as float64, vectorised; raises _BadValue for the first that is no finite number."""
    try:
        values = np.array(results)  # a 1-D numeric array exactly when every result is a number
    except ValueError:  # lists of differing lengths
        values = np.array([], dtype=object)
    if values.ndim == 1 and values.dtype.kind in "iuf" and len(values) == len(results):
        finite = np.isfinite(values)
        if finite.all():
            return values.astype(np.float64)
        raise _BadValue(int(np.argmin(finite)))
    raise _BadValue(_first_failing(results, _number))


def _first_incomplete(observations: list) -> tuple[int, str]:
    """Number (from 1) and missing member of the first observation lacking time or result."""
    for number, observation in enumerate(observations, start=1):
        for key in ("phenomenonTime", "result"):
            if not isinstance(observation, dict) or key not in observation:
                return number, key
    return len(observations), "result"


def _number(value: Any) -> float:
    if not _is_number(value):
        raise ValueError(value)
    return value


def _count_next_links(document: Any, things: list[dict]) -> int:
    """The "@iot.nextLink"s of the response, its Things and their Datastreams."""
    objects = [document] if isinstance(document, dict) else []
    for thing in things:
        objects += [thing, *(thing.get("Datastreams") or [])]
    return sum(key.endswith("@iot.nextLink") for item in objects if isinstance(item, dict)
               for key in item)


def _object(value: Any) -> dict:
    """A member that must be a JSON object; missing or of another kind, an empty one."""
    return value if isinstance(value, dict) else {}


def _scalar_properties(properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        return {}
    return {str(key): value for key, value in properties.items()
            if isinstance(value, str | int | float) and key not in ("name", "description")}


# CSV -----------------------------------------------------------------------------------------


def _read_csv_pair(path: Path, given_crs: str | None) -> SensorData:
    stations_path, observations_path = _pair(path)
    stations = _read_table(stations_path, STATION_COLUMNS)
    ids = stations.column("station_id")
    duplicate = _first_duplicate(ids)
    if duplicate is not None:
        raise TwinIOError(stations_path, f"station '{ids[duplicate]}' is listed twice "
                                         f"(line {stations.lines[duplicate]})")
    xyz, crs = _station_positions(stations, given_crs)
    reserved = {"station_id", "x", "y", "z", "lon", "lat", "crs"}
    attributes = {name: _attribute_column(stations.column(name))
                  for name in stations.header if name not in reserved}
    return SensorData(ids=ids, xyz=xyz, attributes=attributes,
                      datastreams=_csv_datastreams(observations_path, set(ids.tolist())), crs=crs)


def csv_partner_name(name: str) -> str | None:
    """The name of a sensor CSV's partner file (stations <-> observations); None for other names."""
    match = _PAIR_NAME.fullmatch(name.rpartition("/")[2])
    if match is None:
        return None
    partner_role = "observations" if match.group(2).lower() == "stations" else "stations"
    return f"{match.group(1)}{partner_role}.csv"


def _pair(path: Path) -> tuple[Path, Path]:
    """The stations file and the observations file, whichever of the two was opened."""
    match = _PAIR_NAME.fullmatch(path.name)
    if match is None:
        raise TwinIOError(path, "a sensor CSV is read as a pair named NAME_stations.csv and "
                                "NAME_observations.csv in one folder; this name is neither")
    prefix, role = match.group(1), match.group(2).lower()
    partner_role = "observations" if role == "stations" else "stations"
    wanted = f"{prefix}{partner_role}.csv".lower()
    partner = next((candidate for candidate in path.parent.iterdir()
                    if candidate.name.lower() == wanted), None)
    if partner is None:
        raise TwinIOError(path, f"its partner file {prefix}{partner_role}.csv is not in the same folder")
    return (path, partner) if role == "stations" else (partner, path)


class _Table:
    """A CSV file as columns of text, with each row's line number for messages."""

    def __init__(self, path: Path, header: list[str], cells: np.ndarray, lines: np.ndarray) -> None:
        self.path, self.header, self.cells, self.lines = path, header, cells, lines

    def has(self, name: str) -> bool:
        return name in self.header

    def column(self, name: str) -> np.ndarray:
        return np.strings.strip(self.cells[:, self.header.index(name)])

    def numbers(self, name: str, may_be_empty: bool = False) -> np.ndarray:
        """A column as finite float64 (NaN for empty cells where allowed); others name their line."""
        texts = self.column(name)
        empty = (texts == "") if may_be_empty else np.zeros(len(texts), dtype=bool)
        texts_or_nan = np.where(empty, "nan", texts)
        try:
            values = texts_or_nan.astype(np.float64)
        except ValueError:
            row = _first_failing(texts_or_nan, float)
        else:
            bad = ~np.isfinite(values) & ~empty
            if not bad.any():
                return values
            row = int(np.argmax(bad))
        raise TwinIOError(self.path, f"line {self.lines[row]}: the {name} '{texts[row]}' is not a number")


def _read_table(path: Path, required: tuple[str, ...]) -> _Table:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.reader(stream))
    except UnicodeDecodeError:
        raise TwinIOError(path, "the CSV is not UTF-8 text") from None
    except (OSError, csv.Error) as error:
        raise TwinIOError(path, f"the CSV cannot be read ({error})") from None
    if not rows:
        raise TwinIOError(path, "the CSV is empty")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise TwinIOError(path, f"the CSV lacks the column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)} (it has {', '.join(header)})")
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    lines = np.arange(1, len(rows) + 1)
    filled = lengths > 0  # blank lines
    filled[0] = False
    wrong = filled & (lengths != len(header))
    if wrong.any():
        row = int(np.argmax(wrong))
        raise TwinIOError(path, f"line {lines[row]} has {lengths[row]} fields, the header "
                                f"{len(header)}")
    body = [row for row, keep in zip(rows, filled, strict=True) if keep]
    cells = np.array(body, dtype=str).reshape(len(body), len(header))
    return _Table(path, header, cells, lines[filled])


def _station_positions(stations: _Table, given_crs: str | None) -> tuple[np.ndarray, str | None]:
    if stations.has("lon") and stations.has("lat"):
        x, y, crs = stations.numbers("lon"), stations.numbers("lat"), WGS84
    elif stations.has("x") and stations.has("y"):
        x, y = stations.numbers("x"), stations.numbers("y")
        crs = _crs_column(stations) if stations.has("crs") else None
        crs = crs or _normalized(stations.path, given_crs)
    else:
        raise TwinIOError(stations.path, "the stations CSV needs the position columns x and y "
                                         "(with crs) or lon and lat")
    z = stations.numbers("z", may_be_empty=True) if stations.has("z") else np.full(len(x), np.nan)
    return np.column_stack([x, y, z]), crs


def _crs_column(stations: _Table) -> str | None:
    codes = np.unique(stations.column("crs"))
    if len(codes) > 1:
        raise TwinIOError(stations.path, f"the stations use more than one CRS ({', '.join(codes)}); "
                                         "one file, one CRS")
    return _normalized(stations.path, codes[0]) if len(codes) else None


def _normalized(path: Path, crs: str | None) -> str | None:
    try:
        return normalize_crs(crs)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _csv_datastreams(path: Path, station_ids: set[str]) -> list[Datastream]:
    """One Datastream per (station, datastream name), in the order they first appear."""
    table = _read_table(path, OBSERVATION_COLUMNS)
    stations, quantities, units = (table.column(name) for name in ("station_id", "quantity", "unit"))
    unknown = ~np.isin(stations, list(station_ids))
    if unknown.any():
        row = int(np.argmax(unknown))
        raise TwinIOError(path, f"line {table.lines[row]}: station '{stations[row]}' is not in the "
                                "stations file")
    names = table.column("datastream") if table.has("datastream") else quantities
    names = np.where(names == "", quantities, names)
    values = table.numbers("value")
    texts = table.column("time")
    try:
        times = _utc_times(texts)
    except _BadValue as bad:
        raise TwinIOError(path, f"line {table.lines[bad.index]}: the time '{texts[bad.index]}' is "
                                "not ISO 8601") from None
    keys = np.strings.add(np.strings.add(stations, "/"), names)
    _, first_rows, group = np.unique(keys, return_index=True, return_inverse=True)
    mixed = (quantities != quantities[first_rows][group]) | (units != units[first_rows][group])
    if mixed.any():
        row = int(np.argmax(mixed))
        raise TwinIOError(path, f"line {table.lines[row]}: datastream '{keys[row]}' changes its "
                                "quantity or unit; give each series its own datastream name")
    appearance = np.argsort(np.argsort(first_rows))  # rank of each group by its first row
    order = np.lexsort((times, appearance[group]))
    boundaries = np.flatnonzero(np.diff(appearance[group][order])) + 1
    return [Datastream(id=str(keys[rows[0]]), station_id=str(stations[rows[0]]),
                       name=str(names[rows[0]]), quantity=str(quantities[rows[0]]),
                       unit=str(units[rows[0]]), series=TimeSeries(times[rows], values[rows]))
            for rows in np.split(order, boundaries) if len(rows)]


# Shared --------------------------------------------------------------------------------------


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def _sorted_series(times: np.ndarray, values: np.ndarray) -> TimeSeries:
    order = np.argsort(times, kind="stable")
    return TimeSeries(times[order], values[order])


def _attribute_columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Station attribute columns from one dict per station: numbers float64, else text."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {}
    for name in names:
        cells = [row.get(name) for row in rows]
        if all(_is_number(cell) or cell is None for cell in cells):
            columns[name] = np.array([np.nan if cell is None else cell for cell in cells], dtype=float)
        else:
            columns[name] = np.array(["" if cell is None else _text(cell) for cell in cells], dtype=str)
    return columns


def _attribute_column(texts: np.ndarray) -> np.ndarray:
    """A CSV column as float64 where every non-empty cell is a number, else as text."""
    try:
        return np.where(texts == "", "nan", texts).astype(np.float64)
    except ValueError:
        return texts


def _first_duplicate(values: np.ndarray) -> int | None:
    _, first = np.unique(values, return_index=True)
    repeated = np.setdiff1d(np.arange(len(values)), first)
    return int(repeated[0]) if len(repeated) else None


def _first_failing(items: np.ndarray | list, convert: Callable[[Any], Any]) -> int:
    """Index of the first item `convert` rejects (the slow path, after a batch failed)."""
    for index, item in enumerate(items):
        try:
            convert(item)
        except ValueError:
            return index
    return len(items) - 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _bounds(xyz: np.ndarray) -> list[float | None]:
    """[minx, miny, minz, maxx, maxy, maxz], None for an axis without values (no heights)."""
    lows: list[float | None] = []
    highs: list[float | None] = []
    for axis in range(3):
        known = xyz[~np.isnan(xyz[:, axis]), axis]
        lows.append(float(known.min()) if len(known) else None)
        highs.append(float(known.max()) if len(known) else None)
    return lows + highs


def _stations_without_observations(sensors: SensorData) -> int:
    observed = {stream.station_id for stream in sensors.datastreams if len(stream.series.values)}
    return sum(1 for station in sensors.ids.tolist() if station not in observed)


def _iso(time: np.datetime64) -> str:
    return f"{np.datetime_as_string(time, unit='s')}Z"
