"""A live layer's timeline: observation times as steps that grow, follow live, and values at a step."""

import numpy as np
import pytest

from tests.conftest import REFERENCE
from tests.sensor_service import SensorThingsServer
from twin.core.data import Datastream, SensorData, TimeSeries
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed, Observation, live_feed
from twin.io.sensorthings_client import SensorThingsClient, ServicePoller, ServiceSettings

SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"
QUICK = ServiceSettings(timeout_s=1.0, retries=2, backoff_s=0.01)


@pytest.fixture
def service():
    with SensorThingsServer(SERVICE_FILE) as server:
        yield server


@pytest.fixture
def live(service):
    """The service opened since 17:00 as a live layer: the rain gauge's 5-minute sums and the air's hours."""
    client = SensorThingsClient(service.url, settings=QUICK)
    sensors, raw_ids = client.sensors(since=np.datetime64("2026-07-10T17:00:00"))
    feed = LiveSensorFeed(SensorsLayer(sensors, "live"))
    yield feed, ServicePoller(client, raw_ids)
    client.close()


def poll(feed: LiveSensorFeed, poller: ServicePoller) -> int:
    latest = {stream: feed.latest_time(stream) for stream in feed.datastream_ids()}
    return feed.merge(poller.poll(latest)).total_added


def test_the_steps_are_every_observation_time_and_the_newest_is_shown_live(live):
    feed, _ = live
    assert live_feed(feed.layer) is feed and live_feed(SensorsLayer(feed.layer.data, "file")) is None
    expected = np.unique(np.concatenate([stream.series.times for stream in feed.layer.data.datastreams]))
    np.testing.assert_array_equal(feed.times, expected)
    assert feed.time_steps == len(expected) and feed.time_index == len(expected) - 1
    assert feed.following_live
    assert feed.time_labels[-1] == f"{str(expected[-1])[:16].replace('T', ' ')} UTC"


def test_new_observations_extend_the_steps_and_a_live_view_moves_on_with_them(live, service):
    feed, poller = live
    steps, moves = [], []
    feed.events.times.connect(steps.append)
    feed.events.time_index.connect(moves.append)
    before = feed.time_steps
    service.add_observation(11, "2026-07-10T18:05:00Z", 7.5, 3001)
    service.add_observation(11, "2026-07-10T18:10:00Z", 2.5, 3002)
    assert poll(feed, poller) == 2
    assert steps == [before + 2] and moves == [before + 1]
    assert feed.following_live and str(feed.times[-1]) == "2026-07-10T18:10:00"
    assert feed.layer.data.attributes["latest_precipitation"][0] == 2.5


def test_a_step_back_shows_each_stations_value_then_and_stays_there_as_observations_arrive(live, service):
    feed, poller = live
    rain = feed.layer.data.datastreams[0]
    then = int(np.searchsorted(feed.times, rain.series.times[-3]))
    feed.time_index = then
    assert not feed.following_live
    assert feed.layer.data.attributes["latest_precipitation"][0] == rain.series.values[-3]
    shown = feed.times[then]
    service.add_observation(11, "2026-07-10T18:05:00Z", 7.5, 3001)
    assert poll(feed, poller) == 1
    assert feed.times[feed.time_index] == shown and not feed.following_live  # not jumped
    assert feed.layer.data.attributes["latest_precipitation"][0] == rain.series.values[-3]
    feed.time_index = feed.time_steps - 1  # back to the newest: live again
    assert feed.following_live and feed.layer.data.attributes["latest_precipitation"][0] == 7.5


def test_an_observation_older_than_the_shown_time_keeps_the_shown_time_and_moves_its_step():
    sensors_layer = SensorsLayer(_two_station_sensors(), "live")
    feed = LiveSensorFeed(sensors_layer)
    feed.time_index = 1  # 10:10, of three steps
    moves = []
    feed.events.time_index.connect(moves.append)
    feed.merge([Observation("b", np.datetime64("2026-07-10T10:02:00"), 4.0)])
    assert str(feed.times[feed.time_index]) == "2026-07-10T10:10:00" and moves == [2]
    # station b had nothing until 10:02; at 10:10 its newest value is that one
    assert feed.layer.data.attributes["latest_precipitation"].tolist() == [2.0, 4.0]
    feed.time_index = 0
    assert np.isnan(feed.layer.data.attributes["latest_precipitation"][1])


def test_a_step_outside_the_timeline_is_refused(live):
    feed, _ = live
    with pytest.raises(ValueError, match="outside"):
        feed.time_index = feed.time_steps


def _two_station_sensors() -> SensorData:
    times = np.array(["2026-07-10T10:00", "2026-07-10T10:10", "2026-07-10T10:20"], dtype="datetime64[s]")
    a = Datastream("a", "A", "rain A", "precipitation", "mm", TimeSeries(times, np.array([1.0, 2.0, 3.0])))
    b = Datastream("b", "B", "rain B", "precipitation", "mm",
                   TimeSeries(np.array([], dtype="datetime64[s]"), np.array([])))
    return SensorData(np.array(["A", "B"]), np.zeros((2, 3)), {}, [a, b], "EPSG:25833")
