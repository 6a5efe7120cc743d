"""Heights stay in DHHN2016: a file that declares another vertical reference is reported.

GeoSN's heights (terrain, LiDAR, LoD2) are DHHN2016 normal heights (EPSG:7837). A raster,
point cloud or building model whose CRS is compound with another height system (DHHN92,
EPSG:5783, differs by a few centimetres in Saxony; ellipsoidal heights by some 45 m) would mix
with them unnoticed, so its heights are named in `info` and when it is opened. The twin does not
convert heights: no height-transformation grid ships with it. (A CityJSON file's metadata may
stand anywhere in it; only the first and last 64 kB are looked at.)
"""

from __future__ import annotations

import re
from pathlib import Path

import laspy
import rasterio
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from rasterio.errors import RasterioError

DHHN2016 = "EPSG:7837"
SNIFF_BYTES = 64 * 1024  # a CityGML srsName comes early, CityJSON's metadata early or last
_MODEL_CRS = re.compile(rb'(?:srsName="|"referenceSystem"\s*:\s*")([^"]{1,300})"')
_ADV_HEIGHTS = re.compile(r"urn:adv:crs:[^*]+\*(\w+)$", re.IGNORECASE)  # ETRS89_UTM33*DE_DHHN2016_NH
_VERSIONED_EPSG = re.compile(r"EPSG:[\d.]*:")  # urn:ogc:def:crs,crs:EPSG:6.12:3068,crs:EPSG:6.12:5783


def vertical_crs(crs: CRS | None) -> str | None:
    """The height system a CRS declares ('EPSG:NNNN', or its name without a code), None where it
    declares none (a 2-D CRS: heights as they come)."""
    if crs is None:
        return None
    if crs.is_compound:
        vertical = crs.sub_crs_list[-1]
        code = vertical.to_epsg()
        return f"EPSG:{code}" if code else vertical.name
    if crs.is_vertical:
        code = crs.to_epsg()
        return f"EPSG:{code}" if code else crs.name
    return None


def vertical_note(path: Path, kind: str) -> str | None:
    """One sentence where a raster, point cloud or building model declares heights other than
    DHHN2016, else None (also for a file whose CRS cannot be read here: its reader names that
    problem)."""
    declared = _model_heights(path) if kind == "buildings" else vertical_crs(_file_crs(path, kind))
    if declared is None or declared == DHHN2016:
        return None
    return (f"{path.name}: the heights are in {_name(declared)}, not in DHHN2016 ({DHHN2016}) like "
            "GeoSN's terrain, LiDAR and buildings; they are kept as they are, so compare them with "
            "other layers with care")


def _file_crs(path: Path, kind: str) -> CRS | None:
    try:
        if kind == "raster" and path.suffix.lower() in (".tif", ".tiff", ".asc"):
            with rasterio.open(path) as source:
                return CRS.from_wkt(source.crs.to_wkt()) if source.crs else None
        if kind == "pointcloud":
            with path.open("rb") as stream:
                return laspy.LasHeader.read_from(stream).parse_crs()
    except (RasterioError, PyprojCRSError, laspy.LaspyException, OSError, ValueError):
        return None
    return None


def _model_heights(path: Path) -> str | None:
    """The height system a CityGML srsName or CityJSON referenceSystem names, if any."""
    try:
        with path.open("rb") as stream:
            head = stream.read(SNIFF_BYTES)
            stream.seek(max(stream.seek(0, 2) - SNIFF_BYTES, len(head)))
            found = _MODEL_CRS.search(head) or _MODEL_CRS.search(stream.read(SNIFF_BYTES))
    except OSError:
        return None
    if found is None:
        return None
    name = found.group(1).decode("utf-8", "replace")
    adv = _ADV_HEIGHTS.match(name)
    if adv:
        return None if "DHHN2016" in adv.group(1).upper() else f"{adv.group(1)} (AdV)"
    try:
        return vertical_crs(CRS.from_user_input(_VERSIONED_EPSG.sub("EPSG::", name)))
    except PyprojCRSError:
        return None


def _name(code: str) -> str:
    try:
        return f"{CRS.from_user_input(code).name} ({code})"
    except PyprojCRSError:
        return code
