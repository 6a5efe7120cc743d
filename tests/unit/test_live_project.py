"""Live layers in a project file: what is kept (never a token), read back, and bad tables refused."""

import dataclasses

import numpy as np
import pytest

from tests.conftest import REFERENCE
from twin.core import Scene
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed, LiveSource, live_feed
from twin.core.live_project import TOPIC_KEYS, LiveEntry
from twin.core.project import Project, ProjectError
from twin.io.mqtt_feed import TopicMapping
from twin.io.project import open_project, save_project
from twin.io.reproject import to_crs
from twin.io.sensors import read_sensors

SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"
SOURCE = LiveSource("https://sta.example.org/v1.1", 30.0, "broker.example.org:1883",
                    ({"topic": "dresden/rain", "datastream_key": "stream", "time_key": "ts"},), needs_token=True)


def test_the_topic_keys_are_the_mappings_fields():
    assert tuple(field.name for field in dataclasses.fields(TopicMapping)) == TOPIC_KEYS


def test_a_live_layer_is_saved_with_its_source_and_observations_and_opens_live(tmp_path):
    scene = Scene("EPSG:25833")
    sensors = to_crs(read_sensors(SERVICE_FILE), "EPSG:25833")
    layer = SensorsLayer(sensors, "sta.example.org")
    LiveSensorFeed(layer, SOURCE)
    scene.add_layer(layer)
    layer.set_style(color_by="latest_precipitation", colormap="Blues")
    save_project(scene, tmp_path / "city.toml", "city")
    project = Project.load(tmp_path / "city.toml")
    assert project.live == [LiveEntry(name="sta.example.org", source=SOURCE,
                                      observations=tmp_path / "city_live" / "sta.example.org.sta.json",
                                      color_by="latest_precipitation", colormap="Blues")]
    assert project.layers == []  # not also a sensors file among the [[layers]]
    opened = open_project(project)
    (reopened,) = opened.scene.layers
    assert opened.problems == [] and live_feed(reopened).source == SOURCE and reopened.source is None
    for saved, read in zip(sensors.datastreams, reopened.data.datastreams, strict=True):
        assert saved.id == read.id and saved.unit == read.unit
        np.testing.assert_array_equal(saved.series.times, read.series.times)
        np.testing.assert_array_equal(saved.series.values, read.series.values)
    np.testing.assert_allclose(reopened.data.xyz[:, :2], sensors.xyz[:, :2], atol=1e-3)


def test_a_missing_observations_file_is_one_sentence_and_the_rest_opens(tmp_path):
    (tmp_path / "city.toml").write_text(
        '[project]\nname = "city"\n\n[[live]]\nname = "gauges"\nservice = "https://sta.example.org/v1.1"\n'
        'observations = "city_live/gauges.sta.json"\n', encoding="utf-8")
    opened = open_project(Project.load(tmp_path / "city.toml"))
    assert len(opened.problems) == 1 and opened.problems[0].startswith("live layer 'gauges' not opened: ")
    assert len(opened.scene.layers) == 0


@pytest.mark.parametrize(("table", "problem"), [
    ('name = "g"\nservise = "x"\nobservations = "g.json"\n', "unknown key 'servise' in live layer 1 (did you mean "
                                                               "'service'?)"),
    ('name = "g"\nobservations = "g.json"\n', "live layer 1 needs a 'service' URL, an 'mqtt_broker' or both"),
    ('name = "g"\nservice = "x"\n', "live layer 1 needs 'observations' (non-empty text)"),
    ('name = "g"\nservice = "x"\nobservations = "g.json"\npoll_interval_s = 0\n',
     "live layer 1 poll_interval_s must be a number of seconds above 0"),
    ('name = "g"\nmqtt_broker = "b:1883"\nobservations = "g.json"\n[[live.mqtt_topics]]\ntopik = "a"\n',
     "live layer 1 mqtt_topics: each needs a 'topic' and text values"),
])
def test_a_bad_live_table_is_refused_in_one_sentence_naming_the_file(tmp_path, table, problem):
    path = tmp_path / "city.toml"
    path.write_text(f'[project]\nname = "city"\n\n[[live]]\n{table}', encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        Project.load(path)
    assert str(caught.value) == f"{path}: {problem}"
