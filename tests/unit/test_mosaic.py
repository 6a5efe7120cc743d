"""A folder (or list) of GeoSN tiles opened as one layer: terrain mosaics, LiDAR and LoD2 tiles."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import laspy
import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from tests.unit.test_xyz import write_geotiff, write_xyz
from twin.core.project import Project
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import TwinIOError, file_info, read_layer, read_raster
from twin.io.mosaic import read_tiles_layer
from twin.io.project import open_project, save_project
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario

# A 60 x 80 grid of 1 m cells whose 2 x 2 tiles meet at (412040, 5654030).
WEST, NORTH, ROWS, COLS = 412_000.0, 5_654_060.0, 60, 80
DRESDEN_LOD2 = "citygml/dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"


def big_heights() -> np.ndarray:
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    heights = 110.0 + 0.004 * ((cols - 40.0) ** 2 + (rows - 30.0) ** 2) ** 1.1 + 0.01 * cols
    heights[5, 7] = np.nan
    return heights.astype(np.float32)


def cut_into_tiles(folder: Path, heights: np.ndarray, as_xyz: bool = False, cell: float = 1.0) -> list[Path]:
    """The grid as 2 x 2 GeoTIFF (or GeoSN-named .xyz) tiles in `folder`."""
    folder.mkdir(exist_ok=True)
    tiles = []
    half_rows, half_cols = heights.shape[0] // 2, heights.shape[1] // 2
    for row in (0, half_rows):
        for col in (0, half_cols):
            part = heights[row:row + half_rows, col:col + half_cols]
            transform = Affine(cell, 0, WEST + col * cell, 0, -cell, NORTH - row * cell)
            name = f"tile_{row}_{col}"
            tiles.append(write_xyz(folder / f"dgm1_33412_5654_2_sn_{name}.xyz", part, transform) if as_xyz
                         else write_geotiff(folder / f"{name}.tif", part, transform))
    return tiles


@pytest.fixture
def big_tiff(tmp_path: Path) -> Path:
    return write_geotiff(tmp_path / "big.tif", big_heights(), Affine(1, 0, WEST, 0, -1, NORTH))


@pytest.mark.parametrize("as_xyz", [False, True])
def test_a_folder_of_2x2_tiles_equals_the_single_big_raster(tmp_path, big_tiff, as_xyz):
    cut_into_tiles(tmp_path / "tiles", big_heights(), as_xyz)
    expected = read_raster(big_tiff)
    mosaic = read_layer(tmp_path / "tiles", to="EPSG:25833")
    assert mosaic.name == "tiles" and mosaic.source == tmp_path / "tiles"
    assert mosaic.data.transform == expected.transform
    assert mosaic.data.crs == expected.crs
    np.testing.assert_array_equal(mosaic.data.values, expected.values)


def test_a_list_of_zipped_tiles_is_one_mosaic(tmp_path, big_tiff):
    zipped = []
    for tile in cut_into_tiles(tmp_path / "tiles", big_heights()):
        zipped.append(tmp_path / f"{tile.stem}_tiff.zip")
        with zipfile.ZipFile(zipped[-1], "w") as archive:
            archive.write(tile, tile.name)
    mosaic = read_tiles_layer(zipped[::-1], source=tmp_path)
    np.testing.assert_array_equal(mosaic.data.values, read_raster(big_tiff).values)


def test_info_on_a_folder_describes_the_mosaic(tmp_path):
    cut_into_tiles(tmp_path / "tiles", big_heights())
    info = file_info(tmp_path / "tiles")
    assert (info["kind"], info["crs"], info["tiles"]) == ("raster", "EPSG:25833", 4)
    assert (info["width"], info["height"], info["resolution"]) == (COLS, ROWS, [1.0, 1.0])
    assert info["bounds"] == [WEST, NORTH - ROWS, WEST + COLS, NORTH]
    json.dumps(info, allow_nan=False)


def test_tiles_of_mixed_crs_cell_size_grid_or_kind_are_one_clear_error(tmp_path):
    heights = big_heights()[:10, :10]
    cases = {
        "crs": [(Affine(1, 0, WEST, 0, -1, NORTH), "EPSG:25833"), (Affine(1, 0, WEST + 10, 0, -1, NORTH), "EPSG:25832")],
        "cell": [(Affine(1, 0, WEST, 0, -1, NORTH), "EPSG:25833"), (Affine(2, 0, WEST + 10, 0, -2, NORTH), "EPSG:25833")],
        "grid": [(Affine(1, 0, WEST, 0, -1, NORTH), "EPSG:25833"), (Affine(1, 0, WEST + 10.5, 0, -1, NORTH), "EPSG:25833")],
    }
    words = {"crs": "holds tiles in different CRSs \\(a.tif is in EPSG:25833, b.tif in EPSG:25832\\)",
             "cell": "holds tiles of different cell sizes \\(a.tif: 1 m, b.tif: 2 m\\)",
             "grid": "b.tif does not lie on the grid of a.tif"}
    for case, tiles in cases.items():
        folder = tmp_path / case
        folder.mkdir()
        for name, (transform, crs) in zip("ab", tiles, strict=True):
            write_geotiff(folder / f"{name}.tif", heights, transform, crs)
        with pytest.raises(TwinIOError, match=words[case]) as caught:
            read_layer(folder)
        assert str(caught.value).startswith(str(folder)) and "\n" not in str(caught.value)
    (tmp_path / "crs" / "c.laz").write_bytes(b"")
    with pytest.raises(TwinIOError, match="holds raster \\(a.tif\\) and pointcloud \\(c.laz\\) files"):
        read_layer(tmp_path / "crs")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TwinIOError, match="holds no file the twin reads"):
        read_layer(tmp_path / "empty")


def write_cloud(path: Path, west: float, points: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.array([0.01, 0.01, 0.01]), np.array([west, 5654000.0, 0.0])
    header.add_crs(CRS.from_epsg(25833))
    cloud = laspy.LasData(header)
    cloud.x = west + rng.uniform(0, 100, points)
    cloud.y = 5654000.0 + rng.uniform(0, 100, points)
    cloud.z = rng.uniform(110, 130, points)
    cloud.classification = np.full(points, 2, dtype=np.uint8)
    cloud.write(path, do_compress=True, laz_backend=laspy.LazBackend.Lazrs)
    return path


def test_lidar_tiles_are_one_cloud_sampled_by_the_same_share(tmp_path):
    folder = tmp_path / "lidar"
    folder.mkdir()
    write_cloud(folder / "lsc_33412_5654_2_sn.laz", 412000.0, 40_000, 1)
    dense = write_cloud(folder / "lsc_33414_5654_2_sn.laz", 412100.0, 120_000, 2)
    with zipfile.ZipFile(tmp_path / "dense_laz.zip", "w") as archive:  # the zipped tile reads the same
        archive.write(dense, dense.name)
    dense.unlink()
    (tmp_path / "dense_laz.zip").rename(folder / "dense.zip")  # a zip named after nothing
    cloud = read_tiles_layer(sorted(folder.iterdir()), budget=16_000, source=folder).data
    assert cloud.total_points == 160_000 and cloud.crs == "EPSG:25833"
    west_share = np.count_nonzero(cloud.xyz[:, 0] < 412100.0) / 40_000
    east_share = np.count_nonzero(cloud.xyz[:, 0] >= 412100.0) / 120_000
    assert west_share == pytest.approx(0.1, rel=0.1) and east_share == pytest.approx(0.1, rel=0.1)
    info = file_info(folder)
    assert (info["kind"], info["tiles"], info["points"], info["classes"]) == ("pointcloud", 2, 160_000,
                                                                              {"2": 160_000})


def split_citygml(source: Path, folder: Path, parts: dict[str, slice]) -> list[int]:
    """The buildings of a CityGML file written as tiles holding the given ranges of its members."""
    text = source.read_text(encoding="utf-8")
    members = [match.group(0) for match in re.finditer(r"<core:cityObjectMember>.*?</core:cityObjectMember>",
                                                       text, re.DOTALL)]
    head, tail = text[:text.index(members[0])], text[text.rindex(members[-1]) + len(members[-1]):]
    folder.mkdir()
    for name, part in parts.items():
        (folder / name).write_text(head + "\n".join(members[part]) + tail, encoding="utf-8")
    return [len(members[part]) for part in parts.values()]


def test_building_tiles_keep_a_building_across_their_edge_once(tmp_path, reference):
    whole = read_layer(reference / DRESDEN_LOD2).data
    counts = split_citygml(reference / DRESDEN_LOD2, tmp_path / "lod2",
                           {"lod2_33416_5656_2_sn.gml": slice(0, 9), "lod2_33418_5656_2_sn.gml": slice(5, 14)})
    assert sum(counts) > len(whole)  # four buildings are in both tiles
    joined = read_layer(tmp_path / "lod2").data
    assert sorted(joined.ids) == sorted(whole.ids)
    assert len(joined.triangles) == len(whole.triangles)
    assert joined.triangle_building.max() == len(joined) - 1
    np.testing.assert_allclose(sorted(joined.attributes["measured_height"]), sorted(whole.attributes["measured_height"]))
    assert joined.bounds == pytest.approx(whole.bounds)


def test_a_flood_on_a_tile_folder_equals_the_flood_on_the_merged_file(tmp_path):
    """A quarter across the tiles' edges floods the same on the tiles as on the merged grid
    (480 cells: four tiles of 12 x 10 meeting at WEST + 12, NORTH - 10)."""
    rows, cols = np.mgrid[0:20, 0:24]
    gentle = (110.0 + 0.002 * ((cols - 13.0) ** 2 + (rows - 8.0) ** 2) + 0.002 * cols).astype(np.float32)
    write_geotiff(tmp_path / "big.tif", gentle, Affine(1, 0, WEST, 0, -1, NORTH))
    cut_into_tiles(tmp_path / "tiles", gentle, as_xyz=True)
    quarter = [[WEST + 4, NORTH - 16], [WEST + 20, NORTH - 16], [WEST + 20, NORTH - 4], [WEST + 4, NORTH - 4],
               [WEST + 4, NORTH - 16]]
    (tmp_path / "quarters.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25833"}},
        "features": [{"type": "Feature", "properties": {"name": "Across"},
                      "geometry": {"type": "Polygon", "coordinates": [quarter]}}]}), encoding="utf-8")
    results = {}
    for terrain in ("big.tif", "tiles"):
        (tmp_path / "flood.toml").write_text(
            '[scenario]\nname = "Flood"\nsimulation = "flood"\nseed = 1\nquarters_file = "quarters.geojson"\n\n'
            f'[inputs]\nterrain = "{terrain}"\n\n'
            '[parameters]\nrain = "block"\nblock_depth_mm = 40.0\nrain_duration_min = 5.0\n'
            'duration_min = 2.0\nsnapshot_interval_min = 1.0\n', encoding="utf-8")
        _, report = run_scenario(Scenario.load(tmp_path / "flood.toml"), SimulationRegistry.discover())
        assert report.ok, report.traceback
        results[terrain] = report.output
    assert results["tiles"].per_quarter == results["big.tif"].per_quarter
    depth = {name: next(result for result in output.results if result.name == "max_depth")
             for name, output in results.items()}
    np.testing.assert_array_equal(depth["tiles"].values, depth["big.tif"].values)
    assert np.nanmax(depth["tiles"].values) > 0.016  # the 16 mm fallen gather in the bowl
    assert depth["tiles"].transform == depth["big.tif"].transform


def test_a_raster_in_another_vertical_reference_is_reported(tmp_path):
    path = tmp_path / "dhhn92.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs=CRS("EPSG:25833+5783").to_wkt(), transform=Affine(1, 0, WEST, 0, -1, NORTH)) as target:
        target.write(np.ones((4, 4), dtype=np.float32), 1)
    notes: list[str] = []
    layer = read_layer(path, to="EPSG:25833", notes=notes)
    assert layer.crs == "EPSG:25833"
    assert len(notes) == 1 and "heights are in DHHN92 height (EPSG:5783), not in DHHN2016 (EPSG:7837)" in notes[0]
    assert file_info(path)["notes"] == notes
    write_geotiff(tmp_path / "plain.tif", np.ones((4, 4), dtype=np.float32), Affine(1, 0, WEST, 0, -1, NORTH))
    assert "notes" not in file_info(tmp_path / "plain.tif")


def test_a_point_cloud_in_another_vertical_reference_is_reported(tmp_path):
    header = laspy.LasHeader(point_format=3, version="1.4")
    header.add_crs(CRS("EPSG:25833+5783"))
    cloud = laspy.LasData(header)
    cloud.x, cloud.y, cloud.z = np.array([WEST, WEST + 1]), np.array([NORTH, NORTH + 1]), np.array([110.0, 111.0])
    cloud.write(tmp_path / "dhhn92.las")
    notes: list[str] = []
    assert read_layer(tmp_path / "dhhn92.las", to="EPSG:25833", notes=notes).crs == "EPSG:25833"
    assert len(notes) == 1 and "DHHN92" in notes[0]


def test_a_project_reopens_a_folder_of_tiles_as_one_layer(tmp_path):
    cut_into_tiles(tmp_path / "tiles", big_heights())
    scene = Scene()
    scene.add_layer(read_layer(tmp_path / "tiles"))
    save_project(scene, tmp_path / "city.toml", "city")
    opened = open_project(Project.load(tmp_path / "city.toml"))
    assert opened.problems == [] and [layer.name for layer in opened.scene.layers] == ["tiles"]
    np.testing.assert_array_equal(opened.scene.layer("tiles").data.values, scene.layer("tiles").data.values)


def test_a_building_model_in_dhhn92_is_reported(reference):
    """The KIT's FZK-Haus names urn:adv:crs:ETRS89_UTM32*DE_DHHN92_NH: DHHN92 heights."""
    notes: list[str] = []
    read_layer(reference / "citygml" / "FZK-Haus-LoD2_citygml3.gml", notes=notes)
    assert len(notes) == 1 and "the heights are in DE_DHHN92_NH (AdV), not in DHHN2016" in notes[0]
    assert file_info(reference / "citygml" / "FZK-Haus-LoD2_citygml3.gml")["notes"] == notes
    assert "notes" not in file_info(reference / DRESDEN_LOD2)  # GeoSN's own: DHHN2016


def test_tiles_too_far_apart_for_memory_are_one_sentence(tmp_path):
    heights = np.ones((4, 4), dtype=np.float32)
    (tmp_path / "far").mkdir()
    write_geotiff(tmp_path / "far" / "a.tif", heights, Affine(1, 0, 0, 0, -1, 4))
    write_geotiff(tmp_path / "far" / "b.tif", heights, Affine(1, 0, 9_000_000, 0, -1, 9_000_000))
    with pytest.raises(TwinIOError, match="the tiles span 9,000,004 x 9,000,000 cells .* open fewer or nearer tiles"):
        read_layer(tmp_path / "far")
