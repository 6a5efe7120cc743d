"""The time slider and play button for results with time steps (depth snapshots, condition by year).

The bar appears as soon as the scene holds a result over time, shown or not: a flood run adds its
depth snapshots hidden under the deepest water, and stepping through them shows them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QToolButton, QWidget

from twin.core.layers import Layer, ResultLayer
from twin.core.scene import Scene

PLAY_INTERVAL_MS = 250


def has_time_steps(layer: Layer | None) -> bool:
    """True for a result over time (depth snapshots, condition by year)."""
    return isinstance(layer, ResultLayer) and layer.time_steps > 1


class TimeBar(QWidget):
    """Steps one result layer through its time steps; hidden while no layer has more than one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: Layer | None = None
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
        """Take a result over time as soon as the scene has one, hidden ones too, while the bar
        follows none (a shown one the window hands over with `set_layer` wins); when the layer
        followed is removed, take the newest one left."""
        scene.layers.events.inserted.connect(lambda _index, layer: self._offer(layer))
        scene.layers.events.removed.connect(lambda _index, layer: self._offer_instead_of(layer, scene))
        self._offer_instead_of(None, scene)

    def _offer_instead_of(self, removed: Layer | None, scene: Scene) -> None:
        if removed is not None and removed is self.layer:
            self.set_layer(None)
        for layer in reversed(scene.layers):
            self._offer(layer)

    def _offer(self, layer: Layer) -> None:
        if self.layer is None and has_time_steps(layer):
            self.set_layer(layer)

    def set_layer(self, layer: Layer | None) -> None:
        """Follow this layer's time steps (None, or a layer without steps, hides the bar)."""
        if layer is not None and layer is self.layer:
            return  # already followed: playing goes on
        self.play_button.setChecked(False)
        if self.layer is not None:
            self.layer.events.time_index.disconnect(self._show_step)
        self.layer = layer if has_time_steps(layer) else None
        self.setVisible(self.layer is not None)
        if self.layer is None:
            return
        self.layer.events.time_index.connect(self._show_step)
        self.title.setText(f"{self.layer.name}:")
        self.slider.blockSignals(True)
        self.slider.setRange(0, self.layer.time_steps - 1)
        self.slider.blockSignals(False)
        self._show_step(self.layer.time_index)

    def _step_to(self, index: int) -> None:
        if self.layer is not None:
            self.layer.time_index = index
            self.layer.visible = True  # a step of a hidden result would change nothing seen

    def _show_step(self, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.step_label.setText(self.layer.time_labels[index] if self.layer is not None else "")

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
