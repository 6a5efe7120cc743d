"""The camera flight of a tour: one camera per frame, the same every time the tour is played.

Between two bookmarks the camera position moves along a curve that rises over the straight line
between them (by a quarter of the leg's ground length, as Cesium's flights lift over the city,
so a flight between two street-level views does not cut through the houses), at a steady speed
along that curve's length with a smooth start and stop (the speed follows the derivative of
smoothstep: no jolt at either end). The focal point and the view-up vector move in step; the
view up is kept at right angles to the viewing direction. At each bookmark the camera rests for
the tour's `seconds_per_stop`.

Pure numpy: a frame list is computed before anything is drawn, so a film and a played tour show
exactly the same path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.core.bookmarks import Bookmark, Tour, find_bookmark
from twin.core.project import Camera

ARC_LIFT = 0.25  # the rise of a flight over its midpoint, as a share of its ground length
_SAMPLES_PER_LEG = 256  # points along a leg's curve to measure its length


@dataclass(frozen=True)
class Frame:
    """What one frame of a tour shows."""

    camera: Camera
    view_angle: float
    time_step: int | None
    bookmark: Bookmark  # the bookmark left last (or rested at): its caption is shown


def tour_frames(tour: Tour, bookmarks: list[Bookmark], fps: float) -> list[Frame]:
    """Every frame of the tour at `fps` frames per second: rests at bookmarks, flights between them."""
    if fps <= 0:
        raise ValueError(f"frames per second must be above 0, got {fps}")
    stops = [find_bookmark(bookmarks, name, f"tour '{tour.name}': ") for name in tour.bookmarks]
    rest = max(int(round(tour.seconds_per_stop * fps)), 1)
    frames = [still_frame(stops[0])] * rest
    leg_frames = max(int(round(tour.seconds_per_leg * fps)), 2)
    for start, end in zip(stops, stops[1:], strict=False):
        frames += leg(start, end, leg_frames, tour.play_time_steps)[1:]  # its first is the rest before
        frames += [still_frame(end)] * (rest - 1)
    return frames


def still_frame(bookmark: Bookmark) -> Frame:
    return Frame(bookmark.camera, bookmark.view_angle, bookmark.time_step, bookmark)


def leg(start: Bookmark, end: Bookmark, count: int, play_time_steps: bool = False) -> list[Frame]:
    """`count` frames from `start` to `end` inclusive, at a steady speed with smooth ends."""
    ease = smoothstep(np.linspace(0.0, 1.0, count))
    curve_at = _position_curve(np.asarray(start.camera.position), np.asarray(end.camera.position))
    along = _evenly_along(curve_at, ease)
    positions = curve_at(along)
    focal = _lerp(np.asarray(start.camera.focal_point), np.asarray(end.camera.focal_point), ease)
    ups = _view_ups(np.asarray(start.camera.view_up), np.asarray(end.camera.view_up), ease,
                    focal - positions)
    angles = start.view_angle + (end.view_angle - start.view_angle) * ease
    frames = []
    for index in range(count):
        camera = Camera(_vector(positions[index]), _vector(focal[index]), _vector(ups[index]))
        camera = {0: start.camera, count - 1: end.camera}.get(index, camera)  # exactly the bookmarks'
        arrived = index == count - 1
        frames.append(Frame(camera, float(angles[index]),
                            _time_step(start, end, float(ease[index]), play_time_steps, arrived),
                            end if arrived else start))
    return frames


def smoothstep(fraction: np.ndarray) -> np.ndarray:
    """0 to 1 with zero speed at both ends: 3t^2 - 2t^3."""
    return fraction * fraction * (3.0 - 2.0 * fraction)


def _position_curve(start: np.ndarray, end: np.ndarray):
    """The flight curve as a function of a parameter 0..1: the straight line, lifted in the middle."""
    lift = ARC_LIFT * float(np.hypot(*(end - start)[:2]))

    def curve(parameter: np.ndarray) -> np.ndarray:
        parameter = np.asarray(parameter, dtype=float)[:, None]
        points = start + (end - start) * parameter
        points[:, 2] += lift * 4.0 * parameter[:, 0] * (1.0 - parameter[:, 0])
        return points

    return curve


def _evenly_along(curve_at, fractions: np.ndarray) -> np.ndarray:
    """The curve parameters at these fractions of the curve's length (arc-length parameterisation)."""
    parameters = np.linspace(0.0, 1.0, _SAMPLES_PER_LEG)
    steps = np.linalg.norm(np.diff(curve_at(parameters), axis=0), axis=1)
    length = np.concatenate([[0.0], np.cumsum(steps)])
    if length[-1] <= 0.0:  # the camera stays: only the focal point or the view up moves
        return fractions
    return np.interp(fractions * length[-1], length, parameters)


def _lerp(start: np.ndarray, end: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    return start + (end - start) * fractions[:, None]


def _view_ups(start: np.ndarray, end: np.ndarray, fractions: np.ndarray,
              directions: np.ndarray) -> np.ndarray:
    """View-up vectors turned from `start` to `end`, each at right angles to its viewing direction."""
    ups = _lerp(start / np.linalg.norm(start), end / np.linalg.norm(end), fractions)
    directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    ups -= directions * np.sum(ups * directions, axis=1, keepdims=True)
    norms = np.linalg.norm(ups, axis=1, keepdims=True)
    # Looking straight along the up vector leaves no up of its own: north stands in for it.
    fallback = np.where(norms < 1e-9, np.array([0.0, 1.0, 0.0]), ups)
    return fallback / np.maximum(np.linalg.norm(fallback, axis=1, keepdims=True), 1e-12)


def _time_step(start: Bookmark, end: Bookmark, fraction: float, play: bool, arrived: bool) -> int | None:
    """The step shown during a flight: played from one bookmark's step to the next's when asked."""
    if arrived:
        return end.time_step
    if play and start.time_step is not None and end.time_step is not None:
        return int(round(start.time_step + (end.time_step - start.time_step) * fraction))
    return start.time_step


def _vector(values: np.ndarray) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))
