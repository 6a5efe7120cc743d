import numpy as np
import pytest
import shapely
from affine import Affine

from twin.core import Quarter
from twin.core.data import RasterData
from twin.io import TwinIOError, read_quarters


def test_cell_mask_takes_cells_whose_centre_is_inside():
    grid = RasterData(np.zeros((10, 10)), Affine(1, 0, 0, 0, -1, 10), "EPSG:25833")
    quarter = Quarter("left third", shapely.box(0, 0, 3.4, 10))
    mask = quarter.cell_mask(grid)
    assert mask[:, :3].all() and not mask[:, 3:].any()


def test_cell_mask_of_a_quarter_outside_the_grid_is_empty():
    grid = RasterData(np.zeros((5, 5)), Affine(1, 0, 0, 0, -1, 5), "EPSG:25833")
    assert not Quarter("far", shapely.box(100, 100, 110, 110)).cell_mask(grid).any()


def test_a_building_across_the_outline_counts_in_one_quarter_only():
    west, east = Quarter("W", shapely.box(0, 0, 10, 10)), Quarter("E", shapely.box(10, 0, 20, 10))
    footprints = np.array([shapely.box(8, 1, 11, 2), shapely.box(15, 5, 16, 6), None])
    assert west.select_features(footprints).tolist() == [True, False, False]
    assert east.select_features(footprints).tolist() == [False, True, False]


def test_street_lengths_are_clipped_to_the_quarter():
    quarter = Quarter("Q", shapely.box(0, 0, 10, 10))
    lines = np.array([shapely.LineString([(-5, 5), (5, 5)]), shapely.LineString([(20, 0), (30, 0)])])
    assert quarter.lengths_inside(lines) == pytest.approx([5.0, 0.0])


def test_invalid_outline_is_refused():
    bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    with pytest.raises(ValueError, match="not a valid polygon"):
        Quarter("bow tie", bow_tie)


def test_quarters_file_reads_names_flags_and_crs(quarters_file):
    quarters, crs = read_quarters(quarters_file)
    assert [q.name for q in quarters] == ["West", "East"]
    assert [q.approximate for q in quarters] == [False, True]
    assert crs == "EPSG:25833"


def test_quarters_file_without_names_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {}, "geometry": null}]}')
    with pytest.raises(TwinIOError, match="feature 1 has no 'name'"):
        read_quarters(path)
