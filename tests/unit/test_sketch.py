"""The sketch model: immutable edits, the geometry a finished sketch makes, and what it refuses."""

import pytest
import shapely

from twin.core.sketch import FeatureChoice, Shape, Sketch, SketchError, sketch_of

SQUARE = ((0.0, 0.0, 110.0), (10.0, 0.0, 110.5), (10.0, 10.0, 111.0), (0.0, 10.0, 110.2))


def test_edits_make_new_sketches_and_leave_the_old_ones_as_they_were():
    empty = Sketch(Shape.POLYGON)
    drawn = empty
    for vertex in SQUARE:
        drawn = drawn.added(vertex)
    moved = drawn.moved(2, (12.0, 12.0, 111.3))
    assert empty.vertices == () and drawn.vertices == SQUARE
    assert moved.vertices[2] == (12.0, 12.0, 111.3) and drawn.vertices[2] == SQUARE[2]
    assert moved.without(0).vertices == moved.vertices[1:]
    assert drawn.added((5.0, -1.0, 110.0), at=1).vertices[1] == (5.0, -1.0, 110.0)


def test_a_finished_area_is_a_flat_polygon_anticlockwise():
    polygon = Sketch(Shape.POLYGON, SQUARE[::-1]).geometry()
    assert polygon.geom_type == "Polygon" and not polygon.has_z and polygon.area == 100.0
    assert polygon.exterior.is_ccw


@pytest.mark.parametrize(("shape", "vertices", "sentence"), [
    (Shape.POLYGON, SQUARE[:2], "an area needs at least 3 points on the terrain, 2 drawn"),
    (Shape.POLYGON, (SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]), "the area's edges cross each other"),
    (Shape.POLYGON, ((0, 0, 0), (1, 1, 0), (2, 2, 0)), "its points lie on one line"),
    (Shape.LINE, ((1, 1, 0), (1, 1, 0)), "the line has no length"),
    (Shape.POINTS, (), "a tree needs at least 1 point on the terrain, 0 drawn"),
])
def test_a_sketch_that_makes_no_shape_is_one_sentence(shape, vertices, sentence):
    with pytest.raises(SketchError, match=sentence) as caught:
        Sketch(shape, vertices).geometry()
    assert "\n" not in str(caught.value)


def test_an_existing_geometry_opens_as_a_sketch_of_its_points():
    row = shapely.LineString([(0, 0), (5, 0), (9, 3)])
    sketch = sketch_of(row, [1.0, 2.0, 3.0])
    assert sketch.shape is Shape.LINE and sketch.vertices[2] == (9.0, 3.0, 3.0)
    assert sketch.geometry().equals(row)
    assert sketch_of(shapely.box(0, 0, 2, 2)).shape is Shape.POLYGON
    assert len(sketch_of(shapely.MultiPoint([(0, 0), (3, 3)])).vertices) == 2


def test_features_are_picked_and_unpicked():
    choice = FeatureChoice("buildings", "Buildings").toggled("a").toggled("b").toggled("a")
    assert choice.ids == ("b",) and choice.checked() == ("b",)
    with pytest.raises(SketchError, match="no building is chosen"):
        FeatureChoice("buildings", "Buildings").checked()
