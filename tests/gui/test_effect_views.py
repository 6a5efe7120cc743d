"""What a workshop sees after Compute effect: a new building in its energy change's colour, a demolished
one's loss on its footprint, the Reports panel's differences in view at the window's default size, and
the time slider keeping to what is shown after a flood effect."""

import numpy as np
import pytest
import shapely
from matplotlib import colormaps
from PySide6.QtCore import QSettings

from tests.gui.test_proposals_effect import (  # noqa: F401 (buildings_scene: a fixture)
    BUILDINGS,
    CRS,
    FLOOD,
    POND,
    buildings_scene,
    compute_effect,
)
from twin.core import Scene
from twin.core.data import SurfaceKind
from twin.core.proposals import Measure, ProposalSet
from twin.io import read_layer, read_quarters
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view
from twin.render.colouring import result_attribute
from twin.render.proposal_visuals import extruded, result_colour
from twin.render.results import row_of
from twin.render.sketch import display_position
from twin.sim.proposal_inputs import new_building_height

pytestmark = pytest.mark.gui

def open_window(qtbot, tmp_path, scene: Scene, quarter: str) -> MainWindow:
    """The window at the size it opens with (1600 x 1000), on a quarter."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    qtbot.wait(10)
    window.select_quarter(quarter)
    return window


def settled(qtbot, window, picture) -> None:
    """The window drawn after the effect, saved as a picture to look at (pytest --basetemp keeps it)."""
    qtbot.wait(50)
    window.refresh_view()
    assert window.grab().save(str(picture))


def colour_from_above(window, point) -> np.ndarray:
    """The view's colour at a map point (x, y, z) seen straight from above (the test's buildings lie
    2 km apart without a terrain: from the quarter's view each is a few pixels)."""
    view = window.scene_view
    local = np.asarray(point, dtype=float) - np.asarray(view.origin)
    camera = view.plotter.camera
    camera.focal_point, camera.position, camera.up = local, local + (0.0, 0.0, 150.0), (0.0, 1.0, 0.0)
    view.plotter.reset_camera_clipping_range()
    view.request_render()  # a screenshot reads the last frame
    x, y = display_position(view, point)
    image = view.plotter.screenshot(return_img=True).astype(int)
    return image[round(y), round(x)]


@pytest.fixture
def energy_window(qtbot, tmp_path, buildings_scene):  # noqa: F811 (the fixture imported above)
    return open_window(qtbot, tmp_path, buildings_scene, "Stadtteil")


def test_a_new_building_takes_its_energy_change_colour_and_a_demolished_one_shows_its_loss(
        qtbot, tmp_path, energy_window):
    window = energy_window
    stock = window.scene.layer("buildings").data
    gone = str(stock.ids[0])  # the larger house: its loss outweighs the new one's gain
    x, y = shapely.get_coordinates(stock.footprints[0])[0]
    kita = Measure("kita", "new_building", "Kindergarten", shapely.box(x + 40, y + 40, x + 70, y + 60),
                   {"storeys": 2, "use": "kindergarten", "construction_year": 2028})
    proposals = ProposalSet((kita, Measure("gone", "demolition", "Demolition", None,
                                           {"building_ids": [gone]})), CRS)
    compute_effect(qtbot, window, "energy", {}, proposals)
    settled(qtbot, window, tmp_path / "energy_effect.png")

    layer = window.proposals_effect.difference
    attribute = result_attribute(layer)
    changes = layer.values_of(attribute)
    gained, lost = changes[row_of(layer.data, "kita")], changes[row_of(layer.data, gone)]
    assert gained > 0 > lost  # a new house's heat is gained, a demolished one's lost
    # The block's colour is its row's through the legend's colour map and range (of every row, its own too).
    colouring = window.scene_view.colouring_of(layer)
    low, high = colouring.clim
    expected = colormaps[colouring.cmap](np.clip((gained - low) / (high - low), 0, 1))[:3]
    shown_by, colour = result_colour(window.scene_view, "kita")
    assert shown_by is layer and colour == pytest.approx(expected, abs=2 / 255)
    # ... and the view shows it: the block's roof red (a gain), the demolished roof blue (a loss),
    # neither violet nor under the demolition's red tint.
    view = window.scene_view
    height, _ = new_building_height(kita)
    block = extruded(kita.geometry, view.ground(), height, view.origin)
    top = np.asarray(block.center) + np.asarray(view.origin) + (0.0, 0.0, height / 2 - 0.1)
    red, _green, blue = colour_from_above(window, top)
    assert red > 2 * blue, (red, blue)
    index = list(np.asarray(stock.ids).astype(str)).index(gone)
    roofs = stock.vertices[stock.triangles[(stock.triangle_building == index)
                                           & (stock.triangle_surface == SurfaceKind.ROOF)]]
    areas = np.linalg.norm(np.cross(roofs[:, 1] - roofs[:, 0], roofs[:, 2] - roofs[:, 0]), axis=1)
    red, _green, blue = colour_from_above(window, roofs[np.argmax(areas)].mean(axis=0))  # its largest roof
    assert blue > red + 20, (red, blue)
    # Its row chosen in the result tables, the inspector shows its change (the view draws no feature for it).
    window.result_tables.row_chosen.emit(layer, row_of(layer.data, "kita"))
    assert window.inspector.shown == (layer, row_of(layer.data, "kita"))
    shown = [window.inspector.table.item(row, 1).text() for row in range(window.inspector.table.rowCount())]
    assert "kita" in shown
    # Hidden, the difference leaves the measures in their own colours again.
    layer.visible = False
    window.refresh_view()
    assert result_colour(view, "kita") is None
    red, _green, blue = colour_from_above(window, top)
    assert blue > red  # the new building's violet


def test_the_reports_show_the_differences_without_scrolling_at_the_default_size(qtbot, tmp_path,
                                                                                 energy_window):
    window = energy_window
    assert (window.width(), window.height()) == (1600, 1000)
    stock = window.scene.layer("buildings").data
    x, y = shapely.get_coordinates(stock.footprints[0])[0]
    compute_effect(qtbot, window, "energy", {}, ProposalSet((Measure(
        "kita", "new_building", "Kindergarten", shapely.box(x + 40, y + 40, x + 70, y + 60),
        {"storeys": 2, "use": "kindergarten", "construction_year": 2028}),), CRS))
    settled(qtbot, window, tmp_path / "reports_1600x1000.png")

    table = window.reports.table
    last = table.columnCount() - 1
    assert table.horizontalHeaderItem(last).text().endswith("− Stadtteil before the proposals")
    scroll = window.reports_dock.widget()  # the dock's scroll area
    assert scroll.horizontalScrollBar().maximum() == 0  # the panel fits the dock's width
    assert table.horizontalScrollBar().maximum() == 0  # the table fits the panel's
    right = table.columnViewportPosition(last) + table.columnWidth(last)
    assert right <= table.viewport().width()
    assert table.columnWidth(0) >= 100  # the figures' names keep some room
    headings = table.horizontalHeader()
    assert headings.height() >= 3 * headings.fontMetrics().lineSpacing()  # the long names wrap


def slider_keeps_to_what_is_shown(window, effect) -> None:
    """After an effect the runs' layers are hidden and their difference shown: the slider does not step
    a hidden run (stepping would show it over the difference)."""
    bar, difference = window.time_bar, window.proposals_effect.difference
    runs = {effect.before.run_id, effect.with_proposals.run_id}
    hidden = [layer for layer in window.scene.layers if getattr(layer, "run_id", "") in runs]
    assert hidden and not any(layer.visible for layer in hidden)
    assert difference.visible and difference.time_steps == 1  # the deepest water's change
    assert bar.layer is None and bar.isHidden()


def test_after_a_flood_effect_the_time_slider_steps_only_what_is_shown(qtbot, tmp_path, dtm_file,
                                                                       quarters_file):
    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    window = open_window(qtbot, tmp_path, scene, "East")
    proposals = ProposalSet((Measure("pond", "retention_area", "Pond", POND, {"depth_m": 0.5}),), CRS)
    with qtbot.waitSignal(window.proposals_effect.refined, timeout=240_000) as refined:
        slider_keeps_to_what_is_shown(window, compute_effect(qtbot, window, "flood", FLOOD, proposals))
    effect = refined.args[0]  # the full run in the quick estimate's place
    settled(qtbot, window, tmp_path / "flood_effect.png")
    slider_keeps_to_what_is_shown(window, effect)

    # The run with the proposals shown again: the slider steps its depth snapshots (hidden under it).
    deepest = next(layer for layer in scene.layers if getattr(layer, "run_id", "") == effect.with_proposals.run_id
                   and layer.data.name == "max_depth")
    deepest.visible = True
    bar = window.time_bar
    assert bar.layer is not None and bar.layer.run_id == effect.with_proposals.run_id and not bar.isHidden()
    deepest.visible = False
    assert bar.layer is None and bar.isHidden()
