"""The smaller things of the 3D view a user meets all day: streets easy to pick, the wheel zooming to
the cursor, terrain that never reads as water, a depth legend reaching the deepest water with labels
written as in the tables, and the difference of two runs in a diverging colour map."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y
from tests.render.test_results_view import SIZE, STREET_Y, Y0, colour_at, pixel_of, street_pixel
from twin.core.data import ResultRaster
from twin.core.layers import result_layer
from twin.core.scene import RunRecord
from twin.sim.difference import difference_layer

pytestmark = pytest.mark.render

GRID = Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y)


def depth_grid(values: np.ndarray) -> ResultRaster:
    return ResultRaster("max_depth", values.astype(np.float32), GRID, "EPSG:25833", "m", label="deepest water",
                        palette="water")


def test_a_street_is_picked_a_few_pixels_beside_its_centre_line_but_not_far_from_it(town):
    from twin.render.scene_view import PICK_TOLERANCE

    scene, view = town
    x, y = street_pixel(view)
    beside = (x, y + 6)  # 6 px south of the centre line, past the drawn line's edge
    drawn = [visual for visual in view.visuals() if visual.drawn]
    exact = view._pick_among(drawn, *beside, PICK_TOLERANCE)
    assert exact[0].layer is scene.layer("terrain")  # what a pick hit before: the ground beside it
    pick = view.pick(*beside)
    assert pick.layer is scene.layer("streets") and pick.index == 0
    assert view.pick(x, y + 30).layer is scene.layer("terrain")  # farther off it is the ground


def test_the_wheel_zooms_toward_the_point_under_the_cursor(town):
    from twin.render.navigation import wheel_factor, zoom_at

    scene, view = town
    view.reset_camera()  # the oblique view
    view.plotter.screenshot(return_img=True)
    cursor = pixel_of(view, ORIGIN_X + 40, ORIGIN_Y - 70, 111.0)  # the terrain off the view's centre
    assert abs(cursor[0] - SIZE[0] / 2) > 60
    under = view.pick(*cursor).position
    focal_before = np.asarray(view.camera().focal_point)
    reach_before = np.linalg.norm(np.subtract(view.camera().position, view.camera().focal_point))
    for _ in range(3):
        zoom_at(view.plotter, *cursor, wheel_factor(120))
        view.plotter.screenshot(return_img=True)
    seen = pixel_of(view, *under)
    assert abs(seen[0] - cursor[0]) <= 2 and abs(seen[1] - cursor[1]) <= 2
    assert np.linalg.norm(np.subtract(view.camera().position, view.camera().focal_point)) == pytest.approx(
        reach_before / 1.2 ** 3, rel=1e-3)  # three notches: 1.2 each
    assert np.linalg.norm(np.asarray(view.camera().focal_point) - focal_before) > 1.0  # not toward the middle
    zoom_at(view.plotter, *cursor, wheel_factor(-240))  # and back out, still about the cursor
    view.plotter.screenshot(return_img=True)
    seen = pixel_of(view, *under)
    assert abs(seen[0] - cursor[0]) <= 2 and abs(seen[1] - cursor[1]) <= 2


def test_terrain_has_no_blue_so_low_ground_never_reads_as_water(town):
    from matplotlib.colors import Colormap

    from twin.render.palettes import water_colours

    scene, view = town
    colouring = view.colouring_of(scene.layer("terrain"))
    cmap = colouring.cmap
    assert isinstance(cmap, Colormap)
    colours = cmap(np.linspace(0.0, 1.0, 64))[:, :3]
    assert (colours[:, 2] <= colours[:, :2].max(axis=1) + 0.02).all()  # blue never leads
    water = water_colours()(np.linspace(0.0, 1.0, 16))[:, :3]
    assert (water[:, 2] > water[:, 0] + 0.3).all()  # water is clearly blue


def test_the_depth_legend_reaches_the_deepest_water_with_table_style_labels(town):
    scene, view = town
    values = np.zeros((50, 100))
    values[35:45, 10:20] = 3.9
    values[30:33, 10:20] = 0.00983
    result = scene.add_layer(result_layer(depth_grid(values), "100-year: max_depth"))
    colouring = view.colouring_of(result)
    assert colouring.clim == pytest.approx((0.0, 3.9), abs=1e-6)
    legend = next(legend for legend in view.legends._legends if legend.title.GetInput() == colouring.title)
    assert [label.GetInput() for label in legend.labels] == ["0", "1.95", "3.90"]
    assert not legend.body.GetDrawTickLabels()  # VTK's printf labels ('0.00983') are off


def test_legends_are_wide_enough_for_their_titles(town):
    from twin.render.legends import PAD_PX, WIDTH_PX, text_width

    scene, view = town
    base, storm = (RunRecord(run_id, "flood", name, 1, {}, {}, {}) for run_id, name in
                   (("r1", "30-year storm, 2 m grid"), ("r2", "100-year storm, 2 m grid")))
    for record, deepest in ((base, 1.0), (storm, 3.9)):
        values = np.zeros((50, 100))
        values[35:45, 10:20] = deepest
        scene.add_run(record, [result_layer(depth_grid(values), f"{record.scenario}: max_depth",
                                            run_id=record.run_id)])
    scene.add_layer(difference_layer(scene, base, storm, "max_depth"))
    view.plotter.screenshot(return_img=True)
    dpi = view.plotter.render_window.GetDPI()
    widest = max(text_width(legend.title, dpi) for legend in view.legends._legends)
    assert widest + 2 * PAD_PX > WIDTH_PX  # a title longer than the old fixed width
    for left, _bottom, right, _top in view.legends.boxes():
        assert right - left >= widest + 2 * PAD_PX and right <= SIZE[0]


def test_a_difference_of_two_runs_is_drawn_red_where_b_is_deeper_blue_where_shallower(town):
    scene, view = town
    base, storm = (RunRecord(run_id, "flood", name, 1, {}, {}, {}) for run_id, name in
                   (("r1", "30-year"), ("r2", "100-year")))
    shallow, deep = np.zeros((50, 100)), np.zeros((50, 100))
    shallow[35:45, 10:20], deep[35:45, 10:20] = 0.5, 2.0  # a pond in the south-west: deeper in B
    shallow[5:15, 80:90], deep[5:15, 80:90] = 1.0, 0.2  # a pond in the north-east: shallower in B
    for record, values in ((base, shallow), (storm, deep)):
        scene.add_run(record, [result_layer(depth_grid(values), f"{record.scenario}: max_depth",
                                            run_id=record.run_id)])
        scene.layer(f"{record.scenario}: max_depth").visible = False
    terrain_seen = colour_at(view, pixel_of(view, ORIGIN_X + 60, ORIGIN_Y - 50, 112.0))
    difference = scene.add_layer(difference_layer(scene, base, storm, "max_depth"))
    colouring = view.colouring_of(difference)
    assert colouring.cmap == "RdBu_r" and colouring.clim == pytest.approx((-1.5, 1.5))
    assert colouring.title == "Δ deepest water (m)\n100-year − 30-year"  # the legend names both runs
    deeper = colour_at(view, pixel_of(view, ORIGIN_X + 30, ORIGIN_Y - 80, 112.0))
    shallower = colour_at(view, pixel_of(view, ORIGIN_X + 170, ORIGIN_Y - 20, 112.0))
    assert deeper[0] > deeper[2] + 40 and shallower[2] > shallower[0] + 40
    unchanged = colour_at(view, pixel_of(view, ORIGIN_X + 60, ORIGIN_Y - 50, 112.0))
    np.testing.assert_allclose(unchanged, terrain_seen, atol=3)  # unchanged cells leave the ground in sight
    assert abs(STREET_Y - 80.0) < 1 and Y0 < ORIGIN_Y


def test_one_extreme_change_does_not_bleach_the_rest_of_a_difference(town):
    scene, view = town
    base, storm = (RunRecord(run_id, "flood", name, 1, {}, {}, {}) for run_id, name in
                   (("r1", "30-year"), ("r2", "100-year")))
    shallow, deep = np.zeros((50, 100)), np.zeros((50, 100))
    deep[30:45, 5:40] = 0.2  # the quarter: 20 cm deeper
    deep[2, 95] = 1.5  # one underpass cell: 1.5 m deeper
    for record, values in ((base, shallow), (storm, deep)):
        scene.add_run(record, [result_layer(depth_grid(values), f"{record.scenario}: max_depth",
                                            run_id=record.run_id)])
        scene.layer(f"{record.scenario}: max_depth").visible = False
    difference = scene.add_layer(difference_layer(scene, base, storm, "max_depth"))
    colouring = view.colouring_of(difference)
    assert colouring.clim == pytest.approx((-0.2, 0.2), abs=1e-6) and colouring.open_ends == (False, True)
    typical = colour_at(view, pixel_of(view, ORIGIN_X + 40, ORIGIN_Y - 75, 112.0))
    assert typical[0] > typical[2] + 40  # the 20 cm read red, not a pale pink
    legend = next(legend for legend in view.legends._legends if legend.title.GetInput() == colouring.title)
    assert [label.GetInput() for label in legend.labels] == ["-0.200", "0", "≥ 0.200"]
