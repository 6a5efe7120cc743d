"""Publish a project as a static web site that any browser opens from a folder, offline.

    SITE/
      index.html, viewer.js, viewer.css   the viewer (twin/web/viewer/)
      vendor/three.bundle.min.js          three.js as one classic script, with its licence
      scene-data.js                       the scene: `window.TWIN_SCENE = {...}` with every layer's mesh
                                          (binary glTF, gzip-compressed, base64), legends, attributes,
                                          bookmarks and proposals
      metadata.json                       the CRS, the local origin and what was published

Browsers refuse to fetch() local files and to import ES modules from file://, so the data is a
script that assigns a global and the viewer is a classic script. Each mesh is stored once, in
that script: a copy as a .glb file beside it could not be read by the viewer from file:// and
would double the site. The viewer unpacks the meshes with the browser's DecompressionStream and
offers each layer as a .glb download for other glTF tools; `site_models` reads them in Python.
The site is written aside and put in place in one step (twin.core.atomic.replace_folder): an
existing SITE stays whole until the new one is complete.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from shapely.geometry.base import BaseGeometry

from twin.core.atomic import replace_folder
from twin.core.bookmarks import Bookmark
from twin.core.feedback import Feedback
from twin.core.layers import Layer, ResultRasterLayer, ResultTableLayer
from twin.core.project import Camera, Project
from twin.core.quarter import Quarter
from twin.core.scene import Scene
from twin.io.errors import TwinIOError
from twin.io.project import open_project
from twin.web.features import feature_layer
from twin.web.glb import glb_bytes
from twin.web.parts import Ground, LocalFrame, PublishedLayer, result_grid_layer, terrain_layer
from twin.web.proposals import COMMENT_KIND, Proposals, read_proposals

VIEWER_DIR = Path(__file__).resolve().parent / "viewer"
VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
VENDOR_FILES = ("three.bundle.min.js", "LICENSE-three.txt")
SITE_MARK = ".twin-site"  # an earlier site may be replaced, nothing else
SCENE_FILE = "scene-data.js"
MODEL_ENCODING = "glb+gzip+base64"  # how scene-data.js holds each layer's mesh (its "models")
_PUBLISHED_KINDS = ("raster", "buildings", "streets", "result")
QUARTER_VIEW_ANGLE = 30.0  # degrees, vertical, as the desktop's default


@dataclass
class PublishedSite:
    folder: Path
    layers: list[str]  # "name (kind, N features)" per published layer
    skipped: list[str]  # one sentence per chosen layer that was not published, and why
    origin: tuple[float, float, float]


def publish(project: Project, out: Path | str, feedback: Feedback | None = None, *,
            layer_names: list[str] | None = None, quarter: str | None = None,
            proposals: list[Path] | None = None, replace: bool = False) -> PublishedSite:
    """Write the project's scene as a site into `out`.

    `layer_names` chooses the layers (default: those visible in the project, results included);
    `quarter` keeps what lies in that quarter; `proposals` are proposals files shown besides the
    project's own (which, like a layer, is reported in `skipped` and left out where it cannot be read).
    Raises TwinIOError for a bad choice or file, SaveError when the site cannot be written,
    Canceled when `feedback` was cancelled (nothing is left behind).
    """
    feedback = feedback or Feedback()
    out = Path(out).absolute()
    _check_target(out, replace)
    opened = open_project(project, feedback.span(0.0, 0.4))
    scene = opened.scene
    chosen = _chosen_layers(scene, layer_names, project.path)
    if quarter and quarter not in [known.name for known in scene.quarters]:
        raise TwinIOError(project.path, f"the project has no quarter named '{quarter}'")
    area = scene.quarter(quarter).polygon if quarter else None
    drawn_proposals, proposal_problems = _proposals(project, proposals or [], scene.crs)
    feedback.progress(0.45, "building the meshes")
    frame, ground = _frame(scene, chosen, area)
    published, skipped = _published_layers(scene, chosen, frame, ground, area, feedback.span(0.45, 0.85))
    if not published:
        raise TwinIOError(project.path, "nothing to publish: none of the chosen layers has anything "
                                        + (f"in quarter '{quarter}'" if quarter else "to show"))
    shown_quarters = [known for known in scene.quarters if area is None or known.name == quarter]
    document = _document(project, scene.crs, frame, published, drawn_proposals, ground, shown_quarters)

    def fill(folder: Path) -> None:
        _write_site(folder, document, published)
        feedback.check()

    feedback.progress(0.9, "writing the site")
    replace_folder(out, fill)
    feedback.progress(1.0, "site published")
    return PublishedSite(out, [_summary(layer) for layer in published],
                         skipped + opened.problems + proposal_problems, frame.origin)


def _check_target(out: Path, replace: bool) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not (out / SITE_MARK).is_file():
            raise TwinIOError(out, "exists and is not an earlier published site: choose a new folder")
        if not replace:
            raise TwinIOError(out, "holds an earlier published site: pass --replace to replace it")


def _proposals(project: Project, files: list[Path], crs: str | None) -> tuple[Proposals, list[str]]:
    """The measures of the project's proposals file and of `files`; a problem with the project's
    own file is one sentence (the rest is published), one with a file asked for is an error."""
    own, problems = Proposals([]), []
    if project.proposals is not None:
        try:
            own = read_proposals([project.proposals], crs)
        except TwinIOError as error:
            problems.append(f"proposals not published: {error}")
    return Proposals(own.measures + read_proposals(files, crs).measures), problems


def _chosen_layers(scene: Scene, names: list[str] | None, source: Path | None) -> list[Layer]:
    if names is None:
        return [layer for layer in scene.layers if layer.visible]
    known = {layer.name: layer for layer in scene.layers}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise TwinIOError(source, f"the project has no layer named '{unknown[0]}'; it has: "
                                  + ", ".join(known))
    return [known[name] for name in names]


def _frame(scene: Scene, chosen: list[Layer], area: BaseGeometry | None) -> tuple[LocalFrame, Ground]:
    """The local origin (the middle of what is published, at the lowest ground) and the ground."""
    grids = [layer.data for layer in scene.layers if layer.kind == "raster"]
    boxes = [area.bounds] if area is not None else [_box(layer) for layer in chosen]
    boxes = [box for box in boxes if box is not None] or [scene.bounds or (0.0, 0.0, 0.0, 0.0)]
    xmin, ymin, xmax, ymax = (min(box[0] for box in boxes), min(box[1] for box in boxes),
                              max(box[2] for box in boxes), max(box[3] for box in boxes))
    lows = [float(np.nanmin(grid.values)) for grid in grids if np.isfinite(grid.values).any()]
    z0 = math.floor(min(lows)) if lows else 0.0
    frame = LocalFrame((round((xmin + xmax) / 2), round((ymin + ymax) / 2), z0))
    return frame, Ground(grids, z0)


def _box(layer: Layer) -> tuple[float, float, float, float] | None:
    box = layer.bounds
    half = len(box) // 2
    box = (box[0], box[1], box[half], box[half + 1])
    return None if any(math.isnan(value) for value in box) else box


def _published_layers(scene: Scene, chosen: list[Layer], frame: LocalFrame, ground: Ground,
                      area: BaseGeometry | None,
                      feedback: Feedback) -> tuple[list[PublishedLayer], list[str]]:
    published, skipped = [], []
    for number, layer in enumerate(chosen):
        feedback.progress(number / len(chosen), f"publishing {layer.name}")
        feedback.check()
        if layer.kind not in _PUBLISHED_KINDS:
            skipped.append(f"layer '{layer.name}' not published: the web viewer draws no {layer.kind} layers")
            continue
        if isinstance(layer, ResultTableLayer) and _target(scene, layer) is None:
            skipped.append(f"layer '{layer.name}' not published: its figures are not drawn on buildings "
                           "or streets of the scene")
            continue
        made = _published(scene, layer, frame, ground, area)
        if made is None:
            skipped.append(f"layer '{layer.name}' not published: it has nothing "
                           + ("in the chosen quarter" if area is not None else "to draw"))
        else:
            published.append(made)
    return published, skipped


def _published(scene: Scene, layer: Layer, frame: LocalFrame, ground: Ground,
               area: BaseGeometry | None) -> PublishedLayer | None:
    if isinstance(layer, ResultRasterLayer):
        return result_grid_layer(layer, frame, ground, area)
    if isinstance(layer, ResultTableLayer):
        return feature_layer(_target(scene, layer), frame, ground, area, result=layer)
    if layer.kind == "raster":
        return terrain_layer(layer, frame, area)
    return feature_layer(layer, frame, ground, area)


def _target(scene: Scene, layer: ResultTableLayer) -> Layer | None:
    """The buildings or streets layer a result table is drawn on, if the scene has it."""
    return next((candidate for candidate in scene.layers if candidate.name == layer.data.target_layer
                 and candidate.kind in ("buildings", "streets")), None)


def _document(project: Project, crs: str | None, frame: LocalFrame, layers: list[PublishedLayer],
              proposals: Proposals, ground: Ground, scene_quarters: list[Quarter]) -> dict:
    bookmarks = [_bookmark(bookmark) for bookmark in project.bookmarks]
    quarters = [_quarter_view(quarter, ground) for quarter in scene_quarters]
    return {
        "name": project.name,
        "crs": crs,
        "origin": list(frame.origin),
        "published": datetime.now(UTC).isoformat(timespec="seconds"),
        "camera": _camera(project.camera) if project.camera else None,
        "bookmarks": bookmarks,
        "quarters": quarters,
        "layers": [{"name": layer.name, "kind": layer.kind, "visible": layer.visible,
                    "opacity": layer.opacity, "download": _model_name(number, layer.name),
                    "legend": layer.colouring.legend() if layer.colouring else None,
                    "features": layer.features.as_json() if layer.features else None,
                    **layer.extras}
                   for number, layer in enumerate(layers)],
        "proposals": proposals.as_json(ground, frame),
        "comment_kind": COMMENT_KIND,
    }


def _camera(camera: Camera, view_angle: float = 30.0) -> dict:
    return {"position": list(camera.position), "focal_point": list(camera.focal_point),
            "view_up": list(camera.view_up), "view_angle": view_angle}


def _quarter_view(quarter: Quarter, ground: Ground) -> dict:
    """A view of a quarter from the south, 50 degrees down, the whole quarter in the 30 degree view."""
    xmin, ymin, xmax, ymax = quarter.bounds
    centre = quarter.polygon.centroid
    height = float(ground.heights(np.array([centre.x]), np.array([centre.y]))[0])
    distance = math.hypot(xmax - xmin, ymax - ymin) / 2 / math.sin(math.radians(QUARTER_VIEW_ANGLE / 2))
    down = math.radians(50.0)
    position = (centre.x, centre.y - distance * math.cos(down), height + distance * math.sin(down))
    camera = Camera(position, (centre.x, centre.y, height))
    return {"name": quarter.name, **_camera(camera, QUARTER_VIEW_ANGLE)}


def _bookmark(bookmark: Bookmark) -> dict:
    return {"name": bookmark.name, "caption": bookmark.caption, "text": bookmark.text,
            **_camera(bookmark.camera, bookmark.view_angle)}


def _model_name(number: int, name: str) -> str:
    """The file name the viewer gives a layer's mesh when it is downloaded."""
    return f"{number:02d}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()}.glb"


def _write_site(folder: Path, document: dict, layers: list[PublishedLayer]) -> None:
    (folder / "vendor").mkdir()
    for name in ("index.html", "viewer.js", "viewer.css"):
        shutil.copyfile(VIEWER_DIR / name, folder / name)
    for name in VENDOR_FILES:
        shutil.copyfile(VENDOR_DIR / name, folder / "vendor" / name)
    frame = {"crs": document["crs"], "origin": document["origin"]}
    models = [_packed(glb_bytes(layer.mesh, layer.name, {"layer": layer.name, "kind": layer.kind, **frame}))
              for layer in layers]
    scene = dict(document, model_encoding=MODEL_ENCODING, models=models)
    # The data is a script, not JSON to fetch: "</" is escaped so that no text in it ends a <script>.
    text = json.dumps(scene, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    (folder / SCENE_FILE).write_text(f"window.TWIN_SCENE = {text};\n", encoding="utf-8")
    metadata = {key: document[key] for key in ("name", "crs", "origin", "published")}
    metadata["models"] = (f"{SCENE_FILE}: one binary glTF per layer, gzip-compressed and base64-encoded "
                          "(the viewer's layer list downloads each as a .glb file)")
    metadata["layers"] = [{key: entry[key] for key in ("name", "kind", "download")}
                          for entry in document["layers"]]
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    (folder / SITE_MARK).write_text("a site published by the Dresden urban twin\n", encoding="utf-8")


def _packed(glb: bytes) -> str:
    """A mesh as scene-data.js holds it (mtime 0: the same scene gives the same bytes)."""
    return base64.b64encode(gzip.compress(glb, compresslevel=9, mtime=0)).decode("ascii")


def site_scene(folder: Path | str) -> dict:
    """The scene of a published site (its scene-data.js) as the viewer reads it."""
    path = Path(folder) / SCENE_FILE
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text[text.index("{"):text.rindex("}") + 1])  # JSON reads <\/ as </
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TwinIOError(path, f"not the scene of a published site ({error})") from None


def site_models(folder: Path | str) -> dict[str, bytes]:
    """Each published layer's mesh as binary glTF, by layer name."""
    scene = site_scene(folder)
    if scene.get("model_encoding") != MODEL_ENCODING:
        raise TwinIOError(Path(folder) / SCENE_FILE, "holds its meshes as "
                          f"{scene.get('model_encoding')!r:.40}, not {MODEL_ENCODING}")
    return {layer["name"]: gzip.decompress(base64.b64decode(model))
            for layer, model in zip(scene["layers"], scene["models"], strict=True)}


def _summary(layer: PublishedLayer) -> str:
    count = layer.mesh.feature_count
    return f"{layer.name} ({layer.kind}{f', {count} features' if count else ''})"
