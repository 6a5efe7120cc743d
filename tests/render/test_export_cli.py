"""`python main.py render` and `film`: a project's bookmark as a PNG, its tour as an MP4, without a display."""

from __future__ import annotations

import imageio_ffmpeg
import pytest
from PIL import Image

from tests.conftest import ORIGIN_X, ORIGIN_Y
from twin.cli import main
from twin.core.bookmarks import Bookmark, Tour
from twin.core.project import Camera, LayerEntry, Project

pytestmark = pytest.mark.render

CENTRE = (ORIGIN_X + 100.0, ORIGIN_Y - 50.0)


@pytest.fixture
def project_file(tmp_path, dtm_file):
    above = Bookmark("Above", Camera((*CENTRE, 500.0), (*CENTRE, 110.0), (0.0, 1.0, 0.0)), caption="The bowl")
    side = Bookmark("Side", Camera((CENTRE[0] - 300, CENTRE[1] - 300, 300.0), (*CENTRE, 110.0)),
                    caption="From the south-west")
    path = tmp_path / "bowl.toml"
    Project("bowl", layers=[LayerEntry(dtm_file, "terrain")], bookmarks=[above, side],
            tours=[Tour("Round", ("Above", "Side"), seconds_per_leg=0.5, seconds_per_stop=0.2)]).save(path)
    return path


def test_render_writes_the_bookmark_at_the_asked_size(project_file, tmp_path, capsys):
    out = tmp_path / "view.png"
    status = main(["render", str(project_file), "--bookmark", "Side", "--size", "640x360", "--out", str(out)])
    assert status == 0
    with Image.open(out) as picture:
        assert picture.size == (640, 360)
    assert "picture written" in capsys.readouterr().err  # the progress on stderr


def test_film_writes_the_tour_as_mp4(project_file, tmp_path, capsys):
    out = tmp_path / "tour.mp4"
    status = main(["film", str(project_file), "--tour", "Round", "--out", str(out), "--size", "320x180",
                   "--fps", "10"])
    assert status == 0
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert tuple(meta["size"]) == (320, 180) and meta["fps"] == 10
    assert sum(1 for _ in reader) == 2 + 5 - 1 + 1 == 7
    assert "Round: 7 frames" in capsys.readouterr().out


@pytest.mark.parametrize(("arguments", "problem"), [
    (["render", "--bookmark", "Sied"], "no bookmark 'Sied' (did you mean 'Side'?); the project has 'Above', 'Side'"),
    (["render", "--size", "9000x9000"], "outside 16x16 .. 7680x4320"),
    (["film", "--tour", "Rund"], "no tour 'Rund' (did you mean 'Round'?)"),
    (["render", "--sun", "midsummer"], "--sun 'midsummer' must be a date and time like 2026-06-21T16:00"),
])
def test_a_bad_name_or_size_is_one_sentence_and_status_2(project_file, tmp_path, capsys, arguments, problem):
    command, *options = arguments
    out = tmp_path / ("x.png" if command == "render" else "x.mp4")
    assert main([command, str(project_file), *options, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert problem in error and "Traceback" not in error
    assert not out.exists()
