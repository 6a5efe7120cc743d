"""Planar 3-D polygons with holes to triangles, many polygons at once.

Each polygon is projected onto its best-fit plane (the Newell normal of its outer ring) and
cut into triangles there: triangles and convex-enough quads with numpy, everything else with
mapbox_earcut. Triangles keep the orientation of the outer ring, so a solid whose rings run
counter-clockwise seen from outside gets outward normals. Degenerate polygons (fewer than three
distinct points, collinear, zero area) are reported, not triangulated, and so are polygons
with a point that is not a finite number or with more than MAX_POLYGON_POINTS points: earcut's
work grows with the square of the points (20,000 take seconds, 200,000 minutes), and no
building surface has that many corners.
"""

from __future__ import annotations

from dataclasses import dataclass

import mapbox_earcut
import numpy as np

MAX_POLYGON_POINTS = 5_000
# A ring whose doubled area is below this fraction of its squared extent is a line, not a surface.
_FLATNESS = 1e-12


@dataclass
class Triangulation:
    vertices: np.ndarray  # (n, 3) the input points without repeated neighbours
    vertex_ring: np.ndarray  # (n,) ring of each vertex
    triangles: np.ndarray  # (m, 3) indices into `vertices`
    triangle_polygon: np.ndarray  # (m,) polygon of each triangle
    polygon_skipped: np.ndarray  # (p,) True where the polygon was degenerate


def triangulate_polygons(points: np.ndarray, ring_sizes: np.ndarray,
                         polygon_rings: np.ndarray) -> Triangulation:
    """Triangulate polygons given as consecutive rings of 3-D points.

    `points` holds every ring's points one after another (a closing point equal to the first
    is allowed); `ring_sizes[r]` is the number of points of ring r; `polygon_rings[p]` the
    number of rings of polygon p, its outer ring first, then its holes.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    ring_sizes = np.asarray(ring_sizes, dtype=np.int64)
    polygon_rings = np.asarray(polygon_rings, dtype=np.int64)
    ring_polygon = np.repeat(np.arange(len(polygon_rings)), polygon_rings)
    first_ring = np.cumsum(polygon_rings) - polygon_rings
    refused, points = _refused_polygons(points, ring_sizes, ring_polygon, len(polygon_rings))

    vertices, vertex_ring = _without_repeats(points, ring_sizes)
    sizes = np.bincount(vertex_ring, minlength=len(ring_sizes))
    starts = np.cumsum(sizes) - sizes
    # Every polygon is moved to its own origin first: UTM coordinates lose precision in products.
    origin_ring = first_ring[ring_polygon]
    origin = vertices[np.minimum(starts[origin_ring], max(len(vertices) - 1, 0))]
    local = vertices - origin[vertex_ring] if len(vertices) else vertices

    normals, extents = _ring_normals(local, vertex_ring, sizes, starts)
    outer_normal = normals[first_ring]
    doubled_area = np.linalg.norm(outer_normal, axis=1)
    outer_size = sizes[first_ring]
    skipped = refused | (outer_size < 3) | (doubled_area <= _FLATNESS * extents[first_ring] ** 2) | (
        doubled_area == 0)

    u_axis, v_axis = _plane_axes(outer_normal, skipped)
    plane_u = np.einsum("ij,ij->i", local, u_axis[ring_polygon[vertex_ring]])
    plane_v = np.einsum("ij,ij->i", local, v_axis[ring_polygon[vertex_ring]])
    flat = np.column_stack((plane_u, plane_v))

    # Holes with fewer than three points add nothing; a polygon without holes may take a shortcut.
    hole_kept = sizes >= 3
    hole_kept[first_ring] = True
    holes = np.bincount(ring_polygon, weights=hole_kept, minlength=len(polygon_rings)) - 1
    simple = ~skipped & (holes == 0) & ((outer_size == 3) | (outer_size == 4))
    parts = [_simple_triangles(flat, starts[first_ring], outer_size, simple)]
    parts.append(_earcut_triangles(flat, starts, sizes, hole_kept, first_ring, polygon_rings,
                                   ~skipped & ~simple, skipped))
    triangles = np.concatenate([part[0] for part in parts]).reshape(-1, 3)
    triangle_polygon = np.concatenate([part[1] for part in parts])
    return Triangulation(vertices, vertex_ring, triangles, triangle_polygon, skipped)


def _refused_polygons(points: np.ndarray, ring_sizes: np.ndarray, ring_polygon: np.ndarray,
                      polygons: int) -> tuple[np.ndarray, np.ndarray]:
    """Which polygons are too large or not finite, and the points with the non-finite ones set
    to 0 (the polygon is skipped; the zeros only keep the arithmetic on the others quiet)."""
    point_polygon = np.repeat(ring_polygon, ring_sizes)
    finite = np.isfinite(points).all(axis=1)
    refused = np.bincount(point_polygon, minlength=polygons) > MAX_POLYGON_POINTS
    refused[point_polygon[~finite]] = True
    return refused, np.where(finite[:, None], points, 0.0) if not finite.all() else points


def _without_repeats(points: np.ndarray, ring_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop every point equal to the next one of its ring (the closing point included)."""
    ring_of_point = np.repeat(np.arange(len(ring_sizes)), ring_sizes)
    ends = np.cumsum(ring_sizes)
    following = np.arange(1, len(points) + 1)
    following[ends[ring_sizes > 0] - 1] = (ends - ring_sizes)[ring_sizes > 0]
    keep = np.any(points != points[following % max(len(points), 1)], axis=1) if len(points) else (
        np.zeros(0, dtype=bool))
    return points[keep], ring_of_point[keep]


def _ring_normals(local: np.ndarray, vertex_ring: np.ndarray, sizes: np.ndarray,
                  starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newell normal (length = twice the area) and bounding-box diagonal of every ring."""
    normals = np.zeros((len(sizes), 3))
    extents = np.zeros(len(sizes))
    nonempty = np.flatnonzero(sizes > 0)
    if len(nonempty) == 0:
        return normals, extents
    following = np.arange(1, len(local) + 1)
    following[starts[nonempty] + sizes[nonempty] - 1] = starts[nonempty]
    here, there = local, local[following]
    terms = np.column_stack((
        (here[:, 1] - there[:, 1]) * (here[:, 2] + there[:, 2]),
        (here[:, 2] - there[:, 2]) * (here[:, 0] + there[:, 0]),
        (here[:, 0] - there[:, 0]) * (here[:, 1] + there[:, 1]),
    ))
    # The vertices of a ring are consecutive, so per-ring sums and ranges are reduceat calls.
    normals[nonempty] = np.add.reduceat(terms, starts[nonempty], axis=0)
    spans = np.maximum.reduceat(local, starts[nonempty], axis=0) - np.minimum.reduceat(
        local, starts[nonempty], axis=0)
    extents[nonempty] = np.linalg.norm(spans, axis=1)
    return normals, extents


def _plane_axes(normals: np.ndarray, skipped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit axes u, v per polygon with u x v along the normal (so rings keep their turn)."""
    lengths = np.linalg.norm(normals, axis=1)
    unit = np.where(skipped[:, None], [0.0, 0.0, 1.0], normals / np.where(lengths > 0, lengths, 1)[:, None])
    helper = np.zeros_like(unit)
    helper[np.arange(len(unit)), np.argmin(np.abs(unit), axis=1)] = 1.0
    u_axis = np.cross(unit, helper)
    u_axis /= np.linalg.norm(u_axis, axis=1)[:, None]
    return u_axis, np.cross(unit, u_axis)


def _simple_triangles(flat: np.ndarray, outer_start: np.ndarray, outer_size: np.ndarray,
                      simple: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles and quads without holes, cut along the diagonal that lies inside."""
    polygons = np.flatnonzero(simple & (outer_size == 3))
    triangle = outer_start[polygons][:, None] + np.arange(3)
    quads = np.flatnonzero(simple & (outer_size == 4))
    a, b, c, d = (outer_start[quads] + k for k in range(4))
    diagonal_ac = (_turn(flat, a, b, c) > 0) & (_turn(flat, a, c, d) > 0)
    first = np.where(diagonal_ac[:, None], np.column_stack((a, b, c)), np.column_stack((a, b, d)))
    second = np.where(diagonal_ac[:, None], np.column_stack((a, c, d)), np.column_stack((b, c, d)))
    triangles = np.concatenate((triangle, first, second))
    owners = np.concatenate((polygons, quads, quads))
    return triangles.ravel(), owners


def _turn(flat: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    ab, ac = flat[b] - flat[a], flat[c] - flat[a]
    return ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]


def _earcut_triangles(flat: np.ndarray, starts: np.ndarray, sizes: np.ndarray, ring_kept: np.ndarray,
                      first_ring: np.ndarray, polygon_rings: np.ndarray, todo: np.ndarray,
                      skipped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Earcut for polygons with holes or more than four corners; a failed cut marks the polygon."""
    corners: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for polygon in np.flatnonzero(todo):
        rings = np.arange(first_ring[polygon], first_ring[polygon] + polygon_rings[polygon])
        rings = rings[ring_kept[rings]]
        index = np.concatenate([np.arange(starts[r], starts[r] + sizes[r]) for r in rings])
        cut = mapbox_earcut.triangulate_float64(flat[index], np.cumsum(sizes[rings]).astype(np.uint32))
        if len(cut) == 0:
            skipped[polygon] = True
            continue
        corners.append(index[cut.astype(np.int64)])
        owners.append(np.full(len(cut) // 3, polygon))
    if not corners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    triangles = np.concatenate(corners).reshape(-1, 3)
    # earcut does not promise a turning sense: turn every triangle the way its outer ring turns.
    backwards = _turn(flat, triangles[:, 0], triangles[:, 1], triangles[:, 2]) < 0
    triangles[backwards] = triangles[backwards][:, ::-1]
    return triangles.ravel(), np.concatenate(owners)
