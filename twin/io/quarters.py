"""Model quarters from a GeoJSON FeatureCollection of polygons with a `name` property."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
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
    except RecursionError:
        raise TwinIOError(path, "the JSON nests too deeply to be a quarters file") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise TwinIOError(path, "a quarters file must be a GeoJSON FeatureCollection")
    try:
        crs = normalize_crs(_crs_name(document))
    except CRSError as error:
        raise TwinIOError(path, f"the file's crs member is not usable ({error})") from None
    features = document.get("features", [])
    if not isinstance(features, list):
        raise TwinIOError(path, "the file's features are not a list")
    quarters = [_quarter(path, number, feature) for number, feature in enumerate(features, start=1)]
    if not quarters:
        raise TwinIOError(path, "the file holds no quarters")
    names = [quarter.name for quarter in quarters]
    twice = next((name for number, name in enumerate(names) if name in names[:number]), None)
    if twice is not None:  # a scene tells quarters apart by name
        raise TwinIOError(path, f"two quarters are named '{twice[:60]}'")
    return quarters, crs


def read_quarters_in(path: Path, crs: str) -> list[Quarter]:
    """The quarters of a file moved into `crs`, the scene's (see reproject.quarters_to_crs)."""
    quarters, file_crs = read_quarters(path)
    return quarters_to_crs(quarters, file_crs, crs)


def _crs_name(document: dict[str, Any]) -> str | None:
    """The name in the legacy GeoJSON member {"crs": {"properties": {"name": ...}}}, if any."""
    name = None
    crs = document.get("crs")
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        name = crs["properties"].get("name")
    if name is not None and not isinstance(name, str):
        raise CRSError(f"the crs name {json.dumps(name)[:40]} is not text")
    return name


def _quarter(path: Path, number: int, feature: Any) -> Quarter:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise TwinIOError(path, f"feature {number} has no 'name' property")
    try:
        polygon = shapely.geometry.shape(feature.get("geometry"))
        if not np.isfinite(shapely.get_coordinates(polygon)).all():
            raise TwinIOError(path, f"the polygon of quarter '{name[:60]}' has a coordinate that is not a "
                                    "finite number")
        return Quarter(name, polygon, approximate=bool(properties.get("approximate", False)))
    except (GeometryTypeError, ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        raise TwinIOError(path, f"quarter '{name}' has no usable polygon ({error})") from None
