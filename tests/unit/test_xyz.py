"""GeoSN's ASCII point grids (.xyz): read back exactly what a GeoTIFF holds, in every layout."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.io import MissingCRSError, TwinIOError, file_info, read_layer, read_raster
from twin.io.xyz import _number

# A 40 x 30 grid of 1 m cells in the GeoSN tile 33412_5654, with a hole of two cells inside.
ORIGIN_X, ORIGIN_Y, ROWS, COLS = 412_000.0, 5_655_030.0, 30, 40


def known_heights() -> np.ndarray:
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    heights = (112.0 + 0.137 * cols - 0.051 * rows + 0.3 * np.sin(cols * rows)).astype(np.float32)
    heights[10, 12:14] = np.nan
    return heights


def write_geotiff(path: Path, heights: np.ndarray, transform: Affine, crs: str = "EPSG:25833") -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=heights.shape[1], height=heights.shape[0], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=-9999.0) as target:
        target.write(np.where(np.isnan(heights), -9999.0, heights).astype(np.float32), 1)
    return path


def write_xyz(path: Path, heights: np.ndarray, transform: Affine, separator: str = " ",
              header: bool = False, shuffled: bool = False) -> Path:
    """One line per cell centre with data, as GeoSN writes its tiles."""
    rows, cols = np.nonzero(np.isfinite(heights))
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    order = np.random.default_rng(5).permutation(len(rows)) if shuffled else np.arange(len(rows))
    lines = ["x y z".replace(" ", separator)] if header else []
    lines += [f"{xs[i]:.2f}{separator}{ys[i]:.2f}{separator}{float(heights[rows[i], cols[i]]):.9g}"
              for i in order]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@pytest.fixture
def known_tiff(tmp_path: Path) -> Path:
    return write_geotiff(tmp_path / "known.tif", known_heights(), Affine(1, 0, ORIGIN_X, 0, -1, ORIGIN_Y))


@pytest.mark.parametrize("separator", [" ", ",", "\t"])
@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("shuffled", [False, True])
def test_a_tile_written_from_a_geotiff_reads_back_identical(tmp_path, known_tiff, separator, header, shuffled):
    expected = read_raster(known_tiff)
    tile = write_xyz(tmp_path / "dgm1_33412_5654_2_sn.xyz", known_heights(), expected.transform,
                     separator, header, shuffled)
    grid = read_layer(tile).data
    assert grid.crs == "EPSG:25833"  # from the GeoSN tile name
    assert grid.bounds == expected.bounds
    assert grid.resolution == expected.resolution
    assert grid.transform == expected.transform
    np.testing.assert_array_equal(grid.values, expected.values)  # NaN where the tile has no point


def test_a_zipped_tile_reads_as_delivered(tmp_path, known_tiff):
    expected = read_raster(known_tiff)
    tile = write_xyz(tmp_path / "dgm1_33412_5654_2_sn.xyz", known_heights(), expected.transform, shuffled=True)
    delivered = tmp_path / "dgm1_33412_5654_2_sn_xyz.zip"
    with zipfile.ZipFile(delivered, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(tile, tile.name)
    grid = read_layer(delivered, to="EPSG:25833").data
    np.testing.assert_array_equal(grid.values, expected.values)
    assert grid.transform == expected.transform
    info = file_info(delivered)
    assert (info["kind"], info["format"], info["crs"]) == ("raster", "XYZ", "EPSG:25833")
    assert (info["width"], info["height"], info["missing_cells"]) == (COLS, ROWS, 2)


def test_a_tile_without_a_geosn_name_asks_for_its_crs(tmp_path):
    tile = write_xyz(tmp_path / "terrain.xyz", known_heights(), Affine(1, 0, ORIGIN_X, 0, -1, ORIGIN_Y))
    with pytest.raises(MissingCRSError, match="names no coordinate reference system"):
        read_layer(tile, to="EPSG:25833")
    assert read_layer(tile, crs="EPSG:25832").data.crs == "EPSG:25832"


def test_eastings_with_the_zone_in_front_are_that_zones(tmp_path):
    transform = Affine(2, 0, 33_000_000 + ORIGIN_X, 0, -2, ORIGIN_Y)
    tile = write_xyz(tmp_path / "dgm2.xyz", known_heights(), transform)
    grid = read_layer(tile).data
    assert grid.crs == "EPSG:25833"
    assert grid.transform == Affine(2, 0, ORIGIN_X, 0, -2, ORIGIN_Y)


@pytest.mark.parametrize(("text", "words"), [
    ("0 0 1\n1 0 1\n2.37 0 1\n0 1 1\n1 1 1\n2.37 1 1\n", "not on a regular grid: neighbouring x coordinates are 1 m and 1.37 m"),
    ("0 0 1\n1 0 1\n0 1 1\n1 1 1\n0 1 2\n", "two lines give the grid point x = 0.000, y = 1.000"),
    ("0 0 1\n1 0 1\n0 1 1\n1 1 one\n", "line 4 holds something that is not a number"),
    ("0 0 1\n1 0 1\n0 1\n", "line 3 does not hold three numbers"),
    ("x y z\n", "holds no points"),
    ("0 0 1\n0 1 1\n", "all points have the same x"),
    ("0 0 1\n1 0 1\n0 1 1\n1 1 1\n1000.001 1000 1\n", "not on a regular grid: 5 points fill only 0.0%"),
    ("0 0 1\n1 0 1e400\n0 1 1\n1 1 1\n", "line 2 holds a number no terrain point has"),
    ("0 0 1\n-1e308 0 1\n1e308 0 1\n0 1 1\n", "line 2 holds a number no terrain point has"),
])
def test_a_tile_that_is_no_regular_grid_is_one_sentence(tmp_path, text, words):
    tile = tmp_path / "bad.xyz"
    tile.write_text(text, encoding="ascii")
    with pytest.raises(TwinIOError, match=words) as caught:
        read_layer(tile, crs="EPSG:25833")
    assert str(caught.value).startswith(str(tile)) and "\n" not in str(caught.value)


def test_numbers_parse_as_pythons_float_does():
    rng = np.random.default_rng(11)
    texts = [f"{value:.{digits}f}" for value, digits in zip(rng.uniform(-1e6, 6e6, 3000), rng.integers(0, 7, 3000),
                                                               strict=True)]
    texts += [f"{value:.9g}" for value in rng.uniform(-500, 3000, 3000).astype(np.float32)]
    texts += ["1e3", "-2.5E-2", "+7", ".5", "5.", "112.34", "0.1", "9007199254740993"]
    for text in texts:
        value, end = _number(np.frombuffer(text.encode() + b" ", dtype=np.uint8), 0)
        assert (value, end) == (float(text), len(text)), text


@pytest.mark.parametrize("text", ["-", ".", "1e", "12a", "e5", "1.2.3"])
def test_what_is_no_number_is_refused(text):
    assert _number(np.frombuffer(text.encode() + b"\n", dtype=np.uint8), 0)[1] == -1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_damaged_tile_reads_or_is_one_sentence(tmp_path, data):
    """Bytes replaced, cut or inserted anywhere: a grid, or the twin's own error in one line."""
    text = bytearray(b"x,y,z\n412000.50,5654001.50,112.31\n412001.50,5654001.50,112.4\n"
                     b"412000.50,5654000.50,111.98\n412001.50,5654000.50,1.12e2\n")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        text[at:at + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=4))
    tile = tmp_path / "damaged.xyz"
    tile.write_bytes(bytes(text))
    try:
        grid = read_layer(tile, crs="EPSG:25833").data
    except TwinIOError as error:
        assert str(error).startswith(str(tile)) and "\n" not in str(error)
        return
    assert grid.values.ndim == 2 and np.isfinite(grid.values).any()
