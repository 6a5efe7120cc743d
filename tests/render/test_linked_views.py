"""Side by side: panes under one camera (a move in one moves all and redraws all), each drawing its
own content whatever the layers panel shows."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from affine import Affine

from tests.conftest import CELL, ORIGIN_X, ORIGIN_Y, bowl_heights, write_dtm
from tests.render.test_results_view import box_houses
from twin.core import Scene
from twin.core.data import ResultRaster
from twin.core.layers import BuildingsLayer, result_layer
from twin.core.scene import RunRecord
from twin.io import read_layer
from twin.render.linked_views import (
    LinkedPanes,
    StepTime,
    detached_copy,
    nearest_step,
    run_content,
    scene_content,
    time_shown,
)

pytestmark = pytest.mark.render

SIZE = (480, 320)


def storm_scene(dtm_file) -> tuple[Scene, RunRecord]:
    """The bowl with two houses and a run whose depth covers the whole grid 1 m deep (hidden in the
    layers panel, as a user may have left it)."""
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    scene.add_layer(BuildingsLayer(box_houses(), "houses"))
    depth = ResultRaster("max_depth", np.full((50, 100), 1.0, dtype=np.float32),
                         Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y), "EPSG:25833", "m")
    run = RunRecord("abc123def456", "flood", "100-year storm", 1, {}, {}, {})
    scene.add_run(run, [result_layer(depth, "100-year storm: max_depth", run_id=run.run_id, visible=False)])
    return scene, run


@pytest.fixture
def plotters():
    made = [pv.Plotter(off_screen=True, window_size=SIZE) for _ in range(2)]
    yield made
    for plotter in made:
        plotter.close()


def last_frame(plotter: pv.Plotter) -> np.ndarray:
    """The picture the plotter drew last (off-screen pyvista draws no new frame to take it)."""
    return np.asarray(plotter.screenshot(return_img=True), dtype=int)


def pane_pixel(plotter: pv.Plotter) -> np.ndarray:
    """The colour at the middle of the view now (the bowl's middle, away from the houses)."""
    plotter.render()
    return last_frame(plotter)[SIZE[1] // 2, SIZE[0] // 2 - 40]


def test_moving_one_pane_moves_and_redraws_the_others(dtm_file, plotters):
    scene, run = storm_scene(dtm_file)
    # a move asks each pane for a frame: plotter.render()
    panes = LinkedPanes(scene, plotters, [scene_content(scene, "today"), run_content(scene, run)])
    panes.set_camera(None)
    plotters[1].render()
    before = last_frame(plotters[1])
    frames: list[int] = []
    plotters[1].render_window.AddObserver("EndEvent", lambda *_: frames.append(1))

    plotters[0].camera.azimuth += 40  # the user turns the left pane
    plotters[0].camera.elevation -= 10

    assert frames  # the right pane drew itself again, untouched
    for key in ("position", "focal_point", "up"):
        np.testing.assert_allclose(getattr(plotters[1].camera, key), getattr(plotters[0].camera, key))
    assert panes.origins_agree()
    assert np.abs(last_frame(plotters[1]) - before).mean() > 5  # ... from the new place


def test_each_pane_draws_its_own_content_whatever_the_layers_panel_shows(dtm_file, plotters):
    scene, run = storm_scene(dtm_file)
    panes = LinkedPanes(scene, plotters, [scene_content(scene, "today"), scene_content(scene, "today")])
    panes.set_camera(None)
    terrain_drawing = panes.views[1].actor_of(panes.scenes[1].layer("terrain"))
    panes.show(1, run_content(scene, run))  # the right pane changes to the run

    today, storm = pane_pixel(plotters[0]), pane_pixel(plotters[1])
    assert storm[2] > storm[0] + 60 and not today[2] > today[0] + 60  # water in the storm's pane only
    assert [layer.name for layer in panes.scenes[1].layers] == ["terrain", "houses", "100-year storm: max_depth"]
    assert panes.contents[1].caption == "100-year storm"
    assert panes.views[1].actor_of(panes.scenes[1].layer("terrain")) is terrain_drawing  # kept, not drawn anew

    scene.layer("terrain").visible = False  # the layers panel hides the terrain: the panes keep theirs
    np.testing.assert_array_equal(pane_pixel(plotters[0]), today)


def test_a_pane_copy_shares_the_layers_data(dtm_file):
    scene, _ = storm_scene(dtm_file)
    terrain = scene.layer("terrain")
    terrain.visible = False

    copy = detached_copy(terrain)

    assert copy.visible and not terrain.visible
    assert copy.data is terrain.data
    assert copy.events is not terrain.events


def test_side_by_side_has_two_or_four_panes(dtm_file):
    scene, _ = storm_scene(dtm_file)
    with pytest.raises(ValueError, match="two or four panes"):
        LinkedPanes(scene, [], [])


def test_a_panes_terrains_share_one_colour_range(dtm_file, tmp_path, plotters):
    scene, run = storm_scene(dtm_file)
    higher = scene.add_layer(read_layer(write_dtm(tmp_path / "higher.tif", bowl_heights() + 20.0), name="higher"))
    scene.layers.move(len(scene.layers) - 1, 1)  # beside the first terrain, below the run's depth
    panes = LinkedPanes(scene, plotters, [scene_content(scene), run_content(scene, run)])

    for pane, view in zip(panes.panes, panes.views, strict=True):
        first = view.colouring_of(pane.copy_of(scene.layer("terrain")))
        assert first.clim == view.colouring_of(pane.copy_of(higher)).clim  # one legend for both
        assert first.clim[1] == pytest.approx(float(np.nanmax(higher.data.values)))


def flood_over_time(scene: Scene, name: str, run_id: str, minutes: list[float]) -> RunRecord:
    """A run with its deepest water (shown) and its depth over time (hidden, as a flood run arrives):
    the water after m minutes stands m/40 m deep over the whole grid."""
    grid = Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y)
    steps = np.stack([np.full((50, 100), minute / 40, dtype=np.float32) for minute in minutes])
    run = RunRecord(run_id, "flood", name, 1, {}, {}, {})
    scene.add_run(run, [
        result_layer(ResultRaster("max_depth", steps[-1], grid, "EPSG:25833", "m"), f"{name}: max_depth",
                     run_id=run_id),
        result_layer(ResultRaster("depth", steps, grid, "EPSG:25833", "m",
                                  times=np.asarray(minutes) * 60.0), f"{name}: depth", run_id=run_id,
                     visible=False)])
    return run


def test_the_panes_show_their_runs_at_a_time_or_at_their_nearest_step(dtm_file, plotters):
    scene = Scene()
    scene.add_layer(read_layer(dtm_file, name="terrain"))
    every_ten = flood_over_time(scene, "every ten", "aaa111", [0, 10, 20, 30])
    every_fifteen = flood_over_time(scene, "every fifteen", "bbb222", [0, 15, 30])
    main_depth = scene.layer("every ten: depth")
    main_depth.time_index = 2
    time = time_shown(main_depth)
    assert time == StepTime("seconds", 1200.0, "20 min")
    panes = LinkedPanes(scene, plotters, [run_content(scene, every_ten, time=time),
                                          run_content(scene, every_fifteen, time=time)])
    panes.set_camera(None)

    assert panes.show_time(time) == ["20 min", "15 min"]  # 15 min is nearer 20 than 30 is

    # at a time the depth over time stands in for the deepest water, in each pane
    assert [layer.name for layer in panes.scenes[1].layers] == ["terrain", "every fifteen: depth"]
    steps = [panes.panes[index].copy_of(scene.layer(f"{name}: depth")).time_index
             for index, name in enumerate(("every ten", "every fifteen"))]
    assert steps == [2, 1] and main_depth.time_index == 2  # the main window's layer is left alone
    twenty = [pane_pixel(plotter) for plotter in plotters]
    assert np.abs(twenty[0] - twenty[1]).sum() > 10  # 0.5 m of water beside 0.375 m
    assert panes.show_time(StepTime("seconds", 30 * 60.0, "30 min")) == ["30 min", "30 min"]
    thirty = [pane_pixel(plotter) for plotter in plotters]
    np.testing.assert_array_equal(thirty[0], thirty[1])  # 0.75 m in both
    assert np.abs(thirty[1] - twenty[1]).sum() > 10
    assert panes.show_time(StepTime("seconds", 0.0, "0 min")) == ["0 min", "0 min"]
    dry = [pane_pixel(plotter) for plotter in plotters]
    assert np.abs(twenty[0] - dry[0]).sum() > 30  # the first pane showed its water at 20 min at once
    assert panes.show_time(StepTime("year", 2031, "2031")) == [None, None]  # minutes do not follow years
    assert nearest_step(scene.layer("terrain"), time) is None
