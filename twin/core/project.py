"""Projects: a TOML file with the layers (paths and styles), quarters, scenarios and camera.

    [project]
    name = "Dresden demo city"
    crs = "EPSG:25833"
    quarters_file = "quarters.geojson"          # relative to this file
    scenarios = ["../scenarios/flood_johannstadt.toml"]
    runs = ["demo_runs/3f2a9c81d0e4"]           # saved simulation runs (twin.io.runs)
    proposals = "demo_proposals.geojson"        # optional: the drafted measures (twin.io.proposals_geojson)

    [[layers]]                                   # in drawing order
    path = "johannstadt_dtm1.tif"
    name = "Johannstadt terrain"
    visible = true
    opacity = 1.0
    color_by = "elevation"                       # optional style
    colormap = "gist_earth"
    color_range = [105.0, 125.0]
    crs = "EPSG:25833"                           # optional: assumed where the file names none

    [camera]                                     # optional; map coordinates
    position = [412000.0, 5654000.0, 2500.0]
    focal_point = [413000.0, 5656000.0, 110.0]
    view_up = [0.0, 0.0, 1.0]

    [view]                                       # optional; how the window looked when saved
    quarter = "Johannstadt"                      # the quarter chosen in the toolbar
    legends = true                               # legends shown over the 3D view
    eye_dome_lighting = false
    window_geometry = "AdnQywADAAAAAAAA..."      # the window's size and place, base64 (the shell's own)
    window_state = "AAAA/wAAAAD9AAAA..."         # docks, panels and toolbars, base64 (the shell's own)

A path is stored relative to the project file when the file lies in the project's folder or
below it, and absolute otherwise, so a project never points `../../..` out of the user's
folders and moving the project folder keeps what is inside it. Projects written before this
rule (relative paths that leave the folder) still open.

Loading checks keys (with "did you mean") and types; saving is atomic. Whether the files are
there and readable is found out on opening (twin.io.project), layer by layer.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from twin.core.atomic import SaveError, remove_stale_temporaries, why_not_written, write_atomic
from twin.core.crs import normalize_crs
from twin.core.errors import CRSError, TwinError, did_you_mean
from twin.core.paths import UnsuitablePath, named_path, read_toml_text

if TYPE_CHECKING:
    from twin.core.bookmarks import Bookmark, Tour
    from twin.core.live_project import LiveEntry

_TABLES = ("project", "layers", "camera", "view", "bookmarks", "tours", "live")
_PROJECT_KEYS = ("name", "crs", "quarters_file", "scenarios", "runs", "proposals")
STYLE_KEYS = ("visible", "opacity", "color_by", "colormap", "color_range")  # a layer's look (LayerStyle)
_LAYER_KEYS = ("path", "name", *STYLE_KEYS, "crs")
_CAMERA_KEYS = ("position", "focal_point", "view_up")
_VIEW_KEYS = ("quarter", "legends", "eye_dome_lighting", "window_geometry", "window_state")

Vector = tuple[float, float, float]


class ProjectError(TwinError):
    """A project file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: Path | None, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}" if path else problem)


@dataclass(frozen=True, kw_only=True)
class LayerStyle:
    """How a layer is drawn, as a project's [[layers]] and a bookmark's [[bookmarks.layers]] keep it."""

    visible: bool = True
    opacity: float = 1.0
    color_by: str | None = None
    colormap: str | None = None
    color_range: tuple[float, float] | None = None


def style_table(style: LayerStyle) -> dict[str, Any]:
    """The style's TOML keys: visibility and opacity always, the colouring where there is one."""
    table: dict[str, Any] = {"visible": style.visible, "opacity": style.opacity}
    optional = {"color_by": style.color_by, "colormap": style.colormap,
                "color_range": list(style.color_range) if style.color_range else None}
    return table | {key: value for key, value in optional.items() if value is not None}


def read_style(table: dict[str, Any], where: str, path: Path | None) -> dict[str, Any]:
    """The style keys of a [[layers]] or [[bookmarks.layers]] table, checked, as keyword arguments."""
    return _Reader(path).style(table, where)


@dataclass(frozen=True)
class LayerEntry(LayerStyle):
    """A layer of the project: its file and name, and its style (keywords: visible=..., opacity=...)."""

    path: Path
    name: str
    crs: str | None = None


@dataclass(frozen=True)
class Camera:
    position: Vector
    focal_point: Vector
    view_up: Vector = (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class ViewState:
    """How the window looked when saved, as plain data; None is "as the window starts".

    The window's geometry and dock state are the desktop shell's own bytes, kept as base64 text:
    the project only carries them from one session to the next.
    """

    quarter: str | None = None
    legends: bool | None = None
    eye_dome_lighting: bool | None = None
    window_geometry: str | None = None
    window_state: str | None = None


@dataclass
class Project:
    name: str
    crs: str = "EPSG:25833"
    quarters_file: Path | None = None
    layers: list[LayerEntry] = field(default_factory=list)
    scenarios: list[Path] = field(default_factory=list)
    runs: list[Path] = field(default_factory=list)
    camera: Camera | None = None
    view: ViewState = field(default_factory=ViewState)
    path: Path | None = None
    bookmarks: list[Bookmark] = field(default_factory=list)  # views to present (twin.core.bookmarks)
    tours: list[Tour] = field(default_factory=list)
    live: list[LiveEntry] = field(default_factory=list)  # live sensor layers (twin.core.live_project)
    proposals: Path | None = None  # the proposals file (GeoJSON) saved with the project

    @classmethod
    def load(cls, path: Path | str) -> Project:
        try:
            path = Path(path).resolve()
        except RuntimeError:  # Python < 3.13
            raise ProjectError(Path(path), "the path is a loop of symbolic links") from None
        try:
            document = tomllib.loads(read_toml_text(path))
        except FileNotFoundError:
            raise ProjectError(path, "the project file does not exist") from None
        except UnsuitablePath as error:
            raise ProjectError(path, f"not a project file: {error.problem}") from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ProjectError(path, f"not a valid TOML project file ({error})") from None
        return _Reader(path).project(document)

    def save(self, path: Path | str) -> None:
        """Write the project atomically; paths inside its folder tree relative, others absolute."""
        path = Path(path).resolve()
        folder = path.parent
        header: dict[str, Any] = {"name": self.name, "crs": self.crs}
        if self.quarters_file is not None:
            header["quarters_file"] = stored_path(self.quarters_file, folder)
        if self.scenarios:
            header["scenarios"] = [stored_path(file, folder) for file in self.scenarios]
        if self.runs:
            header["runs"] = [stored_path(run, folder) for run in self.runs]
        if self.proposals is not None:
            header["proposals"] = stored_path(self.proposals, folder)
        document: dict[str, Any] = {"project": header,
                                    "layers": [_layer_table(entry, folder) for entry in self.layers]}
        if self.camera is not None:
            document["camera"] = {key: list(getattr(self.camera, key)) for key in _CAMERA_KEYS}
        view = {key: getattr(self.view, key) for key in _VIEW_KEYS if getattr(self.view, key) is not None}
        if view:
            document["view"] = view
        from twin.core.bookmarks import presentation_tables  # imports this module: here, not above

        document |= presentation_tables(self.bookmarks, self.tours)
        from twin.core.live_project import live_tables  # imports this module: here, not above

        document |= live_tables(self.live, folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SaveError(path, f"cannot be saved: {why_not_written(error)}") from None
        remove_stale_temporaries(folder)  # what a killed earlier save left beside it
        write_atomic(path, tomli_w.dumps(document))
        self.path = path


def _layer_table(entry: LayerEntry, folder: Path) -> dict[str, Any]:
    table = {"path": stored_path(entry.path, folder), "name": entry.name} | style_table(entry)
    return table | ({"crs": entry.crs} if entry.crs is not None else {})


class _Reader:
    """Checks a parsed project document; every problem is a ProjectError naming the file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: a document not read from a file (its errors name no file)
        self.folder = path.parent if path is not None else Path.cwd()

    def project(self, document: dict[str, Any]) -> Project:
        self._known(document, _TABLES, "table", "")
        header = self._table(document.get("project", {}), "[project]")
        self._known(header, _PROJECT_KEYS, "key", " in [project]")
        layers = document.get("layers", [])
        if not isinstance(layers, list):
            raise ProjectError(self.path, "layers must be written as [[layers]] tables")
        return Project(
            name=self._text(header.get("name", self.path.stem), "[project] name"),
            crs=self._crs(header.get("crs", "EPSG:25833"), "[project] crs"),
            quarters_file=self._file(header["quarters_file"], "[project] quarters_file")
            if "quarters_file" in header else None,
            layers=[self._layer(table, number) for number, table in enumerate(layers, start=1)],
            scenarios=[self._file(text, "[project] scenarios") for text in
                       self._list(header.get("scenarios", []), "[project] scenarios")],
            runs=[self._file(text, "[project] runs", folder_expected=True) for text in
                  self._list(header.get("runs", []), "[project] runs")],
            camera=self._camera(document["camera"]) if "camera" in document else None,
            proposals=self._file(header["proposals"], "[project] proposals")
            if "proposals" in header else None,
            view=self._view(document.get("view", {})),
            path=self.path,
            **self._presentation(document),
        )

    def _presentation(self, document: dict[str, Any]) -> dict[str, list]:
        from twin.core.bookmarks import read_presentation  # imports this module: here, not above

        bookmarks, tours = read_presentation(document, self.path)
        return {"bookmarks": bookmarks, "tours": tours, "live": self._live(document.get("live", []))}

    def _live(self, tables: Any) -> list[LiveEntry]:
        from twin.core.live_project import read_live  # imports this module: here, not above

        return read_live(tables, self.path)

    def _layer(self, table: Any, number: int) -> LayerEntry:
        where = f"layer {number}"
        table = self._table(table, where)
        self._known(table, _LAYER_KEYS, "key", f" in {where}")
        if "path" not in table:
            raise ProjectError(self.path, f"{where} needs a 'path'")
        file = self._layer_path(table["path"], where)
        return LayerEntry(
            path=file, name=self._text(table.get("name", file.stem), f"{where} name"),
            crs=self._crs(table["crs"], f"{where} crs") if "crs" in table else None,
            **self.style(table, where),
        )

    def style(self, table: dict[str, Any], where: str) -> dict[str, Any]:
        opacity = self._number(table.get("opacity", 1.0), f"{where} opacity")
        if not 0.0 <= opacity <= 1.0:
            raise ProjectError(self.path, f"{where} opacity must lie between 0 and 1, got {opacity}")
        visible = table.get("visible", True)
        if not isinstance(visible, bool):
            raise ProjectError(self.path, f"{where} visible must be true or false")
        color_range = table.get("color_range")
        if color_range is not None:
            color_range = tuple(self._vector(color_range, f"{where} color_range", 2))
        return {"visible": visible, "opacity": opacity, "color_range": color_range,
                "color_by": self._optional_text(table, "color_by", where),
                "colormap": self._optional_text(table, "colormap", where)}

    def _camera(self, table: Any) -> Camera:
        table = self._table(table, "[camera]")
        self._known(table, _CAMERA_KEYS, "key", " in [camera]")
        for key in ("position", "focal_point"):
            if key not in table:
                raise ProjectError(self.path, f"[camera] needs a '{key}'")
        vectors = {key: tuple(self._vector(table[key], f"[camera] {key}", 3))
                   for key in _CAMERA_KEYS if key in table}
        return Camera(**vectors)

    def _view(self, table: Any) -> ViewState:
        table = self._table(table, "[view]")
        self._known(table, _VIEW_KEYS, "key", " in [view]")
        for key in ("legends", "eye_dome_lighting"):
            if not isinstance(table.get(key, False), bool):
                raise ProjectError(self.path, f"[view] {key} must be true or false")
        texts = {key: self._text(table[key], f"[view] {key}")
                 for key in ("quarter", "window_geometry", "window_state") if key in table}
        return ViewState(legends=table.get("legends"), eye_dome_lighting=table.get("eye_dome_lighting"),
                         **texts)

    def _known(self, table: dict, known: tuple[str, ...], what: str, where: str) -> None:
        for key in table:
            if key not in known:
                raise ProjectError(self.path, f"unknown {what} '{key}'{where}{did_you_mean(key, known)}")

    def _table(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise ProjectError(self.path, f"{where} must be a table")
        return value

    def _text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ProjectError(self.path, f"{where} must be non-empty text")
        return value

    def _optional_text(self, table: dict, key: str, where: str) -> str | None:
        return self._text(table[key], f"{where} {key}") if key in table else None

    def _list(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise ProjectError(self.path, f"{where} must be a list")
        return value

    def _number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ProjectError(self.path, f"{where} must be a number, got {value!r}")
        return float(value)

    def _vector(self, value: Any, where: str, length: int) -> list[float]:
        if not isinstance(value, list) or len(value) != length:
            raise ProjectError(self.path, f"{where} must be a list of {length} numbers")
        return [self._number(item, where) for item in value]

    def _crs(self, value: Any, where: str) -> str:
        try:
            crs = normalize_crs(self._text(value, where))
        except CRSError as error:
            raise ProjectError(self.path, f"{where}: {error}") from None
        return crs  # type: ignore[return-value]

    def _layer_path(self, value: Any, where: str) -> Path:
        """A layer's file, or a folder holding files: tiles that open as one layer (twin/io/mosaic.py)."""
        try:
            return self._file(value, where)
        except ProjectError:
            try:
                folder = self._file(value, where, folder_expected=True)
                if any(entry.is_file() for entry in folder.iterdir()):
                    return folder
            except (ProjectError, OSError):
                pass
            raise

    def _file(self, value: Any, where: str, folder_expected: bool = False) -> Path:
        # Existence is checked on opening: one missing file must not cost the user the others.
        # What a path may name (no devices, system files, folders for files) is checked here.
        try:
            return named_path(self.folder, self._text(value, f"{where} path"), folder_expected)
        except UnsuitablePath as error:
            raise ProjectError(self.path, f"{where}: {error.problem}") from None


def stored_path(file: Path, folder: Path) -> str:
    """How a project in `folder` names `file`: relative inside the folder's tree, else absolute.

    A relative path that climbs out (`../../data`) breaks as soon as the project or the data
    moves on its own; an absolute one keeps working wherever the project goes on this machine.
    """
    # As written (a link inside the folder stays a relative path) and with links followed.
    for inside, tree in ((Path(os.path.abspath(file)), Path(os.path.abspath(folder))),
                         (Path(file).resolve(), Path(folder).resolve())):
        if inside.is_relative_to(tree):
            return inside.relative_to(tree).as_posix()
    return Path(os.path.abspath(file)).as_posix()
