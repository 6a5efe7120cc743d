import numpy as np
import pytest
import rasterio

from tests.conftest import bowl_heights, write_dtm
from twin.core import RasterLayer
from twin.io import TwinIOError, file_info, read_layer, read_raster, write_geotiff


def test_reference_dtm_reads_with_its_crs_and_nodata(reference):
    path = reference / "raster" / "delft_ahn3_derived_dtm_1m.tif"
    raster = read_raster(path)
    assert raster.shape == (230, 265)
    assert raster.crs == "EPSG:28992"
    assert np.nanmin(raster.values) == pytest.approx(-0.52, abs=0.01)
    assert np.nanmax(raster.values) == pytest.approx(2.27, abs=0.01)


def test_reference_dsm_keeps_its_empty_cells_as_nan(reference):
    raster = read_raster(reference / "raster" / "delft_ahn3_derived_dsm_1m.tif")
    assert int(np.isnan(raster.values).sum()) == 5871
    assert np.nanmax(raster.values) == pytest.approx(26.3, abs=0.05)


def test_info_reports_the_raster_header(reference):
    info = file_info(reference / "raster" / "delft_ahn3_derived_dtm_1m.tif")
    assert info["kind"] == "raster" and info["format"] == "GTiff"
    assert (info["width"], info["height"], info["resolution"]) == (265, 230, [1.0, 1.0])
    assert info["nodata"] == -9999.0 and info["crs"] == "EPSG:28992"
    assert info["bounds"] == [84808.0, 447412.0, 85073.0, 447642.0]


def test_a_raster_without_crs_reports_none_or_takes_the_users(tmp_path):
    path = write_dtm(tmp_path / "nocrs.tif", crs=None)
    assert read_raster(path).crs is None
    assert file_info(path)["crs"] is None
    assert read_raster(path, crs="EPSG:25833").crs == "EPSG:25833"


def test_layers_are_named_after_the_file(dtm_file):
    layer = read_layer(dtm_file)
    assert isinstance(layer, RasterLayer) and layer.name == "dtm" and layer.source == dtm_file


def test_written_grids_read_back(tmp_path, dtm_file):
    raster = read_raster(dtm_file)
    write_geotiff(tmp_path / "copy.tif", raster)
    again = read_raster(tmp_path / "copy.tif")
    assert np.array_equal(np.isnan(again.values), np.isnan(bowl_heights()))
    assert np.allclose(again.values, raster.values, equal_nan=True)
    with rasterio.open(tmp_path / "copy.tif") as source:
        assert source.crs.to_epsg() == 25833


@pytest.mark.parametrize(("name", "content", "message"), [
    ("garbage.tif", b"this is not a tiff", "not a raster the twin can read"),
    ("empty.tif", b"", "not a raster the twin can read"),
    ("points.pts", b"1 2 3", "no reader for this kind of file"),
    ("points.xyz", b"1 2 3", "all points have the same x; a grid needs at least two rows"),
])
def test_bad_raster_files_are_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TwinIOError, match=message) as caught:
        file_info(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(TwinIOError, match="does not exist"):
        file_info(tmp_path / "nothing.tif")
    with pytest.raises(TwinIOError, match="folder"):
        file_info(tmp_path)


def test_an_ascii_grid_with_an_esri_prj_reads_with_its_epsg_code(tmp_path, reference):
    # An ASCII grid DEM beside the autzen LiDAR, its .prj in the same ESRI WKT (Oregon Lambert,
    # feet) that names no EPSG code; GDAL's reading of .prj files identifies it.
    import laspy
    from pyproj.enums import WktVersion

    crs = laspy.open(reference / "lidar" / "autzen_trim.laz").header.parse_crs()
    path = tmp_path / "autzen_dem.asc"
    path.write_text("ncols 4\nnrows 3\nxllcorner 636000\nyllcorner 849470\ncellsize 10\n"
                    "NODATA_value -9999\n" + "120 121 122 123\n" * 3, encoding="ascii")
    path.with_suffix(".prj").write_text(crs.to_wkt(WktVersion.WKT1_ESRI), encoding="ascii")
    assert read_raster(path).crs == "EPSG:2994"
