"""City-sized tile folders read by window: only the tiles (and cells) a quarter or domain needs."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from tests.unit.test_mosaic import (
    DRESDEN_LOD2,
    NORTH,
    WEST,
    big_heights,
    cut_into_tiles,
    split_citygml,
    write_cloud,
)
from twin.io import TwinIOError, read_layer
from twin.io.mosaic import TerrainMosaic, buildings_in_box, read_tiles_window


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("as_xyz", [False, True])
def test_a_quarters_window_equals_the_merged_rasters_and_reads_only_its_tiles(tmp_path, as_xyz):
    heights = big_heights()
    tiles = cut_into_tiles(tmp_path / "tiles", heights, as_xyz=as_xyz)
    mosaic = TerrainMosaic(tiles)
    assert mosaic.touched == []  # setting the grid up reads headers only
    # rows 3..20, columns 25..61: across the two northern tiles' edge, not reaching the southern ones
    box = (WEST + 25.0, NORTH - 21.0, WEST + 62.0, NORTH - 3.0)
    window = mosaic.read_window(box)
    np.testing.assert_array_equal(window.values, heights[3:21, 25:62])
    assert window.transform == Affine(1, 0, WEST + 25, 0, -1, NORTH - 3) and window.crs == "EPSG:25833"
    assert sorted(mosaic.touched) == sorted(tiles[:2])
    np.testing.assert_array_equal(mosaic.read().values, heights)


def test_a_box_off_the_cell_grid_takes_the_cells_it_touches(tmp_path):
    heights = big_heights()
    mosaic = TerrainMosaic(cut_into_tiles(tmp_path / "tiles", heights))
    window = mosaic.read_window((WEST + 10.5, NORTH - 50.2, WEST + 70.7, NORTH - 40.9))
    np.testing.assert_array_equal(window.values, heights[40:51, 10:71])
    with pytest.raises(TwinIOError, match="lies outside the tiles"):
        mosaic.read_window((WEST - 100.0, NORTH - 10.0, WEST - 50.0, NORTH))


def test_the_mosaic_as_a_gdal_vrt_reads_as_the_merged_raster(tmp_path):
    heights = big_heights()
    mosaic = TerrainMosaic(cut_into_tiles(tmp_path / "tiles", heights, as_xyz=True))
    with rasterio.open(mosaic.write_vrt(tmp_path / "city.vrt")) as vrt:
        values = vrt.read(1, masked=True).filled(np.nan)
        assert vrt.transform == mosaic.transform and vrt.crs.to_epsg() == 25833
    np.testing.assert_array_equal(values, heights)


def test_a_coarse_overview_averages_blocks_tile_by_tile(tmp_path):
    heights = np.arange(60 * 80, dtype=np.float32).reshape(60, 80)
    overview = TerrainMosaic(cut_into_tiles(tmp_path / "tiles", heights)).read_window(factor=2)
    expected = heights.reshape(30, 2, 40, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(overview.values, expected, rtol=1e-6)
    assert overview.resolution == (2.0, 2.0)


def test_lidar_tiles_away_from_the_box_are_not_read(tmp_path):
    folder = tmp_path / "lidar"
    folder.mkdir()
    write_cloud(folder / "lsc_33412_5654_2_sn.laz", 412000.0, 4_000, 1)
    write_cloud(folder / "lsc_33420_5654_2_sn.laz", 420000.0, 6_000, 2)
    cloud = read_tiles_window(sorted(folder.iterdir()), (412010.0, 5654010.0, 412050.0, 5654090.0))
    assert cloud.total_points == 4_000  # only the western tile was read
    x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
    assert len(x) > 0 and x.min() >= 412010.0 and x.max() <= 412050.0 and y.min() >= 5654010.0


def test_lod2_tiles_away_from_the_box_are_not_read_and_edge_buildings_come_once(tmp_path, reference):
    whole = read_layer(reference / DRESDEN_LOD2).data
    folder = tmp_path / "lod2"
    # the buildings lie at 415,998-417,964 E: both tiles' 2 km boxes reach the box's west half
    split_citygml(reference / DRESDEN_LOD2, folder, {"lod2_33414_5656_2_sn.gml": slice(0, 9),
                                                     "lod2_33416_5656_2_sn.gml": slice(5, 14)})
    (folder / "lod2_33440_5670_2_sn.gml").write_text("not CityGML: reading it would fail", encoding="utf-8")
    minx, miny, maxx, maxy = whole.bounds[0], whole.bounds[1], whole.bounds[3], whole.bounds[4]
    box = (minx, miny, (minx + maxx) / 2, maxy)
    part = read_tiles_window(sorted(folder.iterdir()), box)
    expected = buildings_in_box(whole, box)
    assert 0 < len(expected) < len(whole)
    assert sorted(part.ids) == sorted(expected.ids)
    assert len(part.triangles) == len(expected.triangles)
