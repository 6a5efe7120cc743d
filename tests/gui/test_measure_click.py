"""A proposed measure answers a click in the 3D view: its shape (a new building's block, a pond, a tree
row, a green roof over its building) selects it in the Proposals list and shows it in the inspector,
with a new building's row of the energy difference after Compute effect; a feature of a layer in
front of no measure is inspected as before."""

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt

from tests.gui import test_effect_views
from tests.gui.test_proposals_effect import CRS, POND, compute_effect
from twin.core.data import SurfaceKind
from twin.core.proposals import Measure, ProposalSet
from twin.core.report_tables import feature_rows
from twin.render.picking import Pick
from twin.render.proposal_visuals import extruded
from twin.render.results import row_of
from twin.render.sketch import display_position
from twin.sim.proposal_inputs import new_building_height

pytestmark = pytest.mark.gui
energy_window = test_effect_views.energy_window  # its window on the test's buildings, as a fixture here
buildings_scene = test_effect_views.buildings_scene  # the fixture that window builds on


def click_from_above(qtbot, window, point) -> None:
    """Look straight down on a map point (x, y, z) and click where it shows, as a user does."""
    view = window.scene_view
    local = np.asarray(point, dtype=float) - np.asarray(view.origin)
    camera = view.plotter.camera
    camera.focal_point, camera.position, camera.up = local, local + (0.0, 0.0, 150.0), (0.0, 1.0, 0.0)
    view.plotter.reset_camera_clipping_range()
    window.refresh_view()
    x, y = display_position(view, point)
    ratio = window.view_widget.devicePixelRatioF()  # render-window pixels to Qt's logical ones
    qtbot.mouseClick(window.view_widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x / ratio), round(y / ratio)))


def inspected(window) -> list[str]:
    """The values the inspector shows."""
    return [value for _label, value in inspected_rows(window)]


def inspected_rows(window) -> list[tuple[str, str]]:
    """The inspector's (label, value) rows, its section titles left out."""
    table = window.inspector.table
    return [(table.item(row, 0).text(), table.item(row, 1).text()) for row in range(table.rowCount())
            if table.item(row, 1) is not None]


def roof_centre(stock, index: int) -> np.ndarray:
    """The middle of a building's largest roof triangle."""
    roofs = stock.vertices[stock.triangles[(stock.triangle_building == index)
                                           & (stock.triangle_surface == SurfaceKind.ROOF)]]
    areas = np.linalg.norm(np.cross(roofs[:, 1] - roofs[:, 0], roofs[:, 2] - roofs[:, 0]), axis=1)
    return roofs[np.argmax(areas)].mean(axis=0)


def test_a_click_on_a_new_buildings_block_shows_the_measure_and_its_energy_change(qtbot, tmp_path,
                                                                                   energy_window):
    window = energy_window
    stock = window.scene.layer("buildings").data
    x, y = shapely.get_coordinates(stock.footprints[0])[0]
    kita = Measure("kita", "new_building", "Kindergarten", shapely.box(x + 40, y + 40, x + 70, y + 60),
                   {"storeys": 2, "use": "kindergarten", "construction_year": 2028},
                   author="Anna", comment="for the families of the new flats")
    compute_effect(qtbot, window, "energy", {}, ProposalSet((kita,), CRS))
    layer = window.proposals_effect.difference
    row = row_of(layer.data, "kita")
    window.result_tables.show_layer(layer)

    view = window.scene_view
    height, _ = new_building_height(kita)
    block = extruded(kita.geometry, view.ground(), height, view.origin)
    click_from_above(qtbot, window, np.asarray(block.center) + np.asarray(view.origin) + (0, 0, height / 2))

    inspector = window.inspector
    assert inspector.shown == (layer, row)  # the difference's row, as choosing it in Result tables shows
    assert inspector.title.text() == "<b>New building: Kindergarten</b> (proposed measure kita)"
    assert inspector.measure is not None and inspector.measure.id == "kita"
    shown = inspected(window)
    for value in ("Kindergarten", "new building", "Anna", "for the families of the new flats", "2",
                  "kindergarten", "2028"):
        assert value in shown
    rows = inspected_rows(window)
    for change in feature_rows(layer, row):  # every value of its row ("79.7" shown as "79.7 MWh/a")
        assert any(label == change.label and value.startswith(change.value) for label, value in rows), change
    assert window.proposals_panel.selected.id == "kita"  # chosen in the Proposals list too
    assert window.result_tables.view.selectionModel().selectedRows()  # and its row in Result tables
    assert view.highlighted is None
    # The window as the workshop sees it: the effect's view, the block chosen, the inspector on it.
    view.zoom_to(shapely.GeometryCollection([kita.geometry]).buffer(60).bounds)
    test_effect_views.settled(qtbot, window, tmp_path / "new_building_clicked.png")


def test_a_pond_and_a_tree_row_answer_a_click_and_the_ground_beside_them_too(
        qtbot, tmp_path, window):
    trees = Measure("row", "trees", "Linden row", shapely.LineString([(411180, 5654020), (411180, 5654080)]),
                    {"crown_diameter_m": 8.0, "spacing_m": 12.0})
    pond = Measure("pond", "retention_area", "Pond", POND, {"depth_m": 0.5}, comment="a dry pond")
    window.proposals_panel.change(ProposalSet((pond, trees), CRS), "Draft", None)
    ground = window.scene_view.ground()

    def on_ground(x, y, lift=0.0):
        return (x, y, float(ground.heights(np.array([x]), np.array([y]))[0]) + lift)

    centre = POND.centroid
    click_from_above(qtbot, window, on_ground(centre.x, centre.y))
    assert window.inspector.title.text().startswith("<b>Retention area: Pond</b>")
    assert window.inspector.measure.id == "pond" and window.inspector.shown is None
    assert {"Pond", "retention area", "a dry pond", "0.5 m"} <= set(inspected(window))
    assert window.proposals_panel.selected.id == "pond"
    panel = window.proposals_panel  # the inspector follows the measure's edits, undo, and its deletion
    panel.change(panel.proposals.replace(pond.with_changes(title="Big pond")), "Rename", "pond")
    assert window.inspector.title.text().startswith("<b>Retention area: Big pond</b>")
    panel.history.undo()
    assert window.inspector.title.text().startswith("<b>Retention area: Pond</b>")
    assert panel.delete_selected()
    assert window.inspector.measure is None and window.inspector.table.rowCount() == 0
    panel.history.undo()

    first_tree = trees.tree_points()[0]
    click_from_above(qtbot, window, on_ground(*first_tree, lift=8.0 * 0.6 + 8.0))  # its crown's top
    assert window.inspector.title.text().startswith("<b>Trees: Linden row</b>")
    assert window.inspector.measure.id == "row"
    assert {"Linden row", "trees", "8 m", "12 m"} <= set(inspected(window))

    click_from_above(qtbot, window, on_ground(centre.x, POND.bounds[1] - 15))  # south of the pond
    assert window.inspector.measure is None and window.inspector.shown[0] is window.scene.layers[0]  # the terrain


def test_a_green_roof_over_its_building_answers_a_click_and_the_building_beside_it_shows_itself(
        qtbot, tmp_path, energy_window):
    window = energy_window
    stock = window.scene.layer("buildings").data
    green = Measure("green", "green_roof", "Green roofs", None,
                    {"building_ids": [str(stock.ids[1])], "retention_mm": 40.0})
    window.proposals_panel.change(ProposalSet((green,), CRS), "Draft", None)

    roof = roof_centre(stock, 1)
    click_from_above(qtbot, window, roof)
    assert window.inspector.title.text().startswith("<b>Green roof: Green roofs</b>")
    assert window.inspector.measure.id == "green"
    assert {"Green roofs", "green roof", str(stock.ids[1]), "40 mm"} <= set(inspected(window))
    # What the layers show there wins where it lies nearer the eye (here: above the roof) than the shape.
    x, y = (round(value) for value in display_position(window.scene_view, roof))
    buildings, visual = window.scene.layer("buildings"), window.proposals_panel.visual
    assert visual.measure_at(x, y, Pick(buildings, 1, tuple(roof + (0.0, 0.0, 0.5)))).id == "green"
    assert visual.measure_at(x, y, Pick(buildings, 1, tuple(roof + (0.0, 0.0, 5.0)))) is None

    click_from_above(qtbot, window, roof_centre(stock, 0))
    assert window.inspector.measure is None
    assert window.inspector.shown == (window.scene.layer("buildings"), 0)
