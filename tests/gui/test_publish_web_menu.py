"""File > Publish for the web...: the saved project becomes a site in the background, limited to
the quarter chosen in the toolbar; an unsaved project is saved first, after asking."""

import json

import pytest

from twin.qt.publish_web import MENU_TEXT, publish_for_web

pytestmark = pytest.mark.gui


def test_the_file_menu_offers_publishing(window):
    file_menu = window.menuBar().actions()[0].menu()
    assert MENU_TEXT in [action.text() for action in file_menu.actions()]


def test_the_chosen_quarter_is_published_in_the_background(qtbot, window, tmp_path):
    assert window.save_project(tmp_path / "work" / "terrain.toml")
    window.quarter_box.setCurrentText("West")
    job = publish_for_web(window, tmp_path / "site")
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    assert window.last_error == ""
    assert (tmp_path / "site" / "index.html").is_file()
    scene_data = (tmp_path / "site" / "scene-data.js").read_text(encoding="utf-8")
    assert [view["name"] for view in json.loads(scene_data[scene_data.index("{"):scene_data.rindex("}") + 1])
            ["quarters"]] == ["West"]


def test_an_unsaved_project_is_saved_first_or_nothing_is_published(window, tmp_path, monkeypatch):
    import twin.qt.publish_web as publish_web

    asked = []
    monkeypatch.setattr(publish_web, "_saved_first", lambda shell: asked.append(shell) or False)
    assert publish_for_web(window, tmp_path / "site") is None and asked == [window]
    assert not (tmp_path / "site").exists()
