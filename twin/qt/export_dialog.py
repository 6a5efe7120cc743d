"""File > Export picture... and File > Export film...: the 3D view as a PNG, a tour or a flood run as an MP4.

Both draw in their own off-screen view of the window's scene (twin/render/export.py, film.py), so
the window keeps its size and camera. VTK must stay on the thread that owns the scene's views (a
film changes the layers' looks and time steps as it goes, and the window's view follows those
changes), so the work runs on the GUI thread one step at a time (a `SteppedJob`: one film frame, or
one stage of a picture, per turn of the event loop) and shows in the job strip with its progress
bar and Cancel. A cancelled export leaves no file; an earlier file of the same name stays as it was.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, SignalInstance
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QRadioButton,
    QWidget,
)

from twin.core.bookmarks import Bookmark, LayerLook, Tour, find_bookmark, find_tour
from twin.core.errors import TwinError
from twin.core.feedback import Canceled, Feedback
from twin.core.layers import ResultLayer
from twin.core.tour import tour_frames
from twin.qt.jobs import Job
from twin.render.export import (
    MAX_SIZE,
    Caption,
    ExportError,
    OffscreenView,
    apply_bookmark,
    bookmark_of,
    check_size,
    save_picture,
)
from twin.render.film import FILM_FPS, FILM_SIZE, FilmReport, film_steps
from twin.render.look import PresentationLook

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

SIZE_PRESETS = {"HD 1280 x 720": (1280, 720), "Full HD 1920 x 1080": (1920, 1080),
                "QHD 2560 x 1440": (2560, 1440), "4K UHD 3840 x 2160": (3840, 2160),
                "8K UHD 7680 x 4320": MAX_SIZE}
SSAA_UP_TO = 1920  # px, the longer side: past full HD the picture is its own supersampling
FILM_SIZES = {"Full HD 1920 x 1080": FILM_SIZE, "HD 1280 x 720": (1280, 720),
              "Draft 640 x 360": (640, 360)}  # a draft to check a tour's path before the long export
CURRENT_VIEW = "The current view"
DIALOG_WIDTH_PX = 560  # room for a file path


class SteppedJob(Job):
    """A job whose work is a generator run on the GUI thread, one step per turn of the event loop.

    It reports to the job strip like a threaded Job; Cancel takes effect between two steps, and
    closing the generator runs its `finally` blocks (a half-written film is removed there).
    """

    def __init__(self, title: str, work: Callable[[Feedback], Iterator],
                 parent: QObject | None = None) -> None:
        super().__init__(title, work, parent)
        self._steps: Iterator | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.step)

    def start(self) -> None:
        self._steps = self._work(self.feedback)
        self._timer.start()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def wait(self, milliseconds: int = -1) -> bool:
        """Closing the window: a cancelled job ends at once (its next step stops it)."""
        while self.running:
            self.step()
        return True

    def step(self) -> None:
        try:
            self.feedback.check()
            next(self._steps)
        except StopIteration as done:
            self._end(self.succeeded, done.value)
        except Canceled:
            self._steps.close()
            self._end(self.canceled)
        except TwinError as error:
            self.error = error
            self._end(self.failed, str(error))
        except Exception as error:  # any failure of the work is reported; the app stays up
            self.error = error
            traceback.print_exc(file=sys.stderr)
            self._end(self.failed, f"{self.title} failed: {type(error).__name__}: {error}")

    def _end(self, signal: SignalInstance, *arguments: object) -> None:
        self._timer.stop()
        signal.emit(*arguments)
        self.finished.emit()


# -- what to export ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PictureOrder:
    path: Path
    size: tuple[int, int]
    caption: Caption = Caption()
    legends: bool = True
    presentation_look: bool = False


@dataclass(frozen=True)
class FilmOrder:
    path: Path
    tour: Tour
    bookmarks: tuple[Bookmark, ...]
    size: tuple[int, int] = FILM_SIZE
    legends: bool = True
    presentation_look: bool = False


def picture_steps(window: MainWindow, order: PictureOrder, feedback: Feedback) -> Generator[None, None, Path]:
    """The window's view now, drawn off-screen at the order's size; the PNG written last."""
    if order.path.suffix.lower() != ".png":
        raise ExportError(f"{order.path}: pictures are written as PNG; name the file .png")
    size = check_size(order.size)
    here = bookmark_of(window.scene_view, "export")
    feedback.progress(0.05, "preparing the view")
    yield
    with OffscreenView(window.scene, size, _look(order.presentation_look, size)) as view:
        view.show_bookmark(here)
        feedback.progress(0.15, f"drawing {size[0]} x {size[1]}")
        yield
        picture = view.picture(size, order.caption, order.legends)
    feedback.progress(0.9, "writing the PNG")
    yield
    save_picture(picture, order.path)
    feedback.progress(1.0, "picture written")
    return order.path


def film_job_steps(window: MainWindow, order: FilmOrder,
                   feedback: Feedback) -> Generator[int, None, FilmReport]:
    """The tour's frames drawn and encoded one by one; the window's layers look as before afterwards."""
    before = bookmark_of(window.scene_view, "before")
    frames = tour_frames(order.tour, list(order.bookmarks), FILM_FPS)
    try:
        return (yield from film_steps(window.scene, frames, order.path, order.size, FILM_FPS, feedback,
                                      order.legends, _look(order.presentation_look, order.size)))
    finally:
        apply_bookmark(window.scene_view, before)


def snapshots_tour(layer: ResultLayer, start: Bookmark, end: Bookmark,
                   seconds: float) -> tuple[Tour, tuple[Bookmark, Bookmark]]:
    """A flood run's depth snapshots along a camera path: the layer shown, its first step at `start`
    and its last at `end`, the steps played while the camera flies (`seconds` in all)."""
    shown = LayerLook(name=layer.name, visible=True, opacity=layer.opacity)

    def with_layer(bookmark: Bookmark, name: str, step: int) -> Bookmark:
        looks = tuple(look for look in bookmark.layers if look.name != layer.name) + (shown,)
        return replace(bookmark, name=name, layers=looks, time_step=step,
                       caption=bookmark.caption or layer.name)

    stops = (with_layer(start, "first step", 0), with_layer(end, "last step", layer.time_steps - 1))
    tour = Tour(layer.name, ("first step", "last step"), seconds_per_leg=seconds, seconds_per_stop=0.5,
                play_time_steps=True)
    return tour, stops


def _look(presentation: bool, size: tuple[int, int]) -> PresentationLook | None:
    if not presentation:
        return None
    return PresentationLook(anti_aliasing="ssaa" if max(size) <= SSAA_UP_TO else None)


def export_picture(window: MainWindow, order: PictureOrder) -> SteppedJob:
    """Start writing the picture, shown in the window's job strip."""
    return _start(window, SteppedJob(f"Exporting {order.path.name}",
                                     lambda feedback: picture_steps(window, order, feedback), window),
                  f"Picture written to {order.path}", "The picture export was cancelled; nothing was written")


def export_film(window: MainWindow, order: FilmOrder) -> SteppedJob:
    """Start writing the film, shown in the window's job strip."""
    return _start(window, SteppedJob(f"Exporting {order.path.name}",
                                     lambda feedback: film_job_steps(window, order, feedback), window),
                  f"Film written to {order.path}", "The film export was cancelled; no film was written")


def _start(window: MainWindow, job: SteppedJob, done: str, cancelled: str) -> SteppedJob:
    say = window.statusBar().showMessage
    job.succeeded.connect(lambda _result: say(done, 15_000))
    job.canceled.connect(lambda: say(cancelled, 10_000))
    job.failed.connect(window.show_error)
    job.finished.connect(window.refresh_view)
    window.jobs_bar.track(job)
    job.start()
    return job


# -- the dialogs ------------------------------------------------------------------------------

class _FileRow(QWidget):
    """A file name and a Choose... button that asks where to save."""

    def __init__(self, caption: str, start: Path, pattern: str) -> None:
        super().__init__()
        self.edit = QLineEdit(str(start))
        choose = QPushButton("Choose...")
        choose.clicked.connect(lambda: self._choose(caption, pattern))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(choose)

    def path(self) -> Path:
        return Path(self.edit.text()).expanduser()

    def _choose(self, caption: str, pattern: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, caption, self.edit.text(), pattern)
        if path:
            self.edit.setText(path)


class ExportPictureDialog(QDialog):
    """Size, caption, legends and look of a picture of the current view; OK starts the export."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Export picture")
        self.setMinimumWidth(DIALOG_WIDTH_PX)
        form = QFormLayout(self)
        self.size_box = QComboBox()
        self.size_box.addItems(list(SIZE_PRESETS))
        self.size_box.setCurrentText("4K UHD 3840 x 2160")
        chosen = _chosen_bookmark(window)
        self.caption_edit = QLineEdit(chosen.caption if chosen else "")
        self.text_edit = QLineEdit(chosen.text if chosen else "")
        self.legends_box = QCheckBox("Legends of the coloured layers")
        self.legends_box.setChecked(window.scene_view.legends_shown)
        self.look_box = QCheckBox("Presentation look (sun, shadows, trees)")
        self.look_box.setChecked(window.presentation_look_action.isChecked())
        self.file_row = _FileRow("Export picture", Path.home() / "view.png", "PNG picture (*.png)")
        for label, widget in (("Size:", self.size_box), ("Caption:", self.caption_edit),
                              ("Text:", self.text_edit), ("", self.legends_box), ("", self.look_box),
                              ("File:", self.file_row)):
            form.addRow(label, widget)
        form.addRow(_buttons(self))

    def order(self) -> PictureOrder:
        return PictureOrder(self.file_row.path(), SIZE_PRESETS[self.size_box.currentText()],
                            Caption(self.caption_edit.text(), self.text_edit.text()),
                            self.legends_box.isChecked(), self.look_box.isChecked())

    def accept(self) -> None:
        self.job = export_picture(self.window_, self.order())
        super().accept()


class ExportFilmDialog(QDialog):
    """A tour, or a flood run's depth snapshots along a camera path, as an MP4 (1920 x 1080, 30 fps)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Export film")
        self.setMinimumWidth(DIALOG_WIDTH_PX)
        bookmarks, tours = window.session.presentation
        form = QFormLayout(self)
        self.tour_choice = QRadioButton("A tour")
        self.snapshots_choice = QRadioButton("Time steps of a result")
        self.tour_box = QComboBox()
        self.tour_box.addItems([tour.name for tour in tours])
        self.layer_box = QComboBox()
        self.layer_box.addItems([layer.name for layer in _stepped_layers(window)])
        views = [CURRENT_VIEW, *(bookmark.name for bookmark in bookmarks)]
        self.start_box, self.end_box = QComboBox(), QComboBox()
        for box in (self.start_box, self.end_box):
            box.addItems(views)
        self.seconds_box = QDoubleSpinBox()
        self.seconds_box.setRange(0.5, 120.0)
        self.seconds_box.setValue(8.0)
        self.seconds_box.setSuffix(" s")
        self.size_box = QComboBox()
        self.size_box.addItems(list(FILM_SIZES))
        self.legends_box = QCheckBox("Legends and captions")
        self.legends_box.setChecked(True)
        self.look_box = QCheckBox("Presentation look (sun, shadows, trees)")
        self.look_box.setChecked(window.presentation_look_action.isChecked())
        self.file_row = _FileRow("Export film", Path.home() / "tour.mp4", "MP4 film (*.mp4)")
        rows = (("", self.tour_choice), ("Tour:", self.tour_box), ("", self.snapshots_choice),
                ("Result:", self.layer_box), ("Camera from:", self.start_box), ("to:", self.end_box),
                ("Length:", self.seconds_box), ("Size:", self.size_box), ("", self.legends_box),
                ("", self.look_box), ("File:", self.file_row),
                ("", QLabel(f"MP4 (H.264), {FILM_FPS} frames per second")))
        for label, widget in rows:
            form.addRow(label, widget)
        self.tour_choice.setEnabled(bool(tours))
        self.snapshots_choice.setEnabled(self.layer_box.count() > 0)
        self.tour_choice.toggled.connect(self._choice_changed)
        (self.tour_choice if tours else self.snapshots_choice).setChecked(True)
        self._choice_changed()
        form.addRow(_buttons(self))

    def _choice_changed(self) -> None:
        """Only the fields of the chosen kind of film can be changed."""
        tour = self.tour_choice.isChecked()
        self.tour_box.setEnabled(tour)
        for widget in (self.layer_box, self.start_box, self.end_box, self.seconds_box):
            widget.setEnabled(not tour)

    def order(self) -> FilmOrder:
        """What the dialog asks for; ExportError where it asks for nothing that can be filmed."""
        bookmarks, tours = self.window_.session.presentation
        common = {"path": self.file_row.path(), "size": FILM_SIZES[self.size_box.currentText()],
                  "legends": self.legends_box.isChecked(), "presentation_look": self.look_box.isChecked()}
        if self.tour_choice.isChecked() and self.tour_box.currentText():
            return FilmOrder(tour=find_tour(list(tours), self.tour_box.currentText()),
                             bookmarks=tuple(bookmarks), **common)
        layer = next((layer for layer in _stepped_layers(self.window_)
                      if layer.name == self.layer_box.currentText()), None)
        if layer is None:
            raise ExportError("there is nothing to film: save a tour in the Bookmarks panel, or run a "
                              "simulation whose result has time steps")
        start, end = (self._view(box.currentText()) for box in (self.start_box, self.end_box))
        tour, stops = snapshots_tour(layer, start, end, self.seconds_box.value())
        return FilmOrder(tour=tour, bookmarks=stops, **common)

    def _view(self, name: str) -> Bookmark:
        if name == CURRENT_VIEW:
            return bookmark_of(self.window_.scene_view, CURRENT_VIEW)
        return find_bookmark(list(self.window_.session.presentation[0]), name)

    def accept(self) -> None:
        try:
            order = self.order()
        except TwinError as error:
            self.window_.show_error(str(error))
            return
        self.job = export_film(self.window_, order)
        super().accept()


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _stepped_layers(window: MainWindow) -> list[ResultLayer]:
    return [layer for layer in window.scene.layers if isinstance(layer, ResultLayer) and layer.time_steps > 1]


def _chosen_bookmark(window: MainWindow) -> Bookmark | None:
    """The bookmark chosen in the Bookmarks panel, whose caption a picture of it would carry."""
    chosen = window.bookmarks_panel.chosen_bookmarks()
    return find_bookmark(window.bookmarks_panel.bookmarks, chosen[0]) if len(chosen) == 1 else None


def install_export(window: MainWindow, file_menu: QMenu) -> None:
    """File > Export picture... and File > Export film... (each opens its dialog, not blocking)."""
    for text, dialog in (("E&xport picture...", ExportPictureDialog), ("Export fil&m...", ExportFilmDialog)):
        action = file_menu.addAction(text)
        action.triggered.connect(lambda checked=False, dialog=dialog: dialog(window).open())
