"""Colours and legends of published layers: values through a matplotlib colour map to 0-255 RGB,
and the legend the viewer draws beside the scene (a gradient bar or a list of classes).

The ramps below repeat the desktop renderer's (twin/render/palettes.py): the web package is kept
apart from the renderer, which needs VTK.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import Colormap, LinearSegmentedColormap, to_hex, to_rgb

from twin.core.fields import Category
from twin.core.numbers import format_range_labels

NO_VALUE_RGB = (158, 158, 158)  # features a result says nothing about (the renderer's grey)
_RAMPS = {
    "water": ["#7cc8ff", "#2b83d6", "#08306b"],
    "earth": ["#5b6b45", "#8d9462", "#bca77f", "#d9cdb8", "#f1ede6"],
}
_GRADIENT_STOPS = 9  # colours of a legend's bar, enough for a smooth CSS gradient


def colour_map(name: str) -> Colormap:
    """A named matplotlib colour map, or one of the twin's own ramps ("water", "earth")."""
    if name in _RAMPS:
        return LinearSegmentedColormap.from_list(name, _RAMPS[name])
    try:
        return matplotlib.colormaps[name]
    except KeyError:
        return matplotlib.colormaps["viridis"]  # a project names a map this matplotlib lacks


@dataclass
class Colouring:
    """How one attribute of a layer is coloured: a continuous map over a range, or classes."""

    title: str
    colormap: str = "viridis"
    value_range: tuple[float, float] = (0.0, 1.0)
    categories: tuple[Category, ...] = ()

    def rgb(self, values: np.ndarray) -> np.ndarray:
        """(n, 3) uint8 colours; NaN (no value) in the renderer's grey."""
        values = np.asarray(values, dtype=np.float64)
        colours = np.empty((len(values), 3), dtype=np.uint8)
        colours[:] = NO_VALUE_RGB
        known = np.isfinite(values)
        if self.categories:
            for category in self.categories:
                within = values == category.code if category.upper is None else values <= category.upper
                hit = known & within
                colours[hit] = np.round(np.array(to_rgb(category.colour)) * 255)
                known &= ~hit
            return colours
        low, high = self.value_range
        scaled = np.clip((values[known] - low) / ((high - low) or 1.0), 0.0, 1.0)
        colours[known] = np.round(colour_map(self.colormap)(scaled)[:, :3] * 255)
        return colours

    def legend(self) -> dict:
        """The legend as the viewer draws it: a title and a gradient with three labels, or classes."""
        if self.categories:
            return {"title": self.title, "classes": [{"label": category.label, "colour": category.colour}
                                                     for category in self.categories]}
        low, high = self.value_range
        stops = colour_map(self.colormap)(np.linspace(0.0, 1.0, _GRADIENT_STOPS))[:, :3]
        return {"title": self.title,
                "gradient": [to_hex(stop) for stop in stops],
                "labels": format_range_labels([low, (low + high) / 2, high])}


def value_range(values: np.ndarray, chosen: tuple[float, float] | None) -> tuple[float, float]:
    """The chosen range, or the finite values' own; (0, 1) where there are none."""
    if chosen is not None:
        return float(chosen[0]), float(chosen[1])
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())
