"""`main.py --screenshot`: the window opened from a saved project is grabbed once it has settled."""

from PySide6.QtGui import QImage

from twin.core.project import LayerEntry, Project, ViewState
from twin.io.project import open_project
from twin.qt.app import project_window, save_screenshot
from twin.qt.views import offscreen_view


def test_a_screenshot_of_a_saved_project_shows_the_simulation_input_combos(qtbot, tmp_path, dtm_file,
                                                                           quarters_file):
    # The saved quarter is chosen once the window shows, which rebuilds the input combos: the case
    # where the demo's screenshot showed an empty "Input layers" box.
    Project("saved", quarters_file=quarters_file, layers=[LayerEntry(path=dtm_file, name="terrain")],
            view=ViewState(quarter="West")).save(tmp_path / "saved.toml")
    loaded = Project.load(tmp_path / "saved.toml")
    window = project_window(loaded, open_project(loaded), offscreen_view)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.simulation_panel.select_simulation("flood")
    window.show()
    assert save_screenshot(window, tmp_path / "shot.png")
    # nothing has run since the grab: the window is as the picture shows it
    assert window.quarter_box.currentText() == "West"
    combos = window.simulation_panel.slot_combos
    assert combos["terrain"].currentText() == "terrain"
    for combo in combos.values():
        assert combo.isVisible() and combo.height() > 0 and combo.width() > 0
        assert combo.geometry().bottom() < window.simulation_panel.inputs_box.height()
    picture = QImage(str(tmp_path / "shot.png"))
    assert (picture.width(), picture.height()) == (window.width(), window.height())
