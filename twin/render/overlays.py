"""A north arrow and a scale bar, kept true before every render of the view.

Both are measured, not assumed: the arrow points where map north (+y) lies on the screen,
and the scale bar's length is what the ground at the bar's place on the screen measures, so
they stay right however the camera turns and tilts.
"""

from __future__ import annotations

import math

import numpy as np
import pyvista as pv

from twin.render.hud import polygon_actor, set_polygon, text_actor

ARROW_PX = 26  # half length of the north arrow
ARROW_CENTRE_PX = (46, 52)  # from the bottom-left corner, above the scale bar
BAR_LEFT_PX, BAR_BOTTOM_PX = 16, 14
BAR_TARGET_PX = 130  # the bar shows the round length closest below this many pixels
SHAPE_COLOUR = (0.15, 0.15, 0.15)


def round_length(metres: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above `metres`."""
    power = 10.0 ** math.floor(math.log10(metres))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= metres)


class Orientation:
    """North arrow and scale bar of one renderer; `ground_height` is where the scale is measured."""

    def __init__(self, plotter: pv.BasePlotter, ground_height: float = 0.0) -> None:
        self.plotter = plotter
        self.ground_height = ground_height
        self._arrow = polygon_actor(SHAPE_COLOUR)
        self._north = text_actor("N", size=16, bold=True, centred=True)
        self._bar = polygon_actor(SHAPE_COLOUR)
        self._bar_label = text_actor("", size=13)
        for actor in (self._arrow, self._north, self._bar, self._bar_label):
            actor.SetPickable(False)
            plotter.renderer.AddViewProp(actor)
        self.scale_metres: float | None = None  # the length the bar shows now
        self.north_angle = 0.0  # where the arrow points: radians clockwise from straight up

    def update(self) -> None:
        self._point_north()
        self._measure_scale()

    def _point_north(self) -> None:
        camera = self.plotter.camera
        focal = np.asarray(camera.focal_point, dtype=float)
        distance = max(np.linalg.norm(np.asarray(camera.position) - focal), 1.0)
        start = self._to_display(focal)
        end = self._to_display(focal + np.array([0.0, 0.1 * distance, 0.0]))
        angle = math.atan2(end[0] - start[0], end[1] - start[1])
        self.north_angle = angle
        up = np.array([math.sin(angle), math.cos(angle)])
        side = np.array([up[1], -up[0]])
        centre = np.array(ARROW_CENTRE_PX, dtype=float)
        tip, tail = centre + up * ARROW_PX, centre - up * ARROW_PX
        outline = [tip, tail + side * ARROW_PX * 0.55, centre - up * ARROW_PX * 0.45,
                   tail - side * ARROW_PX * 0.55]
        set_polygon(self._arrow, outline)
        label = tip + up * 11
        self._north.SetDisplayPosition(int(label[0]), int(label[1]))

    def _measure_scale(self) -> None:
        """Metres per pixel along the bar, from where the bar's ends meet the ground plane."""
        y = BAR_BOTTOM_PX + 20  # measure just above the bar, on the ground seen there
        left = self._ground_at(BAR_LEFT_PX, y)
        right = self._ground_at(BAR_LEFT_PX + 100, y)
        visible = bool(left is not None and right is not None and np.linalg.norm(right - left) > 0)
        for actor in (self._bar, self._bar_label):
            actor.SetVisibility(visible)
        if not visible:
            self.scale_metres = None
            return
        metres_per_pixel = float(np.linalg.norm(right - left)) / 100
        self.scale_metres = round_length(BAR_TARGET_PX * metres_per_pixel)
        length = self.scale_metres / metres_per_pixel
        x0, y0 = BAR_LEFT_PX, BAR_BOTTOM_PX
        set_polygon(self._bar, [(x0, y0), (x0 + length, y0), (x0 + length, y0 + 5), (x0, y0 + 5)])
        self._bar_label.SetInput(_format_metres(self.scale_metres))
        self._bar_label.SetDisplayPosition(int(x0 + length + 6), int(y0 - 2))

    def _to_display(self, point: np.ndarray) -> np.ndarray:
        renderer = self.plotter.renderer
        renderer.SetWorldPoint(*point, 1.0)
        renderer.WorldToDisplay()
        return np.asarray(renderer.GetDisplayPoint()[:2])

    def _ground_at(self, x: float, y: float) -> np.ndarray | None:
        """Where the line of sight through a pixel meets the plane z = ground_height (None: sky)."""
        renderer = self.plotter.renderer
        ends = []
        for depth in (0.0, 1.0):
            renderer.SetDisplayPoint(x, y, depth)
            renderer.DisplayToWorld()
            world = np.asarray(renderer.GetWorldPoint())
            ends.append(world[:3] / world[3])
        near, far = ends
        if abs(far[2] - near[2]) < 1e-12:
            return None
        t = (self.ground_height - near[2]) / (far[2] - near[2])
        return near + t * (far - near) if t >= 0.0 else None  # beyond the far plane counts too


def _format_metres(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
