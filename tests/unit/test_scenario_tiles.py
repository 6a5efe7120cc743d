"""A quarter's run on a folder of city tiles reads only the tiles around its quarters, and floods
as the run on the folder read whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from tests.unit.test_xyz import write_geotiff
from twin.core.errors import TwinError
from twin.core.scenario import Scenario
from twin.io import read_layer
from twin.io.raster import write_geotiff as write_raster
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario

CELL, TILE_CELLS = 10.0, 200  # GeoSN's 2 km tiles, at 10 m cells
WEST, SOUTH = 412_000.0, 5_654_000.0
QUARTER = (412_600.0, 5_654_600.0, 413_000.0, 5_655_000.0)  # in the south-western tile, 600 m from its edges


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


def city_heights() -> np.ndarray:
    """4 km x 4 km at 10 m: a slope to the north-east with hollows that the rain fills."""
    rows, cols = np.mgrid[0:2 * TILE_CELLS, 0:2 * TILE_CELLS]
    heights = 120.0 - 0.002 * CELL * cols + 0.001 * CELL * rows + 0.8 * np.sin(cols / 7.0) * np.cos(rows / 5.0)
    heights += np.random.default_rng(18).normal(0.0, 0.05, heights.shape)
    return heights.astype(np.float32)


def write_tiles(folder: Path, heights: np.ndarray) -> list[Path]:
    """The grid as GeoSN's four 2 km DTM tiles, named after their lower-left corners in km."""
    folder.mkdir()
    tiles = []
    for row in (0, TILE_CELLS):
        for col in (0, TILE_CELLS):
            west, north = WEST + col * CELL, SOUTH + 2 * TILE_CELLS * CELL - row * CELL
            name = f"dgm1_33{west / 1000:.0f}_{(north - TILE_CELLS * CELL) / 1000:.0f}_2_sn.tif"
            tiles.append(write_geotiff(folder / name, heights[row:row + TILE_CELLS, col:col + TILE_CELLS],
                                       Affine(CELL, 0, west, 0, -CELL, north)))
    return tiles


def write_scenario(folder: Path, terrain: str, quarter: tuple[float, float, float, float] = QUARTER) -> Path:
    x0, y0, x1, y1 = quarter
    (folder / "quarters.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25833"}},
        "features": [{"type": "Feature", "properties": {"name": "Quarter"}, "geometry": {
            "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}]}),
        encoding="utf-8")
    scenario = folder / "flood.toml"
    scenario.write_text(
        '[scenario]\nname = "Flood"\nsimulation = "flood"\nseed = 1\nquarters = ["Quarter"]\n'
        f'quarters_file = "quarters.geojson"\n\n[inputs]\nterrain = "{terrain}"\n\n'
        '[parameters]\nrain = "block"\nblock_depth_mm = 40.0\nrain_duration_min = 10.0\nduration_min = 15.0\n'
        'snapshot_interval_min = 5.0\ncrop_to_quarters = true\n', encoding="utf-8")
    return scenario


def test_a_quarters_run_reads_only_its_tile_and_floods_as_on_the_whole_folder(tmp_path):
    write_tiles(tmp_path / "tiles", city_heights())
    notes: list[str] = []
    scene, report = run_scenario(Scenario.load(write_scenario(tmp_path, "tiles")), SimulationRegistry.discover(),
                                 notes=notes)
    assert report.ok, report.error
    assert any(note.startswith("tiles: 1 of its 4 tiles read") for note in notes), notes
    terrain = scene.layer("terrain").data
    assert terrain.bounds[0] >= WEST and terrain.bounds[2] <= WEST + TILE_CELLS * CELL  # one tile's cells
    assert terrain.shape == (60, 60)  # the quarter's 400 m and 100 m on each side

    write_raster(tmp_path / "whole.tif", read_layer(tmp_path / "tiles").data)  # what a whole read gives
    _, whole = run_scenario(Scenario.load(write_scenario(tmp_path, "whole.tif")), SimulationRegistry.discover())
    depths = [{result.name: result for result in run.output.results}["max_depth"] for run in (report, whole)]
    assert depths[0].transform == depths[1].transform
    np.testing.assert_array_equal(depths[0].values, depths[1].values)
    assert np.nanmax(depths[0].values) > 0.05  # the hollows fill
    assert report.output.per_quarter == whole.output.per_quarter


def test_a_quarter_off_the_tiles_is_refused_in_one_sentence(tmp_path):
    write_tiles(tmp_path / "tiles", city_heights())
    scenario = write_scenario(tmp_path, "tiles", (420_000.0, 5_660_000.0, 420_400.0, 5_660_400.0))
    with pytest.raises(TwinError, match="lies outside the tiles"):
        run_scenario(Scenario.load(scenario), SimulationRegistry.discover())
