"""A city's building and street layers indexed in chunks: a quarter's part read without the rest."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from data.generator.streets import write_streets
from tests.unit.test_demo_streets import grid_streets
from twin.io import read_layer
from twin.io.spatial_index import LayerIndex

JOHANNSTADT = "citygml/dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def demo_streets(tmp_path):
    """The demo generator's street segments (with their inspection history) over a 1 km grid."""
    path = tmp_path / "streets.gpkg"
    write_streets(grid_streets(), "Friedrichstadt", path, np.random.default_rng(7))
    return path


def quarter_of(bounds: tuple[float, ...]) -> shapely.Polygon:
    """A polygon over the west half of a layer's extent, cut at a slant (not a box)."""
    minx, miny, maxx, maxy = bounds
    middle = (minx + maxx) / 2
    return shapely.Polygon([(minx - 1, miny - 1), (middle, miny - 1), (middle + 200, maxy + 1),
                            (minx - 1, maxy + 1)])


def test_a_quarter_of_the_building_index_equals_filtering_the_whole_layer(reference):
    path = reference / JOHANNSTADT
    whole = read_layer(path).data
    index = LayerIndex.open(path, chunk_m=500.0)
    quarter = quarter_of((whole.bounds[0], whole.bounds[1], whole.bounds[3], whole.bounds[4]))
    part = index.read(quarter)
    expected = shapely.intersects(whole.footprints, quarter)
    assert 0 < expected.sum() < len(whole)
    np.testing.assert_array_equal(part.ids, whole.ids[expected])
    assert all(a.equals(b) for a, b in zip(part.footprints, whole.footprints[expected], strict=True))
    kept = np.flatnonzero(expected)
    for new_row, old_row in enumerate(kept):  # each building keeps its own triangles
        old = np.sort(whole.vertices[whole.triangles[whole.triangle_building == old_row]].reshape(-1, 3), axis=0)
        new = np.sort(part.vertices[part.triangles[part.triangle_building == new_row]].reshape(-1, 3), axis=0)
        np.testing.assert_array_equal(new, old)
    assert 0 < index.chunks_read < index.chunks  # the chunks east of the quarter stayed closed


def test_the_index_is_built_once_and_rebuilt_when_the_file_changes(reference, tmp_path):
    path = tmp_path / "buildings.gml"
    path.write_bytes((reference / JOHANNSTADT).read_bytes())
    first = LayerIndex.open(path)
    again = LayerIndex.open(path)
    np.testing.assert_array_equal(again.extents, first.extents)
    text = path.read_text(encoding="utf-8")
    members = text.split("<core:cityObjectMember>")
    path.write_text("<core:cityObjectMember>".join(members[:-1]) + members[-1][members[-1].index(
        "</core:cityObjectMember>") + len("</core:cityObjectMember>"):], encoding="utf-8")
    smaller = LayerIndex.open(path)
    assert sum(len(rows) for rows in smaller.rows) == sum(len(rows) for rows in first.rows) - 1


def test_a_quarter_of_the_street_index_equals_filtering_the_whole_layer(demo_streets):
    whole = read_layer(demo_streets).data
    index = LayerIndex.open(demo_streets, chunk_m=250.0)
    quarter = quarter_of(whole.bounds)
    part = index.read(quarter)
    expected = shapely.intersects(whole.geometries, quarter)
    assert 0 < expected.sum() < len(whole)
    np.testing.assert_array_equal(part.ids, whole.ids[expected])
    assert all(a.equals(b) for a, b in zip(part.geometries, whole.geometries[expected], strict=True))
    for name, column in whole.attributes.items():
        np.testing.assert_array_equal(part.attributes[name], column[expected])
    assert 0 < index.chunks_read < index.chunks
    assert whole.inspections is not None and len(part.inspections) > 0
    for row in range(len(part)):  # each kept segment keeps its own inspection history
        old_row = int(np.flatnonzero(whole.ids == part.ids[row])[0])
        np.testing.assert_array_equal(part.inspections.of_segment(row)[1], whole.inspections.of_segment(old_row)[1])
    assert index.read((0.0, 0.0, 1.0, 1.0)) is None
