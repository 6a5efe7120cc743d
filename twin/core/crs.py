"""One spelling for coordinate reference systems: 'EPSG:NNNN'.

German state data names its CRS with AdV URNs (urn:adv:crs:ETRS89_UTM33*DE_DHHN2016_NH) that
pyproj does not parse; they are mapped here to the EPSG code of their horizontal part, which is
what the twin's scene CRS describes (heights are kept as they come).
"""

from __future__ import annotations

import re

import numpy as np
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError as PyprojCRSError

from twin.core.errors import CRSError

_ADV_HORIZONTAL = {
    "ETRS89_UTM32": 25832,
    "ETRS89_UTM33": 25833,
    "DE_DHDN_3GK2": 31466,
    "DE_DHDN_3GK3": 31467,
    "DE_DHDN_3GK4": 31468,
    "DE_DHDN_3GK5": 31469,
    "ETRS89_3GK3": 5677,
    "ETRS89_GK4": 5678,
    "DE_RD83_3GK4": 5679,
    "ETRS89": 4258,
}
_CRS84 = CRS.from_user_input("OGC:CRS84")
_ADV_PATTERN = re.compile(r"urn:adv:crs:([A-Za-z0-9_]+?)(?:\*.*)?$", re.IGNORECASE)


def normalize_crs(value: str | int | CRS | None) -> str | None:
    """Return 'EPSG:NNNN' for a CRS given as code, URN, URL, WKT, PROJ string or pyproj CRS.

    None stays None (a file without CRS). A compound CRS gives its horizontal part's code.
    Raises CRSError for text that names no CRS pyproj or the AdV table knows.
    """
    if value is None:
        return None
    if isinstance(value, int):
        try:
            return _epsg_of(CRS.from_epsg(value), str(value))
        except PyprojCRSError as error:
            raise CRSError(f"EPSG:{value} is not a coordinate reference system") from error
    if isinstance(value, CRS):
        return _epsg_of(value, value.name)
    if not isinstance(value, str):  # a table or a list where a CRS name belongs (a damaged file)
        raise CRSError(f"{str(value)[:40]} is not the name of a coordinate reference system")
    text = value.strip()
    if not text:
        return None
    adv = _ADV_PATTERN.match(text)
    if adv:
        code = _ADV_HORIZONTAL.get(adv.group(1).upper())
        if code is None:
            raise CRSError(f"the AdV coordinate system '{text}' is not known to the twin")
        return f"EPSG:{code}"
    try:
        crs = CRS.from_user_input(text)
    except PyprojCRSError as error:
        raise CRSError(f"'{text[:80]}' is not a coordinate reference system") from error
    return _epsg_of(crs, text)


def normalize_crs_at(crs: CRS, x: float, y: float) -> str:
    """normalize_crs, and for a projected CRS without an EPSG code (the ESRI-style WKT many LiDAR
    files carry) the EPSG CRS of the same definition whose area of use holds the map point
    (x, y) of the data. Raises CRSError where none matches."""
    try:
        return normalize_crs(crs)
    except CRSError:
        code = _epsg_matching(crs, x, y)
        if code is None:
            raise
        return code


def _epsg_matching(crs: CRS, x: float, y: float) -> str | None:
    # Only the CRSs whose area of use holds the point are compared, so this is quick.
    horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
    if not horizontal.is_projected:
        return None
    to_degrees = Transformer.from_crs(horizontal, horizontal.geodetic_crs, always_xy=True)
    lon, lat = to_degrees.transform(x, y)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return None
    candidates = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS, contains=True,
                                area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    for candidate in candidates:
        if not candidate.deprecated and CRS.from_epsg(candidate.code).equals(
                horizontal, ignore_axis_order=True):
            return f"EPSG:{candidate.code}"
    return None


def _epsg_of(crs: CRS, original: str) -> str:
    horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
    if horizontal == _CRS84:
        return "EPSG:4326"  # the twin always transforms in x/y (lon/lat) order, so axis order is moot
    code = horizontal.to_epsg(min_confidence=70)
    if code is None:
        raise CRSError(f"the coordinate system '{original[:80]}' has no EPSG code")
    return f"EPSG:{code}"


def crs_is_metric(crs: str) -> bool:
    """True where the CRS is projected in metres (the simulations need metric grids)."""
    parsed = CRS.from_user_input(crs)
    return parsed.is_projected and parsed.axis_info[0].unit_name in ("metre", "meter")
