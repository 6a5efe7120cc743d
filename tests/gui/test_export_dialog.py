"""File > Export picture... and Export film...: the view as a PNG of the asked size, a tour or a
result's time steps as an MP4, in the job strip with Cancel; a cancelled film leaves no file."""

import threading

import imageio_ffmpeg
import numpy as np
import pytest
from affine import Affine
from PIL import Image
from PySide6.QtCore import QSettings, QTimer

from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y
from tests.render.test_export import OBLIQUE, town_of
from tests.render.test_results_view import VIEW_CENTRE
from twin.core.bookmarks import Bookmark, Tour
from twin.core.data import ResultRaster
from twin.core.layers import result_layer
from twin.core.project import Camera
from twin.qt.export_dialog import WINDING_DOWN, ExportFilmDialog, ExportPictureDialog
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

ABOVE = Bookmark("Above", Camera((*VIEW_CENTRE, 530.0), (*VIEW_CENTRE, 110.0), (0.0, 1.0, 0.0)),
                 caption="From above")


@pytest.fixture
def window(qtbot, dtm_file, tmp_path):
    scene = town_of(dtm_file)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


def open_from_menu(window, text, kind):
    file_menu = window.menuBar().actions()[0].menu()
    next(action for action in file_menu.actions() if action.text().replace("&", "") == text).trigger()
    return window.findChildren(kind)[-1]


def test_export_picture_from_the_menu_writes_a_png_of_the_asked_size_with_its_caption(qtbot, window, tmp_path):
    dialog = open_from_menu(window, "Export picture...", ExportPictureDialog)
    assert dialog.isVisible() and dialog.size_box.findText("8K UHD 7680 x 4320") >= 0
    dialog.size_box.setCurrentText("HD 1280 x 720")
    dialog.caption_edit.setText("Johannstadt after the storm")
    dialog.file_row.edit.setText(str(tmp_path / "view.png"))
    dialog.accept()
    job = dialog.job
    assert job in window.jobs_bar.jobs and window.jobs_bar.isVisible()
    qtbot.waitUntil(lambda: not job.running, timeout=60_000)
    picture = np.asarray(Image.open(tmp_path / "view.png").convert("RGB")).astype(int)
    assert picture.shape == (720, 1280, 3)
    bar = picture[-40:, :640]  # the caption bar at the bottom: pale paper with dark letters
    assert (bar.min(axis=2) > 230).mean() > 0.5 and (bar.max(axis=2) < 80).mean() > 0.005
    assert not window.jobs_bar.jobs


def test_a_cancelled_film_export_leaves_no_file(qtbot, window, tmp_path):
    window.session.set_presentation([ABOVE, OBLIQUE], [Tour("Short", ("Above", "Oblique"), 2.0, 0.5)])
    (tmp_path / "films").mkdir()
    dialog = open_from_menu(window, "Export film...", ExportFilmDialog)
    assert dialog.tour_choice.isChecked() and dialog.tour_box.currentText() == "Short"
    dialog.file_row.edit.setText(str(tmp_path / "films" / "tour.mp4"))
    dialog.accept()
    job = dialog.job
    started: list[str] = []  # the frames begun, as the worker reports them
    job.feedback.add_listener(lambda _fraction, message: started.append(message))
    qtbot.waitUntil(lambda: job.feedback.fraction > 0.0, timeout=60_000)  # a frame or more is written
    assert job.running and any((tmp_path / "films").iterdir())  # the film being written, aside
    while_drawing: list[bool] = []
    job.canceled.connect(lambda: while_drawing.append(job.running))
    with qtbot.waitSignal(job.canceled, timeout=60_000):
        window.jobs_bar.cancel_button.click()
        assert window.jobs_bar.label.text().endswith("cancelling...")
        begun = len(started)
    # the window hears of the cancel at once, while the worker still finishes the frame in hand
    assert while_drawing == [True]
    qtbot.waitUntil(lambda: not window.jobs_bar.jobs)
    assert job.parent() is None and job in WINDING_DOWN  # let go: kept only until the worker ends
    qtbot.waitUntil(lambda: not job.running, timeout=60_000)
    qtbot.waitUntil(lambda: job not in WINDING_DOWN)
    assert while_drawing == [True]  # the worker's own end said nothing more
    assert len(started) <= begun + 1  # the frame being drawn is the last: it is not even encoded
    assert list((tmp_path / "films").iterdir()) == []
    assert window.statusBar().currentMessage() == "The film export was cancelled; no film was written"


def test_a_results_time_steps_export_as_a_film_along_the_camera_path(qtbot, window, tmp_path):
    depth = np.zeros((4, 50, 100), dtype=np.float32)
    for step in range(4):
        depth[step, 5:45, 10:10 + 25 * step] = 1.0
    grid = ResultRaster("depth", depth, Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y), "EPSG:25833", "m",
                        times=np.array([0.0, 600.0, 1200.0, 1800.0]))
    window.scene.add_layer(result_layer(grid, "Flood: depth"))
    window.session.set_presentation([ABOVE, OBLIQUE], [])
    dialog = open_from_menu(window, "Export film...", ExportFilmDialog)
    assert dialog.snapshots_choice.isChecked() and dialog.layer_box.currentText() == "Flood: depth"
    dialog.start_box.setCurrentText("Above")
    dialog.end_box.setCurrentText("Oblique")
    dialog.seconds_box.setValue(0.5)
    assert dialog.size_box.currentText() == "Full HD 1920 x 1080"  # the film's size unless asked
    dialog.size_box.setCurrentText("Draft 640 x 360")  # software OpenGL: a test's few seconds
    dialog.file_row.edit.setText(str(tmp_path / "flood.mp4"))
    order = dialog.order()
    assert [bookmark.time_step for bookmark in order.bookmarks] == [0, 3] and order.tour.play_time_steps
    drawn_on, window_steps = set(), set()  # the threads that drew frames; the window's steps meanwhile
    dialog.accept()
    dialog.job.feedback.add_listener(lambda _fraction, _message: (
        drawn_on.add(threading.get_ident()), window_steps.add(window.scene.layer("Flood: depth").time_index)))
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(dialog.job.feedback.message))
    timer.start(5)
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=600_000)
    timer.stop()
    # the frames were drawn off the GUI thread, which went on answering, its scene untouched
    assert drawn_on and threading.get_ident() not in drawn_on
    assert window_steps == {0} and len({tick for tick in ticks if tick.startswith("frame")}) > 1
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "flood.mp4"))
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "flood.mp4"))
    meta = next(reader)
    reader.close()
    assert tuple(meta["size"]) == (640, 360) and meta["fps"] == 30 and frames == 15 + 15 - 1 + 14
    assert window.scene.layer("Flood: depth").time_index == 0  # the window's view as before the film
