"""How each layer is coloured, and what its legend says.

One `Colouring` per drawn layer feeds both the mesh's colour mapping and its legend, so the
legend cannot disagree with the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv

from twin.core.data import ResultRaster, ResultTable
from twin.core.fields import Category
from twin.core.layers import Layer, ResultLayer
from twin.render.meshes import UNCHANGED_SHARE
from twin.render.palettes import (
    NO_VALUE_COLOUR,
    category_colours,
    category_entries,
    difference_colours,
    point_class_colours,
    point_class_entries,
    surface_colours,
    surface_entries,
    terrain_colours,
    water_colours,
)
from twin.sim.difference import DifferenceLayer
from twin.sim.presentation import attribute_legend
from twin.sim.registry import default_registry

_DRAWN_ON = {"building": "buildings", "feature": "streets", "station": "stations"}
_DEFAULT_MAPS = {"pointcloud": "viridis", "grid": "Blues", "table": "YlOrRd"}
SHALLOWEST_WATER_RANGE = 0.1  # metres: a depth legend spans at least this, so a film still reads
REACH_PERCENTILE = 98.0  # a difference's colours span this percentile of its changes


@dataclass(frozen=True)
class Colouring:
    """A scalar array drawn through a colour map; `entries` makes the legend categorical."""

    scalars: str
    cmap: Any  # a matplotlib colour map or its name
    clim: tuple[float, float]
    title: str
    entries: tuple[tuple[str, str], ...] = ()  # (label, colour) per category
    nan_opacity: float = 1.0  # 0: elements without a value are not drawn (dry cells of a flood)
    unit: str = ""  # of the values, for the legend's numbers (whole euros, ...)
    open_ends: tuple[bool, bool] = (False, False)  # values lie below / above the range: "≤" / "≥" labels

    def mesh_style(self) -> dict[str, Any]:
        """Keyword arguments of `Plotter.add_mesh` for this colouring."""
        return {"scalars": self.scalars, "cmap": self.cmap, "clim": self.clim,
                "nan_color": NO_VALUE_COLOUR, "nan_opacity": self.nan_opacity}

    def legend_key(self) -> tuple:
        """Equal for legends that would look the same (three quarters' buildings share one)."""
        cmap = self.cmap if isinstance(self.cmap, str) else getattr(self.cmap, "name", id(self.cmap))
        return self.title, self.entries, None if self.entries else (cmap, self.clim)


def colouring_for(layer: Layer, mesh: pv.PolyData, terrain_range: tuple[float, float]) -> Colouring | None:
    """The layer's colouring: the user's choice, else one that means something; None for a plain colour.

    `terrain_range` spans every terrain layer, so the same height has the same colour in every quarter.
    """
    if isinstance(layer, ResultLayer):
        return _result_colouring(layer, mesh)
    if layer.color_by and layer.color_by in mesh.array_names:
        clim = layer.color_range or _data_range(mesh[layer.color_by])
        title = _capitalised(layer.attribute_label(layer.color_by))
        return Colouring(layer.color_by, layer.colormap, clim, title,
                         unit=layer.attribute_unit(layer.color_by))
    return _default_colouring(layer, mesh, terrain_range)


def _default_colouring(layer: Layer, mesh: pv.PolyData,
                       terrain_range: tuple[float, float]) -> Colouring | None:
    names = mesh.array_names
    if layer.kind == "buildings" and "surface" in names:
        cmap, clim = surface_colours()
        kinds = np.unique(mesh["surface"]).tolist()
        return Colouring("surface", cmap, clim, "Building surfaces", tuple(surface_entries(kinds)))
    if layer.kind == "pointcloud" and "classification" in names:
        cmap, clim = point_class_colours()
        codes = np.unique(mesh["classification"]).tolist()
        return Colouring("classification", cmap, clim, "LiDAR classes (ASPRS)",
                         tuple(point_class_entries(codes)))
    for attribute in names:  # the mesh's arrays: attributes, and what the mesh derives (latest rating)
        legend = attribute_legend(default_registry(), layer.kind, attribute)
        if legend is not None:
            return _categorical(attribute, legend.categories, legend.title, mesh[attribute], "not rated")
    if layer.kind == "raster":
        clim = terrain_range if terrain_range[0] < terrain_range[1] else _data_range(mesh["elevation"])
        return Colouring("elevation", terrain_colours(), clim, "Terrain height (m)", unit="m")
    if layer.kind == "pointcloud":
        return Colouring("elevation", _DEFAULT_MAPS["pointcloud"], _data_range(mesh["elevation"]),
                         "Point height (m)", unit="m")
    return None


def result_attribute(layer: ResultLayer) -> str | None:
    """The attribute a result layer shows: the user's choice, else the result's headline."""
    return layer.color_by or layer.default_color_by()


def _result_colouring(layer: ResultLayer, mesh: pv.PolyData) -> Colouring | None:
    attribute = result_attribute(layer)
    if isinstance(layer.data, ResultRaster):
        return _grid_colouring(layer, mesh)
    if attribute is None or attribute not in mesh.array_names:
        return None
    when = _when(layer)
    table: ResultTable = layer.data
    categories = table.categories.get(attribute)
    if categories and not layer.color_by:
        return _categorical(attribute, categories, f"{_capitalised(layer.attribute_label(attribute))}{when}",
                            mesh[attribute], "no result")
    cmap = layer.colormap if layer.color_by else _DEFAULT_MAPS["table"]
    clim = layer.color_range or _data_range(layer.attribute_values(attribute))  # every time step
    if isinstance(layer, DifferenceLayer) and not layer.color_by:
        clim = layer.color_range or _symmetric_range(layer.attribute_values(attribute))
        cmap = difference_colours()
    # Named after what it is drawn on: the buildings' max depth is not the grid's max depth.
    drawn_on = next(name for ids, name in _DRAWN_ON.items() if ids in mesh.array_names)
    title = _capitalised(layer.attribute_label(attribute))
    return Colouring(attribute, cmap, clim, f"{title} of {drawn_on}{when}{_compared(layer)}",
                     unit=layer.attribute_unit(attribute),
                     open_ends=_beyond(layer.attribute_values(attribute), clim))


def _grid_colouring(layer: ResultLayer, mesh: pv.PolyData) -> Colouring:
    grid: ResultRaster = layer.data
    when = _when(layer)
    cmap = layer.colormap if layer.color_by else _DEFAULT_MAPS["grid"]
    clim = layer.color_range or _data_range(grid.values)  # over every step: colours comparable in time
    if grid.palette == "water" and not layer.color_by:
        # From dry to the deepest water of the run: a legend stopping at 1 m hid the 3.9 m of an underpass.
        cmap, clim = water_colours(), layer.color_range or (0.0, max(clim[1], SHALLOWEST_WATER_RANGE))
    elif isinstance(layer, DifferenceLayer) and not layer.color_by:
        cmap, clim = difference_colours(), layer.color_range or _symmetric_range(grid.values)
    title = _capitalised(layer.attribute_label(grid.name))
    return Colouring("values", cmap, clim, f"{title}{when}{_compared(layer)}", nan_opacity=0.0,
                     unit=grid.units, open_ends=_beyond(grid.values, clim))


def _categorical(attribute: str, categories: tuple[Category, ...], title: str, values: np.ndarray,
                 missing_label: str) -> Colouring:
    """Classes by code, or, where the classes bound values (condition 1.0-5.0), by value."""
    cmap, clim = category_colours(categories)
    return Colouring(attribute, cmap, clim, title,
                     _with_missing(category_entries(categories), values, missing_label))


def _compared(layer: ResultLayer) -> str:
    """The runs a difference compares, on the legend title's second line ("100-year − 30-year")."""
    return f"\n{layer.comparison}" if isinstance(layer, DifferenceLayer) else ""


def _symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """A range centred on zero: zero is the middle colour. It reaches the 98th percentile of the
    changes either way, not the largest: one underpass 1.4 m deeper would leave the quarter's
    typical 10-20 cm pale; the few beyond take the end colours and the legend marks its ends open."""
    values = np.asarray(values, dtype=np.float64)
    changes = np.abs(values[np.isfinite(values)])
    if not len(changes) or changes.max() == 0:
        return -1.0, 1.0
    changed = changes[changes >= UNCHANGED_SHARE * changes.max()]
    reach = float(np.percentile(changed, REACH_PERCENTILE))
    return -reach, reach


def _beyond(values: np.ndarray, clim: tuple[float, float]) -> tuple[bool, bool]:
    """Whether some values lie below and above the colour range (they take its end colours)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not len(finite):
        return False, False
    return bool(finite.min() < clim[0]), bool(finite.max() > clim[1])


def _when(layer: ResultLayer) -> str:
    """The time step shown, for the legend title (", 2031"); empty without time steps."""
    return f", {layer.time_labels[layer.time_index]}" if layer.time_steps > 1 else ""


def _with_missing(entries: list[tuple[str, str]], values: np.ndarray,
                  label: str = "not rated") -> tuple[tuple[str, str], ...]:
    """The entries, plus the grey of missing values where some are missing."""
    missing = bool(np.isnan(np.asarray(values, dtype=np.float64)).any())
    return tuple(entries + [(label, NO_VALUE_COLOUR)] if missing else entries)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _data_range(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if low < high else (low - 0.5, high + 0.5)
