"""The app's loader: a folder opens as one layer, an empty scene takes its first file's CRS, and
what was warped is said."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from tests.unit.test_mosaic import big_heights, cut_into_tiles
from tests.unit.test_xyz import write_geotiff, write_xyz
from twin.core import Scene
from twin.qt.data_loader import DataLoader

pytestmark = pytest.mark.gui


def loaded(qtbot, loader: DataLoader, path) -> tuple[list[str], list[str]]:
    notices, failures = [], []
    loader.noticed.connect(notices.append)
    loader.failed.connect(failures.append)
    loader.open(path)
    qtbot.waitUntil(lambda: not loader.busy, timeout=30_000)
    return notices, failures


def test_a_dutch_file_in_an_empty_scene_keeps_its_grid_and_a_tile_folder_is_warped_with_a_notice(qtbot, tmp_path):
    scene = Scene()
    loader = DataLoader(scene, ask_crs=lambda path, crs: None)
    dutch = write_geotiff(tmp_path / "delft.tif", np.ones((20, 30), dtype=np.float32),
                          Affine(1, 0, 85_000, 0, -1, 446_020), "EPSG:28992")
    assert loaded(qtbot, loader, dutch) == ([], [])
    assert scene.crs == "EPSG:28992" and scene.layer("delft").data.shape == (20, 30)
    cut_into_tiles(tmp_path / "tiles", big_heights())
    notices, failures = loaded(qtbot, loader, tmp_path / "tiles")
    assert failures == [] and [layer.name for layer in scene.layers] == ["delft", "tiles"]
    assert len(notices) == 1 and notices[0].startswith("tiles was warped from EPSG:25833 into the scene's EPSG:28992")


def test_a_tile_without_crs_asks_for_one_in_an_empty_scene(qtbot, tmp_path):
    asked = []
    scene = Scene()
    loader = DataLoader(scene, ask_crs=lambda path, crs: asked.append((path.name, crs)) or "EPSG:25833")
    tile = write_xyz(tmp_path / "terrain.xyz", big_heights(), Affine(1, 0, 412_000, 0, -1, 5_654_060))
    loader.open(tile)
    qtbot.waitUntil(lambda: len(scene.layers) == 1, timeout=30_000)
    assert asked == [("terrain.xyz", "EPSG:25833")] and scene.crs == "EPSG:25833"


def test_files_opened_together_into_an_empty_scene_all_join_it(qtbot, tmp_path):
    """Both are read while the scene has no CRS; the one that arrives second is read again into
    the CRS the first gave the scene."""
    scene = Scene()
    loader = DataLoader(scene, ask_crs=lambda path, crs: None)
    notices = []
    loader.noticed.connect(notices.append)
    dutch = write_geotiff(tmp_path / "delft.tif", np.ones((20, 30), dtype=np.float32),
                          Affine(1, 0, 85_000, 0, -1, 446_020), "EPSG:28992")
    dresden = write_geotiff(tmp_path / "dresden.tif", np.ones((20, 30), dtype=np.float32),
                            Affine(1, 0, 412_000, 0, -1, 5_654_020), "EPSG:25833")
    loader.open(dutch)
    loader.open(dresden)
    qtbot.waitUntil(lambda: len(scene.layers) == 2 and not loader.busy, timeout=30_000)
    assert {layer.crs for layer in scene.layers} == {scene.crs}
    assert len(notices) == 1 and "was warped from" in notices[0]
