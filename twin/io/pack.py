"""Pack a project with its data into one folder (or .zip) that opens on another machine.

The pack holds the project file, a copy of every file it names (layers with the files read
beside them or folders of tiles, the quarters file, its proposals, scenarios with their inputs,
quarters and proposals, the observations its live layers received in `<project>_live/`) and its
saved runs, with every path rewritten relative inside the pack:

    DEST/
      NAME.toml                  the project, paths relative to it
      <relative paths kept>      what lay in the project's folder tree keeps its place
      data/<folder>/FILE         what lay elsewhere, grouped by the folder it came from
      .twin-pack                 the mark of a pack (an earlier pack may be replaced, nothing else)

The pack is written into a temporary folder beside DEST and put in place in one step
(twin.core.atomic.replace_folder), so DEST is either missing, the earlier pack, or the new one
whole; cancelling or a failure leaves no half pack. An existing DEST is replaced only when asked
to and only when it is an earlier pack.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from twin.core.atomic import SaveError, replace_folder, why_not_written
from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.project import Project
from twin.core.scenario import Scenario
from twin.io.errors import TwinIOError
from twin.io.sensors import csv_partner_name

PACK_MARK = ".twin-pack"
OUTSIDE_FOLDER = "data"
CHUNK_BYTES = 4 * 1024 * 1024  # copied between cancellation points: a fraction of a second
# Already compressed: deflating them again costs time and saves nothing.
_STORED_IN_ZIP = (".laz", ".npz", ".zip", ".gpkg", ".tif", ".tiff", ".png", ".jpg")


def pack_project(project: Project, dest: Path | str, feedback: Feedback | None = None,
                 replace: bool = False, as_zip: bool = False) -> Path:
    """Write `project` and copies of everything it names into `dest`; return the packed project file.

    With `as_zip` the pack is one .zip file `dest` holding the folder. Raises TwinIOError when
    a file the project names is missing or `dest` exists and may not be replaced, SaveError when
    the pack cannot be written, Canceled when `feedback` was cancelled (nothing is left behind).
    """
    feedback = feedback or Feedback()
    dest = Path(os.path.abspath(dest))
    if project.path is None:
        raise TwinIOError(dest, "only a saved project can be packed: save it first")
    _check_target(dest, replace, as_zip)
    plan = _Plan(project)
    if as_zip:
        return _write_zip(plan, dest, feedback)
    replace_folder(dest, lambda partial: plan.write(partial, feedback))
    return dest / plan.project_name


def _check_target(dest: Path, replace: bool, as_zip: bool) -> None:
    if not os.path.lexists(dest):
        return
    if not replace:
        raise TwinIOError(dest, "already exists; choose another name or allow replacing it")
    if as_zip and not (dest.is_file() and zipfile.is_zipfile(dest) and _zip_is_pack(dest)):
        raise TwinIOError(dest, "is not an earlier pack of the twin, so it is not replaced")
    if not as_zip and not (dest / PACK_MARK).is_file():
        raise TwinIOError(dest, "is not an earlier pack of the twin, so it is not replaced")


def _zip_is_pack(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith(f"/{PACK_MARK}") for name in archive.namelist())


class _Plan:
    """Where each file of the project goes in the pack (relative to the pack's folder)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.home = project.path.parent
        self.project_name = project.path.name
        self.files: dict[Path, str] = {}  # source file -> place in the pack
        self.folders: dict[Path, str] = {}  # run folder or folder of tiles -> place in the pack
        self._outside: dict[Path, str] = {}  # a source folder outside the project -> its folder in the pack
        self.scenarios = [self._scenario(path) for path in project.scenarios]
        for entry in project.layers:
            self.add_file(entry.path, with_companions=True)
        if project.quarters_file is not None:
            self.add_file(project.quarters_file)
        if project.proposals is not None:
            self.add_file(project.proposals)
        for live in project.live:  # what the live layers received: shown at once on reopening
            self.add_file(live.observations)
        for run in project.runs:
            if not run.is_dir():
                raise TwinIOError(run, f"the project names this saved run but it is missing "
                                       f"({self.project.path})")
            self.folders[run] = self.place(run)
        self.total_bytes = sum(_size(path) for path in self.files) + sum(
            _size(file) for folder in self.folders for file in _files_under(folder))

    def _scenario(self, path: Path) -> tuple[Path, Scenario]:
        try:
            scenario = Scenario.load(path)
        except TwinError as error:
            raise TwinIOError(path, f"the project's scenario cannot be packed ({error})") from None
        for file in (*scenario.inputs.values(), *filter(None, [scenario.quarters_file, scenario.proposals])):
            self.add_file(file)
        return path, scenario

    def add_file(self, path: Path, with_companions: bool = False) -> None:
        if path.is_dir():  # a layer may be a folder of tiles read as one mosaic
            self.folders[path] = self.place(path)
            return
        if not path.is_file():
            raise TwinIOError(path, f"the project names this file but it is missing, so the pack "
                                    f"would not open elsewhere ({self.project.path})")
        self.files[path] = self.place(path)
        if with_companions:
            for companion in _companions(path):
                self.files[companion] = self.place(companion)

    def place(self, path: Path) -> str:
        """Inside the project's tree: where it is; elsewhere: data/<its folder>/<its name>."""
        for inside, tree in ((Path(os.path.abspath(path)), Path(os.path.abspath(self.home))),
                             (path.resolve(), self.home.resolve())):
            if inside.is_relative_to(tree):
                return inside.relative_to(tree).as_posix()
        folder = path.parent
        if folder not in self._outside:
            taken = set(self._outside.values())
            name, number = f"{OUTSIDE_FOLDER}/{folder.name or 'root'}", 1
            while name in taken:
                number += 1
                name = f"{OUTSIDE_FOLDER}/{folder.name or 'root'}-{number}"
            self._outside[folder] = name
        return f"{self._outside[folder]}/{path.name}"

    def write(self, root: Path, feedback: Feedback) -> None:
        """Copy everything into `root` and write the project and scenarios with paths into it."""
        copier = _Copier(self.total_bytes, feedback)
        for source, place in self.files.items():
            copier.copy(source, root / place)
        for source, place in self.folders.items():
            for file in _files_under(source):
                copier.copy(file, root / place / file.relative_to(source))
        moved = {source: root / place for source, place in (*self.files.items(), *self.folders.items())}
        packed = dataclasses.replace(
            self.project, path=None, layers=[dataclasses.replace(entry, path=moved[entry.path])
                                             for entry in self.project.layers],
            quarters_file=moved.get(self.project.quarters_file), scenarios=self._write_scenarios(root, moved),
            runs=[moved[run] for run in self.project.runs], proposals=moved.get(self.project.proposals),
            live=[dataclasses.replace(entry, observations=moved[entry.observations])
                  for entry in self.project.live])
        packed.save(root / self.project_name)
        (root / PACK_MARK).write_text(f"packed from {self.project.path}\n", encoding="utf-8")
        feedback.progress(1.0, "packed")


    def _write_scenarios(self, root: Path, moved: dict[Path, Path]) -> list[Path]:
        """Each scenario saved in the pack, naming the copies of its inputs."""
        written = []
        for source, scenario in self.scenarios:
            target = root / self.place(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            inputs = {slot: moved[file] for slot, file in scenario.inputs.items()}
            quarters, proposals = moved.get(scenario.quarters_file), moved.get(scenario.proposals)
            dataclasses.replace(scenario, inputs=inputs, quarters_file=quarters,
                                proposals=proposals).save(target)
            written.append(target)
        return written


class _Copier:
    """Copies files in chunks, reporting progress by bytes and stopping when cancelled."""

    def __init__(self, total_bytes: int, feedback: Feedback) -> None:
        self.total, self.done, self.feedback = max(total_bytes, 1), 0, feedback

    def copy(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(source, "rb") as reading, open(target, "wb") as writing:
                while chunk := reading.read(CHUNK_BYTES):
                    writing.write(chunk)
                    self.done += len(chunk)
                    self.feedback.progress(self.done / self.total, f"copying {source.name}")
        except FileNotFoundError:
            raise TwinIOError(source, "went missing while the project was being packed") from None
        shutil.copystat(source, target)


def _write_zip(plan: _Plan, dest: Path, feedback: Feedback) -> Path:
    """The pack as a zip: filled as a folder in a temporary place, zipped beside `dest`, renamed."""
    stem = dest.stem
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{dest.name}.{os.getpid()}-", suffix=".twin-tmp",
                                         dir=dest.parent) as scratch:
            folder = Path(scratch) / stem
            folder.mkdir()
            plan.write(folder, feedback.span(0.0, 0.6))
            archive = Path(scratch) / dest.name
            _zip_folder(folder, archive, feedback.span(0.6, 1.0))
            os.replace(archive, dest)
    except OSError as error:
        raise SaveError(dest, f"cannot be saved: {why_not_written(error)}") from None
    return dest


def _zip_folder(folder: Path, archive: Path, feedback: Feedback) -> None:
    files = list(_files_under(folder))
    with zipfile.ZipFile(archive, "w", allowZip64=True) as writing:
        for number, file in enumerate(files):
            feedback.progress(number / max(len(files), 1), f"zipping {file.name}")
            stored = file.name.lower().endswith(_STORED_IN_ZIP)
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            writing.write(file, f"{folder.name}/{file.relative_to(folder).as_posix()}", compress_type=method)


def _companions(path: Path) -> list[Path]:
    """Files read together with `path`: a sensor CSV's partner, `NAME.prj`/`.tfw`/`.aux.xml` beside it."""
    found = []
    partner = csv_partner_name(path.name)
    if partner is not None and (path.parent / partner).is_file():
        found.append(path.parent / partner)
    stem = path.name.split(".")[0]
    for sibling in path.parent.glob(f"{_glob_escape(stem)}.*"):
        if sibling != path and sibling.is_file() and sibling.suffix.lower() in (".prj", ".tfw", ".xml"):
            found.append(sibling)
    return found


def _glob_escape(text: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def _files_under(folder: Path) -> Iterator[Path]:
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            yield Path(root) / name


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
