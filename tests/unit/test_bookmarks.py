"""Bookmarks and tours: kept in the project file, checked on reading, flown along the same path every time."""

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from twin.core.bookmarks import (
    Bookmark,
    LayerLook,
    Tour,
    delete_bookmark,
    find_bookmark,
    moved,
    rename_bookmark,
    unused_name,
)
from twin.core.project import Camera, LayerEntry, LayerStyle, Project, ProjectError
from twin.core.tour import smoothstep, tour_frames

OVERVIEW = Bookmark("Overview", Camera((411_000.0, 5_653_000.0, 1500.0), (411_500.0, 5_654_000.0, 110.0)),
                    caption="The whole quarter", text="Three model quarters along the Elbe.")
STREET = Bookmark("Street", Camera((411_400.0, 5_653_900.0, 140.0), (411_450.0, 5_654_000.0, 112.0),
                                   (0.0, 0.3, 0.95)),
                  view_angle=40.0, time_step=3, caption="After the storm",
                  layers=(LayerLook("terrain", visible=False),
                          LayerLook("houses", opacity=0.5, color_by="height", colormap="viridis",
                                    color_range=(0.0, 30.0))))
TOUR = Tour("Walk", ("Overview", "Street", "Overview"), seconds_per_leg=2.0, seconds_per_stop=0.5,
            play_time_steps=True)


def test_bookmarks_and_tours_survive_save_and_reopen(tmp_path, dtm_file):
    project = Project("bowl", layers=[LayerEntry(dtm_file, "terrain")], bookmarks=[OVERVIEW, STREET],
                      tours=[TOUR])
    project.save(tmp_path / "bowl.toml")
    reopened = Project.load(tmp_path / "bowl.toml")
    assert reopened.bookmarks == [OVERVIEW, STREET]
    assert reopened.tours == [TOUR]
    reopened.save(tmp_path / "again.toml")  # a second round trip writes the same tables
    assert Project.load(tmp_path / "again.toml").bookmarks == [OVERVIEW, STREET]


def test_a_project_without_bookmarks_writes_no_bookmark_tables(tmp_path):
    Project("empty").save(tmp_path / "empty.toml")
    text = (tmp_path / "empty.toml").read_text()
    assert "bookmarks" not in text and "tours" not in text
    assert Project.load(tmp_path / "empty.toml").bookmarks == []


CAMERA = 'position = [0.0, 0.0, 100.0]\nfocal_point = [0.0, 10.0, 0.0]\n'


@pytest.mark.parametrize(("text", "problem"), [
    (f'[[bookmarks]]\nname = "a"\n{CAMERA}captoin = "x"', "unknown key 'captoin' in bookmark 1 (did you mean 'caption'?)"),
    ('[[bookmarks]]\nname = "a"\nposition = [0.0, 0.0]\nfocal_point = [0.0, 0.0, 0.0]',
     "bookmark 'a' position must be a list of 3 numbers"),
    ('[[bookmarks]]\nname = "a"\nfocal_point = [0.0, 0.0, 0.0]', "bookmark 1 needs a 'position'"),
    (f'[[bookmarks]]\nname = "a"\n{CAMERA}time_step = -1', "time_step must be a whole number from 0"),
    (f'[[bookmarks]]\nname = "a"\n{CAMERA}view_angle = 170', "view_angle must lie between 1 and 120"),
    (f'[[bookmarks]]\nname = "a"\n{CAMERA}[[bookmarks.layers]]\nname = "t"\nopacity = 2',
     "bookmark 'a' layer 't' opacity must lie between 0 and 1"),
    (f'[[bookmarks]]\nname = "a"\n{CAMERA}[[bookmarks]]\nname = "a"\n{CAMERA}', "two bookmarks are named 'a'"),
    (f'[[bookmarks]]\nname = "Overview"\n{CAMERA}[[tours]]\nname = "t"\nbookmarks = ["Overveiw"]',
     "tour 't': no bookmark 'Overveiw' (did you mean 'Overview'?)"),
    ('[[tours]]\nname = "t"\nbookmarks = []', "tour 't' names no bookmarks"),
    ('[bookmarks]\nname = "a"', "bookmarks must be written as [[bookmarks]] tables"),
])
def test_a_bad_bookmark_or_tour_is_one_sentence_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text('[project]\nname = "p"\n' + text + "\n")
    with pytest.raises(ProjectError) as raised:
        Project.load(path)
    assert str(path) in str(raised.value) and problem in str(raised.value)


def test_an_unknown_bookmark_name_lists_the_known_ones():
    with pytest.raises(ProjectError, match="no bookmark 'Stret' \\(did you mean 'Street'\\?\\); "
                                           "the project has 'Overview', 'Street'"):
        find_bookmark([OVERVIEW, STREET], "Stret")


def test_a_tour_played_twice_gives_the_same_camera_path_frame_by_frame():
    first = tour_frames(TOUR, [OVERVIEW, STREET], fps=30)
    second = tour_frames(TOUR, [OVERVIEW, STREET], fps=30)
    assert len(first) == len(second) == 15 + 2 * (60 - 1 + 14)
    assert [frame.camera for frame in first] == [frame.camera for frame in second]
    assert [frame.time_step for frame in first] == [frame.time_step for frame in second]


def test_a_tour_starts_rests_and_ends_on_its_bookmarks():
    frames = tour_frames(TOUR, [OVERVIEW, STREET], fps=30)
    assert frames[0].camera == OVERVIEW.camera and frames[-1].camera == OVERVIEW.camera
    at_street = frames[15 + 59 - 1: 15 + 59 + 14 - 1]  # the leg's last frame and the rest after it
    assert all(frame.camera == STREET.camera and frame.view_angle == 40.0 for frame in at_street)
    assert all(frame.bookmark is STREET for frame in at_street)


def test_the_camera_flies_at_a_steady_eased_speed_with_view_up_upright_to_the_view():
    frames = tour_frames(TOUR, [OVERVIEW, STREET], fps=30)[14:14 + 60]  # the first leg, both ends
    positions = np.array([frame.camera.position for frame in frames])
    steps = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    # distance per frame follows smoothstep's speed: slow at both ends, fastest in the middle, symmetric
    expected = np.diff(smoothstep(np.linspace(0, 1, 60))) * steps.sum()
    assert np.allclose(steps, expected, rtol=0.02, atol=0.05)
    # the flight rises over the straight line (it does not cut through the houses between)
    start, end = np.array(OVERVIEW.camera.position), np.array(STREET.camera.position)
    share = np.linalg.norm(positions[:, :2] - start[:2], axis=1) / np.linalg.norm(end[:2] - start[:2])
    middle = int(np.argmin(np.abs(share - 0.5)))
    assert positions[middle, 2] - (start[2] + (end[2] - start[2]) * share[middle]) > 200.0
    for frame in frames[1:-1]:
        direction = np.subtract(frame.camera.focal_point, frame.camera.position)
        assert abs(np.dot(direction / np.linalg.norm(direction), frame.camera.view_up)) < 1e-9


def test_time_steps_play_between_bookmarks_only_when_the_tour_says_so():
    plain = Tour("plain", ("Street", "Overview"), seconds_per_leg=1.0, seconds_per_stop=0.0)
    later = Bookmark("Later", STREET.camera, time_step=9)
    played = [frame.time_step for frame in tour_frames(Tour("p", ("Street", "Later"), 1.0, 0.0, True),
                                                        [STREET, later], fps=10)]
    assert played == sorted(played) and played[0] == 3 and played[-1] == 9 and len(set(played)) > 3
    held = [frame.time_step for frame in tour_frames(plain, [OVERVIEW, STREET], fps=10)]
    assert held[:-1] == [3] * (len(held) - 1) and held[-1] is None


OLD_PROJECT = Path(__file__).parents[1] / "data" / "projects" / "before_layer_style.toml"


def test_a_project_written_before_the_shared_layer_style_reads_and_writes_unchanged(tmp_path):
    shutil.copy(OLD_PROJECT, tmp_path / "old.toml")
    (tmp_path / "dtm.tif").touch()  # the layer's file: only its name matters until the project opens
    project = Project.load(tmp_path / "old.toml")
    layer, look = project.layers[0], project.bookmarks[0].layers[1]
    assert isinstance(layer, LayerStyle) and isinstance(look, LayerStyle)  # one style type for both
    assert (layer.visible, layer.opacity, layer.color_by, layer.colormap, layer.color_range, layer.crs) == \
        (False, 0.7, "elevation", "gist_earth", (105.0, 125.0), "EPSG:25833")
    assert look == LayerLook("terrain2", opacity=0.5, color_by="height", colormap="viridis",
                             color_range=(0.0, 30.0))
    assert project.bookmarks[0].layers[0] == LayerLook("terrain", visible=False)
    project.save(tmp_path / "again.toml")
    assert tomllib.loads((tmp_path / "again.toml").read_text()) == tomllib.loads(OLD_PROJECT.read_text())


def test_renaming_or_deleting_a_bookmark_changes_the_tours_that_name_it():
    walk = Tour("Walk", ("Overview", "Street", "Overview"))
    only = Tour("Only the street", ("Street",))
    bookmarks, tours = rename_bookmark([OVERVIEW, STREET], [walk, only], "Street", " After ")
    assert [bookmark.name for bookmark in bookmarks] == ["Overview", "After"]
    assert [tour.bookmarks for tour in tours] == [("Overview", "After", "Overview"), ("After",)]
    with pytest.raises(ProjectError, match="there is a bookmark 'Overview' already"):
        rename_bookmark(bookmarks, tours, "After", "Overview")
    with pytest.raises(ProjectError, match="needs a name"):
        rename_bookmark(bookmarks, tours, "After", "  ")
    bookmarks, tours = delete_bookmark(bookmarks, tours, "After")
    assert [bookmark.name for bookmark in bookmarks] == ["Overview"]
    assert tours == [Tour("Walk", ("Overview", "Overview"))]  # the street-only tour went with its stop
    assert unused_name("View", ["View", "View 2"]) == "View 3" and unused_name("New", ["View"]) == "New"
    assert moved(["a", "b", "c"], 2, -1) == ["a", "c", "b"] and moved(["a", "b"], 0, -5) == ["a", "b"]
