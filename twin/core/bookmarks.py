"""Bookmarks and tours: saved views of the scene to present, as plain data kept in the project file.

A bookmark is what a facilitator wants to show again: the camera, which layers are visible with
their styles, the time step of results over time, a caption and a short text. A tour is an
ordered list of bookmark names that the camera flies along (twin/core/tour.py).

    [[bookmarks]]
    name = "Johannstadt flooded"
    caption = "100-year storm: 40 minutes after the rain"
    text = "Water gathers in the Pfotenhauerstrasse underpass."
    position = [412800.0, 5655200.0, 450.0]        # camera, map coordinates
    focal_point = [413200.0, 5655700.0, 112.0]
    view_up = [0.0, 0.0, 1.0]
    view_angle = 30.0                              # degrees, vertical
    time_step = 4                                  # optional: results over time show this step

    [[bookmarks.layers]]                           # optional: the layers' look; unnamed layers stay
    name = "Johannstadt buildings"
    visible = true
    opacity = 1.0
    color_by = "height"                            # optional, as in [[layers]]
    colormap = "viridis"
    color_range = [0.0, 40.0]

    [[tours]]
    name = "Walk through Johannstadt"
    bookmarks = ["Overview", "Johannstadt flooded"]
    seconds_per_leg = 4.0                          # the flight from one bookmark to the next
    seconds_per_stop = 2.0                         # the camera rests at each bookmark
    play_time_steps = false                        # time steps run between bookmarks that name them

The tables are read with the same checks as the rest of the project (unknown keys with "did you
mean", types, ranges); a problem is a ProjectError naming the file, never a traceback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from twin.core.errors import did_you_mean
from twin.core.project import STYLE_KEYS, Camera, LayerStyle, ProjectError, read_style, style_table

_BOOKMARK_KEYS = ("name", "caption", "text", "position", "focal_point", "view_up", "view_angle",
                  "time_step", "layers")
_LAYER_LOOK_KEYS = ("name", *STYLE_KEYS)
_TOUR_KEYS = ("name", "bookmarks", "seconds_per_leg", "seconds_per_stop", "play_time_steps")
DEFAULT_VIEW_ANGLE = 30.0  # VTK's default vertical field of view, degrees


@dataclass(frozen=True)
class LayerLook(LayerStyle):
    """How one layer looked in a bookmark (the style a project keeps per layer), found by its name."""

    name: str


@dataclass(frozen=True)
class Bookmark:
    name: str
    camera: Camera
    view_angle: float = DEFAULT_VIEW_ANGLE
    layers: tuple[LayerLook, ...] = ()
    time_step: int | None = None
    caption: str = ""
    text: str = ""

    def renamed(self, name: str) -> Bookmark:
        return replace(self, name=name)


@dataclass(frozen=True)
class Tour:
    name: str
    bookmarks: tuple[str, ...]
    seconds_per_leg: float = 4.0
    seconds_per_stop: float = 2.0
    play_time_steps: bool = False


def find_bookmark(bookmarks: list[Bookmark], name: str, where: str = "") -> Bookmark:
    """The bookmark of this name; a ProjectError naming the known ones otherwise."""
    for bookmark in bookmarks:
        if bookmark.name == name:
            return bookmark
    names = [bookmark.name for bookmark in bookmarks]
    known = ", ".join(f"'{text}'" for text in names) or "none"
    raise ProjectError(None, f"{where}no bookmark '{name}'{did_you_mean(name, names)}; "
                             f"the project has {known}")


def find_tour(tours: list[Tour], name: str) -> Tour:
    for tour in tours:
        if tour.name == name:
            return tour
    names = [tour.name for tour in tours]
    known = ", ".join(f"'{text}'" for text in names) or "none"
    raise ProjectError(None, f"no tour '{name}'{did_you_mean(name, names)}; the project has {known}")


# -- changing -----------------------------------------------------------------------------------
# What the bookmarks panel does, as plain functions on the lists a project keeps: a tour names its
# bookmarks, so renaming or deleting one changes the tours that name it.

def rename_bookmark(bookmarks: list[Bookmark], tours: list[Tour], old: str,
                    new: str) -> tuple[list[Bookmark], list[Tour]]:
    """The lists with bookmark `old` named `new`, in the tours too; a ProjectError for a bad name."""
    new = new.strip()
    if not new:
        raise ProjectError(None, "a bookmark needs a name")
    if new != old and any(bookmark.name == new for bookmark in bookmarks):
        raise ProjectError(None, f"there is a bookmark '{new}' already; bookmark names must differ")
    renamed = [bookmark.renamed(new) if bookmark.name == old else bookmark for bookmark in bookmarks]
    return renamed, [replace(tour, bookmarks=tuple(new if stop == old else stop for stop in tour.bookmarks))
                     for tour in tours]


def delete_bookmark(bookmarks: list[Bookmark], tours: list[Tour],
                    name: str) -> tuple[list[Bookmark], list[Tour]]:
    """The lists without bookmark `name`: the tours skip it, and a tour left with no stop goes too."""
    kept = [replace(tour, bookmarks=tuple(stop for stop in tour.bookmarks if stop != name)) for tour in tours]
    return [bookmark for bookmark in bookmarks if bookmark.name != name], \
        [tour for tour in kept if tour.bookmarks]


def unused_name(base: str, taken: list[str]) -> str:
    """`base`, or `base 2`, `base 3`, ... : the first that no bookmark or tour has yet."""
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} {number}"
    return name


def moved(items: list, index: int, offset: int) -> list:
    """The list with item `index` moved `offset` places (clamped to the ends)."""
    target = max(0, min(index + offset, len(items) - 1))
    items = list(items)
    items.insert(target, items.pop(index))
    return items


# -- writing ------------------------------------------------------------------------------------

def presentation_tables(bookmarks: list[Bookmark], tours: list[Tour]) -> dict[str, Any]:
    """The `bookmarks` and `tours` tables of a project document (absent when there are none)."""
    document: dict[str, Any] = {}
    if bookmarks:
        document["bookmarks"] = [_bookmark_table(bookmark) for bookmark in bookmarks]
    if tours:
        document["tours"] = [{"name": tour.name, "bookmarks": list(tour.bookmarks),
                              "seconds_per_leg": tour.seconds_per_leg,
                              "seconds_per_stop": tour.seconds_per_stop,
                              "play_time_steps": tour.play_time_steps} for tour in tours]
    return document


def _bookmark_table(bookmark: Bookmark) -> dict[str, Any]:
    camera = bookmark.camera
    table: dict[str, Any] = {"name": bookmark.name, "caption": bookmark.caption, "text": bookmark.text,
                             "position": list(camera.position), "focal_point": list(camera.focal_point),
                             "view_up": list(camera.view_up), "view_angle": bookmark.view_angle}
    if bookmark.time_step is not None:
        table["time_step"] = bookmark.time_step
    if bookmark.layers:
        table["layers"] = [_look_table(look) for look in bookmark.layers]
    return table


def _look_table(look: LayerLook) -> dict[str, Any]:
    return {"name": look.name} | style_table(look)


# -- reading ------------------------------------------------------------------------------------

def read_presentation(document: dict[str, Any], path: Path | None) -> tuple[list[Bookmark], list[Tour]]:
    """The bookmarks and tours of a parsed project document, checked."""
    reader = _Reader(path)
    bookmarks = [reader.bookmark(table, number)
                 for number, table in enumerate(reader.tables(document, "bookmarks"), start=1)]
    reader.unique([bookmark.name for bookmark in bookmarks], "bookmark")
    tours = [reader.tour(table, number, bookmarks)
             for number, table in enumerate(reader.tables(document, "tours"), start=1)]
    reader.unique([tour.name for tour in tours], "tour")
    return bookmarks, tours


class _Reader:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def fail(self, problem: str) -> ProjectError:
        return ProjectError(self.path, problem)

    def tables(self, document: dict[str, Any], key: str) -> list[dict]:
        tables = document.get(key, [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            raise self.fail(f"{key} must be written as [[{key}]] tables")
        return tables

    def unique(self, names: list[str], what: str) -> None:
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise self.fail(f"two {what}s are named '{repeated[0]}'; {what} names must differ")

    def bookmark(self, table: dict, number: int) -> Bookmark:
        where = f"bookmark {number}"
        self.known(table, _BOOKMARK_KEYS, where)
        for key in ("name", "position", "focal_point"):
            if key not in table:
                raise self.fail(f"{where} needs a '{key}'")
        name = self.text(table["name"], f"{where} name")
        where = f"bookmark '{name}'"
        camera = Camera(*(tuple(self.vector(table[key], f"{where} {key}"))
                          for key in ("position", "focal_point", "view_up") if key in table))
        view_angle = self.number(table.get("view_angle", DEFAULT_VIEW_ANGLE), f"{where} view_angle")
        if not 1.0 <= view_angle <= 120.0:
            raise self.fail(f"{where} view_angle must lie between 1 and 120 degrees, got {view_angle}")
        time_step = table.get("time_step")
        if time_step is not None and (isinstance(time_step, bool) or not isinstance(time_step, int)
                                      or time_step < 0):
            raise self.fail(f"{where} time_step must be a whole number from 0, got {time_step!r}")
        looks = self.items(table.get("layers", []), f"{where} layers")
        return Bookmark(name, camera, view_angle, tuple(self.look(look, where) for look in looks),
                        time_step, self.plain_text(table.get("caption", ""), f"{where} caption"),
                        self.plain_text(table.get("text", ""), f"{where} text"))

    def look(self, table: Any, where: str) -> LayerLook:
        if not isinstance(table, dict) or "name" not in table:
            raise self.fail(f"{where} layers must be tables with a 'name'")
        name = self.text(table["name"], f"{where} layer name")
        where = f"{where} layer '{name}'"
        self.known(table, _LAYER_LOOK_KEYS, where)
        return LayerLook(name=name, **read_style(table, where, self.path))

    def tour(self, table: dict, number: int, bookmarks: list[Bookmark]) -> Tour:
        where = f"tour {number}"
        self.known(table, _TOUR_KEYS, where)
        name = self.text(table.get("name"), f"{where} name")
        where = f"tour '{name}'"
        stops = tuple(self.text(text, f"{where} bookmarks")
                      for text in self.items(table.get("bookmarks"), f"{where} bookmarks"))
        if not stops:
            raise self.fail(f"{where} names no bookmarks")
        for stop in stops:
            try:
                find_bookmark(bookmarks, stop)
            except ProjectError as error:
                raise self.fail(f"{where}: {error}") from None
        seconds = {key: self.number(table.get(key, default), f"{where} {key}")
                   for key, default in (("seconds_per_leg", 4.0), ("seconds_per_stop", 2.0))}
        if seconds["seconds_per_leg"] <= 0 or seconds["seconds_per_stop"] < 0:
            raise self.fail(f"{where} seconds_per_leg must be above 0 and seconds_per_stop at least 0")
        play = table.get("play_time_steps", False)
        if not isinstance(play, bool):
            raise self.fail(f"{where} play_time_steps must be true or false")
        return Tour(name, stops, play_time_steps=play, **seconds)

    def known(self, table: dict, known: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in known:
                raise self.fail(f"unknown key '{key}' in {where}{did_you_mean(key, known)}")

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be non-empty text")
        return value

    def plain_text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be text")
        return value

    def items(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"{where} must be a number, got {value!r}")
        return float(value)

    def vector(self, value: Any, where: str, length: int = 3) -> list[float]:
        if not isinstance(value, list) or len(value) != length:
            raise self.fail(f"{where} must be a list of {length} numbers")
        return [self.number(item, where) for item in value]
