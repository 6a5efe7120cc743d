"""Films of tours: read back as MP4 with the asked frames, size and rate; a cancelled film leaves nothing."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
import pytest
from affine import Affine

from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y
from tests.render.test_export import OBLIQUE, town_of
from tests.render.test_results_view import VIEW_CENTRE
from twin.core.bookmarks import Bookmark, Tour
from twin.core.data import ResultRaster
from twin.core.feedback import Canceled, Feedback
from twin.core.layers import result_layer
from twin.core.project import Camera
from twin.core.tour import tour_frames
from twin.render.export import Caption, ExportError, OffscreenView
from twin.render.film import film_tour

pytestmark = pytest.mark.render

SIZE = (320, 180)
FPS = 10
ABOVE = Bookmark("Above", Camera((*VIEW_CENTRE, 530.0), (*VIEW_CENTRE, 110.0), (0.0, 1.0, 0.0)),
                 caption="From above")
TOUR = Tour("Short", ("Above", "Oblique"), seconds_per_leg=0.8, seconds_per_stop=0.1)


@pytest.fixture
def town_scene(dtm_file):
    return town_of(dtm_file)


def read_film(path) -> tuple[dict, list[np.ndarray]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]
    return meta, frames


def bookmark_picture(scene, bookmark: Bookmark) -> np.ndarray:
    with OffscreenView(scene, SIZE) as view:
        view.show_bookmark(bookmark)
        return np.asarray(view.picture(SIZE, Caption.of(bookmark))).astype(int)


def test_a_tour_film_reads_back_with_its_frames_size_rate_and_the_bookmarks_views(town_scene, tmp_path):
    out = tmp_path / "tour.mp4"
    seen = []
    report = film_tour(town_scene, TOUR, [ABOVE, OBLIQUE], out, SIZE, FPS,
                       Feedback(lambda fraction, message: seen.append(fraction)))
    expected = len(tour_frames(TOUR, [ABOVE, OBLIQUE], FPS))
    assert report.frames == expected == 8
    meta, frames = read_film(out)
    assert tuple(meta["size"]) == SIZE and meta["fps"] == FPS and meta["codec"].startswith("h264")
    assert len(frames) == expected
    assert seen == sorted(seen) and seen[-1] == 1.0
    # the film's first and last frames are the two bookmarks' pictures, up to the codec's error
    first, last = bookmark_picture(town_scene, ABOVE), bookmark_picture(town_scene, OBLIQUE)
    assert np.abs(frames[0].astype(int) - first).mean() < 4.0
    assert np.abs(frames[-1].astype(int) - last).mean() < 4.0
    assert np.abs(frames[0].astype(int) - last).mean() > 10.0  # and the two views differ


def test_a_cancelled_film_leaves_no_file_and_keeps_an_earlier_one(town_scene, tmp_path):
    (tmp_path / "films").mkdir()
    out = tmp_path / "films" / "tour.mp4"
    out.write_bytes(b"an earlier film")
    feedback = Feedback()
    feedback.add_listener(lambda fraction, message: feedback.cancel() if fraction > 0.3 else None)
    with pytest.raises(Canceled):
        film_tour(town_scene, TOUR, [ABOVE, OBLIQUE], out, SIZE, FPS, feedback)
    assert out.read_bytes() == b"an earlier film"
    assert sorted(path.name for path in out.parent.iterdir()) == ["tour.mp4"]


@pytest.mark.parametrize(("name", "size", "fps", "problem"), [
    ("tour.avi", SIZE, FPS, "name the file .mp4"), ("tour.mp4", (321, 180), FPS, "even width and height"),
    ("tour.mp4", SIZE, 0, "between 1 and 120")])
def test_a_film_that_cannot_be_made_as_asked_is_one_sentence(town_scene, tmp_path, name, size, fps, problem):
    (tmp_path / "films").mkdir()
    with pytest.raises(ExportError, match=problem):
        film_tour(town_scene, TOUR, [ABOVE, OBLIQUE], tmp_path / "films" / name, size, fps)
    assert list((tmp_path / "films").iterdir()) == []


def test_a_floods_depth_snapshots_play_along_the_camera_path(town_scene, tmp_path):
    depth = np.zeros((4, 50, 100), dtype=np.float32)
    for step in range(4):
        depth[step, 5:45, 10:10 + 25 * step] = 1.0  # the water spreads east step by step
    grid = ResultRaster("depth", depth, Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y), "EPSG:25833", "m",
                        times=np.array([0.0, 600.0, 1200.0, 1800.0]))
    town_scene.add_layer(result_layer(grid, "Flood: depth"))
    dry = Bookmark("Dry", ABOVE.camera, time_step=0, caption="Before the rain")
    flooded = Bookmark("Flooded", OBLIQUE.camera, OBLIQUE.view_angle, time_step=3, caption="30 minutes later")
    tour = Tour("Flood", ("Dry", "Flooded"), seconds_per_leg=1.0, seconds_per_stop=0.0, play_time_steps=True)
    film_tour(town_scene, tour, [dry, flooded], tmp_path / "flood.mp4", SIZE, FPS)
    _, frames = read_film(tmp_path / "flood.mp4")
    steps = [frame.time_step for frame in tour_frames(tour, [dry, flooded], FPS)]
    assert steps[0] == 0 and steps[-1] == 3 and len(set(steps)) == 4
    # each frame shows its own step: the last frame's water is the flooded bookmark's picture
    assert np.abs(frames[-1].astype(int) - bookmark_picture(town_scene, flooded)).mean() < 4.0
    assert np.abs(frames[0].astype(int) - bookmark_picture(town_scene, dry)).mean() < 4.0
