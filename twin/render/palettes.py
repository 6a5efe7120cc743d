"""Colours that carry meaning: building surfaces, ASPRS point classes, street condition classes."""

from __future__ import annotations

from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from twin.core.data import SurfaceKind

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

# Street condition classes after ZEB / E EMI 2012: blue, dark green, light green, yellow, red.
CONDITION_COLOURS = ("#1f5fbf", "#1b7a3a", "#8cc63f", "#f2c500", "#d7191c")
CONDITION_LABELS = ("1.0-1.5 very good", "1.5-2.5 good", "2.5-3.5 fair (target)",
                    "3.5-4.5 poor (warning)", "4.5-5.0 very poor")
NO_VALUE_COLOUR = "#9e9e9e"  # features a result or rating says nothing about


def condition_colours() -> tuple[ListedColormap, tuple[float, float]]:
    """A colour map over condition values 1.0-5.0 in half steps, so each band gets its class colour."""
    blue, dark_green, light_green, yellow, red = CONDITION_COLOURS
    halves = [blue, dark_green, dark_green, light_green, light_green, yellow, yellow, red]
    return ListedColormap(halves), (1.0, 5.0)


def water_colours() -> LinearSegmentedColormap:
    """Water depth from a clear light blue (shallow, still visible on the terrain) to deep navy."""
    return LinearSegmentedColormap.from_list("water", ["#8fd3ff", "#2b83d6", "#08306b"])


def condition_class_colours() -> tuple[ListedColormap, tuple[float, float]]:
    """A colour map over condition classes 0 (blue) to 4 (red)."""
    return ListedColormap(list(CONDITION_COLOURS)), (-0.5, len(CONDITION_COLOURS) - 0.5)


def condition_entries() -> list[tuple[str, str]]:
    """(label, colour) of each condition class, for a legend."""
    return list(zip(CONDITION_LABELS, CONDITION_COLOURS, strict=True))


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
