"""Open a project into a scene, layer by layer; describe a scene as a project and save it.

A layer that cannot be opened (moved, broken, in an unknown CRS) is reported and skipped:
the rest of the project opens, so one bad file never costs the user the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twin.core.bookmarks import Bookmark, Tour
from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.layers import Layer
from twin.core.project import Camera, LayerEntry, Project, ViewState
from twin.core.proposals import ProposalSet
from twin.core.scene import Scene
from twin.io.formats import read_layer
from twin.io.live_store import open_live_layers, save_live_layers
from twin.io.proposals_geojson import read_proposals, write_proposals
from twin.io.quarters import read_quarters_in
from twin.io.runs import load_run, save_runs

Presentation = tuple[Sequence[Bookmark], Sequence[Tour]]  # a project's bookmarks and tours


@dataclass
class OpenedProject:
    scene: Scene
    camera: Camera | None
    problems: list[str] = field(default_factory=list)  # one sentence per part that did not open
    view: ViewState = field(default_factory=ViewState)  # the window's look, for the shell to apply


def open_project(project: Project, feedback: Feedback | None = None) -> OpenedProject:
    """The project's scene; `feedback` shows progress per layer and may cancel."""
    feedback = feedback or Feedback()
    opened = OpenedProject(Scene(project.crs), project.camera, view=project.view)
    if project.quarters_file is not None:
        try:
            opened.scene.set_quarters(read_quarters_in(project.quarters_file, opened.scene.crs))
        except TwinError as error:
            opened.problems.append(f"quarters not opened: {error}")
    for number, entry in enumerate(project.layers):
        feedback.progress(number / max(len(project.layers), 1), f"opening {entry.name}")
        try:
            opened.scene.add_layer(_layer(entry, project.crs))
        except (TwinError, ValueError) as error:
            opened.problems.append(f"layer '{entry.name}' not opened: {error}")
    for folder in project.runs:
        try:
            opened.scene.add_run(*load_run(folder))
        except (TwinError, ValueError) as error:
            opened.problems.append(f"simulation run not opened: {error}")
    opened.problems += open_live_layers(project.live, opened.scene)  # the window reconnects them
    feedback.progress(1.0, "project open")
    return opened


def project_of(scene: Scene, name: str, camera: Camera | None = None,
               quarters_file: Path | None = None, scenarios: list[Path] | None = None,
               view: ViewState | None = None, presentation: Presentation = ((), ())) -> Project:
    """The project that reopens this scene: every layer read from a file, with its style, and
    the bookmarks and tours (`presentation`) it was opened with."""
    entries = [LayerEntry(path=layer.source, name=layer.name, visible=layer.visible,
                          opacity=layer.opacity, color_by=layer.color_by,
                          colormap=layer.colormap if layer.color_by else None,
                          color_range=layer.color_range)
               for layer in scene.layers if layer.source is not None]
    # A scene still without layers has no CRS of its own yet: the project's default stands for it.
    bookmarks, tours = presentation
    return Project(name=name, crs=scene.crs or Project.crs, quarters_file=quarters_file, layers=entries,
                   scenarios=list(scenarios or []), camera=camera, view=view or ViewState(),
                   bookmarks=list(bookmarks), tours=list(tours))


def save_project(scene: Scene, path: Path, name: str, camera: Camera | None = None,
                 quarters_file: Path | None = None, scenarios: list[Path] | None = None,
                 view: ViewState | None = None, presentation: Presentation = ((), ()),
                 proposals: ProposalSet | None = None) -> Project:
    """Save the scene as the project `path`, its runs in the folder `<stem>_runs` beside it and
    its proposals (where there are any) in `<stem>_proposals.geojson`.

    The runs are written first and the project file last, each atomically, so a crash at any
    moment leaves the last saved project opening whole. Raises SaveError naming what could not
    be written; the scene is untouched either way.
    """
    path = Path(path).resolve()
    project = project_of(scene, name, camera=camera, quarters_file=quarters_file, scenarios=scenarios,
                         view=view, presentation=presentation)
    project.runs = save_runs(scene, path.parent / f"{path.stem}_runs")
    project.live = save_live_layers(scene, path.parent / f"{path.stem}_live")  # observations received
    if proposals is not None and len(proposals):
        project.proposals = path.parent / f"{path.stem}_proposals.geojson"
        path.parent.mkdir(parents=True, exist_ok=True)  # a new project's folder (an OSError says why not)
        write_proposals(proposals, project.proposals)
    project.save(path)
    return project


def open_proposals(project: Project) -> ProposalSet:
    """The project's proposals in its CRS (an empty set where it has none); TwinIOError if unreadable."""
    if project.proposals is None:
        return ProposalSet((), project.crs)
    return read_proposals(project.proposals, project.crs)


def _layer(entry: LayerEntry, scene_crs: str) -> Layer:
    layer = read_layer(entry.path, crs=entry.crs, name=entry.name, to=scene_crs)
    layer.visible, layer.opacity = entry.visible, entry.opacity
    if entry.color_by or entry.colormap or entry.color_range:
        layer.set_style(entry.color_by, entry.colormap, entry.color_range)
    return layer
