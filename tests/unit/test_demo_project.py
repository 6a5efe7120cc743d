"""The whole demo city: every generated file reads back through the twin's own readers."""

import pytest

from data.demo import CRS, PROJECT_FILE, _generate_into, demo_project
from twin.core.feedback import Feedback
from twin.core.project import Project
from twin.io import file_info
from twin.io.project import open_project

QUARTERS = ("friedrichstadt", "johannstadt", "prohlis")


PROGRESS: list[float] = []


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "city"
    demo_project(folder, Feedback(lambda fraction, message: PROGRESS.append(fraction)))
    return folder


def test_the_project_opens_every_layer_with_the_quarters(demo_folder):
    opened = open_project(Project.load(demo_folder / PROJECT_FILE))
    assert opened.problems == []
    scene = opened.scene
    assert scene.crs == CRS
    assert [quarter.name for quarter in scene.quarters] == ["Friedrichstadt", "Johannstadt", "Prohlis"]
    kinds = [layer.kind for layer in scene.layers]
    assert kinds == ["raster"] * 3 + ["pointcloud"] * 3 + ["buildings"] * 3 + ["streets"] * 3 + ["sensors"]
    assert not any(layer.visible for layer in scene.layers_of_kind("pointcloud"))  # heavy; shown on demand


@pytest.mark.parametrize("quarter", QUARTERS)
def test_each_quarter_has_buildings_lidar_and_streets_with_sensible_counts(demo_folder, quarter):
    buildings = file_info(demo_folder / f"{quarter}_lod2.gml")
    assert (buildings["format"], buildings["version"], buildings["crs"]) == ("CityGML", "2.0", CRS)
    assert 200 <= buildings["buildings"] <= 1000
    assert buildings["surfaces"]["roof"] >= buildings["buildings"]
    assert buildings["surfaces"]["ground"] == buildings["buildings"]
    assert buildings["skipped_polygons"] == 0

    lidar = file_info(demo_folder / f"{quarter}_lidar.laz")
    assert lidar["crs"] == CRS and lidar["format"] in ("LAZ", "LAS")
    assert set(lidar["classes"]) == {"2", "5", "6"}
    minx, miny, _, maxx, maxy, _ = lidar["bounds"]
    assert 4.0 <= lidar["points"] / ((maxx - minx) * (maxy - miny)) <= 10.0  # points per m2

    streets = file_info(demo_folder / f"{quarter}_streets.gpkg")
    assert streets["crs"] == CRS and streets["features"] >= 30
    assert streets["inspections"] == 5 * streets["features"]


def test_the_sensors_come_in_both_formats_with_the_same_content(demo_folder):
    sta = file_info(demo_folder / "sensors.sta.json")
    csv = file_info(demo_folder / "sensors_observations.csv")
    assert sta["crs"] == "EPSG:4326" and csv["crs"] == CRS
    for key in ("stations", "datastreams", "observations"):
        assert sta[key] == csv[key] > 0


def test_an_interrupted_generation_leaves_no_half_city(tmp_path, monkeypatch):
    def fail(folder, feedback):
        (folder / "friedrichstadt_dtm1.tif").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr("data.demo.generate", fail)
    with pytest.raises(KeyboardInterrupt):
        _generate_into(tmp_path / "city", Feedback())
    assert list(tmp_path.iterdir()) == []


def test_generation_reported_its_progress_to_the_end(demo_folder):
    assert PROGRESS[0] == 0.0 and PROGRESS[-1] == 1.0 and sorted(PROGRESS) == PROGRESS
