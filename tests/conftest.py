"""Shared fixtures: the test data folder (tests/data, real files with their provenance) and small generated grids, quarters and scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = PROJECT_ROOT / "tests" / "data"

# A 200 m x 100 m grid at 2 m in Dresden's CRS, lower-left corner at (411000, 5654000).
ORIGIN_X, ORIGIN_Y, CELL, ROWS, COLS = 411_000.0, 5_654_100.0, 2.0, 50, 100


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"the reference data is missing: {REFERENCE}")
    return REFERENCE


def bowl_heights() -> np.ndarray:
    """A tilted bowl around 110 m with one no-data corner cell."""
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    heights = 110.0 + 0.002 * ((cols - 50) ** 2 + (rows - 25) ** 2) + 0.01 * cols
    heights[0, 0] = np.nan
    return heights.astype(np.float32)


def write_dtm(path: Path, heights: np.ndarray | None = None, crs: str | None = "EPSG:25833") -> Path:
    heights = bowl_heights() if heights is None else heights
    profile = {"driver": "GTiff", "width": heights.shape[1], "height": heights.shape[0],
               "count": 1, "dtype": "float32", "nodata": -9999.0,
               "transform": Affine(CELL, 0, ORIGIN_X, 0, -CELL, ORIGIN_Y)}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as target:
        target.write(np.where(np.isnan(heights), -9999.0, heights).astype(np.float32), 1)
    return path


def write_quarters(path: Path) -> Path:
    """Two quarters: the west and east halves of the grid."""
    def square(x0: float, x1: float) -> dict:
        y0, y1 = ORIGIN_Y - ROWS * CELL, ORIGIN_Y
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1],
                                                    [x0, y0]]]}
    middle = ORIGIN_X + COLS * CELL / 2
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
        "features": [
            {"type": "Feature", "properties": {"name": "West"},
             "geometry": square(ORIGIN_X, middle)},
            {"type": "Feature", "properties": {"name": "East", "approximate": True},
             "geometry": square(middle, ORIGIN_X + COLS * CELL)},
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def dtm_file(tmp_path: Path) -> Path:
    return write_dtm(tmp_path / "dtm.tif")


@pytest.fixture
def quarters_file(tmp_path: Path) -> Path:
    return write_quarters(tmp_path / "quarters.geojson")


@pytest.fixture
def selftest_scenario(tmp_path: Path, dtm_file: Path, quarters_file: Path) -> Path:
    path = tmp_path / "selftest.toml"
    path.write_text(
        '[scenario]\nname = "Self-test"\nsimulation = "selftest"\nseed = 7\n'
        'quarters_file = "quarters.geojson"\n\n'
        '[inputs]\nterrain = "dtm.tif"\n\n'
        '[parameters]\nnoise = 0.2\npasses = 4\n', encoding="utf-8")
    return path
