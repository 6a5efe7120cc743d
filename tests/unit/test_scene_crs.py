"""Data keeps its own grid: a scene that names no CRS takes its first layer's, as QGIS does."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from twin.core.data import RasterData
from twin.core.errors import CRSError
from twin.core.layers import RasterLayer
from twin.core.scene import Scene


def raster(crs: str | None) -> RasterLayer:
    return RasterLayer(RasterData(np.zeros((2, 3), dtype=np.float32), Affine(1, 0, 85_000, 0, -1, 446_000), crs),
                       "dtm")


def test_a_scene_without_crs_takes_its_first_layers():
    scene = Scene()
    assert scene.crs is None
    scene.add_layer(raster("EPSG:28992"))
    assert scene.crs == "EPSG:28992"
    with pytest.raises(CRSError, match="is in EPSG:25833 but the scene uses EPSG:28992"):
        scene.add_layer(raster("EPSG:25833"))
    scene.remove_layer("dtm")
    assert scene.crs == "EPSG:28992"  # the scene keeps the CRS it took


def test_a_layer_without_crs_gives_a_scene_none():
    scene = Scene()
    with pytest.raises(CRSError, match="has no coordinate reference system; give one \\(the scene has none yet\\)"):
        scene.add_layer(raster(None))
    assert scene.crs is None and len(scene.layers) == 0


def test_a_scene_that_names_its_crs_keeps_it():
    scene = Scene("urn:ogc:def:crs:EPSG::25833")
    assert scene.crs == "EPSG:25833"
    with pytest.raises(CRSError, match="reproject it first"):
        scene.add_layer(raster("EPSG:28992"))
