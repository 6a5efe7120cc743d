"""The bookmarks panel: views kept with the project, changed in the panel, tours played in the view."""

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QSettings

from twin.core import Scene
from twin.core.project import Camera, Project
from twin.io import read_layer, read_quarters
from twin.io.project import open_project
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession, session_for
from twin.qt.views import offscreen_view

ABOVE = Camera((411_500.0, 5_653_950.0, 600.0), (411_500.0, 5_654_000.0, 110.0), (0.0, 1.0, 0.0))
SIDE = Camera((411_200.0, 5_653_700.0, 300.0), (411_500.0, 5_654_000.0, 110.0))


def make_window(qtbot, scene, tmp_path, session=None):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=session or ProjectSession(scene, name="test"),
                        settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    return window


@pytest.fixture
def window(qtbot, dtm_file, quarters_file, tmp_path):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    return make_window(qtbot, scene, tmp_path)


def add_two(window):
    """Two bookmarks made in the panel: 'The bowl' from above, 'Side' from the south-west, half clear."""
    panel = window.bookmarks_panel
    window.scene_view.set_camera(ABOVE)
    panel.add_bookmark("The bowl", "Seen from above")
    window.scene_view.set_camera(SIDE)
    window.scene.layer("terrain").opacity = 0.5
    panel.add_bookmark("Side")
    return panel


def test_a_bookmark_added_in_the_panel_survives_save_and_reopen(qtbot, window, tmp_path):
    panel = add_two(window)
    assert window.session.dirty and window.bookmarks_dock.windowTitle() == "Bookmarks"
    assert [panel.bookmark_list.item(row).text() for row in range(2)] == ["The bowl", "Side"]
    assert window.save_project(tmp_path / "kept.toml") and not window.session.dirty
    project = Project.load(tmp_path / "kept.toml")
    assert [bookmark.name for bookmark in project.bookmarks] == ["The bowl", "Side"]
    bowl = project.bookmarks[0]
    assert bowl.caption == "The bowl" and bowl.text == "Seen from above"
    assert np.allclose(bowl.camera.position, ABOVE.position)
    assert project.bookmarks[1].layers[0].opacity == 0.5
    reopened = make_window(qtbot, open_project(project).scene, tmp_path / "again",
                           session_for(open_project(project).scene, project))
    assert reopened.bookmarks_panel.bookmark_list.count() == 2
    reopened.bookmarks_panel.go_to("The bowl")
    assert np.allclose(reopened.scene_view.camera().position, ABOVE.position)
    assert reopened.scene.layer("terrain").opacity == 1.0  # the bookmark's look of the layer


def test_rename_reorder_update_and_delete_change_the_project_and_its_tours(qtbot, window, tmp_path):
    panel = add_two(window)
    panel.make_tour(["Side", "The bowl"])  # in the list's order, not the order chosen
    assert panel.tours[0].bookmarks == ("The bowl", "Side")
    window.save_project(tmp_path / "p.toml")
    assert panel.rename("The bowl", "Bowl") and window.session.dirty
    assert [bookmark.name for bookmark in panel.bookmarks] == ["Bowl", "Side"]
    assert panel.tours[0].bookmarks == ("Bowl", "Side")
    assert not panel.rename("Bowl", "Side")  # names must differ: one sentence, nothing changed
    assert [bookmark.name for bookmark in panel.bookmarks] == ["Bowl", "Side"]
    panel.move("Side", -1)
    assert [bookmark.name for bookmark in panel.bookmarks] == ["Side", "Bowl"]
    # a drag in the list moves the bookmark the same way
    panel.bookmark_list.model().moveRows(QModelIndex(), 1, 1, QModelIndex(), 0)
    qtbot.waitUntil(lambda: [bookmark.name for bookmark in panel.bookmarks] == ["Bowl", "Side"])
    window.scene_view.set_camera(ABOVE)
    panel.update_from_view("Side")
    assert np.allclose(panel.bookmarks[1].camera.position, ABOVE.position)
    panel.delete(["Bowl"])
    assert [bookmark.name for bookmark in panel.bookmarks] == ["Side"] and panel.tours[0].bookmarks == ("Side",)
    window.save_project()
    saved = Project.load(tmp_path / "p.toml")
    assert [bookmark.name for bookmark in saved.bookmarks] == ["Side"]
    assert [tour.bookmarks for tour in saved.tours] == [("Side",)]


def test_renaming_in_place_edits_the_item_text(qtbot, window):
    panel = add_two(window)
    panel.bookmark_list.item(1).setText("South-west")
    qtbot.waitUntil(lambda: [bookmark.name for bookmark in panel.bookmarks] == ["The bowl", "South-west"])


def test_a_tour_made_in_the_panel_plays_to_its_last_bookmark_and_stops(qtbot, window):
    panel = add_two(window)
    tour = panel.make_tour(["The bowl", "Side"])
    panel.play(tour.name)
    assert panel.player.playing and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.player.playing, timeout=20_000)
    assert np.allclose(window.scene_view.camera().position, SIDE.position)
    assert panel.player.shown == sorted(panel.player.shown) and panel.player.shown[-1] == \
        len(panel.player.frames) - 1
    panel.play(tour.name)
    panel.stop_button.click()
    assert not panel.player.playing


def test_a_tours_stops_reorder_in_the_panel_and_the_order_is_saved(qtbot, window, tmp_path):
    panel = add_two(window)
    window.scene_view.set_camera(ABOVE)
    panel.add_bookmark("Third")
    tour = panel.make_tour(["The bowl", "Side", "Third"])
    stops = [panel.stop_list.item(row).text() for row in range(panel.stop_list.count())]
    assert stops == ["The bowl", "Side", "Third"]
    panel.stop_list.setCurrentRow(2)
    panel.stop_up_button.click()  # the Earlier button, as a user presses it
    assert panel.tours[0].bookmarks == ("The bowl", "Third", "Side")
    assert panel.stop_list.currentRow() == 1 and window.session.dirty
    # a drag in the stops list reorders the tour the same way
    panel.stop_list.model().moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)
    qtbot.waitUntil(lambda: panel.tours[0].bookmarks == ("Third", "Side", "The bowl"))
    assert [bookmark.name for bookmark in panel.bookmarks] == ["The bowl", "Side", "Third"]  # untouched
    panel.move_stop(tour.name, 0, 1)
    assert panel.tours[0].bookmarks == ("Side", "Third", "The bowl")
    window.save_project(tmp_path / "stops.toml")
    assert Project.load(tmp_path / "stops.toml").tours[0].bookmarks == ("Side", "Third", "The bowl")
    with pytest.raises(ValueError, match="only their order can change"):
        panel.reorder_stops(tour.name, ["Side", "Third"])
