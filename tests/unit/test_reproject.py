"""Data in another CRS is brought into the scene's: coordinates move, heights and attributes stay."""

import numpy as np
import pytest
import shapely
from affine import Affine

from tests.conftest import REFERENCE, write_dtm
from twin.core.data import PointCloudData, RasterData, SensorData, StreetData
from twin.core.errors import CRSError
from twin.io import TwinIOError, read_layer, read_raster
from twin.io.reproject import to_crs


def test_the_central_meridian_of_utm33_maps_to_false_easting():
    points = PointCloudData(np.array([[15.0, 51.0, 112.5], [13.74, 51.05, 120.0]]), "EPSG:4326",
                            {"classification": np.array([2, 6], dtype=np.uint8)})
    moved = to_crs(points, "EPSG:25833")
    assert moved.crs == "EPSG:25833"
    assert moved.xyz[0, 0] == pytest.approx(500_000.0, abs=1e-6)
    assert 5_640_000 < moved.xyz[0, 1] < 5_660_000  # 51 degrees north, about 5651 km from the equator
    assert moved.xyz[1, 0] < 500_000  # west of the central meridian
    np.testing.assert_array_equal(moved.xyz[:, 2], points.xyz[:, 2])
    np.testing.assert_array_equal(moved.attributes["classification"], [2, 6])


def test_data_already_in_the_target_crs_is_returned_as_it_is():
    sensors = SensorData(np.array(["a"]), np.array([[411_000.0, 5_656_000.0, 110.0]]), {}, [], "EPSG:25833")
    assert to_crs(sensors, "epsg:25833") is sensors


def test_lines_keep_their_shape_and_a_round_trip_returns_them():
    lines = np.array([shapely.LineString([(411_000, 5_656_000), (411_100, 5_656_050)]),
                      shapely.LineString([(412_000, 5_655_000, 110), (412_010, 5_655_000, 111)])])
    streets = StreetData(np.array(["s1", "s2"]), lines, {"width_m": np.array([7.0, 5.5])}, "EPSG:25833")
    there = to_crs(streets, "EPSG:4326")
    back = to_crs(there, "EPSG:25833")
    assert there.geometries[0].bounds[0] == pytest.approx(13.7, abs=0.1)
    assert back.geometries[1].has_z
    for original, returned in zip(lines, back.geometries, strict=True):
        np.testing.assert_allclose(shapely.get_coordinates(returned, include_z=True),
                                   shapely.get_coordinates(original, include_z=True), atol=1e-6)


def test_a_raster_is_warped_and_keeps_its_heights():
    dtm = read_raster(REFERENCE / "raster" / "delft_ahn3_derived_dtm_1m.tif")
    warped = to_crs(dtm, "EPSG:32631")  # RD New to UTM 31N, a slight rotation of the grid
    assert warped.crs == "EPSG:32631"
    assert 4.3 < warped.bounds[0] / 1e5 < 6.5
    valid = warped.values[np.isfinite(warped.values)]
    assert valid.size > 0.8 * np.isfinite(dtm.values).sum()
    assert np.nanmin(dtm.values) - 0.01 <= valid.min() and valid.max() <= np.nanmax(dtm.values) + 0.01


def test_data_without_crs_cannot_be_moved():
    raster = RasterData(np.zeros((2, 2), dtype=np.float32), Affine(1, 0, 0, 0, -1, 2), None)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        to_crs(raster, "EPSG:25833")


def test_read_layer_brings_a_file_into_the_scene_crs():
    layer = read_layer(REFERENCE / "raster" / "delft_ahn3_derived_dsm_1m.tif", to="EPSG:32631")
    assert layer.crs == "EPSG:32631"


def test_read_layer_asks_for_a_crs_where_the_file_has_none(tmp_path):
    plain = write_dtm(tmp_path / "plain.tif", crs=None)
    with pytest.raises(TwinIOError, match="names no coordinate reference system"):
        read_layer(plain, to="EPSG:25833")
    assert read_layer(plain, crs="EPSG:25833", to="EPSG:25833").crs == "EPSG:25833"


def test_quarters_without_a_crs_are_lon_lat_when_they_look_it_and_scene_coordinates_otherwise():
    from shapely.geometry import box

    from twin.core.quarter import Quarter
    from twin.io.reproject import quarters_to_crs

    in_degrees = [Quarter("A", box(13.76, 51.05, 13.77, 51.06))]
    (moved,) = quarters_to_crs(in_degrees, None, "EPSG:25833")
    minx, miny, _, _ = moved.polygon.bounds
    assert 412_000 < minx < 414_000 and 5_655_000 < miny < 5_658_000
    in_metres = [Quarter("B", box(411_000, 5_655_000, 411_500, 5_655_500))]
    assert quarters_to_crs(in_metres, None, "EPSG:25833") == in_metres
    (from_utm32,) = quarters_to_crs(in_metres, "EPSG:25832", "EPSG:25833")
    assert from_utm32.polygon.bounds[0] < 100_000  # 411 km east in zone 32 lies far west in zone 33


def test_read_layer_says_when_it_reprojects_or_warps(tmp_path):
    """Data in another CRS than the scene's is moved only with a note saying so."""
    dtm = write_dtm(tmp_path / "dtm.tif")
    notes: list[str] = []
    read_layer(dtm, to="EPSG:25833", notes=notes)
    assert notes == []
    warped = read_layer(dtm, to="EPSG:25832", notes=notes).data
    assert len(notes) == 1 and notes[0].startswith(
        "dtm.tif was warped from EPSG:25833 into the scene's EPSG:25832: its 100 x 50 cells of 2 m were "
        f"resampled (bilinear) into {warped.shape[1]} x {warped.shape[0]} cells of")
