"""Polygons gathered from a building model, turned into one BuildingData.

The CityGML and CityJSON readers both hand their polygons (rings of 3-D points, the building
row they belong to and their SurfaceKind) to a PolygonCollector; it triangulates all of them in
one batch, drops unused vertices and derives a footprint per building.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from twin.core.data import BuildingData, SurfaceKind
from twin.io.triangulate import Triangulation, triangulate_polygons


class PolygonCollector:
    """Accumulates polygons while a file is read; `building_data` builds the mesh once at the end."""

    def __init__(self) -> None:
        self._rings: list[np.ndarray] = []
        self._ring_sizes: list[int] = []
        self._polygon_rings: list[int] = []
        self._polygon_row: list[int] = []
        self._polygon_kind: list[int] = []
        self.skipped = 0  # polygons that could not even be read (bad numbers, broken references)

    def add(self, rings: Sequence[np.ndarray], row: int, kind: SurfaceKind | int) -> None:
        """One polygon: its outer ring first, then its holes, each an (n, 3) array."""
        self._rings.extend(rings)
        self._ring_sizes.extend(len(ring) for ring in rings)
        self._polygon_rings.append(len(rings))
        self._polygon_row.append(row)
        self._polygon_kind.append(int(kind))

    def building_data(self, ids: Sequence[str], attributes: dict[str, np.ndarray],
                      crs: str | None) -> BuildingData:
        points = np.concatenate(self._rings) if self._rings else np.zeros((0, 3))
        mesh = triangulate_polygons(points, np.array(self._ring_sizes, dtype=np.int64),
                                    np.array(self._polygon_rings, dtype=np.int64))
        polygon_row = np.array(self._polygon_row, dtype=np.int64)
        polygon_kind = np.array(self._polygon_kind, dtype=np.uint8)
        used = np.zeros(len(mesh.vertices), dtype=bool)
        used[mesh.triangles.ravel()] = True
        renumber = np.cumsum(used) - 1
        return BuildingData(
            ids=np.array(ids, dtype=str),
            attributes=attributes,
            vertices=mesh.vertices[used],
            triangles=renumber[mesh.triangles].astype(np.int64).reshape(-1, 3),
            triangle_building=polygon_row[mesh.triangle_polygon],
            triangle_surface=polygon_kind[mesh.triangle_polygon],
            footprints=_footprints(mesh, polygon_row, polygon_kind, np.array(self._polygon_rings),
                                   len(ids)),
            crs=crs,
            skipped_polygons=self.skipped + int(mesh.polygon_skipped.sum()),
        )


def _footprints(mesh: Triangulation, polygon_row: np.ndarray, polygon_kind: np.ndarray,
                polygon_rings: np.ndarray, buildings: int) -> np.ndarray:
    """Per building the union of its ground surfaces, else of its triangles seen from above."""
    footprints = np.full(buildings, None, dtype=object)
    ground = (polygon_kind == SurfaceKind.GROUND) & ~mesh.polygon_skipped
    pieces: list[list[Any]] = [[] for _ in range(buildings)]
    first_ring = np.concatenate(([0], np.cumsum(polygon_rings)[:-1])).astype(np.int64)
    ring_sizes = np.bincount(mesh.vertex_ring, minlength=int(polygon_rings.sum()))
    ring_starts = np.concatenate(([0], np.cumsum(ring_sizes)[:-1])).astype(np.int64)
    for polygon in np.flatnonzero(ground):
        rings = range(first_ring[polygon], first_ring[polygon] + polygon_rings[polygon])
        outlines = [mesh.vertices[ring_starts[r]:ring_starts[r] + ring_sizes[r], :2]
                    for r in rings if ring_sizes[r] >= 3]
        pieces[polygon_row[polygon]].append(shapely.make_valid(shapely.Polygon(outlines[0], outlines[1:])))
    without_ground = [row for row in range(buildings) if not pieces[row]]
    if without_ground:
        _add_triangle_shadows(mesh, polygon_row, without_ground, pieces)
    for row, parts in enumerate(pieces):
        if parts:
            footprints[row] = _polygonal(parts[0] if len(parts) == 1 else shapely.union_all(parts))
    return footprints


def _add_triangle_shadows(mesh: Triangulation, polygon_row: np.ndarray, rows: list[int],
                          pieces: list[list[Any]]) -> None:
    """The 2-D triangles (walls vanish, roofs and floors remain) of buildings without ground."""
    triangle_row = polygon_row[mesh.triangle_polygon]
    wanted = np.isin(triangle_row, rows)
    corners = mesh.vertices[mesh.triangles[wanted]][:, :, :2]
    ab, ac = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    flat_area = np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]) / 2
    extent = np.ptp(corners.reshape(-1, 2), axis=0).max() if len(corners) else 0.0
    visible = flat_area > 1e-9 * max(extent, 1.0) ** 2
    closed = np.concatenate((corners, corners[:, :1]), axis=1)[visible]
    shadows = shapely.polygons(closed)
    for row, shadow in zip(triangle_row[wanted][visible], shadows, strict=True):
        pieces[row].append(shadow)


def _polygonal(geometry: Any) -> Any:
    """Keep the areal part of a union; None where nothing areal is left."""
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry if not geometry.is_empty else None
    areal = shapely.Polygon | shapely.MultiPolygon
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, areal)]
    return shapely.union_all(parts) if parts else None


def attribute_columns(rows: Sequence[dict[str, Any]],
                      fixed: dict[str, type] | None = None) -> dict[str, np.ndarray]:
    """Equal-length columns from one dict per building.

    Numbers become float columns (NaN where missing), anything else text ("" where missing).
    The columns in `fixed` (name -> float or str) come first and exist even when all are missing.
    """
    fixed = fixed or {}
    names = list(fixed) + sorted({name for row in rows for name in row} - set(fixed))
    columns: dict[str, np.ndarray] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        present = [value for value in values if value is not None]
        numeric = fixed.get(name) is float or (name not in fixed and bool(present) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present))
        if numeric:
            columns[name] = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        else:
            columns[name] = np.array(["" if v is None else str(v) for v in values], dtype=str)
    return columns
