"""The time slider: there as soon as a result over time is, with play and pause icons from the style."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from twin.core import Scene
from twin.core.data import ResultRaster
from twin.core.layers import result_layer
from twin.core.scene import RunRecord
from twin.qt.time_bar import TimeBar

pytestmark = pytest.mark.gui


def flood_run(scene: Scene, run_id: str) -> list:
    """A flood run as the runner adds it: the deepest water shown, the depth snapshots hidden."""
    place = Affine(2.0, 0, 411_000.0, 0, -2.0, 5_655_000.0)
    deepest = ResultRaster("max_depth", np.ones((4, 5), np.float32), place, "EPSG:25833", "m")
    snapshots = ResultRaster("depth", np.ones((3, 4, 5), np.float32), place, "EPSG:25833", "m",
                             times=np.array([0.0, 300.0, 600.0]))
    layers = [result_layer(deepest, f"{run_id}: max_depth", run_id=run_id),
              result_layer(snapshots, f"{run_id}: depth", run_id=run_id, visible=False)]
    scene.add_run(RunRecord(run_id, "flood", run_id, 1, {}, {}, {}), layers)
    return layers


@pytest.fixture
def bar(qtbot):
    bar = TimeBar()
    qtbot.addWidget(bar)
    return bar


def test_the_slider_comes_with_a_run_whose_snapshots_are_hidden_and_a_step_shows_them(bar):
    scene = Scene()
    bar.follow(scene)
    assert bar.isHidden()
    _deepest, snapshots = flood_run(scene, "storm")
    assert not bar.isHidden() and bar.layer is snapshots and not snapshots.visible
    bar.slider.setValue(2)
    assert snapshots.time_index == 2 and snapshots.visible and bar.step_label.text() == "10 min"
    scene.remove_layer(snapshots.name)
    assert bar.layer is None and bar.isHidden()


def test_a_scene_opened_with_runs_has_the_slider_at_once_and_keeps_one_while_any_is_left(bar):
    scene = Scene()
    first = flood_run(scene, "first")[1]
    second = flood_run(scene, "second")[1]
    bar.follow(scene)
    assert bar.layer is second  # the newest
    scene.remove_layer(second.name)
    assert bar.layer is first and not bar.isHidden()


def test_play_and_pause_are_icons_of_the_style_not_glyphs_a_font_may_lack(bar):
    scene = Scene()
    bar.follow(scene)
    flood_run(scene, "storm")
    button = bar.play_button
    assert button.text() == "" and not button.icon().isNull()
    playing = button.icon().pixmap(16, 16).toImage()
    button.setChecked(True)
    assert not button.icon().isNull() and button.icon().pixmap(16, 16).toImage() != playing
    assert button.toolTip() == "Pause"
    button.setChecked(False)
    assert button.icon().pixmap(16, 16).toImage() == playing
