"""`python main.py watch SCENARIO.toml`: follow a live rain gauge and nowcast floods, unattended.

The scenario is a flood scenario (its [scenario], [inputs] and [parameters] as for `run`) with a
[watch] table:

    [watch]
    service = "https://sta.example.org/FROST-Server/v1.1"  # SensorThings service (polled), or
    mqtt_broker = "localhost:1883"                          # an MQTT broker (pushed), or both
    mqtt_topics = ["v1.1/Datastreams(11)/Observations"]     # default: the rule's datastream
    token_env = "DRESDEN_STA_TOKEN"   # the service's token is read from this environment variable
    poll_interval_s = 60.0
    history_h = 6.0                   # observations read at the start (or since_utc = "...Z")
    datastream = "11"                 # the rain rule: this gauge datastream ...
    threshold_mm = 15.0               # ... more than this ...
    window_min = 30.0                 # ... within this many minutes
    tail = "euler2"                   # rain assumed afterwards: euler2 (the [parameters]' table,
    tail_duration_min = 30.0          #   or the flood's default), block (tail_depth_mm) or none
    after_rain_min = 30.0             # simulated time after the rain
    alerts_file = "alerts.jsonl"      # optional: every alert appended as a JSON line

Without `service`, the stations and datastreams come from the [inputs] `sensors` file and the
observations from MQTT only. A token is never written into the scenario. Each alert is one
sentence on stderr and one JSON line on stdout; problems with the feed (a service down, bad
messages) are sentences on stderr, and the watch goes on. Ctrl+C stops it cleanly.
"""

from __future__ import annotations

import json
import os
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.core.errors import ScenarioError, TwinError, did_you_mean
from twin.core.feedback import Feedback
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed, Observation
from twin.core.paths import UnsuitablePath, read_toml_text
from twin.core.scenario import Scenario
from twin.io import read_layer
from twin.io.mqtt_feed import MqttObservationFeed, TopicMapping, sensorthings_topic
from twin.io.reproject import to_crs
from twin.io.sensorthings_client import SensorThingsClient, ServicePoller
from twin.sim.nowcast import Alert, Nowcaster, RainRule, RainWatch, StormTail, alert_line

_KEYS = ("service", "mqtt_broker", "mqtt_topics", "mqtt_time_key", "mqtt_value_key", "mqtt_datastream_key",
         "token_env", "poll_interval_s", "history_h", "since_utc", "datastream", "threshold_mm",
         "window_min", "tail", "tail_duration_min", "tail_depth_mm", "after_rain_min", "alerts_file")


@dataclass(frozen=True)
class WatchConfig:
    scenario: Scenario
    rule: RainRule
    tail: StormTail
    service: str | None = None
    token_env: str | None = None
    mqtt_broker: tuple[str, int] | None = None
    mqtt_topics: tuple[TopicMapping, ...] = ()
    poll_interval_s: float = 60.0
    since: np.datetime64 | None = None
    after_rain_min: float = 30.0
    alerts_file: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> WatchConfig:
        path = Path(path)
        try:
            document = tomllib.loads(read_toml_text(path))
        except (OSError, UnsuitablePath) as error:
            raise ScenarioError(path, f"the scenario cannot be read ({error})") from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ScenarioError(path, f"not valid TOML: {error}") from None
        table = document.pop("watch", None)
        if not isinstance(table, dict):
            raise ScenarioError(path, "a watch scenario needs a [watch] table naming the service or "
                                      "broker and the rain rule")
        for key in table:
            if key not in _KEYS:
                raise ScenarioError(path, f"unknown key '{key}' in [watch]{did_you_mean(key, _KEYS)}")
        return _config(Scenario.from_dict(document, path), table, path)


def _config(scenario: Scenario, table: dict[str, Any], path: Path) -> WatchConfig:
    def number(key: str, default: float) -> float:
        value = table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
            raise ScenarioError(path, f"[watch] {key} must be a number of at least 0")
        return float(value)

    if "datastream" not in table:
        raise ScenarioError(path, "[watch] needs the rain gauge's 'datastream'")
    datastream = str(table["datastream"])
    if "service" not in table and "mqtt_broker" not in table:
        raise ScenarioError(path, "[watch] needs a 'service' URL, an 'mqtt_broker' or both")
    if "service" not in table and "sensors" not in scenario.inputs:
        raise ScenarioError(path, "without a 'service', [inputs] needs the 'sensors' file that lists the "
                                  "stations and datastreams")
    mapping = {"time_key": table.get("mqtt_time_key", "phenomenonTime"),
               "value_key": table.get("mqtt_value_key", "result"),
               "datastream_key": table.get("mqtt_datastream_key")}
    topics = table.get("mqtt_topics", [sensorthings_topic(datastream)])
    since = table.get("since_utc")
    try:
        start = np.datetime64(str(since).removesuffix("Z"), "s") if since else None
    except ValueError:
        raise ScenarioError(path, f"[watch] since_utc '{since}' is not an ISO 8601 time") from None
    return WatchConfig(
        scenario=scenario,
        rule=RainRule(datastream, number("threshold_mm", 15.0), number("window_min", 30.0)),
        tail=StormTail(str(table.get("tail", "euler2")), number("tail_duration_min", 30.0),
                       number("tail_depth_mm", 0.0)),
        service=table.get("service"), token_env=table.get("token_env"),
        mqtt_broker=_broker(table["mqtt_broker"], path) if "mqtt_broker" in table else None,
        mqtt_topics=tuple(TopicMapping(str(topic), **mapping) for topic in topics),
        poll_interval_s=number("poll_interval_s", 60.0),
        since=start if start is not None else
        np.datetime64("now", "s") - np.timedelta64(int(number("history_h", 6.0) * 3600), "s"),
        after_rain_min=number("after_rain_min", 30.0),
        alerts_file=path.parent / table["alerts_file"] if "alerts_file" in table else None)


def _broker(text: Any, path: Path) -> tuple[str, int]:
    host, _, port = str(text).rpartition(":")
    if not host or not port.isdigit():
        raise ScenarioError(path, f"[watch] mqtt_broker '{text}' is not HOST:PORT")
    return host, int(port)


class Watcher:
    """The watch loop's state: the live layer, its sources, the rule and the nowcaster."""

    def __init__(self, config: WatchConfig, say: Callable[[str], None],
                 alert: Callable[[Alert], None]) -> None:
        self.config, self.say, self.alert = config, say, alert
        self.nowcaster = Nowcaster.for_scenario(config.scenario, config.tail, config.after_rain_min)
        self.rule = RainWatch(config.rule)
        self.client: SensorThingsClient | None = None
        self.poller: ServicePoller | None = None
        self.mqtt: MqttObservationFeed | None = None
        self.live = LiveSensorFeed(SensorsLayer(self._initial_sensors(), "live sensors"))

    def _initial_sensors(self):
        config = self.config
        if config.service is None:
            return read_layer(config.scenario.inputs["sensors"], to=self.nowcaster.crs).data
        token = os.environ.get(config.token_env) if config.token_env else None
        self.client = SensorThingsClient(config.service, token)
        sensors, raw_ids = self.client.sensors(since=config.since)
        self.poller = ServicePoller(self.client, raw_ids)
        self.say(f"watching {config.service}: {len(sensors)} stations, "
                 f"{len(sensors.datastreams)} datastreams")
        return to_crs(sensors, self.nowcaster.crs)

    def run(self, stop: threading.Event) -> None:
        if self.config.mqtt_broker is not None:
            host, port = self.config.mqtt_broker
            self.mqtt = MqttObservationFeed(host, port, list(self.config.mqtt_topics))
            self.mqtt.start()
            topics = ", ".join(mapping.topic for mapping in self.config.mqtt_topics)
            self.say(f"subscribed at mqtt://{host}:{port} to {topics}")
        try:
            self._check_rule()  # the history may already hold the event
            next_poll = time.monotonic() + self.config.poll_interval_s
            while not stop.is_set():
                observations = self._pushed(min(1.0, max(0.05, next_poll - time.monotonic())), stop)
                if self.poller is not None and time.monotonic() >= next_poll:
                    observations += self._polled()
                    next_poll = time.monotonic() + self.config.poll_interval_s
                if observations and self.live.merge(observations).total_added:
                    self._check_rule()
        finally:
            self.close()

    def close(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.client is not None:
            self.client.close()

    def _pushed(self, wait_s: float, stop: threading.Event) -> list[Observation]:
        if self.mqtt is None:
            stop.wait(wait_s)
            return []
        self.mqtt.wait(wait_s)
        for problem in self.mqtt.take_problems():
            self.say(problem)
        return self.mqtt.drain()

    def _polled(self) -> list[Observation]:
        latest = {stream: self.live.latest_time(stream) for stream in self.live.datastream_ids()}
        try:
            return self.poller.poll(latest)
        except TwinError as error:  # a service down for a while: say so, try again next time
            self.say(f"{error}; trying again in {self.config.poll_interval_s:g} s")
            return []

    def _check_rule(self) -> None:
        trigger = self.rule.check(self.live.layer.data)
        if trigger is None:
            return
        self.say(f"rain rule: {trigger.window_mm:.1f} mm in {self.config.rule.window_min:g} min at "
                 f"'{trigger.station}' (over {self.config.rule.threshold_mm:g} mm); running the flood "
                 "nowcast")
        alert = self.nowcaster.run(self.live.layer.data, trigger, Feedback(self._progress()))
        if self.config.alerts_file is not None:
            with self.config.alerts_file.open("a", encoding="utf-8") as stream:
                stream.write(alert_line(alert) + "\n")
        self.alert(alert)


    def _progress(self) -> Callable[[float, str], None]:
        """Says a nowcast's progress in quarters: an unattended run may take minutes."""
        said = {0}

        def listen(fraction: float, _message: str) -> None:
            quarter = int(fraction * 4)
            if quarter not in said and quarter < 4:
                said.add(quarter)
                self.say(f"flood nowcast {quarter * 25} % done")
        return listen


def print_alert(alert: Alert) -> None:
    """An alert as the command line shows it: a JSON line on stdout."""
    print(json.dumps(alert.as_json(), ensure_ascii=False), flush=True)
