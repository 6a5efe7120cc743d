"""The view the app opens on: one quarter's buildings seen obliquely, filling the view.

The whole scene of the demo city is three quarters kilometres apart: seen at once they are three
small tiles. A facilitator starts on one quarter, so the app opens on the first one, looked at
from the south-west and tilted like an oblique aerial photo, framed on its buildings (not on the
quarter's rectangle, whose corners are often empty). The whole city stays one click away.

The framing is measured, not guessed: the camera is placed so that the buildings' vertices,
projected through the view's real perspective, span the view with a small margin and are centred
in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.core.data import BuildingData
from twin.core.project import Camera
from twin.core.quarter import Quarter
from twin.core.scene import Scene

if TYPE_CHECKING:
    from twin.render.scene_view import SceneView

# From the south-west (as the whole-scene view: the quarters lie along the Elbe from north-west to
# south-east), 35 degrees above the horizon: low enough that walls and roofs both read.
OPENING_AZIMUTH_DEG = 220.0  # clockwise from north: the camera stands south-west of the quarter
OPENING_ELEVATION_DEG = 35.0
MARGIN = 1.05  # the buildings span 1/MARGIN of the view's width or height
CENTRING_ROUNDS = 4  # each round moves the focal point to centre the projected buildings


def view_direction(azimuth_deg: float = OPENING_AZIMUTH_DEG,
                   elevation_deg: float = OPENING_ELEVATION_DEG) -> np.ndarray:
    """Unit vector from the focal point towards the camera."""
    azimuth, elevation = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.sin(azimuth) * np.cos(elevation), np.cos(azimuth) * np.cos(elevation),
                     np.sin(elevation)])


def quarter_building_points(scene: Scene, quarter: Quarter) -> np.ndarray:
    """The vertices (map coordinates, N x 3) of the shown buildings standing in the quarter."""
    chunks = []
    for layer in scene.layers_of_kind("buildings"):
        data = layer.data
        if not layer.visible or not isinstance(data, BuildingData) or len(data.vertices) == 0:
            continue
        vertices = np.asarray(data.vertices, dtype=float)
        chunks.append(vertices[quarter.contains_points(vertices[:, 0], vertices[:, 1])])
    return np.concatenate(chunks) if chunks else np.empty((0, 3))


def framing_camera(points: np.ndarray, view_angle_deg: float, aspect: float,
                   direction: np.ndarray | None = None, margin: float = MARGIN) -> Camera:
    """A perspective camera looking along -`direction` whose view the points fill and centre on.

    `view_angle_deg` is the vertical field of view (VTK's), `aspect` the view's width / height.
    A point at offset o from the focal point lies at depth D - o.d from a camera at distance D;
    it fits when its sideways and upward parts are within tan(half the field) of that depth.
    """
    direction = view_direction() if direction is None else direction / np.linalg.norm(direction)
    right = np.cross(-direction, (0.0, 0.0, 1.0))
    right /= np.linalg.norm(right)
    up = np.cross(right, -direction)
    tan_up = np.tan(np.radians(view_angle_deg) / 2.0)
    tan_across = tan_up * aspect
    centre = points.mean(axis=0)
    for _ in range(CENTRING_ROUNDS):
        offsets = points - centre
        along = offsets @ direction
        needed = np.maximum(np.abs(offsets @ right) / tan_across, np.abs(offsets @ up) / tan_up)
        distance = float((along + margin * needed).max())
        depth = distance - along
        across, upward = (offsets @ right) / depth, (offsets @ up) / depth  # tangents seen from the eye
        shift_across = (across.max() + across.min()) / 2.0
        shift_up = (upward.max() + upward.min()) / 2.0
        centre = centre + distance * (shift_across * right + shift_up * up)
    return Camera(tuple((centre + direction * distance).tolist()), tuple(centre.tolist()), tuple(up.tolist()))


def opening_quarter(scene: Scene) -> Quarter | None:
    """The quarter the app opens on: the first one that has buildings shown; None where none has."""
    return next((quarter for quarter in scene.quarters if len(quarter_building_points(scene, quarter))),
                None)


def quarter_camera(scene: Scene, quarter: Quarter, view_angle_deg: float, aspect: float) -> Camera | None:
    """The oblique camera framed on a quarter's buildings; None where it has no buildings shown."""
    points = quarter_building_points(scene, quarter)
    if len(points) == 0:
        return None
    return framing_camera(points, view_angle_deg, aspect)


def frame_quarter(view: SceneView, quarter: Quarter) -> None:
    """Look at a quarter's buildings from the south-west, filling the view; a quarter without
    buildings shown is fitted by its outline."""
    width, height = view.plotter.window_size
    camera = quarter_camera(view.scene, quarter, view.plotter.camera.view_angle, width / max(height, 1))
    if camera is None:
        view.zoom_to(quarter.bounds)
    else:
        view.set_camera(camera)
