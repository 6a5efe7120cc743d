"""Off-screen rendering of a scene: the picture follows the layers' events."""

import numpy as np
import pytest
import pyvista as pv

from twin.core import Scene
from twin.io import read_layer, read_quarters

pytestmark = pytest.mark.render


@pytest.fixture
def plotter():
    plotter = pv.Plotter(off_screen=True, window_size=(320, 240))
    yield plotter
    plotter.close()


def changed_pixels(plotter, before: np.ndarray) -> int:
    """Pixels that changed in the middle of the view (the corners hold legends, north arrow, scale)."""
    image = plotter.screenshot(return_img=True).astype(int)
    middle = (slice(40, -40), slice(60, -60))
    return int((np.abs(image[middle] - before[middle]).sum(axis=2) > 30).sum())


def test_terrain_and_quarters_are_drawn_and_follow_visibility(plotter, dtm_file, quarters_file):
    from twin.render import SceneView

    scene = Scene()
    view = SceneView(scene, plotter)
    background = plotter.screenshot(return_img=True).astype(int)
    scene.add_layer(read_layer(dtm_file))
    scene.set_quarters(read_quarters(quarters_file)[0])
    view.reset_camera()
    assert changed_pixels(plotter, background) > 200 * 160 * 0.15
    scene.layers[0].visible = False
    scene.set_quarters([])
    assert changed_pixels(plotter, background) < 200 * 160 * 0.01


def test_layers_added_later_get_an_actor_and_removed_ones_lose_it(plotter, dtm_file):
    from twin.render import SceneView

    scene = Scene()
    view = SceneView(scene, plotter)
    layer = scene.add_layer(read_layer(dtm_file))
    assert view.actor_of(layer) is not None
    layer.opacity = 0.3
    assert view.actor_of(layer).GetProperty().GetOpacity() == pytest.approx(0.3)
    scene.remove_layer(layer.name)
    assert view.actor_of(layer) is None


def test_street_lines_become_one_polydata_with_a_feature_id_per_line():
    import shapely

    from twin.render.meshes import polylines

    lines = np.array([shapely.LineString([(0, 0), (1, 0), (2, 1)]),
                      shapely.LineString([(5, 5), (6, 6)])])
    mesh = polylines(lines, (0.0, 0.0, 0.0), heights=1.0)
    assert mesh.n_lines == 2 and mesh.n_points == 5
    assert mesh.cell_data["feature"].tolist() == [0, 1]
    assert mesh.lines.tolist() == [3, 0, 1, 2, 2, 3, 4]


def test_removing_a_layer_from_the_view_keeps_other_listeners(plotter, dtm_file):
    from twin.render import SceneView

    scene = Scene()
    SceneView(scene, plotter)
    layer = scene.add_layer(read_layer(dtm_file))
    seen = []
    layer.events.visible.connect(seen.append)
    scene.remove_layer(layer.name)
    layer.visible = False
    assert seen == [False]


def test_a_saved_camera_comes_back_in_map_coordinates(plotter, dtm_file):
    from twin.core.project import Camera
    from twin.render import SceneView

    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    view = SceneView(scene, plotter)
    camera = Camera((411_050.0, 5_653_500.0, 800.0), (411_100.0, 5_654_050.0, 110.0), (0.0, 0.0, 1.0))
    view.set_camera(camera)
    assert view.origin == (411_000.0, 5_654_000.0, 0.0)
    np.testing.assert_allclose(view.camera().position, camera.position)
    np.testing.assert_allclose(view.camera().focal_point, camera.focal_point)


def test_streets_and_stations_without_heights_lie_on_the_terrain(dtm_file):
    import shapely

    from twin.core.data import SensorData, StreetData
    from twin.io import read_raster
    from twin.render.meshes import STREET_LIFT, Ground, sensor_points, street_lines

    terrain = read_raster(dtm_file)
    ground = Ground([terrain])
    street = StreetData(np.array(["s"]), np.array([shapely.LineString([(411_010, 5_654_050),
                                                                       (411_190, 5_654_050)])]),
                        {"width_m": np.array([6.0])}, "EPSG:25833")
    mesh = street_lines(street, (411_000.0, 5_654_000.0, 0.0), ground)
    assert mesh.n_points > 30  # densified every 5 m to follow the bowl
    x, y = mesh.points[:, 0] + 411_000.0, mesh.points[:, 1] + 5_654_000.0
    np.testing.assert_allclose(mesh.points[:, 2], ground.heights(x, y) + STREET_LIFT)
    assert mesh.points[:, 2].max() - mesh.points[:, 2].min() > 1.0
    assert mesh.cell_data["width_m"].tolist() == [6.0]
    stations = SensorData(np.array(["a", "b"]), np.array([[411_100.0, 5_654_050.0, np.nan],
                                                        [411_100.0, 5_654_050.0, 150.0]]), {}, [], "EPSG:25833")
    points = sensor_points(stations, (0.0, 0.0, 0.0), ground)
    assert 110 < points.points[0, 2] < 120 and points.points[1, 2] == 150.0


def test_stations_can_be_coloured_by_their_numeric_attributes(plotter):
    from twin.core.data import SensorData
    from twin.core.layers import SensorsLayer
    from twin.render.colouring import colouring_for
    from twin.render.meshes import sensor_points

    latest = np.array([9.5, 0.0])
    stations = SensorData(np.array(["a", "b"]), np.array([[0.0, 0.0, 1.0], [10.0, 0.0, 1.0]]),
                          {"latest_precipitation": latest, "name": np.array(["A", "B"])}, [], "EPSG:25833")
    points = sensor_points(stations, (0.0, 0.0, 0.0))
    assert points.point_data["latest_precipitation"].tolist() == latest.tolist()
    assert "name" not in points.point_data  # text is for the inspector, not a colour map
    layer = SensorsLayer(stations, "gauges")
    layer.set_style(color_by="latest_precipitation")
    colouring = colouring_for(layer, points, (0.0, 1.0))
    assert colouring is not None and colouring.clim == (0.0, 9.5)
