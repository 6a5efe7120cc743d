"""Roof surfaces from the LoD2 triangles: area, tilt and azimuth of every roof triangle, with numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.core.data import BuildingData, SurfaceKind


@dataclass(frozen=True)
class RoofTriangles:
    """Roof triangles with their building row, area (m2), tilt (degrees from horizontal) and
    azimuth (degrees clockwise from north of the direction the face looks to; 180 = south)."""

    building: np.ndarray
    area: np.ndarray
    tilt: np.ndarray
    azimuth: np.ndarray


def roof_triangles(buildings: BuildingData) -> RoofTriangles:
    """The roof triangles of all buildings; faces are taken as looking up whatever their winding."""
    roof = buildings.triangle_surface == SurfaceKind.ROOF
    corners = buildings.vertices[buildings.triangles[roof]]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normal *= np.where(normal[:, 2:3] < 0, -1.0, 1.0)
    length = np.linalg.norm(normal, axis=1)
    keep = length > 0
    normal, length = normal[keep], length[keep]
    tilt = np.degrees(np.arccos(np.clip(normal[:, 2] / length, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(normal[:, 0], normal[:, 1])) % 360.0
    return RoofTriangles(buildings.triangle_building[roof][keep], length / 2.0, tilt, azimuth)
