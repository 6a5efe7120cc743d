"""Street networks: GeoJSON and GeoPackage line layers with attributes and inspection history.

Both formats are read through GDAL (pyogrio), which also reports the CRS: a GeoPackage's srs,
a GeoJSON's legacy `crs` member, or WGS84 (EPSG:4326) for a GeoJSON without one (RFC 7946).
A GeoJSON whose coordinates cannot be longitudes and latitudes has no usable CRS of its own,
so the CRS the user gives is taken instead. Geometries stay in the file's CRS.

Every LineString or MultiLineString feature becomes a segment; other features are skipped and
counted. A segment's id is its `segment_id` or `id` property, else its feature id. Properties
become attribute columns: whole numbers int64 (float64 with NaN where some are missing), other
numbers float64 with NaN, dates datetime64, text numpy str ("" where missing).

The street-decay schema, of which a file may hold any part:
    segment_id, name, road_class ("main" | "side"), surface ("asphalt" | "paving" | "concrete"),
    width_m, length_m, built_year, last_treatment_year, inspected (date of the last measurement),
    unevenness_max_mm, unevenness_mean_mm, rut_depth_mm, water_depth_mm, cracks_pct,
    patches_pct, other_damage_pct,
    inspections: the dated rating history, [{"date": "2014-05-03", "rating": 2.1}, ...]; a
        GeoJSON array, or the same array as JSON text in a GeoPackage text field. It becomes
        the Inspections table of the StreetData rather than a column.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from twin.core.crs import crs_is_metric, normalize_crs
from twin.core.data import Inspections, StreetData
from twin.core.errors import CRSError
from twin.io.errors import TwinIOError

ID_FIELDS = ("segment_id", "id")
HISTORY_FIELD = "inspections"
RATING_SCALE = (1.0, 5.0)  # German condition grades: 1.0 very good ... 5.0 very poor
LINE_TYPES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)
SQLITE_MAGIC = b"SQLite format 3\x00"
_TYPE_NAMES = {-1: "without geometry", 0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon",
               4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_GEOJSON_TYPE = re.compile(rb'"type"\s*:\s*"(?:FeatureCollection|Feature)"')


def is_geojson(head: bytes) -> bool:
    """True for the first bytes of a GeoJSON document (and not a SensorThings response)."""
    return _GEOJSON_TYPE.search(head) is not None and b'"@iot.' not in head


def read_streets(path: Path, crs: str | None = None) -> StreetData:
    """The line features of a GeoJSON or GeoPackage file as street segments."""
    return _load(path, crs)[0]


def streets_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a street file (see twin/io/formats.py for the keys)."""
    streets, skipped = _load(path, crs)
    info: dict[str, Any] = {
        "format": "GPKG" if _is_gpkg(path) else "GeoJSON",
        "version": None,
        "crs": streets.crs,
        "bounds": [float(value) for value in streets.bounds],
        "features": len(streets),
        "skipped_features": skipped,
        "fields": list(streets.attributes),
        "inspections": len(streets.inspections) if streets.inspections is not None else 0,
    }
    if streets.crs is not None and crs_is_metric(streets.crs):
        info["total_length_m"] = float(streets.lengths().sum())
    return info


def _load(path: Path, given_crs: str | None) -> tuple[StreetData, int]:
    """The street data and how many features were skipped: not lines (points, polygons, no
    geometry at all), broken, or with a coordinate that is not a finite number."""
    meta, fids, wkb, columns = _read_layer(path)
    with warnings.catch_warnings():  # NaN coordinates: counted below, not a warning on stderr
        warnings.simplefilter("ignore", RuntimeWarning)
        geometries = shapely.from_wkb(wkb, on_invalid="ignore")  # a broken geometry counts as none
    is_line = np.isin(shapely.get_type_id(geometries), LINE_TYPES) & _all_finite(geometries)
    if len(geometries) == 0:
        raise TwinIOError(path, "the file holds no features")
    if not is_line.any():
        raise TwinIOError(path, f"the file holds no street lines (LineString or MultiLineString), "
                                f"only {_type_summary(geometries)}")
    fields = [str(name) for name in meta["fields"]]
    columns = {name: values[is_line] for name, values in zip(fields, columns, strict=True)}
    geometries, fids = geometries[is_line], fids[is_line]
    id_field = next((name for name in ID_FIELDS if name in columns), None)
    ids = _segment_ids(columns.get(id_field), fids)
    history = columns.pop(HISTORY_FIELD, None)
    columns.pop(id_field, None)
    streets = StreetData(
        ids=ids,
        geometries=geometries,
        attributes={name: _attribute_column(values) for name, values in columns.items()},
        crs=_crs(path, meta["crs"], geometries, given_crs),
        inspections=_inspections(path, ids, history) if history is not None else None,
    )
    return streets, int((~is_line).sum())


def _all_finite(geometries: np.ndarray) -> np.ndarray:
    """False for each geometry with a coordinate that is NaN or infinite (skipped like a broken one)."""
    bad = np.zeros(len(geometries), dtype=bool)
    with_z = shapely.has_z(geometries)
    for subset, include_z in ((np.flatnonzero(~with_z), False), (np.flatnonzero(with_z), True)):
        coordinates, owner = shapely.get_coordinates(geometries[subset], include_z=include_z,
                                                     return_index=True)
        bad[subset[owner[~np.isfinite(coordinates).all(axis=1)]]] = True
    return ~bad


def _read_layer(path: Path) -> tuple[dict, np.ndarray, np.ndarray, list[np.ndarray]]:
    if _is_gpkg(path):
        _check_sqlite(path)
    try:
        with warnings.catch_warnings():  # GDAL's own warnings are jargon; failures are reported below
            warnings.simplefilter("ignore", RuntimeWarning)
            layer = _line_layer(path) if _is_gpkg(path) else None
            return pyogrio.raw.read(path, layer=layer, return_fids=True)
    except (DataSourceError, DataLayerError, FieldError, GeometryError, UnicodeDecodeError):
        raise TwinIOError(path, _unreadable(path)) from None


def _is_gpkg(path: Path) -> bool:
    return path.suffix.lower() == ".gpkg"


def _check_sqlite(path: Path) -> None:
    with path.open("rb") as stream:
        if stream.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise TwinIOError(path, "not a GeoPackage: the file is not an SQLite database")


def _line_layer(path: Path) -> str | int:
    """The first layer of line geometries in a GeoPackage, else its first layer."""
    layers = pyogrio.list_layers(path)
    if len(layers) == 0:
        raise TwinIOError(path, "the GeoPackage holds no layers")
    for name, geometry_type in layers:
        if geometry_type and "LineString" in geometry_type:
            return str(name)
    return 0


def _unreadable(path: Path) -> str:
    """One sentence on why GDAL could not read the file; for JSON, where it stops parsing."""
    if _is_gpkg(path):
        return "not a readable GeoPackage (the SQLite database is damaged or has no feature table)"
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "not a GeoJSON file: the text is not UTF-8"
    except json.JSONDecodeError as parse_error:
        return (f"the GeoJSON does not parse: {parse_error.msg} at line {parse_error.lineno}, "
                f"column {parse_error.colno}")
    except RecursionError:
        return "the JSON nests too deeply to be GeoJSON"
    return "valid JSON but not GeoJSON: expected a FeatureCollection or a Feature"


def _type_summary(geometries: np.ndarray) -> str:
    """'3 Point, 1 without geometry': what a file without lines holds instead."""
    kinds, counts = np.unique(shapely.get_type_id(geometries), return_counts=True)
    parts = sorted(zip(kinds.tolist(), counts.tolist(), strict=True), key=lambda part: part[0] < 0)
    return ", ".join(f"{count} {_TYPE_NAMES[kind]}" for kind, count in parts)


def _crs(path: Path, found: str | None, geometries: np.ndarray, given: str | None) -> str | None:
    try:
        crs = normalize_crs(found) if found else None
        if crs == "EPSG:4326" and not _looks_like_lon_lat(geometries):
            crs = None  # a GeoJSON in projected coordinates without a crs member
        return crs or normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _looks_like_lon_lat(geometries: np.ndarray) -> bool:
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    return bool(-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0)


def _segment_ids(values: np.ndarray | None, fids: np.ndarray) -> np.ndarray:
    """Ids from the id field, falling back on the feature id where the field is empty."""
    fallback = fids.astype(np.int64).astype(str)
    if values is None:
        return fallback
    if values.dtype.kind in "iuf":
        numbers = values.astype(np.float64)
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        texts = np.where(whole, np.where(whole, numbers, 0).astype(np.int64).astype(str),
                         numbers.astype(str))
        return np.where(np.isnan(numbers), fallback, texts)
    texts = _text_column(values)
    return np.where(texts == "", fallback, texts)


def _attribute_column(values: np.ndarray) -> np.ndarray:
    kind = values.dtype.kind
    if kind in "iu":
        return values.astype(np.int64)
    if kind == "f":
        return values.astype(np.float64)
    if kind in "bmM":
        return values
    return _text_column(values)


def _text_column(values: np.ndarray) -> np.ndarray:
    """Text as numpy str, "" where missing; GDAL list fields as their JSON text."""
    texts = [value if isinstance(value, str) else "" if value is None
             else json.dumps(np.asarray(value).tolist()) for value in values]
    return np.array(texts, dtype=str)


def _inspections(path: Path, ids: np.ndarray, history: np.ndarray) -> Inspections:
    """The dated ratings of every segment as one long table."""
    segments: list[int] = []
    dates: list[str] = []
    ratings: list[Any] = []
    for row, text in enumerate(history):
        for date, rating in _history_entries(path, ids[row], text):
            segments.append(row)
            dates.append(date)
            ratings.append(rating)
    segment = np.array(segments, dtype=np.int64)
    return Inspections(segment=segment, date=_dates(path, ids, segment, dates),
                       rating=_ratings(path, ids, segment, ratings))


def _history_entries(path: Path, segment_id: str, text: Any) -> list[tuple[str, Any]]:
    """(date, rating) pairs of one segment's history, checked for shape, not yet for values."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return []
    problem = (f"the inspection history of segment '{segment_id}' must be a list of "
               '{"date": "YYYY-MM-DD", "rating": number} entries')
    if not isinstance(text, str):
        raise TwinIOError(path, problem)
    try:
        entries = json.loads(text)
    except json.JSONDecodeError:
        raise TwinIOError(path, f"{problem}, but it is not JSON") from None
    if not isinstance(entries, list):
        raise TwinIOError(path, problem)
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("date"), str) and "rating" in entry):
            raise TwinIOError(path, f"{problem}; found {json.dumps(entry)[:80]}")
    return [(entry["date"], entry["rating"]) for entry in entries]


def _dates(path: Path, ids: np.ndarray, segment: np.ndarray, dates: list[str]) -> np.ndarray:
    try:
        return np.array(dates, dtype="datetime64[D]")
    except ValueError:
        for row, date in zip(segment, dates, strict=True):
            try:
                np.datetime64(date, "D")
            except ValueError:
                raise TwinIOError(path, f"inspection date '{date}' of segment '{ids[row]}' is "
                                        "not an ISO date (YYYY-MM-DD)") from None
        raise


def _ratings(path: Path, ids: np.ndarray, segment: np.ndarray, ratings: list[Any]) -> np.ndarray:
    values = np.array([rating if _is_number(rating) else math.nan for rating in ratings], dtype=float)
    low, high = RATING_SCALE
    bad = ~((values >= low) & (values <= high))
    if bad.any():
        first = int(np.argmax(bad))
        raise TwinIOError(path, f"inspection rating {json.dumps(ratings[first])} of segment "
                                f"'{ids[segment[first]]}' is not a grade from {low} to {high}")
    return values


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
