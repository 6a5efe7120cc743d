"""Drafting measures in the window: clicking on the off-screen terrain, undo and redo, the
Proposals panel, saving with the project, and refusing a shape that crosses itself."""

import json

import numpy as np
import pytest
import rasterio
import shapely
from PySide6.QtCore import QPoint, QSettings, Qt

from twin.core import Scene
from twin.core.project import Project
from twin.core.sketch import Shape, Sketch
from twin.io import read_layer, read_quarters
from twin.io.project import open_project
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession, session_for
from twin.qt.views import offscreen_view
from twin.render.sketch import display_position

pytestmark = pytest.mark.gui

# Map points in the grid of tests/conftest.py (411000-411200 E, 5654000-5654100 N), in the East quarter.
SQUARE = [(411120.0, 5654030.0), (411160.0, 5654030.0), (411160.0, 5654070.0), (411120.0, 5654070.0)]
BOWTIE = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]]  # the same corners in crossing order


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def make_window(qtbot, scene, settings, session) -> MainWindow:
    window = MainWindow(scene, offscreen_view, session=session, settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.resize(1000, 700)  # a smaller view draws each frame of the sketch sooner in software
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    qtbot.wait(10)  # the camera is placed on the first pass of the event loop after showing
    window.select_quarter("East")
    return window


@pytest.fixture
def window(qtbot, dtm_file, quarters_file, settings):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    return make_window(qtbot, scene, settings, ProjectSession(scene, name="test", quarters_file=quarters_file))


def pixel_of(window, x, y) -> QPoint:
    """Where the terrain at map point (x, y) shows in the view."""
    z = window.scene_view.ground().heights(np.array([x]), np.array([y]))[0]
    px, py = display_position(window.scene_view, (x, y, z))
    return QPoint(round(px), round(py))


def click_on_terrain(qtbot, window, points) -> None:
    for x, y in points:
        qtbot.mouseClick(window.view_widget, Qt.MouseButton.LeftButton, pos=pixel_of(window, x, y))


def dtm_height(dtm_file, x, y) -> float:
    with rasterio.open(dtm_file) as dtm:
        row, col = dtm.index(x, y)
        return float(dtm.read(1)[row, col])


def test_a_polygon_clicked_on_the_terrain_has_its_points_at_the_ground_height(qtbot, window, dtm_file):
    panel = window.proposals_panel
    assert panel.draft("retention_area", Shape.POLYGON)
    click_on_terrain(qtbot, window, SQUARE)

    vertices = panel.tool.state.vertices
    assert len(vertices) == 4
    for (x, y, z), (aimed_x, aimed_y) in zip(vertices, SQUARE, strict=True):
        assert abs(x - aimed_x) < 1.0 and abs(y - aimed_y) < 1.0  # within a pixel of the view
        assert z == dtm_height(dtm_file, x, y)  # the DTM's own height there, not the drawn mesh's
    assert window.scene_view.highlighted is None  # a click while drawing picks nothing
    qtbot.mouseDClick(window.view_widget, Qt.MouseButton.LeftButton, pos=pixel_of(window, *SQUARE[3]))

    assert not panel.tool.active
    [measure] = panel.proposals
    assert measure.kind == "retention_area" and measure.geometry.geom_type == "Polygon"
    assert len(measure.geometry.exterior.coords) == 5  # the double click on the last point added none
    assert measure.geometry.area == pytest.approx(1600.0, rel=0.05)


def test_undo_and_redo_restore_the_sketch_exactly(qtbot, window):
    panel, tool = window.proposals_panel, window.proposals_panel.tool
    panel.draft("unsealing", Shape.POLYGON)
    states = [tool.state]
    click_on_terrain(qtbot, window, SQUARE)
    states += [tool.state]
    corner = pixel_of(window, *SQUARE[2])
    qtbot.mousePress(window.view_widget, Qt.MouseButton.LeftButton, pos=corner)  # grabs the corner
    qtbot.mouseMove(window.view_widget, corner + QPoint(25, -10))
    qtbot.mouseRelease(window.view_widget, Qt.MouseButton.LeftButton, pos=corner + QPoint(25, -10))
    states += [tool.state]
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Delete)  # the moved point is the chosen one
    states += [tool.state]
    assert tool.history.count() == 6  # four points, a move, a delete
    assert states[-2].vertices[2] != states[-3].vertices[2] and len(states[-1].vertices) == 3

    undo, redo = panel.undo_group.undo, panel.undo_group.redo
    for expected in (states[-2], states[-3]):
        undo()
        assert tool.state == expected
    for _ in range(4):
        undo()
    assert tool.state == Sketch(Shape.POLYGON)
    for _ in range(6):
        redo()
    assert tool.state == states[-1]

    tool.finish()
    drawn = panel.proposals
    undo()  # after the drawing ends, undo takes the measure out again, and redo brings it back
    assert len(panel.proposals) == 0 and panel.measure_list.count() == 0
    redo()
    assert panel.proposals == drawn and panel.measure_list.count() == 1


def test_a_drawn_retention_area_is_in_the_panel_and_in_the_reopened_project(qtbot, window, tmp_path,
                                                                            settings):
    panel = window.proposals_panel
    panel.draft("retention_area", Shape.POLYGON)
    click_on_terrain(qtbot, window, SQUARE)
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)
    panel.title_edit.setText("Pond by the school")
    panel.author_edit.setText("K. Weber")
    panel.comment_edit.setPlainText("Stores the street's run-off in a storm.")
    panel._parameter_editors["depth_m"].setText("")
    panel._parameter_editors["volume_m3"].setText("900")
    assert panel.apply_form()
    assert panel.measure_list.item(0).text() == "Retention area: Pond by the school (K. Weber)"
    drawn = panel.proposals.measures[0]

    assert window.save_project(tmp_path / "workshop.toml")
    assert Project.load(tmp_path / "workshop.toml").proposals == tmp_path / "workshop_proposals.geojson"
    window.close()
    project = Project.load(tmp_path / "workshop.toml")
    opened = open_project(project)
    reopened = make_window(qtbot, opened.scene, settings, session_for(opened.scene, project))

    [measure] = reopened.proposals_panel.proposals
    assert (measure.id, measure.kind, measure.title, measure.author, measure.comment) == (
        drawn.id, "retention_area", "Pond by the school", "K. Weber", "Stores the street's run-off in a storm.")
    assert dict(measure.parameters) == {"volume_m3": 900.0}
    assert shapely.equals_exact(measure.geometry, drawn.geometry, tolerance=1e-6)
    assert reopened.proposals_panel.measure_list.count() == 1 and not reopened.session.dirty


def test_a_polygon_crossing_itself_is_refused_in_one_sentence_and_the_set_stays(qtbot, window):
    panel = window.proposals_panel
    panel.draft("retention_area", Shape.POLYGON)
    click_on_terrain(qtbot, window, SQUARE)
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)
    before = panel.proposals

    panel.draft("retention_area", Shape.POLYGON)
    click_on_terrain(qtbot, window, BOWTIE)
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)

    assert "edges cross each other" in window.last_error and "\n" not in window.last_error
    assert window.last_error.count(". ") == 0  # one sentence
    assert panel.proposals is before and panel.measure_list.count() == 1
    assert panel.tool.active and len(panel.tool.state.vertices) == 4  # kept, to be mended
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Escape)
    assert not panel.tool.active and panel.proposals is before


def test_compute_effect_runs_before_and_with_and_shows_the_difference(qtbot, window):
    panel = window.proposals_panel
    panel.draft("retention_area", Shape.POLYGON)
    click_on_terrain(qtbot, window, SQUARE)
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)
    simulations = window.simulation_panel
    simulations.select_simulation("flood")
    simulations.form.set_values({"rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 10.0,
                                 "duration_min": 10.0})
    simulations.seed_edit.setText("3")

    job = window.proposals_effect.compute()
    assert job is not None
    with qtbot.waitSignal(window.proposals_effect.shown, timeout=120_000):
        pass

    before, with_proposals = window.scene.runs
    assert "before" in before.scenario and "with the proposals" in with_proposals.scenario
    assert window.reports.current_run is before and window.reports.compared_run is with_proposals
    difference = window.proposals_effect.difference
    assert difference is not None and difference in window.scene.layers
    changed = np.abs(np.nan_to_num(difference.data.values)) > 1e-6
    assert changed.any()  # the lowered pond holds water the run before spread elsewhere
    assert window.reports_dock.isVisible()


def test_compute_effect_without_measures_is_one_sentence(qtbot, window):
    window.simulation_panel.select_simulation("flood")
    assert window.proposals_effect.compute() is None
    assert window.last_error == "draft at least one measure before computing its effect"
    assert window.scene.runs == []


def test_a_measures_shape_is_edited_on_the_terrain_and_the_edit_undone(qtbot, window, dtm_file):
    panel = window.proposals_panel
    panel.draft("unsealing", Shape.POLYGON)
    click_on_terrain(qtbot, window, SQUARE)
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)
    drawn = panel.proposals.measures[0]

    assert panel.reshape_selected()
    assert [(x, y) for x, y, _ in panel.tool.state.vertices] == list(drawn.geometry.exterior.coords)[:-1]
    assert all(z == dtm_height(dtm_file, x, y) for x, y, z in panel.tool.state.vertices)
    panel.draft("unsealing", Shape.POLYGON)  # another drawing begun instead: the edit is dropped
    assert len(panel.tool.state.vertices) == 0 and panel.undo_group.activeStack() is panel.tool.history
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Escape)

    panel.measure_list.setCurrentRow(0)
    panel.reshape_selected()
    corner = pixel_of(window, *panel.tool.state.vertices[0][:2])
    qtbot.mousePress(window.view_widget, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseMove(window.view_widget, corner + QPoint(-20, 0))
    qtbot.mouseRelease(window.view_widget, Qt.MouseButton.LeftButton, pos=corner + QPoint(-20, 0))
    qtbot.keyClick(window.view_widget, Qt.Key.Key_Return)

    [reshaped] = panel.proposals
    assert reshaped.id == drawn.id and not reshaped.geometry.equals(drawn.geometry)
    panel.undo_group.undo()
    assert panel.proposals.measures[0].geometry.equals(drawn.geometry)


def test_importing_proposals_adds_them_as_one_edit_and_a_bad_file_changes_nothing(qtbot, window, tmp_path):
    def feature(identifier, ring):
        return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"id": identifier, "kind": "unsealing", "title": "Yard"}}

    square = [list(point) for point in (*SQUARE, SQUARE[0])]
    bowtie = [list(point) for point in (*BOWTIE, BOWTIE[0])]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}
    good, bad = tmp_path / "good.geojson", tmp_path / "bad.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "crs": crs,
                                "features": [feature("yard", square)]}), encoding="utf-8")
    bad.write_text(json.dumps({"type": "FeatureCollection", "crs": crs,
                               "features": [feature("yard", bowtie)]}), encoding="utf-8")
    panel = window.proposals_panel

    assert panel.import_file(good) and panel.import_file(good)  # the second yard gets an id of its own
    assert [measure.id for measure in panel.proposals] == ["yard", "unsealing-1"]
    before = panel.proposals
    assert not panel.import_file(bad)
    assert str(bad) in window.last_error and "crosses itself" in window.last_error
    assert "\n" not in window.last_error and panel.proposals is before
    panel.undo_group.undo()
    assert [measure.id for measure in panel.proposals] == ["yard"]
