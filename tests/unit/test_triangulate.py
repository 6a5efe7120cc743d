"""Planar polygons with holes to triangles: area kept exactly, orientation kept, degenerates skipped."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from twin.io.triangulate import triangulate_polygons


def triangle_areas(result) -> np.ndarray:
    corners = result.vertices[result.triangles]
    return np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1) / 2


def triangle_normals(result) -> np.ndarray:
    corners = result.vertices[result.triangles]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return normals / np.linalg.norm(normals, axis=1)[:, None]


def tilted(flat: np.ndarray, origin=(411_000.0, 5_654_000.0, 110.0)) -> np.ndarray:
    """Lift 2-D points into a plane tilted 53 degrees about the x axis, far from the origin (UTM)."""
    return np.column_stack((flat[:, 0], flat[:, 1] * 0.6, flat[:, 1] * 0.8)) + np.array(origin)


def test_polygon_with_hole_keeps_its_area_exactly():
    outer = np.array([[0, 0], [12, 0], [12, 9], [6, 12], [0, 9], [0, 0]], dtype=float)
    hole = np.array([[2, 2], [2, 5], [5, 5], [5, 2], [2, 2]], dtype=float)
    result = triangulate_polygons(np.concatenate((tilted(outer), tilted(hole))), [6, 5], [2])
    expected = shapely.Polygon(outer, [hole]).area  # the tilt keeps lengths: y*0.6, y*0.8
    assert not result.polygon_skipped.any()
    assert triangle_areas(result).sum() == pytest.approx(expected, rel=1e-9)
    # No triangle lies inside the hole.
    centres = result.vertices[result.triangles].mean(axis=1)
    hole_2d = shapely.Polygon(hole)
    plane_2d = np.column_stack((centres[:, 0] - 411_000.0, (centres[:, 2] - 110.0) / 0.8))
    assert not shapely.contains_xy(hole_2d, plane_2d[:, 0], plane_2d[:, 1]).any()


def test_random_star_polygons_match_shapely_area():
    rng = np.random.default_rng(3)
    points, ring_sizes, expected = [], [], []
    for _ in range(50):
        corners = rng.integers(5, 30)
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
        radii = rng.uniform(2, 10, corners)
        flat = np.column_stack((radii * np.cos(angles), radii * np.sin(angles)))
        points.append(tilted(flat))
        ring_sizes.append(corners)
        expected.append(shapely.Polygon(flat).area)
    result = triangulate_polygons(np.concatenate(points), ring_sizes, np.ones(50, dtype=int))
    per_polygon = np.bincount(result.triangle_polygon, weights=triangle_areas(result), minlength=50)
    np.testing.assert_allclose(per_polygon, expected, rtol=1e-9)


@pytest.mark.parametrize("ring", [
    [[0, 0], [4, 0], [1, 1], [0, 4]],  # reflex corner at the third point
    [[0, 0], [1, 1], [4, 0], [4, 4]],  # reflex corner at the second point
    [[0, 0], [4, 0], [4, 4], [0, 4]],  # convex
])
def test_quads_are_cut_along_the_inner_diagonal(ring):
    flat = np.array(ring, dtype=float)
    if shapely.Polygon(flat).exterior.is_ccw is False:
        flat = flat[::-1]
    result = triangulate_polygons(tilted(flat), [4], [1])
    assert triangle_areas(result).sum() == pytest.approx(shapely.Polygon(flat).area, rel=1e-9)
    assert len(result.triangles) == 2


def test_triangles_turn_like_their_outer_ring():
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    pentagon = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [1, 2, 0], [0, 1, 0]], dtype=float)
    rings = [square, square[::-1], pentagon, pentagon[::-1]]
    result = triangulate_polygons(np.concatenate(rings), [4, 4, 5, 5], [1, 1, 1, 1])
    up = triangle_normals(result)[:, 2]
    expected = np.array([1.0, -1.0, 1.0, -1.0])[result.triangle_polygon]
    np.testing.assert_allclose(up, expected)


def test_degenerate_polygons_are_skipped_and_the_rest_kept():
    good = [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    collinear = [[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3]]
    repeated = [[5, 5, 5]] * 4
    two_points = [[0, 0, 0], [1, 0, 0], [0, 0, 0]]
    closed_triangle = [[0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]
    rings = [good, collinear, repeated, two_points, closed_triangle]
    result = triangulate_polygons(np.concatenate([np.array(r, float) for r in rings]),
                                  [len(r) for r in rings], [1] * 5)
    assert result.polygon_skipped.tolist() == [False, True, True, True, False]
    assert sorted(set(result.triangle_polygon.tolist())) == [0, 4]


def test_a_degenerate_hole_is_dropped_not_the_polygon():
    outer = tilted(np.array([[0, 0], [4, 0], [4, 4], [0, 4]], dtype=float))
    hole = tilted(np.array([[1, 1], [1, 1], [2, 2]], dtype=float))
    result = triangulate_polygons(np.concatenate((outer, hole)), [4, 3], [2])
    assert not result.polygon_skipped.any()
    assert triangle_areas(result).sum() == pytest.approx(16.0)


def test_nothing_in_nothing_out():
    result = triangulate_polygons(np.zeros((0, 3)), [], [])
    assert result.triangles.shape == (0, 3)
    assert len(result.polygon_skipped) == 0
