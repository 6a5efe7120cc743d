"""Polygons gathered from a building model, turned into one BuildingData.

The CityGML and CityJSON readers both hand their polygons (rings of 3-D points, the building
row they belong to and their SurfaceKind) to a PolygonCollector; it triangulates all of them in
one batch, drops unused vertices and derives a footprint per building.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException

from twin.core.crs import normalize_crs
from twin.core.data import BuildingData, SurfaceKind
from twin.core.errors import CRSError
from twin.io.errors import TwinIOError
from twin.io.triangulate import Triangulation, triangulate_polygons

# The longest attribute value read (characters): a text column is as wide as its longest value
# in every row, so one 2 GB value would take 8 GB per building.
MAX_ATTRIBUTE_CHARS = 10_000


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

    def add_batch(self, points: np.ndarray, ring_sizes: Sequence[int], polygon_rings: Sequence[int],
                  polygon_row: Sequence[int], polygon_kind: Sequence[int]) -> None:
        """Many polygons at once: their rings' points one after another, as in `triangulate_polygons`."""
        self._rings.append(points)
        self._ring_sizes.extend(ring_sizes)
        self._polygon_rings.extend(polygon_rings)
        self._polygon_row.extend(polygon_row)
        self._polygon_kind.extend(polygon_kind)

    def building_data(self, ids: Sequence[str], attributes: dict[str, np.ndarray],
                      crs: str | None) -> BuildingData:
        points = np.concatenate(self._rings) if self._rings else np.zeros((0, 3))
        polygon_rings = np.array(self._polygon_rings, dtype=np.int64)
        mesh = triangulate_polygons(points, np.array(self._ring_sizes, dtype=np.int64), polygon_rings)
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
            footprints=_footprints(mesh, polygon_row, polygon_kind, polygon_rings, len(ids)),
            crs=crs,
            skipped_polygons=self.skipped + int(mesh.polygon_skipped.sum()),
        )


def rows_without_geometry(data: BuildingData) -> np.ndarray:
    """True for each row (building) with no triangle: known by its attributes only, or all of
    whose polygons were skipped."""
    drawn = np.zeros(len(data), dtype=bool)
    drawn[data.triangle_building] = True
    return ~drawn


def model_crs(path: Path, srs_name: str | None, given: str | None) -> str | None:
    """The file's CRS where it names one the twin knows, else the one the user gave."""
    if srs_name:
        try:
            return normalize_crs(srs_name)
        except CRSError:
            if not given:
                raise TwinIOError(path, f"the file's coordinate system '{srs_name[:80]}' is not known to "
                                        "the twin; give the file's CRS as an EPSG code") from None
    try:
        return normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _footprints(mesh: Triangulation, polygon_row: np.ndarray, polygon_kind: np.ndarray,
                polygon_rings: np.ndarray, buildings: int) -> np.ndarray:
    """Per building the union of its ground surfaces seen from above; without ground surfaces,
    of its upward-facing surfaces (roofs, LoD1 tops, flat objects), else its downward-facing ones."""
    signed = _signed_flat_areas(mesh, len(polygon_row))
    wanted = (polygon_kind == SurfaceKind.GROUND) & (signed != 0)
    for facing in (signed > 0, signed < 0):
        covered = np.zeros(buildings, dtype=bool)
        covered[polygon_row[wanted]] = True
        wanted |= facing & ~covered[polygon_row]
    polygons = np.flatnonzero(wanted)
    footprints = np.full(buildings, None, dtype=object)
    if len(polygons) == 0:  # only walls, or every polygon degenerate: nothing seen from above
        return footprints
    shapes = _flat_shapes(mesh, polygons, polygon_rings)
    order = np.argsort(polygon_row[polygons], kind="stable")
    rows, starts = np.unique(polygon_row[polygons][order], return_index=True)
    for row, pieces in zip(rows, np.split(shapes[order], starts[1:]), strict=True):
        footprints[row] = _polygonal(_union(pieces))
    return footprints


def _signed_flat_areas(mesh: Triangulation, polygons: int) -> np.ndarray:
    """The area of each polygon seen from above, positive where it faces up; 0 for walls."""
    corners = mesh.vertices[mesh.triangles][:, :, :2]
    ab, ac = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    area = (ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]) / 2
    spans = np.linalg.norm(np.maximum(np.abs(ab), np.abs(ac)), axis=1)
    area[np.abs(area) <= 1e-9 * spans**2] = 0.0
    signed = np.bincount(mesh.triangle_polygon, weights=area, minlength=polygons)
    absolute = np.bincount(mesh.triangle_polygon, weights=np.abs(area), minlength=polygons)
    # A polygon that folds over itself seen from above (a vertical wall with noise) has no side.
    return np.where(np.abs(signed) > 0.5 * absolute, signed, 0.0)


def _flat_shapes(mesh: Triangulation, polygons: np.ndarray, polygon_rings: np.ndarray) -> np.ndarray:
    """Valid 2-D shapely polygons of the given polygons (outer ring and holes)."""
    first_ring = np.cumsum(polygon_rings) - polygon_rings
    ring_sizes = np.bincount(mesh.vertex_ring, minlength=int(polygon_rings.sum()))
    ring_starts = np.cumsum(ring_sizes) - ring_sizes
    shapes = np.empty(len(polygons), dtype=object)
    for i, polygon in enumerate(polygons):
        rings = range(first_ring[polygon], first_ring[polygon] + polygon_rings[polygon])
        outlines = [mesh.vertices[ring_starts[r]:ring_starts[r] + ring_sizes[r], :2]
                    for r in rings if ring_sizes[r] >= 3]
        shapes[i] = shapely.Polygon(outlines[0], outlines[1:])
    invalid = np.flatnonzero(~shapely.is_valid(shapes))
    for i in invalid:
        shapes[i] = _polygonal(shapely.make_valid(shapes[i])) or shapely.Polygon()
    return shapes


def _union(pieces: np.ndarray) -> Any:
    """Union of 2-D pieces; the fast coverage union where the pieces do not overlap (a roof's
    faces, a triangulated surface), checked by area, else the general union."""
    if len(pieces) == 1:
        return pieces[0]
    try:
        merged = shapely.coverage_union_all(pieces)
    except GEOSException:  # pieces that overlap or only nearly share their edges
        return shapely.union_all(pieces)
    total = float(shapely.area(pieces).sum())
    if merged.is_valid and abs(merged.area - total) <= 1e-9 * max(total, 1.0):
        return merged
    return shapely.union_all(pieces)


def _polygonal(geometry: Any) -> Any:
    """Keep the areal part of a union; None where nothing areal is left."""
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry if not geometry.is_empty else None
    areal = shapely.Polygon | shapely.MultiPolygon
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, areal)]
    return shapely.union_all(parts) if parts else None


def attribute_columns(path: Path, rows: Sequence[dict[str, Any]],
                      fixed: dict[str, type] | None = None) -> dict[str, np.ndarray]:
    """Equal-length columns from one dict per building.

    Numbers become float columns (NaN where missing), anything else text ("" where missing).
    The columns in `fixed` (name -> float or str) come first and exist even when all are missing.
    A text longer than MAX_ATTRIBUTE_CHARS is the file's error: a text column takes the width
    of its longest value in every row.
    """
    _check_attribute_lengths(path, rows)
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


def _check_attribute_lengths(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    for number, row in enumerate(rows, start=1):
        for name, value in row.items():
            if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
                raise TwinIOError(path, f"the attribute '{name[:40]}' of city object {number:,} holds "
                                        f"{len(value):,} characters; the twin reads values of at most "
                                        f"{MAX_ATTRIBUTE_CHARS:,}")
