"""Observations over MQTT with the real Mosquitto broker: merging, bad messages, floods, a broker restart."""

import json
import time
from collections.abc import Iterable

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import REFERENCE
from tests.sensor_service import Mosquitto, mosquitto_binary
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed
from twin.io.mqtt_feed import (
    MessageError,
    MqttObservationFeed,
    TopicMapping,
    parse_message,
    sensorthings_topic,
)
from twin.io.sensors import read_sensors, sensors_from_response

SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"
RAIN_TOPIC = "v1.1/Datastreams(11)/Observations"

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="the mosquitto broker is not installed "
                                "(apt-get install mosquitto; .ci/run installs it)")


@pytest.fixture
def broker(tmp_path):
    server = Mosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live():
    sensors = read_sensors(SERVICE_FILE)
    return LiveSensorFeed(SensorsLayer(sensors, "gauges"))


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-publisher-{port}")
    client.reconnect_delay_set(1, 2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish(sender: mqtt.Client, numbers: Iterable[int]) -> None:
    """Publish the rain gauge's observations `numbers` (see `observation`), each acknowledged."""
    for number in numbers:
        sender.publish(RAIN_TOPIC, observation(number), qos=1).wait_for_publish(5)


def observation(number: int) -> bytes:
    """The rain gauge's observation `number` after the file's last one (18:00), every 5 minutes."""
    end = np.datetime64("2026-07-10T18:00:00") + np.timedelta64(5 * number, "m")
    return json.dumps({"@iot.id": 3000 + number, "phenomenonTime": f"{end}Z", "result": number / 10}).encode()


def collect(feed: MqttObservationFeed, live: LiveSensorFeed, until, timeout_s: float = 20.0) -> None:
    """Merge what arrives until `until()` holds or the time runs out, then what is still queued:
    everything may have arrived before the first look (the feed counts a message before queueing it)."""
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        feed.wait(0.2)
        live.merge(feed.drain())
    feed.wait(0.2)
    live.merge(feed.drain())


def test_the_sensorthings_topic_names_its_datastream():
    assert sensorthings_topic(11) == RAIN_TOPIC
    assert sensorthings_topic("AQ-Johannstadt/air_temperature") == \
        "v1.1/Datastreams('AQ-Johannstadt/air_temperature')/Observations"
    item = parse_message("v1.1/Datastreams('it''s')/Observations",
                         b'{"phenomenonTime": "2026-07-10T18:05:00+02:00", "result": 1.5, "@iot.id": 7}',
                         TopicMapping("#"))
    assert (item.datastream_id, str(item.time), item.value, item.id) == ("it's", "2026-07-10T16:05:00", 1.5, "7")


@pytest.mark.parametrize("time", ["2026-07-10T18:05:00Z", "2026-07-10T18:05:00.750Z", "2026-07-10Z",
                                  "2026-07-10T20:05:00+02:00", "2026-07-10T18:00:00Z/2026-07-10T18:05:00Z"])
def test_a_message_reads_its_time_as_a_saved_response_would(time):
    document = {"value": [{"@iot.id": 1, "Locations": [{"location": {"type": "Point", "coordinates": [13.7, 51.0]}}],
                           "Datastreams": [{"@iot.id": 11, "Observations": [{"phenomenonTime": time, "result": 2}]}]}]}
    path = REFERENCE.parent / "unused.json"
    expected = sensors_from_response(path, document).datastreams[0].series.times[0]
    item = parse_message(RAIN_TOPIC, json.dumps({"phenomenonTime": time, "result": 2}).encode(), TopicMapping("#"))
    assert item.time == expected and item.value == 2.0


def test_a_configured_topic_maps_its_own_payload():
    mapping = TopicMapping("dresden/+/rain", datastream_key="gauge", time_key="ts", value_key="mm")
    item = parse_message("dresden/johannstadt/rain", b'{"gauge": 11, "ts": "2026-07-10T18:05:00Z", "mm": 3}',
                         mapping)
    assert (item.datastream_id, str(item.time), item.value, item.id) == ("11", "2026-07-10T18:05:00", 3.0, None)


@pytest.mark.parametrize(("payload", "problem"), [
    (b"<html>", r"not valid JSON \(Expecting value at column 1\)"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"[1, 2]", "not an object"),
    (b'{"result": 1}', "has no 'phenomenonTime'"),
    (b'{"phenomenonTime": "2026-07-10T18:05:00Z", "result": "heavy"}', 'has no numeric result \\(found "heavy"\\)'),
    (b'{"phenomenonTime": "yesterday", "result": 1}', "unreadable phenomenonTime 'yesterday'"),
])
def test_a_malformed_message_is_one_clear_reason(payload, problem):
    with pytest.raises(MessageError, match=problem):
        parse_message(RAIN_TOPIC, payload, TopicMapping(RAIN_TOPIC))


def test_published_observations_reach_the_layer_once(broker, live):
    feed = MqttObservationFeed("127.0.0.1", broker.port, [TopicMapping(RAIN_TOPIC)])
    feed.start(wait_s=10)
    sender = publisher(broker.port)
    try:
        publish(sender, range(1, 21))
        publish(sender, (5, 6))  # delivered again, as after a reconnect
        collect(feed, live, lambda: feed.received >= 22)
    finally:
        sender.loop_stop()
        feed.stop()
    rain = live.layer.data.datastreams[0]
    assert len(rain.series.values) == 73 + 20
    assert len(np.unique(rain.series.times)) == len(rain.series.times)
    assert rain.series.values[-1] == 2.0 and live.layer.data.attributes["latest_precipitation"][0] == 2.0


def test_bad_messages_are_reported_once_each_and_the_good_ones_still_merge(broker, live):
    feed = MqttObservationFeed("127.0.0.1", broker.port, [TopicMapping(RAIN_TOPIC)])
    feed.start(wait_s=10)
    sender = publisher(broker.port)
    try:
        sender.publish(RAIN_TOPIC, observation(1), qos=1).wait_for_publish(5)
        for _ in range(3):
            sender.publish(RAIN_TOPIC, b"<html>oops</html>", qos=1).wait_for_publish(5)
        sender.publish(RAIN_TOPIC, b'{"phenomenonTime": "2026-07-10T18:10:00Z"}', qos=1).wait_for_publish(5)
        sender.publish(RAIN_TOPIC, observation(2), qos=1).wait_for_publish(5)
        collect(feed, live, lambda: feed.received >= 6)
    finally:
        sender.loop_stop()
        feed.stop()
    problems = feed.take_problems()
    assert problems == [
        f"mqtt://127.0.0.1:{broker.port}: topic {RAIN_TOPIC}: a message is not valid JSON (Expecting value at "
        "column 1) (3 messages left out)",
        f"mqtt://127.0.0.1:{broker.port}: topic {RAIN_TOPIC}: a message has no 'result' (1 message left out)"]
    assert feed.take_problems() == []  # said once
    assert live.layer.data.datastreams[0].series.values[-2:].tolist() == [0.1, 0.2]


def test_a_broker_restart_loses_nothing_received_and_duplicates_nothing(broker, live):
    feed = MqttObservationFeed("127.0.0.1", broker.port, [TopicMapping(RAIN_TOPIC)])
    feed.start(wait_s=10)
    sender = publisher(broker.port)
    try:
        publish(sender, range(1, 11))
        collect(feed, live, lambda: feed.received >= 10)
        broker.stop()
        collect(feed, live, lambda: not feed.connected, timeout_s=10)
        assert not feed.connected
        broker.start()
        assert feed.wait_connected(20)  # connected counts from the broker's acknowledged subscription
        deadline = time.monotonic() + 20
        while not sender.is_connected() and time.monotonic() < deadline:
            time.sleep(0.1)
        publish(sender, range(8, 21))  # 8-10 again: the publisher resends what it is unsure of
        collect(feed, live, lambda: len(live.layer.data.datastreams[0].series.values) >= 93)
    finally:
        sender.loop_stop()
        feed.stop()
    rain = live.layer.data.datastreams[0]
    assert len(rain.series.values) == 73 + 20
    assert len(np.unique(rain.series.times)) == len(rain.series.times)
    assert rain.series.values[-20:].tolist() == [number / 10 for number in range(1, 21)]


def test_a_flood_of_messages_is_merged_in_batches_and_overflow_is_said(broker, live):
    feed = MqttObservationFeed("127.0.0.1", broker.port, [TopicMapping(RAIN_TOPIC)], queue_limit=500)
    feed.start(wait_s=10)
    sender = publisher(broker.port)
    merges = []
    live.events.merged.connect(merges.append)
    try:
        for number in range(1, 3001):
            sender.publish(RAIN_TOPIC, observation(number), qos=0)
        deadline = time.monotonic() + 30
        while feed.received < 3000 and time.monotonic() < deadline:
            time.sleep(0.05)  # nobody drains: the queue fills
        collect(feed, live, lambda: False, timeout_s=0.5)
    finally:
        sender.loop_stop()
        feed.stop()
    rain = live.layer.data.datastreams[0]
    assert feed.received == 3000
    assert len(rain.series.values) == 73 + 500  # the first 500 kept, in order
    assert rain.series.values[-1] == 50.0
    assert len([result for result in merges if result.total_added]) == 1
    assert feed.take_problems() == [
        f"mqtt://127.0.0.1:{broker.port}: the queue of 500 observations waiting to be merged is full; "
        "newer observations were dropped (2500 messages left out)"]


def test_observations_of_a_datastream_the_layer_lacks_are_counted_not_merged(live):
    result = live.merge([parse_message("v1.1/Datastreams(99)/Observations",
                                       observation(1), TopicMapping("#"))])
    assert result.unknown_datastreams == {"99": 1} and result.total_added == 0
