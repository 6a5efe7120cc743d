"""The generated demo terrain: deterministic, in Dresden's CRS, with the relief it promises."""

import hashlib

import numpy as np
import pytest

from data.demo import QUARTERS_FILE, SEED
from data.generator.terrain import underpass_for, write_dtms
from twin.io import file_info, read_quarters, read_raster


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return write_dtms(read_quarters(QUARTERS_FILE)[0], tmp_path_factory.mktemp("demo"), SEED)


def test_the_quarters_lie_in_their_official_tiles():
    tiles = {"Friedrichstadt": [(408, 5656)], "Johannstadt": [(412, 5654), (412, 5656)],
             "Prohlis": [(414, 5650)]}
    quarters, crs = read_quarters(QUARTERS_FILE)
    assert crs == "EPSG:25833"
    for quarter in quarters:
        minx, miny, maxx, maxy = quarter.bounds
        assert quarter.approximate
        eastings, northings = zip(*tiles[quarter.name], strict=True)
        assert min(eastings) * 1000 <= minx and maxx <= (max(eastings) + 2) * 1000, quarter.name
        assert min(northings) * 1000 <= miny and maxy <= (max(northings) + 2) * 1000, quarter.name


def test_each_quarter_gets_a_1m_dtm_in_epsg_25833_read_back_by_the_readers(generated):
    assert [path.name for path in generated] == ["friedrichstadt_dtm1.tif",
                                                 "johannstadt_dtm1.tif", "prohlis_dtm1.tif"]
    for path in generated:
        info = file_info(path)
        assert info["crs"] == "EPSG:25833" and info["resolution"] == [1.0, 1.0]
        assert info["nodata"] == -9999.0 and info["width"] > 1000 and info["height"] > 1000


def test_the_valley_floor_quarters_lie_at_elbe_heights(generated):
    for path in generated[:2]:  # Friedrichstadt and Johannstadt, near the river
        heights = read_raster(path).values
        assert np.percentile(heights, 5) > 105.0 and np.percentile(heights, 95) < 116.0


def test_the_underpass_is_a_deep_trough(generated):
    quarters, _ = read_quarters(QUARTERS_FILE)
    raster = read_raster(generated[1])
    underpass = underpass_for(quarters[1])
    middle = ((underpass.start[0] + underpass.end[0]) / 2, underpass.start[1])
    row, col = (int(v) for v in (~raster.transform @ middle)[::-1])
    bottom = raster.values[row, col]
    beside = raster.values[row - 30, col]  # 30 m north of the trough's centre line
    assert beside - bottom > 3.5


def test_the_same_seed_writes_the_same_files(generated, tmp_path):
    again = write_dtms(read_quarters(QUARTERS_FILE)[0], tmp_path, SEED)
    digest = [hashlib.sha256(read_raster(p).values.tobytes()).hexdigest() for p in generated]
    assert digest == [hashlib.sha256(read_raster(p).values.tobytes()).hexdigest() for p in again]
