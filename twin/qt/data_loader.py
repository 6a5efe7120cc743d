"""Opening data files in the background, and the list of recently opened files.

Each file is read in a Job (progress, Cancel); the layer joins the scene on the GUI thread.
A file that names no CRS is not an error to the user: they are asked for one and it is read again.
A folder opens as one layer of its tiles (twin/io/mosaic.py). A scene without a CRS takes its
first layer's; what the user should know about a file (a raster warped into the scene's CRS,
heights in another vertical reference) is said through `noticed`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from twin.core.errors import TwinError
from twin.core.layers import Layer
from twin.core.scene import Scene
from twin.io import MissingCRSError, read_layer
from twin.qt.jobs import Job

# Asked with the file and the scene's CRS; returns the CRS the user gives, or None to give up.
AskCRS = Callable[[Path, str], str | None]


class RecentFiles:
    """The files opened last, newest first, kept in the app's settings."""

    KEY = "recent_files"

    def __init__(self, settings: QSettings, limit: int = 10) -> None:
        self._settings, self._limit = settings, limit

    def paths(self) -> list[Path]:
        stored = self._settings.value(self.KEY, [])
        if isinstance(stored, str):  # QSettings gives a lone entry back as a plain string
            stored = [stored]
        return [Path(text) for text in stored or []]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        paths = [path, *(known for known in self.paths() if known != path)][: self._limit]
        self._settings.setValue(self.KEY, [str(known) for known in paths])

    def clear(self) -> None:
        self._settings.remove(self.KEY)


class DataLoader(QObject):
    """Reads files into layers of a scene, one background job per file."""

    job_started = Signal(object)  # the Job, for a progress strip
    loaded = Signal(object)  # the Layer, once it is in the scene
    failed = Signal(str)  # one sentence naming the file and the problem
    noticed = Signal(str)  # one sentence the user should read, about a file that did open

    def __init__(self, scene: Scene, ask_crs: AskCRS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene, self._ask_crs = scene, ask_crs
        self._jobs: set[Job] = set()

    def open(self, path: Path, crs: str | None = None) -> Job:
        """Start reading `path`, a file or a folder of tiles (assuming `crs` where it names none)."""
        path = Path(path)
        scene_crs = self.scene.crs
        notes: list[str] = []
        job = Job(f"Opening {path.name}",
                  lambda feedback: read_layer(path, crs=crs, to=scene_crs, feedback=feedback, notes=notes,
                                             isolate=True),
                  self)
        job.succeeded.connect(lambda layer: self._add(layer, path, crs, scene_crs, notes))
        job.failed.connect(lambda message: self._failed(job, path, message))
        job.canceled.connect(lambda: self.failed.emit(f"{path}: opening was cancelled; nothing was added"))
        job.finished.connect(lambda: self._jobs.discard(job))
        self._jobs.add(job)
        self.job_started.emit(job)
        job.start()
        return job

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()
            job.wait()

    def _add(self, layer: Layer, path: Path, crs: str | None, read_for: str | None,
             notes: list[str]) -> None:
        if read_for is None and self.scene.crs is not None and layer.crs not in (None, self.scene.crs):
            # read while the scene had no CRS yet, and another file gave it one meanwhile
            self.open(path, crs)
            return
        if layer.georeferenced and layer.crs is None:  # read with no scene CRS to bring it into
            self._ask_and_reopen(path)
            return
        try:
            self.scene.add_layer(layer)
        except (TwinError, ValueError) as error:
            self.failed.emit(f"{layer.source}: {error}")
            return
        self.loaded.emit(layer)
        for note in notes:
            self.noticed.emit(note)

    def _failed(self, job: Job, path: Path, message: str) -> None:
        if isinstance(job.error, MissingCRSError):
            self._ask_and_reopen(path)
            return
        self.failed.emit(message)

    def _ask_and_reopen(self, path: Path) -> None:
        crs = self._ask_crs(path, self.scene.crs or "EPSG:25833")
        if crs:
            self.open(path, crs)
        else:
            self.failed.emit(f"{path}: not opened, because it names no coordinate reference system "
                             "and none was given")
