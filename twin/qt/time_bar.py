"""The time slider and play button for results with time steps (depth snapshots, condition by year).

The bar follows a result over time that is shown, or hidden under a shown result of its own run:
a flood run adds its depth snapshots hidden under the deepest water, and stepping through them shows
them. A run whose results are all hidden is not stepped (after *Compute effect* hid the runs before
and with the proposals for their difference, stepping the run before would show it over the
difference); with no such layer left the bar hides.

A live sensors layer (twin.core.live) brings the bar too: its steps are the observation times,
and they grow as observations arrive. At the newest time the bar follows live (the label says
so) and moves on with each new observation; moved back, it stays where the user put it while
the slider's range grows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QToolButton, QWidget

from twin.core.layers import Layer, ResultLayer
from twin.core.live import LiveSensorFeed, live_feed
from twin.core.scene import Scene

PLAY_INTERVAL_MS = 250


def has_time_steps(layer: Layer | None) -> bool:
    """True for a result over time (depth snapshots, condition by year) and for a live layer."""
    return (isinstance(layer, ResultLayer) and layer.time_steps > 1) or live_feed(layer) is not None


def steps_shown(layer: Layer, scene: Scene) -> bool:
    """True for a layer with time steps that is shown, or hidden while a result of its own run is shown
    (a flood's depth snapshots under its deepest water)."""
    if not has_time_steps(layer):
        return False
    run = getattr(layer, "run_id", "")
    return layer.visible or (bool(run) and any(
        other.visible and getattr(other, "run_id", "") == run for other in scene.layers))


def _steps_of(layer: Layer) -> ResultLayer | LiveSensorFeed:
    """What holds the layer's time steps: the result layer itself, or the live layer's feed."""
    return live_feed(layer) or layer  # type: ignore[return-value]


class TimeBar(QWidget):
    """Steps one result or live layer through its time steps; hidden while no shown layer has any."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: Layer | None = None
        self._scene: Scene | None = None
        self._steps: ResultLayer | LiveSensorFeed | None = None
        self.title = QLabel()
        self.title.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.play_button = QToolButton()
        # The style's own icons: a font may lack the media glyphs (the pause sign showed as a box).
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play the time steps")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(240)
        self.slider.setMaximumWidth(480)
        self.slider.valueChanged.connect(self._step_to)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(70)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        for widget in (self.title, self.play_button, self.slider, self.step_label):
            layout.addWidget(widget)
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._advance)
        self.setVisible(False)

    def follow(self, scene: Scene) -> None:
        """Keep to a result over time that is shown (`steps_shown`): the one followed while it stays
        so (a shown one the window hands over with `set_layer` wins), else the newest; none hides the
        bar. Looked at again when a layer comes, goes or is shown or hidden."""
        self._scene = scene
        scene.layers.events.inserted.connect(lambda _index, layer: self._watch(layer))
        scene.layers.events.removed.connect(lambda _index, layer: self._unwatch(layer))
        for layer in scene.layers:
            layer.events.visible.connect(self._choose)
        self._choose()

    def _watch(self, layer: Layer) -> None:
        layer.events.visible.connect(self._choose)
        self._choose()

    def _unwatch(self, layer: Layer) -> None:
        layer.events.visible.disconnect(self._choose)
        if layer is self.layer:
            self.set_layer(None)
        self._choose()

    def _choose(self, *_event: object) -> None:
        scene = self._scene
        current = self.layer
        if current is not None and any(layer is current for layer in scene.layers) \
                and steps_shown(current, scene):
            return
        shown = [layer for layer in reversed(scene.layers) if steps_shown(layer, scene)]
        self.set_layer(shown[0] if shown else None)

    def set_layer(self, layer: Layer | None) -> None:
        """Follow this layer's time steps (None, or a layer without steps, hides the bar)."""
        if layer is not None and layer is self.layer:
            return  # already followed: playing goes on
        self.play_button.setChecked(False)
        if self._steps is not None:
            self._steps.events.time_index.disconnect(self._show_step)
            if isinstance(self._steps, LiveSensorFeed):
                self._steps.events.times.disconnect(self._extend)
        self.layer = layer if has_time_steps(layer) else None
        self._steps = _steps_of(self.layer) if self.layer is not None else None
        self.setVisible(self.layer is not None)
        if self._steps is None:
            return
        self._steps.events.time_index.connect(self._show_step)
        if isinstance(self._steps, LiveSensorFeed):
            self._steps.events.times.connect(self._extend)
        self.title.setText(f"{self.layer.name}:")
        self._extend(self._steps.time_steps)

    @property
    def following_live(self) -> bool:
        """Whether the bar shows a live layer at its newest time, moving on as observations arrive."""
        return isinstance(self._steps, LiveSensorFeed) and self._steps.following_live

    def _extend(self, steps: int) -> None:
        """Set the slider's range to the steps there are (a live layer's grow) and show the step."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, steps - 1)
        self.slider.blockSignals(False)
        self._show_step(self._steps.time_index)

    def _step_to(self, index: int) -> None:
        if self._steps is not None:
            self._steps.time_index = index
            self.layer.visible = True  # a step of a hidden result would change nothing seen

    def _show_step(self, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        label = self._steps.time_labels[index] if self._steps is not None else ""
        self.step_label.setText(f"{label}, live" if self.following_live else label)

    def _play(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setToolTip("Pause" if playing else "Play the time steps")
        if playing:
            if self.slider.value() == self.slider.maximum():
                self.slider.setValue(0)
            self._timer.start()
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)
