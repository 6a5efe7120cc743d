"""Side by side: two or four 3D views under one camera, each showing its own layers and caption.

A facilitator shows "today" beside "100-year storm", or "do nothing" beside "benefit per cost":
each pane draws the scene's shown data layers and, where it shows a run, that run's results.
The panes share one VTK camera (as pyvista's `link_views` does for subplots), so turning, panning
or zooming one turns the others; a camera move asks every pane for a frame.

Each pane draws copies of the layers (sharing their data, never copying arrays) in a scene of
its own, so what a pane shows does not follow the layers panel: a run's depth hidden in the main
window is still shown in its pane. A pane's scene is filled before its view is made, so the
terrain colours span every terrain shown (a view colours a terrain by the heights it knows when
the terrain comes), and the panes, holding the same data layers, place their local origin alike:
the shared camera means the same place in each. Showing another run in a pane swaps only the
results; the data layers' drawings stay.

The panes follow a time step shown in the main window (`LinkedPanes.show_time`): each pane shows
its run at that time, or at the step of its own nearest to it (runs may keep different steps),
and says which. A time is a grid's snapshot time in seconds or a table's year; a pane following a
time shows its run's result over time in place of the others drawn in the same place (the depth
at 40 minutes, not the deepest water).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from twin.core.layers import Layer, LayerEvents, ResultLayer, ResultRasterLayer, year_series
from twin.core.project import Camera
from twin.core.scene import RunRecord, Scene
from twin.render.scene_view import SceneView

NO_RESULTS = "Without results"  # the caption of a pane showing the scene's data alone


@dataclass(frozen=True)
class PaneContent:
    """What one pane shows: its caption, the layers it draws (in drawing order) and the run, if any."""

    caption: str
    layers: tuple[Layer, ...]
    run: RunRecord | None = None


@dataclass(frozen=True)
class StepTime:
    """The time a result over time shows: seconds into a run (`kind` "seconds") or a year ("year")."""

    kind: str
    value: float
    label: str  # as the time slider writes it: "40 min", "2031"


def step_times(layer: Layer) -> tuple[str, np.ndarray] | None:
    """The kind and times of a result's steps; None for a layer without time steps."""
    if not isinstance(layer, ResultLayer) or layer.time_steps < 2:
        return None
    if isinstance(layer, ResultRasterLayer):
        return "seconds", np.asarray(layer.data.times, dtype=float)
    return "year", np.asarray(year_series(layer.data.columns)[0], dtype=float)


def time_shown(layer: Layer | None) -> StepTime | None:
    """The time a result over time shows now; None for a layer without time steps."""
    times = step_times(layer) if layer is not None else None
    if times is None:
        return None
    kind, values = times
    return StepTime(kind, float(values[layer.time_index]), layer.time_labels[layer.time_index])


def nearest_step(layer: Layer, time: StepTime) -> int | None:
    """The layer's step nearest the time (the earlier of two as near); None where it has no steps of
    that kind (a year series does not follow minutes)."""
    times = step_times(layer)
    if times is None or times[0] != time.kind:
        return None
    return int(np.argmin(np.abs(times[1] - time.value)))


def data_layers(scene: Scene) -> list[Layer]:
    """The scene's shown layers that are no simulation's result: what every pane draws."""
    return [layer for layer in scene.layers if layer.visible and not isinstance(layer, ResultLayer)]


def run_result_layers(scene: Scene, run: RunRecord, time: StepTime | None = None) -> list[Layer]:
    """The run's results a pane shows: those shown in the scene, or, where the user hid them all,
    the ones a run starts with shown (the first result of each place; see twin.sim.runner). At a
    time, a result over time of that kind takes the place of the others drawn where it is drawn."""
    results = [layer for layer in scene.layers
               if isinstance(layer, ResultLayer) and layer.name in run.layer_names]
    shown = [layer for layer in results if layer.visible]
    if not shown:
        first_of_place: dict[str, Layer] = {}
        for layer in results:
            first_of_place.setdefault(_place(layer), layer)
        shown = list(first_of_place.values())
    if time is None:
        return shown
    over_time: dict[str, Layer] = {}
    for layer in results:
        if nearest_step(layer, time) is not None:
            over_time.setdefault(_place(layer), layer)
    return [layer for layer in shown if _place(layer) not in over_time] + list(over_time.values())


def _place(layer: Layer) -> str:
    """Where a result is drawn: on the grid, or on the features of the layer it joins."""
    return getattr(layer.data, "target_layer", "grid")


def scene_content(scene: Scene, caption: str = NO_RESULTS) -> PaneContent:
    return PaneContent(caption, tuple(data_layers(scene)))


def run_caption(run: RunRecord) -> str:
    """What a person calls a run: its name (the scenario's), else its simulation and id."""
    return run.scenario or f"{run.simulation} {run.run_id[:6]}"


def run_content(scene: Scene, run: RunRecord, caption: str | None = None,
                time: StepTime | None = None) -> PaneContent:
    """A run's pane: the scene's data with the run's results over it (at `time`, its results over
    time), captioned with its name."""
    layers = (*data_layers(scene), *run_result_layers(scene, run, time))
    return PaneContent(caption or run_caption(run), layers, run)


def detached_copy(layer: Layer) -> Layer:
    """The layer with its own events, visibility and style, sharing its data (no array is copied)."""
    twin = copy.copy(layer)
    twin.events = LayerEvents()
    twin.visible = True
    return twin


def detached_scene(scene: Scene) -> Scene:
    """A scene of detached copies of every layer, shown or hidden as now, with the same quarters:
    an export draws it on a worker thread while the window goes on drawing the original."""
    copy_scene = Scene(scene.crs)
    copy_scene.set_quarters(scene.quarters)
    for layer in scene.layers:
        twin = detached_copy(layer)
        twin.visible = layer.visible
        copy_scene.add_layer(twin)
    return copy_scene


class PaneScene:
    """A scene (`scene`) of shown copies of another scene's layers, with that scene's quarters."""

    def __init__(self, scene: Scene, layers: Sequence[Layer] = ()) -> None:
        self.scene = Scene(scene.crs)
        self.scene.set_quarters(scene.quarters)
        self._copies: dict[int, Layer] = {}  # id(original) -> its copy in this scene
        self._originals: list[Layer] = []  # held, so their ids stay theirs
        self.hold(layers)

    def hold(self, layers: Sequence[Layer]) -> None:
        """Hold copies of these layers: copies still wanted stay as drawn, the others go, new ones
        come last (a pane's data layers come before its results, and stay when the run changes)."""
        wanted = {id(layer) for layer in layers}
        for key in [key for key in self._copies if key not in wanted]:
            self.scene.layers.remove(self._copies.pop(key))
        for layer in layers:
            if id(layer) not in self._copies:
                self._copies[id(layer)] = self.scene.add_layer(detached_copy(layer))
        self._originals = list(layers)

    def copy_of(self, layer: Layer) -> Layer | None:
        return self._copies.get(id(layer))

    def show_time(self, time: StepTime) -> str | None:
        """Step every result over time this pane draws to its step nearest the time; the label of
        the step shown (the first such result's), None where none has steps of that kind."""
        shown = None
        for layer in self.scene.layers:
            step = nearest_step(layer, time)
            if step is not None:
                layer.time_index = step
                shown = shown or layer.time_labels[step]
        return shown


class TimeWatch:
    """Calls `moved(layer)` whenever a result over time in the scene shows another step (the time
    slider, a bookmark, a tour), results added later too; `close` lets go of the scene."""

    def __init__(self, scene: Scene, moved: Callable[[Layer], None]) -> None:
        self.scene, self._moved = scene, moved
        self._slots: dict[int, tuple[Layer, Callable[[int], None]]] = {}  # id(layer) -> (layer, its slot)
        scene.layers.events.inserted.connect(self._inserted)
        scene.layers.events.removed.connect(self._removed)
        for layer in scene.layers:
            self._watch(layer)

    def _inserted(self, _index: int, layer: Layer) -> None:
        self._watch(layer)

    def _removed(self, _index: int, layer: Layer) -> None:
        self._forget(id(layer))

    def _watch(self, layer: Layer) -> None:
        if step_times(layer) is None or id(layer) in self._slots:
            return
        def slot(_index: int, layer: Layer = layer) -> None:
            self._moved(layer)
        layer.events.time_index.connect(slot)
        self._slots[id(layer)] = (layer, slot)

    def _forget(self, key: int) -> None:
        if key in self._slots:
            layer, slot = self._slots.pop(key)
            layer.events.time_index.disconnect(slot)

    def close(self) -> None:
        self.scene.layers.events.inserted.disconnect(self._inserted)
        self.scene.layers.events.removed.disconnect(self._removed)
        for key in list(self._slots):
            self._forget(key)


class LinkedCameras:
    """One camera for several plotters: a move in any asks every plotter for a frame.

    `request_frame(plotter)` asks for one frame (default: `plotter.render()`; the Qt window
    gathers requests). Only moves count, not the clipping range each frame sets.
    """

    def __init__(self, plotters: Sequence[pv.BasePlotter],
                 request_frame: Callable[[pv.BasePlotter], None] | None = None) -> None:
        self.plotters = list(plotters)
        self._request = request_frame or (lambda plotter: plotter.render())
        self.camera = self.plotters[0].renderer.camera
        for plotter in self.plotters[1:]:
            plotter.renderer.camera = self.camera  # pyvista's setter: the same vtkCamera object
        for plotter in self.plotters:
            # Each pane fits the clipping range to its own layers before it draws.
            plotter.renderer.AddObserver("StartEvent", _fit_clipping_range)
        self._pose = self._current_pose()
        self._asking = False
        self._observer = self.camera.AddObserver("ModifiedEvent", self._camera_modified)

    def _current_pose(self) -> tuple[float, ...]:
        camera = self.camera
        return (*camera.position, *camera.focal_point, *camera.up, camera.view_angle,
                float(camera.parallel_projection), camera.parallel_scale)

    def _camera_modified(self, *_event: object) -> None:
        pose = self._current_pose()
        if pose == self._pose or self._asking:
            return
        self._pose = pose
        self._asking = True  # a frame asked for here may touch the camera again
        try:
            for plotter in self.plotters:
                if not _turned_by_mouse(plotter):  # that one's interactor draws it already
                    self._request(plotter)
        finally:
            self._asking = False

    def unlink(self) -> None:
        self.camera.RemoveObserver(self._observer)


class LinkedPanes:
    """Two or four panes of one scene under one camera, each showing its content; `show` changes one."""

    def __init__(self, scene: Scene, plotters: Sequence[pv.BasePlotter], contents: Sequence[PaneContent],
                 request_frame: Callable[[pv.BasePlotter], None] | None = None) -> None:
        if len(plotters) not in (2, 4) or len(contents) != len(plotters):
            raise ValueError(f"side by side shows two or four panes, not {len(plotters)} "
                             f"(with {len(contents)} contents)")
        self.scene = scene
        self.contents = list(contents)
        self.panes = [PaneScene(scene, content.layers) for content in contents]
        self.views = [SceneView(pane.scene, plotter)
                      for pane, plotter in zip(self.panes, plotters, strict=True)]
        self.cameras = LinkedCameras(plotters, request_frame)

    @property
    def scenes(self) -> list[Scene]:
        return [pane.scene for pane in self.panes]

    def show(self, index: int, content: PaneContent) -> None:
        self.contents[index] = content
        self.panes[index].hold(content.layers)
        self.views[index].request_render()

    def show_time(self, time: StepTime) -> list[str | None]:
        """Every pane at the time (or its nearest step): per pane the label of the step it shows,
        None where it shows nothing over time of that kind."""
        labels = [pane.show_time(time) for pane in self.panes]
        for view in self.views:
            view.request_render()
        return labels

    def set_camera(self, camera: Camera | None) -> None:
        """Look from a camera in map coordinates (all panes: they share it); None: the whole scene."""
        self.views[0].set_camera(camera)

    def camera(self) -> Camera:
        return self.views[0].camera()

    def origins_agree(self) -> bool:
        """Whether the panes place the map alike (they must, to share a camera)."""
        return all(np.allclose(view.origin, self.views[0].origin) for view in self.views)

    def close(self) -> None:
        self.cameras.unlink()


def _turned_by_mouse(plotter: pv.BasePlotter) -> bool:
    """Whether the user is turning the camera with the mouse in this plotter (VTK draws it then)."""
    interactor = getattr(getattr(plotter, "iren", None), "interactor", None)
    style = interactor.GetInteractorStyle() if interactor is not None else None
    return style is not None and style.GetState() != 0  # VTKIS_NONE: no mouse interaction


def _fit_clipping_range(renderer: object, _event: str) -> None:
    renderer.ResetCameraClippingRange()
