"""The SensorThings client against a real local service over HTTP: paging, $filter, $expand, failures."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT, REFERENCE
from tests.sensor_service import SensorThingsServer
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed
from twin.io.errors import TwinIOError
from twin.io.sensors import read_sensors
from twin.io.sensorthings_client import (
    SensorServiceError,
    SensorThingsClient,
    ServicePoller,
    ServiceSettings,
    service_info,
)

SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"
QUICK = ServiceSettings(timeout_s=1.0, retries=2, backoff_s=0.01)


@pytest.fixture
def service():
    with SensorThingsServer(SERVICE_FILE) as server:
        yield server


def test_the_service_gives_the_stations_and_observations_of_the_same_response_as_a_file(service):
    client = SensorThingsClient(service.url, settings=QUICK)
    sensors, raw_ids = client.sensors(since=np.datetime64("2026-07-10T00:00:00"))
    from_file = read_sensors(SERVICE_FILE)
    assert sensors.ids.tolist() == from_file.ids.tolist() == ["1", "AQ-Johannstadt"]
    np.testing.assert_array_equal(sensors.xyz, from_file.xyz)
    for streamed, saved in zip(sensors.datastreams, from_file.datastreams, strict=True):
        assert (streamed.id, streamed.quantity, streamed.unit) == (saved.id, saved.quantity, saved.unit)
        np.testing.assert_array_equal(streamed.series.times, saved.series.times)
        np.testing.assert_array_equal(streamed.series.values, saved.series.values)
    assert raw_ids == {"11": 11, "AQ-Johannstadt/air_temperature": "AQ-Johannstadt/air_temperature"}
    # 73 rain observations at 10 a page: 8 pages, each one request following the previous next link
    rain_pages = [request for request in service.requests if "Datastreams(11)" in request]
    assert len(rain_pages) == 8 and all("skip" in page for page in rain_pages[1:])
    assert any("Datastreams(%27AQ-Johannstadt" in request or "Datastreams('AQ-Johannstadt" in request
               for request in service.requests)


def test_things_are_asked_for_with_their_locations_datastreams_and_observed_properties(service):
    things = SensorThingsClient(service.url, settings=QUICK).things()
    assert [thing["name"] for thing in things] == ["Rain gauge Johannstadt",
                                                   "Air quality Johannstadt (urban background)"]
    assert all(thing["Locations"] and thing["Datastreams"][0]["ObservedProperty"]["name"]
               for thing in things)
    assert all("Observations" not in stream for thing in things for stream in thing["Datastreams"])


def test_observations_since_a_time_are_only_the_newer_ones(service):
    client = SensorThingsClient(service.url, settings=QUICK)
    new = client.observations_since(11, "11", np.datetime64("2026-07-10T17:30:00"))
    assert [str(item.time) for item in new] == [f"2026-07-10T17:{minute}:00" for minute in
                                                ("35", "40", "45", "50", "55")] + ["2026-07-10T18:00:00"]
    assert [item.id for item in new] == [str(1068 + index) for index in range(6)]
    assert "phenomenonTime+gt+2026-07-10T17%3A30%3A00Z" in service.requests[-1]


def test_polling_merges_new_observations_once_and_the_layer_grows(service):
    client = SensorThingsClient(service.url, settings=QUICK)
    sensors, raw_ids = client.sensors(since=np.datetime64("2026-07-10T17:00:00"))
    layer = SensorsLayer(sensors, "live")
    feed = LiveSensorFeed(layer)
    poller = ServicePoller(client, raw_ids)
    latest = {stream_id: feed.latest_time(stream_id) for stream_id in feed.datastream_ids()}
    assert feed.merge(poller.poll(latest)).total_added == 0  # nothing new yet
    service.add_observation(11, "2026-07-10T18:00:00Z/2026-07-10T18:05:00Z", 7.5, 2001)
    service.add_observation(11, "2026-07-10T18:05:00Z/2026-07-10T18:10:00Z", 2.5, 2002)
    latest = {stream_id: feed.latest_time(stream_id) for stream_id in feed.datastream_ids()}
    result = feed.merge(poller.poll(latest))
    assert result.added == {"11": 2}
    rain = layer.data.datastreams[0]
    assert rain.series.values[-2:].tolist() == [7.5, 2.5]
    assert str(rain.series.times[-1]) == "2026-07-10T18:10:00"
    assert layer.data.attributes["latest_precipitation"][0] == 2.5
    # the same observations again (a poll that overlaps) change nothing
    assert feed.merge(poller.poll({"11": np.datetime64("2026-07-10T17:55:00")})).total_added == 0


def test_a_token_is_sent_as_a_bearer_header_and_a_missing_one_is_a_clear_refusal():
    with SensorThingsServer(SERVICE_FILE, token="s3cret") as server:
        assert len(SensorThingsClient(server.url, token="s3cret", settings=QUICK).things()) == 2
        with pytest.raises(SensorServiceError, match=r"refused access \(HTTP 401\); it needs a valid token"):
            SensorThingsClient(server.url, settings=QUICK).things()


def test_a_failing_service_is_retried_with_backoff_and_then_works(service):
    service.misbehave("500", count=2)
    assert len(SensorThingsClient(service.url, settings=QUICK).things()) == 2
    assert len(service.requests) == 3


def test_a_service_answering_500_after_the_retries_is_one_sentence(service):
    service.misbehave("500")
    with pytest.raises(SensorServiceError) as raised:
        SensorThingsClient(service.url, settings=QUICK).things()
    message = str(raised.value)
    assert message.startswith(f"{service.url}/Things") and "\n" not in message
    assert message.endswith("the service answered HTTP 500 (Internal Server Error)")
    assert len(service.requests) == 3  # the first try and two retries


def test_a_slow_service_times_out_after_its_retries(service):
    service.slow_s = 1.5
    service.misbehave("slow")
    with pytest.raises(SensorServiceError, match=r"did not answer within 1 s \(2 retries\)"):
        SensorThingsClient(service.url, settings=QUICK).things()


def test_a_web_page_instead_of_json_says_so(service):
    service.misbehave("html")
    with pytest.raises(SensorServiceError, match=r"answered a web page \(HTML\), not SensorThings JSON"):
        SensorThingsClient(service.url, settings=QUICK).things()


def test_broken_json_is_named_with_its_place(service):
    service.misbehave("broken")
    with pytest.raises(SensorServiceError, match=r"the answer is not valid JSON \(Expecting value at line 1"):
        SensorThingsClient(service.url, settings=QUICK).things()


def test_a_next_link_to_another_host_is_not_followed(service):
    service.misbehave("foreign_link")
    with pytest.raises(SensorServiceError, match="the next link leaves the service"):
        SensorThingsClient(service.url, settings=QUICK).sensors(since=np.datetime64("2026-07-10"))


def test_an_unreachable_service_names_the_reason():
    with SensorThingsServer(SERVICE_FILE) as server:
        url = server.url
    with pytest.raises(SensorServiceError, match=r"cannot be reached \(.*[Cc]onnection refused"):
        SensorThingsClient(url, settings=QUICK).things()


def test_a_url_that_is_not_http_is_refused_before_any_request():
    with pytest.raises(TwinIOError, match="opened by its http:// or https:// URL"):
        SensorThingsClient("ftp://sta.example.org/v1.1")


def test_info_lists_the_stations_and_datastreams(service):
    info = service_info(service.url, settings=QUICK)
    assert (info["stations"], info["datastreams"], info["crs"]) == (2, 2, "EPSG:4326")
    assert info["datastream_list"][0] == {"id": "11", "station": "1", "name": "Rain Johannstadt, 5-minute sums",
                                          "quantity": "precipitation", "unit": "mm"}
    assert not any("Observations" in request for request in service.requests)


def test_info_url_on_the_command_line(service):
    done = subprocess.run([sys.executable, "main.py", "info", service.url, "--json"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["format"], info["stations"], info["url"]) == ("SensorThings API", 2, service.url)
    service.misbehave("html")
    done = subprocess.run([sys.executable, "main.py", "info", service.url], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"error: {service.url}/Things: the service answered a web page (HTML), not "
                           "SensorThings JSON; give the service root, such as https://host/FROST-Server/v1.1\n")
