import numpy as np
import pytest
import shapely
from affine import Affine

from twin.core import CRSError, Quarter, RasterLayer, Scene, result_layer
from twin.core.data import RasterData, ResultRaster, ResultTable


def raster(crs="EPSG:25833", shape=(4, 6)) -> RasterData:
    return RasterData(np.arange(np.prod(shape), dtype=np.float32).reshape(shape),
                      Affine(1, 0, 1000, 0, -1, 2000), crs)


def test_layer_setters_validate_and_emit():
    layer = RasterLayer(raster(), "dtm")
    seen = []
    layer.events.opacity.connect(seen.append)
    layer.events.visible.connect(seen.append)
    layer.opacity = 0.4
    layer.visible = False
    layer.visible = False  # no change, no event
    assert seen == [0.4, False]
    with pytest.raises(ValueError, match="between 0 and 1"):
        layer.opacity = 1.5
    assert layer.opacity == 0.4


def test_layer_refuses_the_wrong_data():
    with pytest.raises(TypeError, match="raster layer holds RasterData"):
        RasterLayer(np.zeros((2, 2)), "dtm")


def test_style_only_takes_attributes_the_layer_has():
    layer = RasterLayer(raster(), "dtm")
    layer.set_style("elevation", "terrain", (0.0, 10.0))
    assert (layer.color_by, layer.colormap, layer.color_range) == ("elevation", "terrain",
                                                                   (0.0, 10.0))
    with pytest.raises(ValueError, match="no attribute 'depth'"):
        layer.set_style("depth")


def test_scene_keeps_order_names_layers_uniquely_and_emits():
    scene = Scene()
    inserted = []
    scene.layers.events.inserted.connect(lambda index, layer: inserted.append(layer.name))
    scene.add_layer(RasterLayer(raster(), "dtm"))
    scene.add_layer(RasterLayer(raster(), "dtm"))
    assert [layer.name for layer in scene.layers] == ["dtm", "dtm (2)"]
    assert inserted == ["dtm", "dtm (2)"]
    scene.layers.move(1, 0)
    assert scene.layers[0].name == "dtm (2)"
    scene.remove_layer("dtm")
    assert [layer.name for layer in scene.layers] == ["dtm (2)"]


def test_scene_refuses_a_layer_in_another_crs_or_without_one():
    scene = Scene("EPSG:25833")
    with pytest.raises(CRSError, match="EPSG:28992 but the scene uses EPSG:25833"):
        scene.add_layer(RasterLayer(raster("EPSG:28992"), "delft"))
    with pytest.raises(CRSError, match="no coordinate reference system"):
        scene.add_layer(RasterLayer(raster(None), "unknown"))
    assert len(scene.layers) == 0


def test_unknown_layer_name_suggests_the_closest():
    scene = Scene()
    scene.add_layer(RasterLayer(raster(), "terrain"))
    with pytest.raises(KeyError, match="did you mean 'terrain'"):
        scene.layer("terain")


def test_scene_bounds_cover_layers_and_quarters():
    scene = Scene()
    scene.add_layer(RasterLayer(raster(), "dtm"))
    scene.set_quarters([Quarter("Q", shapely.box(990, 1990, 1001, 1999))])
    assert scene.bounds == (990, 1990, 1006, 2000)


def test_result_tables_need_no_crs_and_result_stacks_step_through_time():
    scene = Scene()
    table = ResultTable("per_building", "buildings", {"depth": np.array([0.1, 0.3])}, {"depth": "m"})
    scene.add_layer(result_layer(table, "depths"))
    stack = ResultRaster("depth", np.zeros((3, 4, 6)), Affine(1, 0, 1000, 0, -1, 2000),
                         "EPSG:25833", "m", times=np.array([0.0, 60.0, 120.0]))
    layer = scene.add_layer(result_layer(stack, "depth over time"))
    assert layer.time_steps == 3
    steps = []
    layer.events.time_index.connect(steps.append)
    layer.time_index = 2
    assert steps == [2]
    with pytest.raises(ValueError, match="outside"):
        layer.time_index = 3
