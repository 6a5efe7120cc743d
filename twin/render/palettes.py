"""Colours that carry meaning: building surfaces, ASPRS point classes, declared classes, water."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from twin.core.data import SurfaceKind
from twin.core.fields import Category

_SURFACE_COLOURS = {
    SurfaceKind.UNCLASSIFIED: "#d9cbb8",
    SurfaceKind.ROOF: "#b4553c",  # tiled roofs read as roofs from above
    SurfaceKind.WALL: "#ece4d4",
    SurfaceKind.GROUND: "#8c8c8c",
    SurfaceKind.CLOSURE: "#c8c8c8",
    SurfaceKind.OUTER_CEILING: "#d0c4b0",
    SurfaceKind.OUTER_FLOOR: "#a0a0a0",
    SurfaceKind.WINDOW: "#6a8fb0",
    SurfaceKind.DOOR: "#7a5a3a",
}

# ASPRS LAS 1.4 standard classes 0-18; the rest grey.
_CLASS_COLOURS = {1: "#b0b0b0", 2: "#a67c52", 3: "#b8d98b", 4: "#7fbf5f", 5: "#2e7d32",
                  6: "#d0553f", 7: "#ff00ff", 9: "#3d7fd9", 17: "#7f7f7f", 18: "#ff00ff"}

_CLASS_NAMES = {0: "never classified", 1: "unclassified", 2: "ground", 3: "low vegetation",
                4: "medium vegetation", 5: "high vegetation", 6: "building", 7: "low point",
                9: "water", 17: "bridge deck", 18: "high noise"}

NO_VALUE_COLOUR = "#9e9e9e"  # features a result or rating says nothing about


def water_colours() -> LinearSegmentedColormap:
    """Water depth from a clear light blue (shallow, still visible on the terrain) to deep navy."""
    return LinearSegmentedColormap.from_list("water", ["#7cc8ff", "#2b83d6", "#08306b"])


def terrain_colours() -> LinearSegmentedColormap:
    """Terrain height from olive lowland over sand to pale stone: earth tones without any blue, so
    low ground never reads as water (gist_earth's low end is a dark blue) and water stays the only blue."""
    return LinearSegmentedColormap.from_list("earth", ["#5b6b45", "#8d9462", "#bca77f", "#d9cdb8", "#f1ede6"])


def difference_colours() -> str:
    """Differences between two runs: blue below zero, white at zero, red above (matplotlib's RdBu_r)."""
    return "RdBu_r"


def category_colours(categories: tuple[Category, ...]) -> tuple[ListedColormap, tuple[float, float]]:
    """A colour map and range for class codes, or, where the classes bound values, for the values."""
    if categories[0].upper is None:
        codes = [category.code for category in categories]
        colours = {category.code: category.colour for category in categories}
        low, high = min(codes), max(codes)
        return (ListedColormap([colours.get(code, NO_VALUE_COLOUR) for code in range(low, high + 1)]),
                (low - 0.5, high + 0.5))
    uppers = np.array([category.upper for category in categories], dtype=float)
    width = uppers[1] - uppers[0] if len(uppers) > 1 else 1.0
    low, high = uppers[0] - width, uppers[-1]
    # Fine steps, each in the colour of the class its value falls in: the bounds stay sharp.
    centres = low + (np.arange(_BIN_STEPS) + 0.5) * (high - low) / _BIN_STEPS
    index = np.minimum(np.searchsorted(uppers, centres), len(categories) - 1)
    return ListedColormap([categories[i].colour for i in index]), (float(low), float(high))


def category_entries(categories: tuple[Category, ...]) -> list[tuple[str, str]]:
    """(label, colour) of each class, for a legend."""
    return [(category.label, category.colour) for category in categories]


_BIN_STEPS = 400


def surface_colours() -> tuple[ListedColormap, tuple[float, float]]:
    """A colour map and range for the 'surface' cell array of building meshes."""
    colours = [_SURFACE_COLOURS[kind] for kind in SurfaceKind]
    return ListedColormap(colours), (-0.5, len(colours) - 0.5)


def point_class_colours() -> tuple[ListedColormap, tuple[float, float]]:
    """A colour map and range for ASPRS classification codes 0-18."""
    colours = [_CLASS_COLOURS.get(code, "#9e9e9e") for code in range(19)]
    return ListedColormap(colours), (-0.5, 18.5)


def surface_entries(kinds: list[int]) -> list[tuple[str, str]]:
    """(label, colour) of the given building surface kinds, for a legend."""
    return [(SurfaceKind(kind).name.replace("_", " ").lower(), _SURFACE_COLOURS[SurfaceKind(kind)])
            for kind in kinds]


def point_class_entries(codes: list[int]) -> list[tuple[str, str]]:
    """(label, colour) of the given ASPRS classes, for a legend."""
    return [(_CLASS_NAMES.get(code, f"class {code}"), _CLASS_COLOURS.get(code, "#9e9e9e")) for code in codes]
