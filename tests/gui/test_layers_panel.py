"""The layers panel, driven like a user: clicks, keys and edited values change the scene."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QStyle, QToolButton

from tests.conftest import REFERENCE
from twin.core import Scene
from twin.core.data import ResultRaster, ResultTable
from twin.core.layers import result_layer
from twin.core.scene import RunRecord
from twin.io import read_layer
from twin.qt.layers_panel import (
    COLOUR_MAPS,
    LayersPanel,
    group_move,
    layer_facts,
    layer_groups,
)
from twin.render import SceneView

pytestmark = pytest.mark.gui

DRESDEN_LOD2 = REFERENCE / "citygml" / "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"


@pytest.fixture
def scene(dtm_file) -> Scene:
    """Two terrain layers and the 14 Dresden LoD2 buildings, in that drawing order."""
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain A"))
    scene.add_layer(read_layer(DRESDEN_LOD2, name="buildings"))
    scene.add_layer(read_layer(dtm_file, name="terrain B"))
    return scene


@pytest.fixture
def panel(qtbot, scene) -> LayersPanel:
    panel = LayersPanel(scene)
    qtbot.addWidget(panel)
    panel.resize(340, 640)
    panel.show()
    return panel


def flood_run(scene: Scene) -> RunRecord:
    """A finished run with a depth grid over the terrain and a per-building table."""
    terrain = scene.layers_of_kind("raster")[0].data
    depth = np.linspace(0.0, 1.5, terrain.values.size * 2, dtype=np.float32).reshape(2, *terrain.shape)
    grid = ResultRaster("depth", depth, terrain.transform, terrain.crs, "m", "water depth",
                        times=np.array([0.0, 600.0]))
    table = ResultTable("flooded", "buildings", {"depth_m": np.linspace(0, 1, 14)}, {"depth_m": "m"},
                        labels={"depth_m": "depth at the wall"})
    record = RunRecord("r1", "flood", "Heavy rain T100", 1, {}, {}, {})
    scene.add_run(record, [result_layer(grid, "Flood: depth", run_id="r1"),
                           result_layer(table, "Flood: buildings", run_id="r1")])
    return record


def tree_rows(panel: LayersPanel) -> list[tuple[str, list[str]]]:
    """What the tree view shows: each group's text and its rows' texts, through the view's model."""
    model = panel.tree.model()
    groups = [model.index(number, 0) for number in range(model.rowCount())]
    return [(group.data(), [model.index(row, 0, group).data() for row in range(model.rowCount(group))])
            for group in groups]


def group_row(panel: LayersPanel, number: int) -> QModelIndex:
    return panel.tree.model().index(number, 0)


def select(panel: LayersPanel, qtbot, name: str) -> None:
    """Click the layer's row."""
    rect = panel.tree.visualRect(panel.index_of(panel.scene.layer(name)))
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.selected_layer() is panel.scene.layer(name)


def click_check_box(panel: LayersPanel, qtbot, index: QModelIndex) -> None:
    """Click the check box at the start of a row (after the branch indicator)."""
    rect = panel.tree.visualRect(index)
    box = rect.topLeft() + QPoint(panel.tree.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) // 2 + 2,
                                  rect.height() // 2)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=box)


def type_number(qtbot, spin, text: str) -> None:
    """Click into a spin box, select its number, type over it and press Enter."""
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    assert spin.hasFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def button_of(panel: LayersPanel, action) -> QToolButton:
    return next(button for button in panel.findChildren(QToolButton) if button.defaultAction() is action)


def names(scene: Scene) -> list[str]:
    return [layer.name for layer in scene.layers]


# --- Headless parts ------------------------------------------------------------------------------

def test_groups_are_ordered_by_their_topmost_layer_and_results_sit_under_their_run(scene):
    record = flood_run(scene)
    groups = layer_groups(list(scene.layers), scene.runs)
    assert [(group.title, [layer.name for layer in group.layers]) for group in groups] == [
        ("Heavy rain T100 (flood run)", ["Flood: buildings", "Flood: depth"]),
        ("Terrain and rasters", ["terrain B", "terrain A"]),
        ("Buildings", ["buildings"]),
    ]
    scene.runs.remove(record)  # a result without its run record still has a place
    assert layer_groups(list(scene.layers), scene.runs)[0].title == "Results"


def test_a_group_move_swaps_neighbours_and_keeps_every_group_in_place(scene):
    layers, runs = list(scene.layers), scene.runs
    terrain_a = scene.layer("terrain A")
    assert group_move(layers, runs, terrain_a, -1) is None  # already the lowest terrain
    scene.layers.move(*group_move(layers, runs, terrain_a, +1))
    assert names(scene) == ["buildings", "terrain B", "terrain A"]
    scene.layers.move(*group_move(list(scene.layers), runs, terrain_a, -1))
    assert names(scene) == ["buildings", "terrain A", "terrain B"]
    assert [group.title for group in layer_groups(list(scene.layers), runs)] == [
        "Terrain and rasters", "Buildings"]


def test_facts_ranges_and_labels_come_from_the_data(scene, dtm_file):
    terrain, buildings = scene.layer("terrain A"), scene.layer("buildings")
    assert layer_facts(terrain) == ["50 x 100 cells at 2 m", "CRS: EPSG:25833", f"File: {dtm_file}"]
    assert layer_facts(buildings)[0] == f"14 buildings, {len(buildings.data.triangles):,} triangles"
    heights = terrain.data.values
    assert terrain.value_range("elevation") == (float(np.nanmin(heights)), float(np.nanmax(heights)))
    assert terrain.attribute_label("elevation") == "elevation (m)"
    # units come from the data, never from a name: a building's 'measured_height' declares none
    assert buildings.attribute_label("measured_height") == "measured height"
    flood_run(scene)
    table = scene.layer("Flood: buildings")
    assert table.attribute_label("depth_m") == "depth at the wall (m)"
    assert layer_facts(table)[:2] == ["14 values per feature of 'buildings'", "CRS: that of layer 'buildings'"]
    assert layer_facts(scene.layer("Flood: depth"))[0] == "50 x 100 cells of m, 2 time steps"


def test_every_offered_colour_map_colours_a_mesh_in_pyvista():
    mesh = pv.Plane(i_resolution=4, j_resolution=4)
    mesh["value"] = np.arange(mesh.n_points, dtype=float)
    plotter = pv.Plotter(off_screen=True, window_size=(64, 64))
    for name in COLOUR_MAPS:
        actor = plotter.add_mesh(mesh, scalars="value", cmap=name, name="probe")
        table = actor.mapper.lookup_table
        assert table.GetTableValue(0) != table.GetTableValue(table.GetNumberOfTableValues() - 1), name
    plotter.close()


# --- The tree ------------------------------------------------------------------------------------

def test_the_tree_lists_groups_top_first_with_tooltips(panel, dtm_file):
    assert tree_rows(panel) == [("Terrain and rasters  (2)", ["terrain B", "terrain A"]),
                                ("Buildings  (1)", ["buildings"])]
    tooltip = panel.index_of(panel.scene.layer("buildings")).data(Qt.ItemDataRole.ToolTipRole)
    assert "14 buildings" in tooltip and "EPSG:25833" in tooltip and DRESDEN_LOD2.name in tooltip


def test_the_tree_follows_the_scene(panel, scene, dtm_file):
    scene.add_layer(read_layer(dtm_file, name="terrain C"))
    assert tree_rows(panel)[0] == ("Terrain and rasters  (3)", ["terrain C", "terrain B", "terrain A"])
    scene.remove_layer("terrain B")
    scene.layer("terrain A").name = "DTM 2 m"
    scene.layer("buildings").visible = False
    assert tree_rows(panel)[0] == ("Terrain and rasters  (2)", ["terrain C", "DTM 2 m"])
    check = panel.index_of(scene.layer("buildings")).data(Qt.ItemDataRole.CheckStateRole)
    assert Qt.CheckState(check) == Qt.CheckState.Unchecked
    scene.layers.move(1, 3)  # the buildings now lie above all terrain
    assert [title for title, _ in tree_rows(panel)] == ["Buildings  (1)", "Terrain and rasters  (2)"]
    flood_run(scene)
    assert tree_rows(panel)[0] == ("Heavy rain T100 (flood run)  (2)", ["Flood: buildings", "Flood: depth"])


def test_space_and_the_group_box_show_and_hide_layers(panel, scene, qtbot):
    select(panel, qtbot, "terrain A")
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    assert scene.layer("terrain A").visible is False
    group = group_row(panel, 0)
    assert Qt.CheckState(group.data(Qt.ItemDataRole.CheckStateRole)) == Qt.CheckState.PartiallyChecked
    click_check_box(panel, qtbot, group)  # a half-ticked group hides all, whatever Qt would tick
    assert not scene.layer("terrain A").visible and not scene.layer("terrain B").visible
    assert Qt.CheckState(group.data(Qt.ItemDataRole.CheckStateRole)) == Qt.CheckState.Unchecked
    click_check_box(panel, qtbot, group)  # and the next click shows all
    assert scene.layer("terrain A").visible and scene.layer("terrain B").visible
    assert scene.layer("buildings").visible


def test_moving_by_button_and_keys_reorders_the_scene(panel, scene, qtbot):
    select(panel, qtbot, "terrain A")
    assert not panel.move_down_action.isEnabled()
    qtbot.mouseClick(button_of(panel, panel.move_up_action), Qt.MouseButton.LeftButton)
    assert names(scene) == ["buildings", "terrain B", "terrain A"]
    assert panel.selected_layer() is scene.layer("terrain A")  # the selection follows the layer
    assert not panel.move_up_action.isEnabled()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert names(scene) == ["buildings", "terrain A", "terrain B"]
    assert tree_rows(panel)[0][1] == ["terrain B", "terrain A"]


def test_remove_asks_first_and_removes_through_the_scene(panel, scene, qtbot, monkeypatch):
    asked = []
    answer = False
    monkeypatch.setattr(panel, "confirm_removal", lambda layers: asked.append(list(layers)) or answer)
    select(panel, qtbot, "terrain B")
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert asked == [[scene.layer("terrain B")]] and "terrain B" in names(scene)
    answer = True
    qtbot.mouseClick(button_of(panel, panel.remove_action), Qt.MouseButton.LeftButton)
    assert names(scene) == ["terrain A", "buildings"]
    assert panel.selected_layer() is scene.layer("terrain A")  # the next row down takes the selection


def test_removing_a_group_removes_all_its_layers_after_one_question(panel, scene, monkeypatch):
    flood_run(scene)
    asked = []
    monkeypatch.setattr(panel, "confirm_removal", lambda layers: asked.append(len(layers)) or True)
    panel.tree.setCurrentIndex(group_row(panel, 0))
    panel.remove_action.trigger()
    assert asked == [2] and names(scene) == ["terrain A", "buildings", "terrain B"]


def test_the_confirmation_dialog_removes_only_on_remove(panel, scene, qtbot):
    def answer(button_text: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and "'buildings'" in box.text()
        next(button for button in box.buttons() if button.text().replace("&", "") == button_text).click()

    select(panel, qtbot, "buildings")
    QTimer.singleShot(0, lambda: answer("Cancel"))
    panel.remove_selected()
    assert "buildings" in names(scene)
    QTimer.singleShot(0, lambda: answer("Remove"))
    panel.remove_selected()
    assert "buildings" not in names(scene)


def test_the_context_menu_offers_what_applies_to_the_row(panel, scene, qtbot, monkeypatch):
    rect = panel.tree.visualRect(panel.index_of(scene.layer("terrain B")))
    menu = panel.context_menu(rect.center())
    assert panel.selected_layer() is scene.layer("terrain B")
    assert [action.text() for action in menu.actions() if action.text()] == [
        "Zoom to layer", "Move down", "Remove..."]  # the top terrain cannot move further up
    monkeypatch.setattr(panel, "confirm_removal", lambda layers: True)
    next(action for action in menu.actions() if action.text() == "Remove...").trigger()
    assert names(scene) == ["terrain A", "buildings"]
    assert panel.context_menu(panel.tree.viewport().rect().bottomLeft()) is None  # below the rows


def test_zoom_and_selection_are_announced(panel, scene, qtbot):
    with qtbot.waitSignal(panel.selection_changed) as selected:
        select(panel, qtbot, "buildings")
    assert selected.args == [scene.layer("buildings")]
    with qtbot.waitSignal(panel.zoom_requested) as zoom:
        qtbot.mouseClick(button_of(panel, panel.zoom_action), Qt.MouseButton.LeftButton)
    assert zoom.args == [scene.layer("buildings")]
    with qtbot.waitSignal(panel.selection_changed) as selected:
        panel.tree.setCurrentIndex(group_row(panel, 0))
    assert selected.args == [None] and not panel.style_box.isEnabled()


# --- The style area ------------------------------------------------------------------------------

def test_opacity_colour_by_and_colour_map_change_the_layer(panel, scene, qtbot):
    buildings = scene.layer("buildings")
    select(panel, qtbot, "buildings")
    panel.opacity_slider.setValue(40)
    assert buildings.opacity == pytest.approx(0.4) and panel.opacity_value.text() == "40 %"
    combo = panel.color_by_combo
    assert [combo.itemText(row) for row in range(combo.count())][:2] == ["Default colours",
                                                                        "year of construction"]
    assert not panel.colormap_combo.isEnabled()
    combo.setCurrentIndex(combo.findData("measured_height"))
    assert buildings.color_by == "measured_height" and buildings.color_range is None
    assert panel.colormap_combo.isEnabled() and panel.auto_range_check.isChecked()
    panel.colormap_combo.setCurrentIndex(panel.colormap_combo.findData("YlOrRd"))
    assert buildings.colormap == "YlOrRd" and buildings.color_by == "measured_height"
    combo.setCurrentIndex(0)
    assert buildings.color_by is None


def test_a_fixed_range_applies_and_auto_returns_to_the_data_range(panel, scene, qtbot):
    terrain = scene.layer("terrain A")
    select(panel, qtbot, "terrain A")
    panel.color_by_combo.setCurrentIndex(panel.color_by_combo.findData("elevation"))
    assert not panel.low_spin.isEnabled()
    low, high = terrain.value_range("elevation")
    assert (panel.low_spin.value(), panel.high_spin.value()) == pytest.approx((low, high), abs=0.01)
    assert panel.low_spin.suffix() == " m"
    panel.auto_range_check.click()
    assert terrain.color_range == pytest.approx((low, high), abs=0.01)
    type_number(qtbot, panel.high_spin, "115")
    assert terrain.color_range == pytest.approx((low, 115.0), abs=0.01)
    panel.auto_range_check.click()
    assert terrain.color_range is None and not panel.high_spin.isEnabled()


def test_a_range_with_low_above_high_is_refused_visibly(panel, scene, qtbot):
    terrain = scene.layer("terrain A")
    select(panel, qtbot, "terrain A")
    panel.color_by_combo.setCurrentIndex(panel.color_by_combo.findData("elevation"))
    panel.auto_range_check.click()
    kept = terrain.color_range
    type_number(qtbot, panel.low_spin, "500")
    assert terrain.color_range == kept
    assert panel.range_message.isVisible() and "must be below" in panel.range_message.text()
    panel.low_spin.setValue(kept[0] + 1)  # fixing it applies it and clears the message
    assert terrain.color_range == pytest.approx((kept[0] + 1, kept[1]))
    assert not panel.range_message.isVisible()


def test_the_style_area_follows_changes_made_elsewhere(panel, scene, qtbot):
    buildings = scene.layer("buildings")
    select(panel, qtbot, "buildings")
    buildings.set_style("year_of_construction", "cividis", (1850.0, 2000.0))
    buildings.opacity = 0.25
    assert panel.color_by_combo.currentData() == "year_of_construction"
    assert panel.colormap_combo.currentData() == "cividis"
    assert not panel.auto_range_check.isChecked() and panel.high_spin.value() == 2000.0
    assert panel.opacity_slider.value() == 25
    assert panel.style_box.title() == "Style of 'buildings'"


def test_a_deleted_panel_no_longer_listens_to_the_scene(qtbot, scene, dtm_file):
    panel = LayersPanel(scene)
    panel.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(panel)
    # A call into the deleted widget would raise out of these scene changes.
    scene.add_layer(read_layer(dtm_file, name="later"))
    scene.layer("later").visible = False
    scene.layer("buildings").set_style("measured_height")


def test_panel_edits_reach_the_3d_view(panel, scene, qtbot):
    plotter = pv.Plotter(off_screen=True, window_size=(160, 120))
    view = SceneView(scene, plotter)
    terrain = scene.layer("terrain A")
    select(panel, qtbot, "terrain A")
    panel.color_by_combo.setCurrentIndex(panel.color_by_combo.findData("elevation"))
    panel.colormap_combo.setCurrentIndex(panel.colormap_combo.findData("terrain"))
    panel.auto_range_check.click()
    type_number(qtbot, panel.high_spin, "115")
    panel.opacity_slider.setValue(30)
    actor = view.actor_of(terrain)
    assert actor.mapper.scalar_range == pytest.approx((terrain.color_range[0], 115.0))
    assert actor.GetProperty().GetOpacity() == pytest.approx(0.3)
    select(panel, qtbot, "buildings")
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    assert not view.actor_of(scene.layer("buildings")).GetVisibility()
    plotter.close()


def test_adding_a_layer_to_200_inserts_one_row_and_keeps_the_others_in_place(qtbot, dtm_file):
    from twin.core.layers import RasterLayer

    terrain = read_layer(dtm_file).data
    scene = Scene()
    for number in range(200):
        scene.add_layer(RasterLayer(terrain, f"tile {number}"))
    panel = LayersPanel(scene)
    qtbot.addWidget(panel)
    model = panel.tree.model()
    panel.select_layer(scene.layer("tile 7"))
    kept = QPersistentModelIndex(panel.index_of(scene.layer("tile 7")))
    changes: list[tuple] = []
    model.rowsInserted.connect(lambda parent, first, last: changes.append(("inserted", parent.data(), first)))
    model.rowsRemoved.connect(lambda parent, first, last: changes.append(("removed", first)))
    model.rowsMoved.connect(lambda parent, first, last, to, row: changes.append(("moved", first, row)))
    model.modelReset.connect(lambda: changes.append(("reset",)))
    model.layoutChanged.connect(lambda: changes.append(("layout",)))
    scene.add_layer(RasterLayer(terrain, "tile 200"))
    assert changes == [("inserted", "Terrain and rasters  (201)", 0)]
    assert kept.isValid() and kept.row() == 193 and panel.selected_layer() is scene.layer("tile 7")
    changes.clear()
    scene.remove_layer("tile 3")
    scene.layers.move(0, 5)  # tile 0 goes up past tiles 1, 2, 4 and 5
    assert changes == [("removed", 197), ("moved", 199, 195)]
    assert tree_rows(panel)[0][1] == [layer.name for layer in reversed(scene.layers)]
    assert panel.selected_layer() is scene.layer("tile 7")


def test_focus_alone_chooses_no_row_to_remove(panel, qtbot):
    panel.tree.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(panel.tree.hasFocus)
    assert panel.selected_layer() is None and not panel.remove_action.isEnabled()


def test_a_run_result_offers_its_difference_with_another_run_of_the_simulation(panel, scene):
    from twin.sim.difference import DifferenceRasterLayer

    flood_run(scene)
    terrain = scene.layers_of_kind("raster")[0].data
    deeper = ResultRaster("depth", np.full((2, *terrain.shape), 2.0, np.float32), terrain.transform, terrain.crs,
                          "m", "water depth", times=np.array([0.0, 600.0]))
    second = RunRecord("r2", "flood", "Heavy rain T1000", 1, {}, {}, {})
    scene.add_run(second, [result_layer(deeper, "T1000: depth", run_id="r2")])
    rect = panel.tree.visualRect(panel.index_of(scene.layer("Flood: depth")))
    menu = panel.context_menu(rect.center())
    differences = next(action.menu() for action in menu.actions() if action.menu() is not None)
    assert differences.title() == "Difference of depth (m) with"
    offered = differences.actions()
    assert [action.text() for action in offered] == ["Heavy rain T1000 − Heavy rain T100"]
    offered[0].trigger()
    layer = scene.layers[-1]
    assert isinstance(layer, DifferenceRasterLayer) and panel.selected_layer() is layer
    np.testing.assert_allclose(layer.data.values, 2.0 - scene.layer("Flood: depth").data.values)
    assert not scene.layer("Flood: depth").visible and not scene.layer("T1000: depth").visible
    rect = panel.tree.visualRect(panel.index_of(scene.layer("Flood: buildings")))
    menu = panel.context_menu(rect.center())  # the other run has no building table: nothing to subtract
    assert all(action.menu() is None for action in menu.actions())
