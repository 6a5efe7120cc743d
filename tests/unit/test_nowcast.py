"""The rain rule, the nowcast's rain record and its flood run, and `watch` against a live service."""

import json
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from plugins.flood.rain import DRESDEN_100_YEAR_TABLE
from plugins.flood.simulation import FloodSimulation
from tests.conftest import PROJECT_ROOT, REFERENCE, write_quarters
from tests.plugins.test_flood_plugin import X0, Y1, scene_inputs
from tests.sensor_service import (
    Mosquitto,
    SensorThingsServer,
    mosquitto_binary,
    service_on_test_terrain,
    start_watch,
)
from twin.core.data import SensorData, TimeSeries
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed, Observation
from twin.io.reproject import to_crs
from twin.io.sensors import read_sensors
from twin.sim.nowcast import Nowcaster, NowcastError, RainRule, RainWatch, StormTail, nowcast_record
from twin.sim.watch import WatchConfig, Watcher

SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"
RULE = RainRule("11", threshold_mm=15.0, window_min=30.0)


def gauges_until(end: str) -> tuple[SensorData, list[Observation]]:
    """The service's stations with the rain gauge's observations up to `end`, and the later ones."""
    sensors = read_sensors(SERVICE_FILE)
    rain = sensors.datastreams[0]
    early = rain.series.times <= np.datetime64(end)
    later = [Observation("11", time, float(value)) for time, value in
             zip(rain.series.times[~early], rain.series.values[~early], strict=True)]
    streams = [replace(rain, series=TimeSeries(rain.series.times[early], rain.series.values[early])),
               *sensors.datastreams[1:]]
    return replace(sensors, datastreams=streams), later


def replay(feed: LiveSensorFeed, watch: RainWatch, observations: list[Observation]) -> list:
    """Merge one observation at a time, as they arrive, and collect the rule's triggers."""
    triggers = []
    for observation in observations:
        if feed.merge([observation]).total_added:
            trigger = watch.check(feed.layer.data)
            if trigger is not None:
                triggers.append(trigger)
    return triggers


def test_the_rule_fires_once_when_the_window_passes_the_threshold():
    sensors, later = gauges_until("2026-07-10T14:30:00")
    feed, watch = LiveSensorFeed(SensorsLayer(sensors, "gauges")), RainWatch(RULE)
    assert watch.check(feed.layer.data) is None
    triggers = replay(feed, watch, later)
    # 14:45-15:00 brought 3.6 + 3.1 + 4.6 + 5.1 = 16.4 mm; 15:05 (13.3 mm) and after stay in the event
    assert len(triggers) == 1
    trigger = triggers[0]
    assert (str(trigger.time), round(trigger.window_mm, 6), str(trigger.event_start)) == (
        "2026-07-10T15:00:00", 16.4, "2026-07-10T14:40:00")
    assert (trigger.datastream, trigger.station) == ("11", "1")


def test_the_rule_arms_again_after_the_event_and_fires_on_the_next():
    sensors, later = gauges_until("2026-07-10T14:30:00")
    feed, watch = LiveSensorFeed(SensorsLayer(sensors, "gauges")), RainWatch(RULE)
    second = [Observation("11", np.datetime64("2026-07-10T18:00:00") + np.timedelta64(5 * k, "m"), 8.0)
              for k in (1, 2)]
    triggers = replay(feed, watch, later + second)
    assert [str(trigger.time) for trigger in triggers] == ["2026-07-10T15:00:00", "2026-07-10T18:10:00"]
    assert triggers[1].window_mm == 16.0 and str(triggers[1].event_start) == "2026-07-10T18:00:00"


def test_the_rain_record_is_the_observed_event_and_the_design_storm_tail():
    sensors, later = gauges_until("2026-07-10T15:00:00")
    trigger = RainWatch(RULE).check(sensors)
    record, observed, tail = nowcast_record(sensors, trigger, StormTail("euler2", 30.0), None)
    assert [str(time)[11:16] for time in record.series.times] == [
        "14:45", "14:50", "14:55", "15:00", "15:05", "15:10", "15:15", "15:20", "15:25", "15:30"]
    assert record.series.values[:4].tolist() == [3.6, 3.1, 4.6, 5.1]
    # the tail is the 30 min Euler II storm of the flood's Dresden table: 40.5 mm in all
    assert observed == pytest.approx(16.4) and tail == pytest.approx(40.5)
    assert record.series.values[4:].sum() == pytest.approx(40.5)
    assert np.argmax(record.series.values[4:]) == 1  # its peak in the step holding 0.3 D
    block, _, block_mm = nowcast_record(sensors, trigger, StormTail("block", 20.0, depth_mm=12.0), None)
    assert block.series.values[4:].tolist() == [3.0, 3.0, 3.0, 3.0] and block_mm == 12.0


def test_the_tail_follows_the_scenarios_own_rain_table():
    sensors, _ = gauges_until("2026-07-10T15:00:00")
    trigger = RainWatch(RULE).check(sensors)
    doubled = tuple((minutes, 100.0, 2 * depth) for minutes, depth in DRESDEN_100_YEAR_TABLE)
    nowcaster = Nowcaster(FloodSimulation(), scene_inputs(), {"rain_table": doubled},
                          StormTail("euler2", 30.0))
    _, _, tail = nowcast_record(sensors, trigger, nowcaster.tail, nowcaster.tail_table())
    assert tail == pytest.approx(2 * 40.5)  # the illustrative table's 30 min storm, doubled
    bad = Nowcaster(FloodSimulation(), scene_inputs(), {"rain_table": doubled, "return_period_a": 5.0},
                    StormTail("euler2", 30.0))
    with pytest.raises(NowcastError, match="the storm tail: .*no return period of 5 years"):
        bad.tail_table()


def test_a_tail_the_twin_does_not_know_is_a_clear_error():
    sensors, _ = gauges_until("2026-07-10T15:00:00")
    trigger = RainWatch(RULE).check(sensors)
    with pytest.raises(NowcastError, match="the storm tail 'kostra' is none of euler2, block, none"):
        nowcast_record(sensors, trigger, StormTail("kostra"), None)
    with pytest.raises(NowcastError, match="the rain rule's datastream '12' is not in the sensors layer"):
        RainWatch(RainRule("12")).check(sensors)


def test_the_nowcast_runs_the_gauges_quarter_on_that_rain_and_names_the_affected_buildings():
    sensors, _ = gauges_until("2026-07-10T15:00:00")
    sensors = to_crs(sensors, "EPSG:25833")
    sensors = replace(sensors, xyz=np.array([[X0 + 20, Y1 - 50, 110.0], [X0 + 150, Y1 - 50, 110.0]]))
    trigger = RainWatch(RULE).check(sensors)
    inputs = scene_inputs()
    inputs.layers.pop("sensors")
    nowcaster = Nowcaster(FloodSimulation(), inputs, {"snapshot_interval_min": 10.0},
                          StormTail("block", 10.0, depth_mm=20.0), after_rain_min=10.0, seed=1)
    alert = nowcaster.run(sensors, trigger)
    assert alert.error is None
    assert alert.quarter == "West"  # the gauge's quarter, not both
    assert alert.simulated_rain_mm == pytest.approx(16.4 + 20.0, abs=0.01)
    assert alert.max_depth_m > 0.1
    assert alert.buildings_affected == 1
    assert [item["building"] for item in alert.affected_buildings] == ["B1"]
    sentence = alert.sentence()
    assert sentence.startswith("ALERT 2026-07-10T15:00:00Z: 16.4 mm in the rain window at '1'; the flood "
                               "nowcast of West (16.4 mm observed + 20.0 mm design tail) expects a maximum "
                               "depth of ")
    assert sentence.endswith("and 1 affected buildings: B1")
    assert json.loads(json.dumps(alert.as_json()))["affected_buildings"][0]["building"] == "B1"


@pytest.fixture
def moved_service_file(tmp_path):
    return service_on_test_terrain(SERVICE_FILE, tmp_path)


def test_watch_polls_the_service_raises_the_alert_and_stops_cleanly_on_ctrl_c(tmp_path, dtm_file,
                                                                              moved_service_file):
    write_quarters(tmp_path / "quarters.geojson")
    with SensorThingsServer(moved_service_file) as server:
        scenario = tmp_path / "watch.toml"
        scenario.write_text(
            '[scenario]\nname = "Watch"\nsimulation = "flood"\nseed = 1\nquarters_file = "quarters.geojson"\n\n'
            '[inputs]\nterrain = "dtm.tif"\n\n[parameters]\nsnapshot_interval_min = 10.0\n\n'
            f'[watch]\nservice = "{server.url}"\npoll_interval_s = 0.3\nsince_utc = "2026-07-10T12:00:00Z"\n'
            'datastream = "11"\nthreshold_mm = 15.0\nwindow_min = 30.0\ntail = "block"\n'
            'tail_duration_min = 10.0\ntail_depth_mm = 20.0\nafter_rain_min = 10.0\n'
            'alerts_file = "alerts.jsonl"\n', encoding="utf-8")
        process = start_watch(scenario, server, PROJECT_ROOT, timeout_s=60)
        try:
            for k, mm in enumerate([6.0, 6.0, 6.0], start=1):  # 18 mm in 15 minutes
                end = np.datetime64("2026-07-10T18:00:00") + np.timedelta64(5 * k, "m")
                server.add_observation(11, f"{end}Z", mm, 4000 + k)
            ready, _, _ = select.select([process.stdout], [], [], 300)  # a busy machine's flood run
            line = process.stdout.readline() if ready else ""
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    alert = json.loads(line)
    assert (alert["time_utc"], alert["window_mm"], alert["quarter"]) == ("2026-07-10T18:15:00Z", 18.0, "West")
    assert (alert["observed_rain_mm"], alert["tail_rain_mm"], alert["simulated_rain_mm"]) == (18.0, 20.0, 38.0)
    assert alert["max_depth_m"] > 0 and alert["error"] is None
    assert process.returncode == 0
    assert "rain rule: 18.0 mm in 30 min at '1' (over 15 mm); running the flood nowcast" in errors
    assert "flood nowcast 50 % done" in errors  # an unattended run says how far it is
    assert errors.rstrip().endswith("stopped watching")
    assert json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()[0]) == alert


def test_a_watch_scenario_without_its_rule_is_refused_in_one_sentence(tmp_path, dtm_file):
    scenario = tmp_path / "watch.toml"
    scenario.write_text('[scenario]\nname = "Watch"\nsimulation = "flood"\n\n[inputs]\nterrain = "dtm.tif"\n\n'
                        '[watch]\nservice = "http://127.0.0.1:9/sta"\ntreshold_mm = 15\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "main.py", "watch", str(scenario)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"error: {scenario}: unknown key 'treshold_mm' in [watch] (did you mean "
                           "'threshold_mm'?)\n")


@pytest.mark.skipif(mosquitto_binary() is None, reason="the mosquitto broker is not installed "
                    "(apt-get install mosquitto; .ci/run installs it)")
def test_watch_over_mqtt_alone_takes_its_stations_from_the_sensors_file(tmp_path, dtm_file, moved_service_file):
    write_quarters(tmp_path / "quarters.geojson")
    broker = Mosquitto(tmp_path)
    broker.start()
    scenario = tmp_path / "watch.toml"
    scenario.write_text(
        '[scenario]\nname = "Watch"\nsimulation = "flood"\nseed = 1\nquarters_file = "quarters.geojson"\n\n'
        f'[inputs]\nterrain = "dtm.tif"\nsensors = "{moved_service_file.name}"\n\n'
        '[parameters]\nsnapshot_interval_min = 10.0\n\n'
        f'[watch]\nmqtt_broker = "127.0.0.1:{broker.port}"\nmqtt_topics = ["dresden/rain"]\n'
        'mqtt_datastream_key = "stream"\nmqtt_time_key = "ts"\nmqtt_value_key = "mm"\n'
        'datastream = "11"\ntail = "none"\nafter_rain_min = 10.0\n', encoding="utf-8")
    said, alerts, stop = [], [], threading.Event()
    watcher = Watcher(WatchConfig.load(scenario), said.append, lambda alert: (alerts.append(alert), stop.set()))
    loop = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while watcher.mqtt is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.mqtt.wait_connected(20)  # connected and subscribed: what is sent now arrives
        sender = mqtt.Client(CallbackAPIVersion.VERSION2)
        sender.connect("127.0.0.1", broker.port)
        sender.loop_start()
        sender.publish("dresden/rain", b"not json", qos=1).wait_for_publish(5)
        for k in range(1, 4):
            end = np.datetime64("2026-07-10T18:00:00") + np.timedelta64(5 * k, "m")
            payload = {"stream": 11, "ts": f"{end}Z", "mm": 6.0}
            sender.publish("dresden/rain", json.dumps(payload), qos=1).wait_for_publish(5)
        sender.loop_stop()
        loop.join(300)  # a flood run on a busy machine may take minutes
    finally:
        stop.set()
        broker.stop()
    assert not loop.is_alive()
    assert [(str(alert.trigger.time), alert.trigger.window_mm, alert.quarter, alert.observed_mm)
            for alert in alerts] == [("2026-07-10T18:15:00", 18.0, "West", 18.0)]
    assert alerts[0].error is None and alerts[0].max_depth_m > 0
    assert f"mqtt://127.0.0.1:{broker.port}: topic dresden/rain: a message is not valid JSON (Expecting value " \
           "at column 1) (1 message left out)" in said


def test_watch_goes_on_when_the_service_fails_for_a_while(tmp_path, dtm_file, moved_service_file):
    write_quarters(tmp_path / "quarters.geojson")
    with SensorThingsServer(moved_service_file) as server:
        scenario = tmp_path / "watch.toml"
        scenario.write_text(
            '[scenario]\nname = "Watch"\nsimulation = "flood"\nquarters_file = "quarters.geojson"\n\n'
            '[inputs]\nterrain = "dtm.tif"\n\n'
            f'[watch]\nservice = "{server.url}"\npoll_interval_s = 0.2\nsince_utc = "2026-07-10T17:00:00Z"\n'
            'datastream = "11"\n', encoding="utf-8")
        said, stop = [], threading.Event()
        watcher = Watcher(WatchConfig.load(scenario), said.append, lambda alert: None)
        server.misbehave("html", count=1)
        loop = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        loop.start()
        try:
            deadline = time.monotonic() + 20
            while not any("web page" in sentence for sentence in said) and time.monotonic() < deadline:
                time.sleep(0.05)
            server.add_observation(11, "2026-07-10T18:05:00Z", 1.5, 5001)
            while watcher.live.latest_time("11") != np.datetime64("2026-07-10T18:05:00") \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            loop.join(20)
    assert f"{server.url}/Datastreams(11)/Observations: the service answered a web page (HTML), not " \
           "SensorThings JSON; give the service root, such as https://host/FROST-Server/v1.1; trying " \
           "again in 0.2 s" in said
    assert watcher.live.layer.data.datastreams[0].series.values[-1] == 1.5
    assert not loop.is_alive()
