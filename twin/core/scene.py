"""The scene: one CRS, an ordered evented list of layers, the quarters and the stored runs.

A scene that names no CRS takes the CRS of its first georeferenced layer, as QGIS does: data
keeps its own grid unless the user asks for another. (The demo city's project names EPSG:25833.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal, SignalGroup
from psygnal.containers import EventedList

from twin.core.crs import normalize_crs
from twin.core.errors import CRSError, did_you_mean
from twin.core.layers import Layer
from twin.core.quarter import Quarter


class LayerList(EventedList):
    """Layers in drawing order. Insertion checks type, CRS and gives each a unique name; the
    first georeferenced layer gives a list without a CRS its CRS."""

    def __init__(self, scene_crs: str | None) -> None:
        super().__init__(child_events=False)
        self.crs = scene_crs

    def _pre_insert(self, layer: Layer) -> Layer:
        if not isinstance(layer, Layer):
            raise TypeError(f"a scene holds layers, not {type(layer).__name__}")
        if layer.georeferenced:
            self._check_crs(layer)
        layer.name = self._unique_name(layer.name)
        return layer

    def _check_crs(self, layer: Layer) -> None:
        if layer.crs is None:
            uses = f"the scene uses {self.crs}" if self.crs else "the scene has none yet"
            raise CRSError(f"layer '{layer.name}' has no coordinate reference system; give one ({uses})")
        crs = normalize_crs(layer.crs)
        if self.crs is None:
            self.crs = crs
        elif crs != self.crs:
            raise CRSError(f"layer '{layer.name}' is in {layer.crs} but the scene uses "
                           f"{self.crs}; reproject it first")

    def _unique_name(self, name: str) -> str:
        taken = {layer.name for layer in self}
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name} ({number})", number + 1
        return candidate


@dataclass
class RunRecord:
    """What a finished simulation run left in the scene: its figures and result layers."""

    run_id: str
    simulation: str
    scenario: str
    seed: int
    parameters: dict[str, Any]
    summary: dict[str, Any]
    per_quarter: dict[str, dict[str, Any]]
    layer_names: list[str] = field(default_factory=list)


class SceneEvents(SignalGroup):
    quarters = Signal()
    runs = Signal(object)


class Scene:
    """Everything the user has open: layers in one CRS, model quarters and simulation runs.

    `crs` None: the scene takes the CRS of the first georeferenced layer added.
    """

    def __init__(self, crs: str | None = None) -> None:
        self.events = SceneEvents()
        self.layers = LayerList(normalize_crs(crs))
        self._quarters: dict[str, Quarter] = {}
        self.runs: list[RunRecord] = []

    @property
    def crs(self) -> str | None:
        """'EPSG:NNNN'; None until a scene that named none has its first georeferenced layer."""
        return self.layers.crs

    def add_layer(self, layer: Layer) -> Layer:
        self.layers.append(layer)
        return layer

    def remove_layer(self, name: str) -> Layer:
        layer = self.layer(name)
        self.layers.remove(layer)
        return layer

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise KeyError(f"the scene has no layer '{name}'{did_you_mean(name, names)}")

    def layers_of_kind(self, kind: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == kind]

    @property
    def quarters(self) -> list[Quarter]:
        return list(self._quarters.values())

    def set_quarters(self, quarters: Iterable[Quarter]) -> None:
        by_name: dict[str, Quarter] = {}
        for quarter in quarters:
            if quarter.name in by_name:
                raise ValueError(f"two quarters are named '{quarter.name}'")
            by_name[quarter.name] = quarter
        self._quarters = by_name
        self.events.quarters.emit()

    def quarter(self, name: str) -> Quarter:
        try:
            return self._quarters[name]
        except KeyError:
            hint = did_you_mean(name, self._quarters)
            raise KeyError(f"the scene has no quarter '{name}'{hint}") from None

    def add_run(self, record: RunRecord, result_layers: Iterable[Layer]) -> None:
        """Store a finished run and its result layers (the runner calls this for runs that ended well)."""
        for layer in result_layers:
            self.add_layer(layer)
            record.layer_names.append(layer.name)
        self.runs.append(record)
        self.events.runs.emit(record)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """2-D extent of all layers and quarters, or None for an empty scene."""
        boxes = [quarter.bounds for quarter in self.quarters]
        for layer in self.layers:
            box = layer.bounds
            half = len(box) // 2
            box = (box[0], box[1], box[half], box[half + 1])
            if not any(math.isnan(value) for value in box):
                boxes.append(box)
        if not boxes:
            return None
        minx, miny, maxx, maxy = zip(*boxes, strict=True)
        return min(minx), min(miny), max(maxx), max(maxy)
