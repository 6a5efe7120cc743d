"""A swipe view: one 3D view split by a vertical divider, one run left of it and another right.

Both runs are drawn in one renderer under one camera, so the two halves are the two sides of one
picture (two renderers in split viewports would each centre their own projection, and the halves
would not meet). Layers both sides show (terrain, buildings) are drawn once; a layer only one side
shows is cut by a clipping plane through the eye and the divider's screen line, so it is drawn on
its own side only. The planes follow the camera before every frame: they are exact for VTK's
perspective camera and for a parallel one. The divider and the two captions are drawn in screen
pixels over the view, so an exported picture has them too.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
import vtk

from twin.core.layers import Layer
from twin.core.scene import Scene
from twin.render.hud import polygon_actor, set_polygon, text_actor
from twin.render.linked_views import PaneContent, PaneScene, StepTime, nearest_step
from twin.render.scene_view import SceneView

DIVIDER_PX = 3  # the divider's width
DIVIDER_COLOUR = (1.0, 1.0, 1.0)
CAPTION_PX = 22
CAPTION_GAP_PX = 12  # between a caption and the divider
CAPTION_TOP_PX = 14  # from the top of the view to a caption's top


class Swipe:
    """Two contents in one view, split at `position` (0: the left edge, 1: the right edge)."""

    def __init__(self, scene: Scene, plotter: pv.BasePlotter, left: PaneContent, right: PaneContent,
                 position: float = 0.5) -> None:
        self.pane = PaneScene(scene, _both(left, right))  # filled before the view: see linked_views
        self.scene = self.pane.scene
        self.view = SceneView(self.scene, plotter)
        self.plotter = plotter
        self.position = float(np.clip(position, 0.0, 1.0))
        self.left, self.right = left, right
        # A plane's normal points to the side it keeps.
        self._planes = {"left": vtk.vtkPlane(), "right": vtk.vtkPlane()}
        self._side_of: dict[int, str] = {}  # id(drawn copy) -> the side it belongs to
        self._divider = polygon_actor(DIVIDER_COLOUR)
        self._captions = {side: text_actor("", CAPTION_PX, bold=True) for side in ("left", "right")}
        for caption in self._captions.values():  # legible over the terrain and over a legend
            caption.GetTextProperty().SetBackgroundColor(1.0, 1.0, 1.0)
            caption.GetTextProperty().SetBackgroundOpacity(0.8)
        for actor in (self._divider, *self._captions.values()):
            actor.SetPickable(False)
            plotter.renderer.AddViewProp(actor)
        self.set_contents(left, right)
        plotter.renderer.AddObserver("StartEvent", self._before_render)

    def set_contents(self, left: PaneContent, right: PaneContent) -> None:
        """Show `left` left of the divider and `right` right of it; layers both show are drawn once."""
        self.left, self.right = left, right
        self.pane.hold(_both(left, right))
        self._side_of.clear()
        for side, content, other in (("left", left, right), ("right", right, left)):
            for layer in content.layers:
                if not any(layer is shown for shown in other.layers):
                    self._side_of[id(self.pane.copy_of(layer))] = side
        self.set_captions(left.caption, right.caption)

    def set_captions(self, left: str, right: str) -> None:
        """Rewrite the captions over each side (the layers stay as they are drawn)."""
        self._captions["left"].SetInput(left)
        self._captions["right"].SetInput(right)
        self.view.request_render()

    def set_position(self, position: float) -> None:
        """Move the divider (a share of the view's width from its left edge) and ask for a frame."""
        self.position = float(np.clip(position, 0.0, 1.0))
        self.view.request_render()

    def show_time(self, time: StepTime) -> tuple[str | None, str | None]:
        """Step each side's results over time to their step nearest `time`; per side the label of
        the step it shows (its first such result's), None where it shows nothing over time."""
        labels = (self._step_side(self.left, time), self._step_side(self.right, time))
        self.view.request_render()
        return labels

    def _step_side(self, content: PaneContent, time: StepTime) -> str | None:
        shown = None
        for layer in content.layers:
            copy = self.pane.copy_of(layer)
            step = nearest_step(copy, time) if copy is not None else None
            if step is not None:
                copy.time_index = step
                shown = shown or copy.time_labels[step]
        return shown

    def divider_px(self) -> float:
        """The divider's place in render-window pixels from the left."""
        return self.position * self.plotter.window_size[0]

    def _before_render(self, *_event: object) -> None:
        self._place_planes()
        for layer in self.scene.layers:
            side = self._side_of.get(id(layer))
            actor = self.view.actor_of(layer)
            if side is not None and actor is not None:
                _clip_once(actor.GetMapper(), self._planes[side])
        self._place_overlay()

    def _place_planes(self) -> None:
        """Planes through the divider's line of sight, one keeping each side of it."""
        camera = self.plotter.renderer.GetActiveCamera()
        eye = np.asarray(camera.GetPosition())
        forward = np.asarray(camera.GetFocalPoint()) - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, camera.GetViewUp())
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        width, height = self.plotter.window_size
        across = 2.0 * self.position - 1.0  # -1 at the left edge, 1 at the right
        if camera.GetParallelProjection():
            through = eye + across * camera.GetParallelScale() * width / max(height, 1) * right
            normal = right
        else:
            tan_across = np.tan(np.radians(camera.GetViewAngle()) / 2.0) * width / max(height, 1)
            through = eye
            normal = np.cross(forward + across * tan_across * right, up)
        normal /= np.linalg.norm(normal)
        for side, sign in (("right", 1.0), ("left", -1.0)):
            self._planes[side].SetOrigin(*through)
            self._planes[side].SetNormal(*(sign * normal))

    def _place_overlay(self) -> None:
        width, height = self.plotter.window_size
        x = self.divider_px()
        half = DIVIDER_PX / 2.0
        set_polygon(self._divider, [(x - half, 0), (x + half, 0), (x + half, height), (x - half, height)])
        top = height - CAPTION_TOP_PX - CAPTION_PX
        left, right = self._captions["left"], self._captions["right"]
        left.GetTextProperty().SetJustificationToRight()
        left.SetDisplayPosition(int(x - CAPTION_GAP_PX), int(top))
        right.GetTextProperty().SetJustificationToLeft()
        right.SetDisplayPosition(int(x + CAPTION_GAP_PX), int(top))
        renderer = self.plotter.renderer
        for actor in (self._divider, left, right):  # over the legends, which are made anew as layers change
            renderer.RemoveViewProp(actor)
            renderer.AddViewProp(actor)


def _both(left: PaneContent, right: PaneContent) -> list[Layer]:
    """The layers of both sides, each once: the left's in its order, then the right's own."""
    own = [layer for layer in right.layers if not any(layer is shown for shown in left.layers)]
    return [*left.layers, *own]


def _clip_once(mapper: vtk.vtkMapper, plane: vtk.vtkPlane) -> None:
    """Give the mapper this clipping plane unless it has it (a layer drawn anew has a new mapper);
    adding it again every frame would mark the mapper changed and upload its mesh again."""
    planes = mapper.GetClippingPlanes()
    if planes is None or not planes.IsItemPresent(plane):
        mapper.RemoveAllClippingPlanes()
        mapper.AddClippingPlane(plane)
