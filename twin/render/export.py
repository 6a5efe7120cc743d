"""Pictures of the 3D view without the window: any size up to 7680 x 4320, legends and caption to scale.

The scene is drawn by its own `SceneView` in an off-screen plotter (`OffscreenView`), so an export
never resizes or disturbs the window. Up to `TILE_LIMIT` pixels a side the picture is one frame;
past it VTK's `vtkRenderLargeImage` draws it in tiles (the camera's window centre moves per tile,
so the tiles join without seams in the geometry). Legends and the caption are drawn afterwards
with Pillow at a size in proportion to the picture's height (`scale = height / 1080`), so a 4K
picture has the same layout as a 1080p one, only sharper; VTK's own legends are laid out in
screen pixels and would shrink to a corner of a large picture.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import pyvista as pv
import vtk
from matplotlib import colormaps
from matplotlib.colors import Colormap
from matplotlib.font_manager import FontProperties, findfont
from PIL import Image, ImageDraw, ImageFont

from twin.core.atomic import write_atomic
from twin.core.bookmarks import Bookmark, LayerLook
from twin.core.errors import TwinError
from twin.core.numbers import format_range_labels
from twin.core.project import Camera
from twin.core.scene import Scene
from twin.core.tour import Frame
from twin.render.colouring import Colouring
from twin.render.scene_view import SceneView

MAX_SIZE = (7680, 4320)  # 8K UHD: the largest picture asked of an export
MIN_SIDE = 16
TILE_LIMIT = 4096  # the largest side drawn in one frame; larger pictures are drawn in tiles
REFERENCE_HEIGHT = 1080  # legends and caption are laid out for this height and scaled to the picture's
CAPTION_PX = 48  # at 1080 px: readable from the back of a room on a projector (at least 28 px)
TEXT_PX = 30
LEGEND_WIDTH_PX = 300
INK = (25, 25, 25)
PAPER = (255, 255, 255)


class ExportError(TwinError):
    """A picture or film that cannot be made as asked; the message says why in one sentence."""


def parse_size(text: str) -> tuple[int, int]:
    """'3840x2160' as (3840, 2160), within MIN_SIDE .. MAX_SIZE; ExportError otherwise."""
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ExportError(f"size '{text}' must be WIDTHxHEIGHT in pixels, e.g. 1920x1080")
    return check_size((int(parts[0]), int(parts[1])))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if not (MIN_SIDE <= width <= MAX_SIZE[0] and MIN_SIDE <= height <= MAX_SIZE[1]):
        raise ExportError(f"size {width}x{height} is outside {MIN_SIDE}x{MIN_SIDE} .. "
                          f"{MAX_SIZE[0]}x{MAX_SIZE[1]} pixels")
    return width, height


@dataclass(frozen=True)
class Caption:
    """The words over a picture: a caption in large type and an optional line of text under it."""

    caption: str = ""
    text: str = ""

    @classmethod
    def of(cls, bookmark: Bookmark) -> Caption:
        return cls(bookmark.caption, bookmark.text)


class Look(Protocol):
    """A look that restyles a view (twin/render/look.py's PresentationLook)."""

    def apply(self, view: SceneView) -> None: ...


class OffscreenView:
    """A scene drawn in its own off-screen plotter, for pictures and films; `close()` when done."""

    def __init__(self, scene: Scene, size: tuple[int, int] = (1920, 1080), look: Look | None = None) -> None:
        self.size = check_size(size)
        self.plotter = pv.Plotter(off_screen=True, window_size=list(self.size))
        self.view = SceneView(scene, self.plotter)
        if look is not None:
            look.apply(self.view)
        self.view.set_legends_shown(False)  # drawn to the picture's scale by `compose`
        # The north arrow and scale bar are drawn in screen pixels: a speck in the corner of a 4K
        # picture, under the caption bar. A picture goes without them.
        renderer = self.plotter.renderer
        props = renderer.GetViewProps()
        flat = [props.GetItemAsObject(index) for index in range(props.GetNumberOfItems())]
        for prop in flat:
            if isinstance(prop, vtk.vtkActor2D):
                vtk.vtkRenderer.RemoveViewProp(renderer, prop)
        self.view.reset_camera()

    def close(self) -> None:
        for visual in self.view.visuals():
            visual.close()
        self.plotter.close()

    def __enter__(self) -> OffscreenView:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def show_bookmark(self, bookmark: Bookmark) -> None:
        apply_bookmark(self.view, bookmark)

    def show_frame(self, frame: Frame) -> None:
        """A frame of a tour: its camera and time step (the layers' looks are the bookmark's)."""
        apply_looks(self.view.scene, frame.bookmark.layers)
        set_time_step(self.view.scene, frame.time_step)
        set_camera(self.view, frame.camera, frame.view_angle)

    def picture(self, size: tuple[int, int] | None = None, caption: Caption | None = None,
                legends: bool = True) -> Image.Image:
        """The view at `size` (default: the plotter's) with legends and caption drawn to scale."""
        size = check_size(size or self.size)
        image = Image.fromarray(render_scene(self.plotter, size))
        return compose(image, shown_colourings(self.view) if legends else [], caption or Caption())


def save_picture(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (a failed save leaves an earlier file as it was)."""
    if Path(path).suffix.lower() != ".png":
        raise ExportError(f"{path}: pictures are written as PNG; name the file .png")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_atomic(path, buffer.getvalue())


# -- the view after a bookmark ------------------------------------------------------------------

def apply_bookmark(view: SceneView, bookmark: Bookmark) -> None:
    """Show the bookmark: its layers' looks, its time step and its camera."""
    apply_looks(view.scene, bookmark.layers)
    set_time_step(view.scene, bookmark.time_step)
    set_camera(view, bookmark.camera, bookmark.view_angle)


def apply_looks(scene: Scene, looks: tuple[LayerLook, ...]) -> None:
    """Each named layer as the bookmark saw it; layers the bookmark does not name stay as they are."""
    for look in looks:
        layer = next((layer for layer in scene.layers if layer.name == look.name), None)
        if layer is None:
            continue  # removed since the bookmark was made: the rest of the view still shows
        layer.visible, layer.opacity = look.visible, look.opacity
        style = (look.color_by, look.colormap or layer.colormap, look.color_range)
        if style != (layer.color_by, layer.colormap, layer.color_range) and \
                (look.color_by is None or look.color_by in layer.color_attributes()):
            layer.set_style(*style)


def set_time_step(scene: Scene, step: int | None) -> None:
    """Every result over time shows `step` (its last where it has fewer); None leaves them."""
    if step is None:
        return
    for layer in scene.layers:
        steps = getattr(layer, "time_steps", 0)
        if steps > 1:
            layer.time_index = min(step, steps - 1)


def set_camera(view: SceneView, camera: Camera, view_angle: float) -> None:
    view.plotter.camera.view_angle = view_angle
    view.set_camera(camera)


def looks_of(scene: Scene) -> tuple[LayerLook, ...]:
    """Every layer's look now, to keep in a bookmark."""
    return tuple(LayerLook(name=layer.name, visible=layer.visible, opacity=layer.opacity,
                           color_by=layer.color_by, colormap=layer.colormap if layer.color_by else None,
                           color_range=layer.color_range)
                 for layer in scene.layers)


def current_time_step(scene: Scene) -> int | None:
    steps = [layer.time_index for layer in scene.layers if getattr(layer, "time_steps", 0) > 1]
    return max(steps) if steps else None


def bookmark_of(view: SceneView, name: str, caption: str = "", text: str = "") -> Bookmark:
    """The view as it is now, as a bookmark."""
    return Bookmark(name, view.camera(), float(view.plotter.camera.view_angle), looks_of(view.scene),
                    current_time_step(view.scene), caption, text)


def shown_colourings(view: SceneView) -> list[Colouring]:
    """The colourings the window's legends would show, the top of the drawing order first, once each."""
    colourings = [visual.colouring for visual in reversed(view.visuals())
                  if visual.layer.visible and visual.drawn and visual.colouring is not None]
    return list({colouring.legend_key(): colouring for colouring in colourings}.values())


# -- rendering ----------------------------------------------------------------------------------

def render_scene(plotter: pv.BasePlotter, size: tuple[int, int], tile_limit: int = TILE_LIMIT) -> np.ndarray:
    """The plotter's scene at `size` as an (height, width, 3) array; in tiles past `tile_limit`."""
    width, height = size
    magnification = _magnification(width, height, tile_limit)
    tile = (math.ceil(width / magnification), math.ceil(height / magnification))
    plotter.window_size = list(tile)
    if magnification == 1:
        return plotter.screenshot(return_img=True)[:, :, :3].copy()
    plotter.render()
    large = vtk.vtkRenderLargeImage()
    large.SetInput(plotter.renderer)
    large.SetMagnification(magnification)
    large.Update()
    output = large.GetOutput()
    columns, rows, _ = output.GetDimensions()
    pixels = pv.convert_array(output.GetPointData().GetScalars()).reshape(rows, columns, -1)
    return np.ascontiguousarray(pixels[::-1][:height, :width, :3])  # VTK counts rows from the bottom


def _magnification(width: int, height: int, tile_limit: int) -> int:
    """The smallest tiling factor whose tiles fit the limit, one dividing both sides where one does."""
    least = max(math.ceil(width / tile_limit), math.ceil(height / tile_limit), 1)
    for factor in range(least, least + 8):
        if width % factor == 0 and height % factor == 0:
            return factor
    return least  # the tiles overlap the picture's edge by a few pixels, cut off afterwards


# -- legends and caption ------------------------------------------------------------------------

@cache
def _font(pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans, which matplotlib ships: the same letters on every machine."""
    path = findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"))
    return ImageFont.truetype(path, max(pixels, 6))


def compose(image: Image.Image, colourings: list[Colouring], caption: Caption) -> Image.Image:
    """Legends at the right and the caption bar at the bottom, sized by the picture's height."""
    scale = image.height / REFERENCE_HEIGHT
    canvas = image.convert("RGBA")
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    bottom = _caption_bar(draw, canvas.size, caption, scale)
    top = round(16 * scale)
    for colouring in colourings:
        height = _legend(draw, colouring, canvas.width - round((LEGEND_WIDTH_PX + 16) * scale), top, scale)
        top += height + round(12 * scale)
        if top > bottom:
            break  # no room for more: a picture never shows half a legend over the caption
    return Image.alpha_composite(canvas, layer).convert("RGB")


def _caption_bar(draw: ImageDraw.ImageDraw, size: tuple[int, int], caption: Caption, scale: float) -> int:
    """A pale bar across the bottom with the caption in large dark type; returns its top edge."""
    width, height = size
    if not caption.caption and not caption.text:
        return height
    pad = round(18 * scale)
    lines = [(caption.caption, _font(round(CAPTION_PX * scale), bold=True)),
             (caption.text, _font(round(TEXT_PX * scale)))]
    lines = [(words, font) for words, font in lines if words]
    bar_height = pad * 2 + sum(round(font.size * 1.25) for _, font in lines)
    top = height - bar_height
    draw.rectangle((0, top, width, height), fill=(*PAPER, 225))
    y = top + pad
    for words, font in lines:
        draw.text((pad * 2, y), _fitted(draw, words, font, width - pad * 4), font=font, fill=(*INK, 255))
        y += round(font.size * 1.25)
    return top


def _fitted(draw: ImageDraw.ImageDraw, words: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """The words, shortened with an ellipsis where they would run past the picture's edge."""
    if draw.textlength(words, font=font) <= width:
        return words
    while words and draw.textlength(words + "...", font=font) > width:
        words = words[:-1]
    return words.rstrip() + "..."


def _font_to_fit(draw: ImageDraw.ImageDraw, words: str, font: ImageFont.FreeTypeFont,
                 width: int) -> ImageFont.FreeTypeFont:
    """The font a size smaller (down to three quarters) where the words are too wide for it."""
    smallest = round(font.size * 0.75)
    while font.size > smallest and draw.textlength(words, font=font) > width:
        font = font.font_variant(size=font.size - 1)
    return font


def _legend(draw: ImageDraw.ImageDraw, colouring: Colouring, left: int, top: int, scale: float) -> int:
    """One legend panel (title, then category boxes or a colour bar with three values); its height."""
    pad, width = round(10 * scale), round(LEGEND_WIDTH_PX * scale)
    title_font, label_font = _font(round(22 * scale), bold=True), _font(round(19 * scale))
    row = round(label_font.size * 1.4)
    body = row * len(colouring.entries) if colouring.entries else round(26 * scale) + row
    height = pad * 3 + round(title_font.size * 1.3) + body
    draw.rectangle((left, top, left + width, top + height), fill=(*PAPER, 215))
    title_font = _font_to_fit(draw, colouring.title, title_font, width - 2 * pad)
    draw.text((left + pad, top + pad), _fitted(draw, colouring.title, title_font, width - 2 * pad),
              font=title_font, fill=(*INK, 255))
    y = top + pad * 2 + round(title_font.size * 1.3)
    if colouring.entries:
        for label, colour in colouring.entries:
            box = round(label_font.size * 0.9)
            draw.rectangle((left + pad, y, left + pad + box, y + box), fill=colour, outline=(*INK, 255))
            draw.text((left + pad * 2 + box, y - round(2 * scale)), label, font=label_font, fill=(*INK, 255))
            y += row
        return height
    _colour_bar(draw, colouring, (left + pad, y, left + width - pad, y + round(26 * scale)))
    low, high = colouring.clim
    labels = format_range_labels([low, (low + high) / 2.0, high], colouring.unit)
    label_top = y + round(30 * scale)
    places = (left + pad, left + width // 2, left + width - pad)
    for text, anchor, x in zip(labels, ("la", "ma", "ra"), places, strict=True):
        draw.text((x, label_top), text, font=label_font, fill=(*INK, 255), anchor=anchor)
    return height


def _colour_bar(draw: ImageDraw.ImageDraw, colouring: Colouring, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    cmap: Colormap = colormaps[colouring.cmap] if isinstance(colouring.cmap, str) else colouring.cmap
    colours = (cmap(np.linspace(0.0, 1.0, max(right - left, 1)))[:, :3] * 255).astype(int)
    for offset, colour in enumerate(colours):
        draw.line((left + offset, top, left + offset, bottom), fill=(*colour.tolist(), 255))
    draw.rectangle(box, outline=(*INK, 255))

