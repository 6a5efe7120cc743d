"""Model quarters from a GeoJSON FeatureCollection of polygons with a `name` property."""

from __future__ import annotations

import json
from pathlib import Path

import shapely.geometry
from shapely.errors import GeometryTypeError

from twin.core.crs import normalize_crs
from twin.core.errors import CRSError
from twin.core.quarter import Quarter
from twin.io.errors import TwinIOError
from twin.io.reproject import quarters_to_crs


def read_quarters(path: Path) -> tuple[list[Quarter], str | None]:
    """The quarters of a file and its CRS (from the GeoJSON `crs` member, None when absent)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TwinIOError(path, f"not a readable GeoJSON file ({error})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise TwinIOError(path, "a quarters file must be a GeoJSON FeatureCollection")
    try:
        crs = normalize_crs(document.get("crs", {}).get("properties", {}).get("name"))
    except (CRSError, AttributeError) as error:
        raise TwinIOError(path, f"the file's crs member is not usable ({error})") from None
    quarters = [_quarter(path, number, feature)
                for number, feature in enumerate(document.get("features", []), start=1)]
    if not quarters:
        raise TwinIOError(path, "the file holds no quarters")
    return quarters, crs


def read_quarters_in(path: Path, crs: str) -> list[Quarter]:
    """The quarters of a file moved into `crs`, the scene's (see reproject.quarters_to_crs)."""
    quarters, file_crs = read_quarters(path)
    return quarters_to_crs(quarters, file_crs, crs)


def _quarter(path: Path, number: int, feature: dict) -> Quarter:
    properties = feature.get("properties") or {}
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TwinIOError(path, f"feature {number} has no 'name' property")
    try:
        polygon = shapely.geometry.shape(feature.get("geometry"))
        return Quarter(name, polygon, approximate=bool(properties.get("approximate", False)))
    except (GeometryTypeError, ValueError, TypeError, AttributeError, KeyError) as error:
        raise TwinIOError(path, f"quarter '{name}' has no usable polygon ({error})") from None
