"""Results drawn on their layers, time steps, picking, legends and orientation, off-screen.

The scene is the bowl terrain of conftest with two box houses and two streets on it, seen
straight from above, so the probe pixels of each feature are known.
"""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
import shapely
from affine import Affine

from plugins.street_decay.presentation import CONDITION_CLASSES
from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y
from twin.core import Scene
from twin.core.data import BuildingData, ResultRaster, ResultTable, StreetData, SurfaceKind
from twin.core.fields import by_code
from twin.core.layers import BuildingsLayer, result_layer
from twin.core.project import Camera
from twin.io import read_layer
from twin.render.results import feature_values

pytestmark = pytest.mark.render

SIZE = (640, 360)
Y0 = ORIGIN_Y - 100.0  # the bowl is 200 m x 100 m
HOUSES = {"B1": (20.0, 30.0), "B2": (140.0, 30.0)}  # south-west corners, 20 m x 20 m, 15 m high
STREET_Y = 80.0  # S1 runs west-east at this northing; S2 north-south at x = 100 m
VIEW_CENTRE = (ORIGIN_X + 160, Y0 + 50)


def box_houses() -> BuildingData:
    vertices, triangles, owner = [], [], []
    for row, (x, y) in enumerate(HOUSES.values()):
        box = pv.Box((ORIGIN_X + x, ORIGIN_X + x + 20, Y0 + y, Y0 + y + 20, 110.0, 125.0)).triangulate()
        triangles.append(box.regular_faces + sum(len(points) for points in vertices))
        vertices.append(box.points)
        owner.append(np.full(box.n_cells, row))
    triangles = np.vstack(triangles)
    vertices = np.vstack(vertices).astype(np.float64)
    normals_up = pv.PolyData(vertices, np.hstack([np.full((len(triangles), 1), 3), triangles])).cell_normals[:, 2]
    surface = np.where(normals_up > 0.5, SurfaceKind.ROOF, np.where(normals_up < -0.5, SurfaceKind.GROUND,
                                                                     SurfaceKind.WALL))
    footprints = np.array([shapely.box(ORIGIN_X + x, Y0 + y, ORIGIN_X + x + 20, Y0 + y + 20)
                           for x, y in HOUSES.values()])
    return BuildingData(np.array(list(HOUSES)), {"height": np.array([15.0, 15.0])}, vertices, triangles,
                        np.concatenate(owner), surface.astype(np.int64), footprints, "EPSG:25833")


def two_streets() -> StreetData:
    lines = np.array([shapely.LineString([(ORIGIN_X, Y0 + STREET_Y), (ORIGIN_X + 200, Y0 + STREET_Y)]),
                      shapely.LineString([(ORIGIN_X + 100, Y0), (ORIGIN_X + 100, Y0 + 100)])])
    return StreetData(np.array(["S1", "S2"]), lines, {}, "EPSG:25833")


def pixel_of(view, x: float, y: float, z: float) -> tuple[int, int]:
    """Where a map point appears, in Qt-style pixels (origin top-left)."""
    renderer = view.plotter.renderer
    renderer.SetWorldPoint(x - view.origin[0], y - view.origin[1], z - view.origin[2], 1.0)
    renderer.WorldToDisplay()
    column, row, _ = renderer.GetDisplayPoint()
    return int(round(column)), SIZE[1] - 1 - int(round(row))


def colour_at(view, pixel: tuple[int, int]) -> np.ndarray:
    image = view.plotter.screenshot(return_img=True).astype(int)
    return image[pixel[1], pixel[0]]


def roof_pixel(view, house: str) -> tuple[int, int]:
    x, y = HOUSES[house]
    return pixel_of(view, ORIGIN_X + x + 10, Y0 + y + 10, 125.0)


def street_pixel(view) -> tuple[int, int]:
    return pixel_of(view, ORIGIN_X + 60, Y0 + STREET_Y, 114.0)


def is_grey(colour: np.ndarray) -> bool:
    return int(colour.max() - colour.min()) < 12


def test_a_building_table_colours_its_houses_and_leaves_those_without_a_row_grey(town):
    scene, view = town
    houses = scene.layer("houses")
    roof_before = colour_at(view, roof_pixel(view, "B2"))
    table = ResultTable("building_flood", "houses", {"building_id": np.array(["B2"]),
                                                     "max_depth": np.array([0.8])}, {"max_depth": "m"})
    result = scene.add_layer(result_layer(table, "Flood: building_flood"))
    assert view.mesh_of(result).n_cells == view.mesh_of(houses).n_cells
    deep = colour_at(view, roof_pixel(view, "B2"))
    assert deep[0] > deep[2] + 60 and not np.array_equal(deep, roof_before)  # the top of YlOrRd: red
    assert is_grey(colour_at(view, roof_pixel(view, "B1")))
    assert view.colouring_of(result).title == "Max depth (m) of buildings"
    result.visible = False
    np.testing.assert_allclose(colour_at(view, roof_pixel(view, "B2")), roof_before, atol=3)


def test_condition_classes_step_through_the_years_in_place(town):
    scene, view = town
    table = ResultTable("condition", "streets", {
        "segment_id": np.array(["S2", "S1"]),  # rows in another order than the segments
        "condition_2026": np.array([2.0, 1.2]), "class_2026": np.array([1, 0]),
        "condition_2027": np.array([2.1, 4.8]), "class_2027": np.array([1, 4])}, headline="class",
        labels={"class": "condition class"}, categories={"class": by_code(CONDITION_CLASSES)})  # as the runner fills them
    result = scene.add_layer(result_layer(table, "Street decay: condition"))
    actor = view.actor_of(result)
    first = colour_at(view, street_pixel(view))
    assert first[2] > first[0] + 60  # class 0: blue
    assert view.colouring_of(result).title == "Condition class, 2026"
    result.time_index = 1
    last = colour_at(view, street_pixel(view))
    assert last[0] > last[2] + 60 and last[0] > last[1] + 60  # class 4: red
    assert view.actor_of(result) is actor
    assert view.colouring_of(result).title == "Condition class, 2027"
    assert [colouring.title for colouring in view.legends.colourings][0] == "Condition class, 2027"


def test_a_depth_grid_over_time_shows_water_only_where_it_is_wet(town):
    scene, view = town
    depth = np.zeros((2, 50, 100), dtype=np.float32)
    depth[1, 35:45, 10:20] = 1.0  # a pond in the south-west, away from houses and streets
    grid = ResultRaster("depth", depth, Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y), "EPSG:25833", "m",
                        times=np.array([0.0, 720.0]))
    pond = pixel_of(view, ORIGIN_X + 30, ORIGIN_Y - 80, 112.0)
    terrain = colour_at(view, pond)
    result = scene.add_layer(result_layer(grid, "Flood: depth"))
    assert result.time_labels == ["0 min", "12 min"]
    np.testing.assert_allclose(colour_at(view, pond), terrain, atol=3)  # dry: the ground shows
    result.time_index = 1
    water = colour_at(view, pond)
    assert water[2] > water[0] + 60  # deep end of Blues


def test_a_depth_grid_added_at_a_later_step_is_drawn_at_that_step(town):
    """A copy of a result for a side-by-side pane or an export keeps the step its original shows;
    the sheet was drawn at its first step until the step changed again."""
    scene, view = town
    depth = np.zeros((2, 50, 100), dtype=np.float32)
    depth[1, 35:45, 10:20] = 1.0
    grid = ResultRaster("depth", depth, Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y), "EPSG:25833", "m",
                        times=np.array([0.0, 720.0]))
    result = result_layer(grid, "Flood: depth")
    result.time_index = 1
    scene.add_layer(result)
    water = colour_at(view, pixel_of(view, ORIGIN_X + 30, ORIGIN_Y - 80, 112.0))
    assert water[2] > water[0] + 60  # the pond of the second step, in Blues


def test_picks_name_the_layer_and_feature_under_the_pixel(town):
    scene, view = town
    houses, streets, terrain = scene.layer("houses"), scene.layer("streets"), scene.layer("terrain")
    pick = view.pick(*roof_pixel(view, "B2"))
    assert pick.layer is houses and pick.index == 1
    assert pick.position[0] == pytest.approx(ORIGIN_X + 150, abs=2) and pick.position[2] == pytest.approx(125)
    assert view.pick(*street_pixel(view)).layer is streets
    assert view.pick(*street_pixel(view)).index == 0
    ground = view.pick(*pixel_of(view, ORIGIN_X + 31, ORIGIN_Y - 81, 112.0))
    assert ground.layer is terrain and ground.index == (40, 15)
    houses.visible = False  # hidden layers are not hit: the ground under the house is
    assert view.pick(*roof_pixel(view, "B2")).layer is terrain
    assert view.pick(2, 2) is None or view.pick(2, 2).layer is terrain


def test_a_pick_on_a_result_names_the_table_row_and_the_feature(town):
    scene, view = town
    table = ResultTable("street_flood", "streets", {"segment_id": np.array(["S1"]),
                                                    "flooded_length": np.array([35.0])})
    result = scene.add_layer(result_layer(table, "Flood: street_flood"))
    pick = view.pick(*street_pixel(view))
    assert pick.layer is result and pick.index == 0 and pick.feature == 0
    on_s2 = view.pick(*pixel_of(view, ORIGIN_X + 100, Y0 + 30, 113.0))
    assert on_s2.layer is scene.layer("streets") and on_s2.index == 1  # no row: the segment itself


def test_highlight_outlines_the_picked_feature_and_clears(town):
    scene, view = town
    image = view.plotter.screenshot(return_img=True).astype(int)
    view.highlight(view.pick(*roof_pixel(view, "B1")))
    outlined = view.plotter.screenshot(return_img=True).astype(int)
    magenta = (outlined[..., 0] > 200) & (outlined[..., 1] < 80) & (outlined[..., 2] > 170)
    rows, cols = np.nonzero(magenta)
    assert magenta.sum() > 100
    x, y = roof_pixel(view, "B1")
    assert cols.min() < x < cols.max() and rows.min() < y < rows.max()  # around B1, not elsewhere
    view.highlight(None)
    np.testing.assert_allclose(view.plotter.screenshot(return_img=True).astype(int), image, atol=3)


def test_tables_without_a_drawable_target_are_not_drawn(town):
    scene, view = town
    quarters = ResultTable("quarter_years", "", {"quarter": np.array(["West"]), "length": np.array([1.0])})
    long_table = ResultTable("treatments", "streets", {"segment_id": np.array(["S1", "S1"]),
                                                       "cost": np.array([1.0, 2.0])})
    for table in (quarters, long_table):
        assert view.actor_of(scene.add_layer(result_layer(table, table.name))) is None


def test_a_result_drawn_on_a_later_layer_appears_with_it_and_goes_with_it(plotter, dtm_file):
    from twin.render import SceneView

    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    view = SceneView(scene, plotter)
    result = scene.add_layer(result_layer(ResultTable("flood", "houses", {
        "building_id": np.array(["B1", "B2"]), "max_depth": np.array([0.1, 0.2])}), "flood"))
    assert view.actor_of(result) is None
    houses = scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    assert view.actor_of(result) is not None
    scene.remove_layer(houses.name)
    assert view.actor_of(result) is None


def test_legends_for_visible_coloured_layers_stack_without_overlap(town):
    scene, view = town
    table = ResultTable("flood", "houses", {"building_id": np.array(["B1"]), "max_depth": np.array([0.3])},
                        {"max_depth": "m"})
    scene.add_layer(result_layer(table, "flood"))
    titles = [colouring.title for colouring in view.legends.colourings]
    assert titles == ["Max depth (m) of buildings", "Building surfaces", "Terrain height (m)"]
    boxes = view.legends.boxes()
    for upper, lower in zip(boxes, boxes[1:], strict=False):
        assert lower[3] < upper[1]  # each legend ends above the next one's top
    assert all(left >= 0 and right <= SIZE[0] and bottom >= 0 and top <= SIZE[1]
               for left, bottom, right, top in boxes)
    scene.layer("houses").visible = False
    assert "Building surfaces" not in [colouring.title for colouring in view.legends.colourings]


def test_legends_can_be_turned_off_for_a_presentation_and_come_back(town):
    scene, view = town
    view.set_legends_shown(False)
    assert view.legends.boxes() == []
    scene.layer("houses").visible = True  # a change to the layers keeps them off
    assert view.legends.boxes() == []
    view.set_legends_shown(True)
    assert [colouring.title for colouring in view.legends.colourings] == ["Building surfaces", "Terrain height (m)"]
    assert len(view.legends.boxes()) == 2


def test_the_north_arrow_turns_with_the_camera_and_the_scale_bar_is_a_round_length(town):
    from twin.render.overlays import round_length

    scene, view = town
    assert view.orientation.north_angle == pytest.approx(0.0, abs=0.02)  # north up
    assert round_length(130 * 0.73) == 50.0 and round_length(0.9) == 0.5 and round_length(2000) == 2000
    # Seen from above, the bar's length in pixels times metres per pixel is its label.
    metres_per_pixel = 100.0 / (pixel_of(view, ORIGIN_X + 100, Y0, 110)[0] - pixel_of(view, ORIGIN_X, Y0, 110)[0])
    assert view.orientation.scale_metres == round_length(130 * metres_per_pixel)
    view.set_camera(Camera((*VIEW_CENTRE, 530.0), (*VIEW_CENTRE, 110.0), (1.0, 0.0, 0.0)))  # east up
    view.plotter.screenshot(return_img=True)
    assert view.orientation.north_angle == pytest.approx(-np.pi / 2, abs=0.02)  # north to the left


def test_zoom_to_frames_the_bounds_from_the_south_west(town):
    from twin.render.scene_view import VIEW_DIRECTION

    scene, view = town
    x, y = HOUSES["B2"]
    view.zoom_to((ORIGIN_X + x, Y0 + y, ORIGIN_X + x + 20, Y0 + y + 20))
    camera = view.camera()
    assert camera.focal_point[:2] == pytest.approx((ORIGIN_X + x + 10, Y0 + y + 10))
    direction = np.subtract(camera.position, camera.focal_point)
    np.testing.assert_allclose(direction / np.linalg.norm(direction), VIEW_DIRECTION / np.linalg.norm(VIEW_DIRECTION),
                               atol=1e-6)
    assert np.linalg.norm(direction) < 200  # close in on one house
    left, right = pixel_of(view, ORIGIN_X + x, Y0 + y, 110), pixel_of(view, ORIGIN_X + x + 20, Y0 + y + 20, 110)
    assert all(0 <= value < SIZE[0] for value in (left[0], right[0]))


def test_eye_dome_lighting_turns_on_and_off(town):
    scene, view = town
    assert not view.eye_dome_lighting
    view.set_eye_dome_lighting(True)
    assert view.eye_dome_lighting
    view.set_eye_dome_lighting(False)
    assert not view.eye_dome_lighting


def test_the_upper_of_two_results_on_the_same_houses_is_the_one_seen_and_reordering_swaps_them(town):
    scene, view = town
    shallow = ResultTable("shallow", "houses", {"building_id": np.array(["B2"]), "depth": np.array([0.0])})
    deep = ResultTable("deep", "houses", {"building_id": np.array(["B2"]), "depth": np.array([1.0])})
    scene.add_layer(result_layer(shallow, "shallow"))
    scene.add_layer(result_layer(deep, "deep"))
    # both below their range: each draws the low end of its own colour map
    scene.layer("shallow").set_style("depth", "YlOrRd", (5.0, 6.0))
    scene.layer("deep").set_style("depth", "Blues", (5.0, 6.0))
    roof = roof_pixel(view, "B2")
    on_top = colour_at(view, roof)
    titles = [colouring.title for colouring in view.legends.colourings][:2]
    scene.layers.move(scene.layers.index(scene.layer("deep")), scene.layers.index(scene.layer("shallow")))
    assert [layer.name for layer in scene.layers][-2:] == ["deep", "shallow"]
    assert not np.allclose(colour_at(view, roof), on_top, atol=20)  # the other result now wins
    assert [colouring.title for colouring in view.legends.colourings][:2] == titles[::-1]


def test_each_layer_has_one_visual_of_the_class_for_its_data_closed_when_the_layer_goes(town):
    from twin.render.visuals import LayerVisual, RasterVisual, ResultTableVisual

    scene, view = town
    table = scene.add_layer(result_layer(ResultTable("flood", "houses", {
        "building_id": np.array(["B1"]), "max_depth": np.array([0.3])}), "flood"))
    assert [type(visual) for visual in view.visuals()] == [RasterVisual, LayerVisual, LayerVisual,
                                                           ResultTableVisual]
    visual = view.visual_of(table)
    assert visual.target is scene.layer("houses") and visual.rows.tolist() == [0, -1]
    scene.remove_layer("flood")
    assert view.visual_of(table) is None and visual.actor is None
    table.set_style("max_depth")  # a closed visual no longer follows its layer
    assert visual.actor is None


def test_a_class_code_the_table_declares_no_class_for_is_drawn_as_no_value(town):
    scene, view = town
    table = ResultTable("condition", "streets", {
        "segment_id": np.array(["S1", "S2"]),
        "class_2026": np.array([0, 0]), "class_2027": np.array([-1, 0])}, headline="class",
        categories={"class": by_code(CONDITION_CLASSES)})
    result = scene.add_layer(result_layer(table, "condition"))
    assert not is_grey(colour_at(view, street_pixel(view)))
    result.time_index = 1  # S1 not rated in 2027
    assert is_grey(colour_at(view, street_pixel(view)))
    assert np.isnan(feature_values(result, "class", view.visual_of(result).rows)).tolist() == [True, False]
    plain = result_layer(ResultTable("codes", "streets", {"segment_id": np.array(["S1"]),
                                                           "code": np.array([-1])}), "codes")
    assert feature_values(plain, "code", np.array([0, -1]))[0] == -1.0  # undeclared: a plain number
