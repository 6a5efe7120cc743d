"""File > Export picture... and File > Export film...: the 3D view as a PNG, a tour or a flood run as an MP4.

Both draw a detached copy of the window's scene (twin.render.linked_views.detached_scene: the
layers' data shared, their looks and time steps their own) in an off-screen view of their own
(twin/render/export.py, film.py) on a worker thread: a film frame takes from a second to a minute
on software OpenGL, and the window goes on answering meanwhile, its view, size and camera
untouched. The export shows in the job strip with its progress bar and Cancel; a cancelled film
stops at the frame being drawn and leaves no file; an earlier file of the same name stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer
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
from twin.core.feedback import Feedback
from twin.core.layers import ResultLayer
from twin.core.scene import Scene
from twin.core.tour import tour_frames
from twin.qt.jobs import Job
from twin.render.export import (
    MAX_SIZE,
    Caption,
    ExportError,
    OffscreenView,
    bookmark_of,
    check_size,
    save_picture,
)
from twin.render.film import FILM_FPS, FILM_SIZE, FilmReport, film_frames
from twin.render.linked_views import detached_scene
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


class ExportJob(Job):
    """An export on a worker thread whose Cancel ends it at once for the window.

    A frame being drawn cannot be interrupted (VTK renders it in one call, up to a minute on
    software OpenGL), so a cancelled export is let go: the window hears `canceled` at once and
    `finished` as soon as the Cancel click is handled, and the worker, which stops before encoding
    that frame, removes the half-written film in the background. The app waits for such workers
    when it quits (a running thread must not be destroyed).
    """

    def cancel(self) -> None:
        super().cancel()
        if not self.running or self in WINDING_DOWN:
            return
        WINDING_DOWN.append(self)
        self.setParent(None)  # outlives the window that started it, until the worker has ended
        self._thread.finished.connect(lambda: WINDING_DOWN.remove(self))
        _wait_for_exports_when_quitting()
        self.canceled.emit()
        self.blockSignals(True)  # the worker's own late end says nothing more
        QTimer.singleShot(0, self._forget_now)  # the job strip drops the job after its click is handled

    def _forget_now(self) -> None:
        self.blockSignals(False)
        self.finished.emit()
        self.blockSignals(True)


WINDING_DOWN: list[ExportJob] = []  # cancelled exports whose worker still finishes the frame in hand
_QUIT_WAITS: list[bool] = []  # whether the app waits for them when it quits (hooked once)


def _wait_for_exports_when_quitting() -> None:
    app = QCoreApplication.instance()
    if app is None or _QUIT_WAITS:
        return
    _QUIT_WAITS.append(True)
    app.aboutToQuit.connect(_wait_for_winding_down)


def _wait_for_winding_down() -> None:
    for job in list(WINDING_DOWN):
        job.wait()


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


def write_picture(scene: Scene, here: Bookmark, order: PictureOrder, feedback: Feedback) -> Path:
    """The scene seen as `here`, drawn off-screen at the order's size and written as a PNG."""
    if order.path.suffix.lower() != ".png":
        raise ExportError(f"{order.path}: pictures are written as PNG; name the file .png")
    size = check_size(order.size)
    feedback.progress(0.05, "preparing the view")
    with OffscreenView(scene, size, _look(order.presentation_look, size)) as view:
        view.show_bookmark(here)
        feedback.progress(0.15, f"drawing {size[0]} x {size[1]}")
        picture = view.picture(size, order.caption, order.legends)
    feedback.progress(0.9, "writing the PNG")
    save_picture(picture, order.path)
    feedback.progress(1.0, "picture written")
    return order.path


def write_film(scene: Scene, order: FilmOrder, feedback: Feedback) -> FilmReport:
    """The order's tour drawn frame by frame from the scene and encoded as an MP4."""
    frames = tour_frames(order.tour, list(order.bookmarks), FILM_FPS)
    return film_frames(scene, frames, order.path, order.size, FILM_FPS, feedback, order.legends,
                       _look(order.presentation_look, order.size))


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


def export_picture(window: MainWindow, order: PictureOrder) -> ExportJob:
    """Start writing the picture of the window's view, shown in the window's job strip."""
    scene, here = detached_scene(window.scene), bookmark_of(window.scene_view, "export")
    return _start(window, ExportJob(f"Exporting {order.path.name}",
                                    lambda feedback: write_picture(scene, here, order, feedback), window),
                  f"Picture written to {order.path}", "The picture export was cancelled; nothing was written")


def export_film(window: MainWindow, order: FilmOrder) -> ExportJob:
    """Start writing the film, shown in the window's job strip."""
    scene = detached_scene(window.scene)
    return _start(window, ExportJob(f"Exporting {order.path.name}",
                                    lambda feedback: write_film(scene, order, feedback), window),
                  f"Film written to {order.path}", "The film export was cancelled; no film was written")


def _start(window: MainWindow, job: ExportJob, done: str, cancelled: str) -> ExportJob:
    say = window.statusBar().showMessage
    job.succeeded.connect(lambda _result: say(done, 15_000))
    job.canceled.connect(lambda: say(cancelled, 10_000))
    job.failed.connect(window.show_error)
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
