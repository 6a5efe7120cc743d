import laspy
import pytest

from twin.core.crs import crs_is_metric, normalize_crs, normalize_crs_at
from twin.core.errors import CRSError


@pytest.mark.parametrize(("given", "expected"), [
    ("EPSG:25833", "EPSG:25833"),
    (25833, "EPSG:25833"),
    ("urn:ogc:def:crs:EPSG::25833", "EPSG:25833"),
    ("http://www.opengis.net/def/crs/EPSG/0/25833", "EPSG:25833"),
    ("urn:adv:crs:ETRS89_UTM33*DE_DHHN2016_NH", "EPSG:25833"),
    ("urn:adv:crs:ETRS89_UTM32*DE_DHHN92_NH", "EPSG:25832"),
    ("urn:adv:crs:DE_DHDN_3GK4*DE_DHHN92_NH", "EPSG:31468"),
    ("urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783", "EPSG:25832"),
    ("EPSG:7415", "EPSG:28992"),  # compound RD New + NAP: the horizontal part
    ("https://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:28992"),  # CityJSON's spelling
    ("OGC:CRS84", "EPSG:4326"),  # GeoJSON's WGS84 in lon/lat order
    ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"),
    (None, None),
])
def test_spellings_of_a_crs_normalise_to_one_epsg_code(given, expected):
    assert normalize_crs(given) == expected


@pytest.mark.parametrize("given", ["not a crs", "urn:adv:crs:NOWHERE_XYZ"])
def test_unknown_crs_is_a_clear_error(given):
    with pytest.raises(CRSError, match="not"):
        normalize_crs(given)


def test_metric_check():
    assert crs_is_metric("EPSG:25833")
    assert not crs_is_metric("EPSG:4326")


def test_a_crs_without_an_epsg_code_is_matched_by_its_definition_where_the_data_lies(reference):
    # The autzen LiDAR's WKT: Oregon Lambert in feet under an ESRI name, with no EPSG code.
    crs = laspy.open(reference / "lidar" / "autzen_trim.laz").header.parse_crs()
    with pytest.raises(CRSError):
        normalize_crs(crs)
    assert normalize_crs_at(crs, 636_600.0, 849_200.0) == "EPSG:2994"
    with pytest.raises(CRSError):
        normalize_crs_at(crs, 636_600.0, 1e12)  # a point no EPSG area of use holds
