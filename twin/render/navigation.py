"""Moving the camera the way map users expect: the mouse wheel zooms toward the point under the cursor.

VTK's trackball style dollies toward the focal point, the middle of the view: zooming in on a
house at the edge of the view pushes the house out of it. Here the camera and its focal point
move along the line from the camera through the point under the cursor, scaled about that point:
the point stays under the cursor while everything else grows around it.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
import vtk

WHEEL_STEP_FACTOR = 1.2  # one notch of the wheel (120 eighths of a degree) brings the scene this much nearer
MIN_DISTANCE = 1.0  # metres: zooming never goes closer than this to the point under the cursor


def zoom_at(plotter: pv.BasePlotter, x: float, y: float, factor: float) -> None:
    """Zoom by `factor` (>1 nearer, <1 farther) keeping the point under pixel (x, y) in place.

    `x`, `y` are render-window pixels counted from the top left, as Qt counts them. The point is
    what is drawn there (the depth buffer), or where the cursor meets the focal plane over empty sky.
    """
    renderer = plotter.renderer
    height = plotter.render_window.GetSize()[1]
    anchor = _point_under(renderer, x, height - 1 - y)
    camera = renderer.GetActiveCamera()
    position, focal = np.asarray(camera.GetPosition()), np.asarray(camera.GetFocalPoint())
    if camera.GetParallelProjection():
        _zoom_parallel(camera, position, focal, anchor, factor)
    else:
        distance = float(np.linalg.norm(position - anchor))
        factor = min(factor, distance / MIN_DISTANCE) if distance > 0 else 1.0
        camera.SetPosition(*(anchor + (position - anchor) / factor))
        camera.SetFocalPoint(*(anchor + (focal - anchor) / factor))
    renderer.ResetCameraClippingRange()


def wheel_factor(angle_eighths: int) -> float:
    """The zoom factor for a wheel turn of Qt's angleDelta (eighths of a degree; 120 a notch)."""
    return WHEEL_STEP_FACTOR ** (angle_eighths / 120.0)


def _zoom_parallel(camera: vtk.vtkCamera, position: np.ndarray, focal: np.ndarray, anchor: np.ndarray,
                   factor: float) -> None:
    """A parallel projection zooms by its scale; the view shifts sideways so the anchor stays put."""
    shift = (anchor - focal) * (1.0 - 1.0 / factor)
    direction = position - focal
    sideways = shift - direction * (shift @ direction) / max(direction @ direction, 1e-12)
    camera.SetFocalPoint(*(focal + sideways))
    camera.SetPosition(*(position + sideways))
    camera.SetParallelScale(camera.GetParallelScale() / factor)


def _point_under(renderer: vtk.vtkRenderer, x: float, y: float) -> np.ndarray:
    """The world point drawn at display pixel (x, y) (VTK counts from the bottom left)."""
    picker = vtk.vtkWorldPointPicker()  # reads the depth buffer; over the sky it uses the focal plane
    picker.Pick(x, y, 0.0, renderer)
    return np.asarray(picker.GetPickPosition(), dtype=np.float64)
