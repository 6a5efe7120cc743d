"""The project behind a window: where it is saved, and whether the scene changed since.

Every change a user makes to the scene (layers added, removed, reordered, restyled, shown or
hidden; quarters; simulation runs) marks the session unsaved, so the window can warn before
closing. Saving writes the project file atomically (twin.core.atomic).

The demo city's project is generated into the demo cache: it opens untitled, so saving asks
for a place of the user's own and the generated file is never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from twin.core.bookmarks import Bookmark, Tour
from twin.core.errors import TwinError
from twin.core.layers import Layer
from twin.core.project import Camera, Project, ViewState
from twin.core.proposals import ProposalSet
from twin.core.scene import Scene
from twin.io.project import Presentation, open_proposals, save_project


class ProjectSession(QObject):
    dirty_changed = Signal(bool)

    def __init__(self, scene: Scene, path: Path | None = None, name: str = "Untitled",
                 quarters_file: Path | None = None, scenarios: list[Path] | None = None,
                 parent: QObject | None = None, presentation: Presentation = ((), ())) -> None:
        super().__init__(parent)
        self.scene, self.path, self.name = scene, path, name
        self.quarters_file = quarters_file
        self.scenarios = list(scenarios or [])
        self.presentation = presentation  # bookmarks and tours, kept as opened
        self.proposals = ProposalSet((), scene.crs or Project.crs)  # the drafted measures, saved with it
        self.proposals_problem: str | None = None  # why the project's proposals did not open, if so
        self._dirty = False
        for layer in scene.layers:
            self._watch(layer)
        scene.layers.events.inserted.connect(lambda index, layer: self._layer_added(layer))
        scene.layers.events.removed.connect(self.mark_dirty)
        scene.layers.events.moved.connect(self.mark_dirty)
        scene.layers.events.reordered.connect(self.mark_dirty)
        scene.events.quarters.connect(self.mark_dirty)
        scene.events.runs.connect(self.mark_dirty)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def mark_dirty(self, *_: object) -> None:
        if not self._dirty:
            self._dirty = True
            self.dirty_changed.emit(True)

    def set_presentation(self, bookmarks: list[Bookmark], tours: list[Tour]) -> None:
        """The bookmarks and tours as the bookmarks panel changed them: saved with the project."""
        self.presentation = (list(bookmarks), list(tours))
        self.mark_dirty()

    def set_proposals(self, proposals: ProposalSet) -> None:
        """The measures as the proposals panel changed them: saved with the project."""
        self.proposals = proposals
        self.mark_dirty()

    def save(self, path: Path, camera: Camera | None, view: ViewState | None = None) -> None:
        """Write the project (layers, styles, quarters, scenarios, runs, camera, view, bookmarks,
        tours and proposals) to `path`."""
        path = Path(path).resolve()
        save_project(self.scene, path, self.name, camera=camera, quarters_file=self.quarters_file,
                     scenarios=self.scenarios, view=view, presentation=self.presentation,
                     proposals=self.proposals)
        self.path = path
        self.mark_clean()

    def mark_clean(self) -> None:
        if self._dirty:
            self._dirty = False
            self.dirty_changed.emit(False)

    def _layer_added(self, layer: Layer) -> None:
        self._watch(layer)
        self.mark_dirty()

    def _watch(self, layer: Layer) -> None:
        for signal in (layer.events.name, layer.events.visible, layer.events.opacity, layer.events.style):
            signal.connect(self.mark_dirty)


def session_for(scene: Scene, project: Project) -> ProjectSession:
    """The session of an opened project; the generated demo project is untitled (saved elsewhere)."""
    path = None if project.path is None or is_generated_demo(project.path) else project.path
    session = ProjectSession(scene, path, project.name, project.quarters_file, project.scenarios,
                             presentation=(project.bookmarks, project.tours))
    try:
        session.proposals = open_proposals(project)
    except TwinError as error:  # the rest of the project opens; the window says what did not
        session.proposals_problem = f"the proposals did not open: {error}"
    return session


def is_generated_demo(path: Path) -> bool:
    """Whether `path` lies in the demo city's cache, which the twin regenerates and never saves into."""
    from data.demo import DATA_DIR

    return Path(path).resolve().is_relative_to((DATA_DIR / "cache").resolve())
