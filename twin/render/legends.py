"""Legends of the coloured layers, stacked in a column at the right edge of the view.

Sizes are in pixels and laid out again whenever the view's size changes, so text keeps its
size and legends never overlap, whatever the window size. Continuous colours get a scalar
bar with ticks; categories (surfaces, LiDAR classes, condition classes) get coloured boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
import vtk

from twin.render.colouring import Colouring
from twin.render.hud import TEXT_COLOUR, polygon_actor, set_polygon, style_text, text_actor

WIDTH_PX = 210
MARGIN_PX = 10
GAP_PX = 12
TITLE_PX = 18
ENTRY_PX = 17
BAR_PX = 40  # the bar and its tick labels
PAD_PX = 6
BAR_INSET_PX = 24
FONT_SIZE = 13


@dataclass
class _Legend:
    panel: vtk.vtkActor2D
    title: vtk.vtkTextActor
    body: Any  # vtkScalarBarActor or vtkLegendBoxActor
    body_height: int

    def actors(self) -> tuple[Any, ...]:
        return self.panel, self.title, self.body


class Legends:
    """The legends shown in one renderer; `show` replaces them all."""

    def __init__(self, plotter: pv.BasePlotter) -> None:
        self.plotter = plotter
        self.colourings: list[Colouring] = []
        self._legends: list[_Legend] = []
        self._laid_out_for: tuple[int, int] | None = None
        self._boxes: list[tuple[int, int, int, int]] = []

    def show(self, colourings: list[Colouring]) -> None:
        """Legends for these colourings, one per distinct look (equal legends are shown once)."""
        unique = list({colouring.legend_key(): colouring for colouring in colourings}.values())
        if unique == self.colourings:
            return
        self.clear()
        self.colourings = unique
        for colouring in unique:
            body, height = _category_box(colouring) if colouring.entries else _scalar_bar(colouring)
            # a pale background, so the legend reads over any part of the scene
            panel = polygon_actor((1.0, 1.0, 1.0), opacity=0.8)
            legend = _Legend(panel, text_actor(colouring.title, FONT_SIZE, bold=True), body, height)
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
        """Stack the legends from the top right corner down (again only when the size changed)."""
        width, height = self.plotter.renderer.GetSize()
        if (width, height) == self._laid_out_for:
            return
        self._laid_out_for = (width, height)
        left = max(width - WIDTH_PX - MARGIN_PX, 0)
        top = height - MARGIN_PX
        self._boxes = []
        for legend in self._legends:
            bottom = top - PAD_PX - TITLE_PX - legend.body_height - PAD_PX
            legend.title.SetDisplayPosition(left + PAD_PX, top - PAD_PX - TITLE_PX + 3)
            if isinstance(legend.body, vtk.vtkScalarBarActor):  # inset: the end labels stand out
                _place(legend.body, left + BAR_INSET_PX, bottom + PAD_PX,
                       WIDTH_PX - 2 * BAR_INSET_PX, legend.body_height)
            else:
                _place(legend.body, left + PAD_PX, bottom + PAD_PX, WIDTH_PX - 2 * PAD_PX, legend.body_height)
            set_polygon(legend.panel, [(left, bottom), (left + WIDTH_PX, bottom), (left + WIDTH_PX, top),
                                       (left, top)])
            visible = bottom >= 0  # a legend that no longer fits is left out rather than drawn over
            for actor in legend.actors():
                actor.SetVisibility(visible)
            if visible:
                self._boxes.append((left, bottom, left + WIDTH_PX, top))
            top = bottom - GAP_PX

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


def _scalar_bar(colouring: Colouring) -> tuple[vtk.vtkScalarBarActor, int]:
    table = pv.LookupTable(cmap=colouring.cmap)
    table.scalar_range = colouring.clim
    bar = vtk.vtkScalarBarActor()
    bar.SetLookupTable(table)
    bar.SetOrientationToHorizontal()
    bar.SetNumberOfLabels(3)  # low, middle, high: room for every label at a fixed font size
    bar.SetLabelFormat("%-.3g")
    bar.UnconstrainedFontSizeOn()  # fixed pixel font sizes instead of ones scaled to the bar
    bar.SetBarRatio(0.4)
    bar.SetTextPositionToSucceedScalarBar()
    style_text(bar.GetLabelTextProperty(), FONT_SIZE)
    bar.SetTitle("")
    return bar, BAR_PX


def _category_box(colouring: Colouring) -> tuple[vtk.vtkLegendBoxActor, int]:
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
    style_text(box.GetEntryTextProperty(), FONT_SIZE)
    return box, ENTRY_PX * len(colouring.entries) + 6
