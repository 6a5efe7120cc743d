"""Shapes and text drawn in screen pixels over the 3D view: legends, north arrow, scale bar."""

from __future__ import annotations

import numpy as np
import pyvista as pv
import vtk

TEXT_COLOUR = (0.1, 0.1, 0.1)


def polygon_actor(colour: tuple[float, float, float], opacity: float = 1.0) -> vtk.vtkActor2D:
    """An empty filled shape; `set_polygon` gives it its outline."""
    mapper = vtk.vtkPolyDataMapper2D()
    mapper.SetInputData(vtk.vtkPolyData())
    actor = vtk.vtkActor2D()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(colour)
    actor.GetProperty().SetOpacity(opacity)
    return actor


def set_polygon(actor: vtk.vtkActor2D, outline: list | np.ndarray) -> None:
    """Fill the actor with the polygon of these (x, y) display pixels."""
    points = np.asarray(outline, dtype=float)
    polygon = pv.PolyData(np.column_stack([points, np.zeros(len(points))]),
                          faces=np.r_[len(points), np.arange(len(points))]).triangulate()
    actor.GetMapper().SetInputData(polygon)


def style_text(prop: vtk.vtkTextProperty, size: int, bold: bool = False) -> None:
    prop.SetFontSize(size)
    prop.SetColor(TEXT_COLOUR)
    prop.SetBold(bold)
    prop.SetItalic(False)
    prop.SetShadow(False)
    prop.SetFontFamilyToArial()


def text_actor(text: str, size: int, bold: bool = False, centred: bool = False) -> vtk.vtkTextActor:
    """Text placed by the middle (centred) or the left of its baseline's bottom."""
    actor = vtk.vtkTextActor()
    actor.SetInput(text)
    prop = actor.GetTextProperty()
    style_text(prop, size, bold)
    prop.SetJustification(vtk.VTK_TEXT_CENTERED if centred else vtk.VTK_TEXT_LEFT)
    prop.SetVerticalJustificationToBottom()
    return actor
