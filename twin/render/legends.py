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

WIDTH_PX = 210
MARGIN_PX = 10
GAP_PX = 12
TITLE_PX = 18
ENTRY_PX = 17
BAR_PX = 40  # the bar and its tick labels
PAD_PX = 6
BAR_INSET_PX = 24
FONT_SIZE = 13
TEXT_COLOUR = (0.1, 0.1, 0.1)


@dataclass
class _Legend:
    panel: vtk.vtkActor2D  # a pale background, so the legend reads over any part of the scene
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
            legend = _Legend(_panel(), _text(colouring.title, bold=True), body, height)
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
            _set_rectangle(legend.panel, left, bottom, WIDTH_PX, top - bottom)
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


def _panel() -> vtk.vtkActor2D:
    mapper = vtk.vtkPolyDataMapper2D()
    mapper.SetInputData(vtk.vtkPolyData())
    panel = vtk.vtkActor2D()
    panel.SetMapper(mapper)
    panel.GetProperty().SetColor(1.0, 1.0, 1.0)
    panel.GetProperty().SetOpacity(0.8)
    return panel


def _set_rectangle(panel: vtk.vtkActor2D, left: int, bottom: int, width: int, height: int) -> None:
    corners = np.array([[left, bottom, 0], [left + width, bottom, 0], [left + width, bottom + height, 0],
                        [left, bottom + height, 0]], dtype=float)
    panel.GetMapper().SetInputData(pv.PolyData(corners, faces=[4, 0, 1, 2, 3]))


def _text(text: str, bold: bool = False) -> vtk.vtkTextActor:
    actor = vtk.vtkTextActor()
    actor.SetInput(text)
    _font(actor.GetTextProperty(), bold)
    actor.GetTextProperty().SetVerticalJustificationToBottom()
    return actor


def _font(prop: vtk.vtkTextProperty, bold: bool = False) -> None:
    prop.SetFontSize(FONT_SIZE)
    prop.SetColor(TEXT_COLOUR)
    prop.SetBold(bold)
    prop.SetItalic(False)
    prop.SetShadow(False)
    prop.SetFontFamilyToArial()


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
    _font(bar.GetLabelTextProperty())
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
    _font(box.GetEntryTextProperty())
    return box, ENTRY_PX * len(colouring.entries) + 6
