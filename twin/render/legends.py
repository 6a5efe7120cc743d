"""Legends of the coloured layers, stacked in a column at the right edge of the view.

Sizes are in pixels and laid out again whenever the view's size changes, so text keeps its
size and legends never overlap, whatever the window size. Continuous colours get a scalar
bar with ticks; categories (surfaces, LiDAR classes, condition classes) get coloured boxes.
`set_scale` draws them larger: presentation mode shows them at PRESENTATION_SCALE, which makes
their text 29 px (at least 28 px, legible from the back of a room on a 1920x1080 projector).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
import vtk

from twin.core.numbers import format_range_labels
from twin.render.colouring import Colouring
from twin.render.hud import TEXT_COLOUR, polygon_actor, set_polygon, style_text, text_actor

WIDTH_PX = 210
MARGIN_PX = 10
GAP_PX = 12
TITLE_PX = 18
ENTRY_PX = 17
BAR_PX = 40  # the bar and its tick labels
LABEL_PX = 17  # the tick labels under the bar
PAD_PX = 6
BAR_INSET_PX = 24
FONT_SIZE = 13
PRESENTATION_SCALE = 2.2  # FONT_SIZE 13 px -> 29 px


@dataclass
class _Legend:
    panel: vtk.vtkActor2D
    title: vtk.vtkTextActor
    body: Any  # vtkScalarBarActor or vtkLegendBoxActor
    body_height: int
    labels: tuple[vtk.vtkTextActor, ...] = ()  # under a scalar bar: low, middle, high

    def actors(self) -> tuple[Any, ...]:
        return self.panel, self.title, self.body, *self.labels


class Legends:
    """The legends shown in one renderer; `show` replaces them all."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self.plotter = plotter
        self.colourings: list[Colouring] = []
        self._legends: list[_Legend] = []
        self._laid_out_for: tuple[int, int] | None = None
        self._boxes: list[tuple[int, int, int, int]] = []
        self.scale = 1.0

    def set_scale(self, scale: float) -> None:
        """Every size (text, bars, boxes, margins) times `scale`: 1 in the window, larger to present."""
        if scale != self.scale:
            self.scale = scale
            colourings, self.colourings = self.colourings, []
            self.show(colourings)  # made anew at the new size

    def px(self, pixels: int) -> int:
        """A size of the layout at the current scale."""
        return round(pixels * self.scale)

    def show(self, colourings: list[Colouring]) -> None:
        """Legends for these colourings, one per distinct look (equal legends are shown once)."""
        unique = list({colouring.legend_key(): colouring for colouring in colourings}.values())
        if unique == self.colourings:
            return
        self.clear()
        self.colourings = unique
        font = self.px(FONT_SIZE)
        for colouring in unique:
            if colouring.entries:
                body, height = _category_box(colouring, font), self.px(ENTRY_PX * len(colouring.entries) + 6)
            else:
                body, height = _scalar_bar(colouring), self.px(BAR_PX)
            # a pale background, so the legend reads over any part of the scene
            panel = polygon_actor((1.0, 1.0, 1.0), opacity=0.8)
            labels = () if colouring.entries else _bar_labels(colouring, font)
            legend = _Legend(panel, text_actor(colouring.title, font, bold=True), body, height, labels)
            for actor in legend.actors():
                actor.SetPickable(False)
                self.plotter.renderer.AddViewProp(actor)
            self._legends.append(legend)
        self._laid_out_for = None
        self.lay_out()

    def clear(self) -> None:
        for legend in self._legends:
            for actor in legend.actors():
                self.plotter.renderer.RemoveViewProp(actor)
        self._legends, self.colourings = [], []

    def lay_out(self) -> None:
        """Stack the legends from the top right corner down (again only when the size changed), all
        as wide as the longest title needs, so no title or label is cut."""
        width, height = self.plotter.renderer.GetSize()
        if (width, height) == self._laid_out_for:
            return
        self._laid_out_for = (width, height)
        legend_width = self._width(width)
        px = self.px
        pad, inset = px(PAD_PX), px(BAR_INSET_PX)
        left = max(width - legend_width - px(MARGIN_PX), 0)
        top = height - px(MARGIN_PX)
        self._boxes = []
        for legend in self._legends:
            title_height = px(TITLE_PX) * (legend.title.GetInput().count("\n") + 1)
            bottom = top - pad - title_height - legend.body_height - pad
            legend.title.SetDisplayPosition(left + pad, top - pad - title_height + px(3))
            if isinstance(legend.body, vtk.vtkScalarBarActor):  # inset: the end labels stand out
                _place(legend.body, left + inset, bottom + pad + px(LABEL_PX),
                       legend_width - 2 * inset, legend.body_height - px(LABEL_PX))
                _place_labels(legend.labels, left + inset, legend_width - 2 * inset, bottom + pad)
            else:
                _place(legend.body, left + pad, bottom + pad, legend_width - 2 * pad, legend.body_height)
            set_polygon(legend.panel, [(left, bottom), (left + legend_width, bottom),
                                       (left + legend_width, top), (left, top)])
            visible = bottom >= 0  # a legend that no longer fits is left out rather than drawn over
            for actor in legend.actors():
                actor.SetVisibility(visible)
            if visible:
                self._boxes.append((left, bottom, left + legend_width, top))
            top = bottom - px(GAP_PX)

    def _width(self, view_width: int) -> int:
        """The legends' width: room for the widest title, at least WIDTH_PX, at most 3/5 of the view."""
        dpi = self.plotter.render_window.GetDPI()
        least = self.px(WIDTH_PX)
        needed = max((text_width(legend.title, dpi) + 2 * self.px(PAD_PX) for legend in self._legends),
                     default=0)
        return int(min(max(least, needed), max(least, view_width * 3 // 5)))

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """(left, bottom, right, top) in pixels of each legend shown, title included, top first."""
        self.lay_out()
        return list(self._boxes)


def _place(actor: Any, left: int, bottom: int, width: int, height: int) -> None:
    position, size = actor.GetPositionCoordinate(), actor.GetPosition2Coordinate()
    position.SetCoordinateSystemToDisplay()
    position.SetValue(left, bottom)
    size.SetCoordinateSystemToDisplay()  # relative to `position`: width and height in pixels
    size.SetValue(width, height)


def _scalar_bar(colouring: Colouring) -> vtk.vtkScalarBarActor:
    table = pv.LookupTable(cmap=colouring.cmap)
    table.scalar_range = colouring.clim
    bar = vtk.vtkScalarBarActor()
    bar.SetLookupTable(table)
    bar.SetOrientationToHorizontal()
    bar.SetDrawTickLabels(False)  # the twin's own labels, numbers written as in every table
    bar.SetBarRatio(1.0)
    bar.SetTitle("")
    return bar


def _bar_labels(colouring: Colouring, font: int) -> tuple[vtk.vtkTextActor, ...]:
    """Low, middle and high value under the bar, formatted like the twin's tables (no '0.00983')."""
    low, high = colouring.clim
    texts = format_range_labels([low, (low + high) / 2.0, high], colouring.unit)
    below, above = colouring.open_ends  # values beyond an end take its colour: the label says so
    texts = [f"≤ {texts[0]}" if below else texts[0], texts[1], f"≥ {texts[2]}" if above else texts[2]]
    actors = tuple(text_actor(text, font) for text in texts)
    for actor, justification in zip(actors, (vtk.VTK_TEXT_LEFT, vtk.VTK_TEXT_CENTERED, vtk.VTK_TEXT_RIGHT),
                                    strict=True):
        actor.GetTextProperty().SetJustification(justification)
    return actors


def _place_labels(labels: tuple[vtk.vtkTextActor, ...], left: int, width: int, bottom: int) -> None:
    """Under the bar: the low label from its left end, the middle centred, the high one to its right end."""
    for label, x in zip(labels, (left, left + width // 2, left + width), strict=True):
        label.SetDisplayPosition(int(x), bottom)


def text_width(actor: vtk.vtkTextActor, dpi: int) -> int:
    """How many pixels wide a text actor's text is drawn."""
    box = [0, 0, 0, 0]
    vtk.vtkTextRenderer().GetBoundingBox(actor.GetTextProperty(), actor.GetInput(), box, dpi)
    return box[1] - box[0]


def _category_box(colouring: Colouring, font: int) -> vtk.vtkLegendBoxActor:
    box = vtk.vtkLegendBoxActor()
    box.SetNumberOfEntries(len(colouring.entries))
    for index, (label, colour) in enumerate(colouring.entries):
        # The box colours an entry's text with the entry's colour: the text gets the text colour
        # and the square carries its colour as its own scalars instead.
        square = pv.Plane(i_resolution=1, j_resolution=1).triangulate()
        square.cell_data["colour"] = np.tile(np.asarray(pv.Color(colour).int_rgb, dtype=np.uint8),
                                             (square.n_cells, 1))
        box.SetEntry(index, square, label, TEXT_COLOUR)
    box.UseBackgroundOff()
    box.BorderOff()
    box.SetPadding(3)
    style_text(box.GetEntryTextProperty(), font)
    return box
