"""Observations pushed over MQTT: the SensorThings MQTT extension's topics, or any topic with JSON.

    feed = MqttObservationFeed("localhost", 1883, [TopicMapping(sensorthings_topic(11))])
    feed.start()
    ...
    live.merge(feed.drain())          # in the consumer's own rhythm (a GUI timer, a watch loop)
    for sentence in feed.take_problems(): print(sentence)
    feed.stop()

paho-mqtt runs the connection in its own thread: it reconnects after the broker went away
(waits of 1 s, doubling to 8 s) and `on_connect` subscribes again every time, so a broker
restart costs only the messages published while it was down. Messages are parsed on arrival
into `Observation`s and queued; the consumer takes them in batches, so a topic that floods a
thousand messages a second is merged a few times a second and never blocks a window. The queue
is bounded: past `queue_limit` waiting observations, new ones are dropped and counted, and the
count is reported in one sentence (what was queued before stays).

A SensorThings topic `v1.1/Datastreams(ID)/Observations` names its datastream; another topic
needs a `TopicMapping` saying which payload member holds the datastream (or which datastream
the whole topic is), the time (empty: the arrival time) and the value.
"""

from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from twin.core.live import Observation
from twin.io.errors import TwinIOError
from twin.io.sensors import observation_arrays

STA_TOPIC = re.compile(r"(?:^|/)Datastreams\((?P<id>'(?:[^']|'')*'|[^)]*)\)/Observations$")
QUEUE_LIMIT = 100_000
RECONNECT_DELAYS_S = (1, 8)


@dataclass(frozen=True)
class TopicMapping:
    """A topic filter (`+` and `#` allowed) and how its JSON payloads become observations."""

    topic: str
    datastream: str | None = None       # every message of the topic belongs to this datastream
    datastream_key: str | None = None   # else: the payload member naming it; else: the topic's ID
    time_key: str = "phenomenonTime"    # "" stamps a message with its arrival time (UTC)
    value_key: str = "result"
    id_key: str = "@iot.id"

    def matches(self, topic: str) -> bool:
        return mqtt.topic_matches_sub(self.topic, topic)


def sensorthings_topic(datastream_id: str | int) -> str:
    """The SensorThings MQTT extension's topic of a datastream's new observations."""
    literal = str(datastream_id) if isinstance(datastream_id, int) or str(datastream_id).isdigit() \
        else "'" + str(datastream_id).replace("'", "''") + "'"
    return f"v1.1/Datastreams({literal})/Observations"


class MessageError(ValueError):
    """A message that makes no observation; its text is the reason in a few words."""


class MqttObservationFeed:
    """Subscribes to observation topics on one broker and queues what arrives."""

    def __init__(self, host: str, port: int = 1883, mappings: list[TopicMapping] | None = None, *,
                 username: str | None = None, password: str | None = None,
                 queue_limit: int = QUEUE_LIMIT) -> None:
        self.host, self.port = host, port
        self.mappings = list(mappings or [])
        self.queue_limit = queue_limit
        self.received = 0
        self._queue: deque[Observation] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._problems: dict[str, int] = {}
        self._reported: dict[str, int] = {}
        self._connected = threading.Event()  # connected and subscribed: messages will arrive
        self._subscription: int | None = None  # the message id of the pending subscribe
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                   client_id=f"dresden-twin-{uuid.uuid4().hex[:12]}")
        self._client.reconnect_delay_set(*RECONNECT_DELAYS_S)
        if username:
            self._client.username_pw_set(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def where(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, wait_s: float = 0.0) -> None:
        """Connect in the background; wait up to `wait_s` for the first connection.

        A broker that cannot be reached is a TwinIOError only when waiting; else paho keeps
        trying and `connected` tells."""
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if wait_s and not self._connected.wait(wait_s):
            self.stop()
            raise TwinIOError(self.where, f"the MQTT broker did not accept a connection within {wait_s:g} s")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def wait(self, timeout_s: float) -> bool:
        """Block until a message arrived (True) or the time ran out (False)."""
        arrived = self._arrived.wait(timeout_s)
        self._arrived.clear()
        return arrived

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def drain(self) -> list[Observation]:
        """Everything queued so far, oldest first; the queue is empty afterwards."""
        with self._lock:
            taken = list(self._queue)
            self._queue.clear()
        return taken

    def take_problems(self) -> list[str]:
        """One sentence per kind of bad message (or of dropping) that happened since the last call."""
        with self._lock:
            news = {key: count - self._reported.get(key, 0) for key, count in self._problems.items()
                    if count > self._reported.get(key, 0)}
            self._reported.update({key: self._problems[key] for key in news})
        return [f"{self.where}: {problem} ({count} message{'s' if count > 1 else ''} left out)"
                for problem, count in news.items()]

    # paho's network thread --------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any,
                    _properties: Any) -> None:
        if reason_code.is_failure:
            self._count(f"the broker refused the connection ({reason_code})")
            return
        if not self.mappings:
            self._connected.set()
            return
        # again after every reconnect: the broker may have forgotten; ready once it acknowledged,
        # since what is published before the broker holds the subscription never reaches us
        _result, self._subscription = client.subscribe([(mapping.topic, 1) for mapping in self.mappings])

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, message_id: int, _reason_codes: Any,
                      _properties: Any) -> None:
        if message_id == self._subscription:
            self._connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected.clear()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received += 1
        mapping = next((item for item in self.mappings if item.matches(message.topic)), None)
        if mapping is None:
            return
        try:
            observation = parse_message(message.topic, message.payload, mapping)
        except MessageError as error:
            self._count(f"topic {message.topic}: {error}")
            return
        with self._lock:
            if len(self._queue) >= self.queue_limit:
                self._problems_add(f"the queue of {self.queue_limit} observations waiting to be merged "
                                   "is full; newer observations were dropped")
                return
            self._queue.append(observation)
        self._arrived.set()

    def _count(self, problem: str) -> None:
        with self._lock:
            self._problems_add(problem)

    def _problems_add(self, problem: str) -> None:
        self._problems[problem] = self._problems.get(problem, 0) + 1


def parse_message(topic: str, payload: bytes, mapping: TopicMapping) -> Observation:
    """The observation a message carries; MessageError says why there is none."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise MessageError("a message is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MessageError(f"a message is not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise MessageError("a message's JSON nests too deeply") from None
    if not isinstance(document, dict):
        raise MessageError("a message is JSON but not an object (an Observation)")
    stream_id = _datastream_of(topic, document, mapping)
    if mapping.time_key and mapping.time_key not in document:
        raise MessageError(f"a message has no '{mapping.time_key}'")
    if mapping.value_key not in document:
        raise MessageError(f"a message has no '{mapping.value_key}'")
    when = document[mapping.time_key] if mapping.time_key else _now()
    identity = document.get(mapping.id_key)
    identity = None if identity is None else _text(identity)
    value = document[mapping.value_key]
    time = _plain_utc_time(when)
    if time is not None and isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value):
        return Observation(stream_id, time, float(value), identity)
    try:  # offsets, intervals and every bad value: the file reader's parsing and messages
        times, values = observation_arrays(Path(topic), f"datastream {stream_id}",
                                           [{"phenomenonTime": when, "result": value}])
    except TwinIOError as error:
        raise MessageError(error.problem.replace("observation 1 of ", "the observation of ")) from None
    return Observation(stream_id, times[0], float(values[0]), identity)


def _plain_utc_time(text: Any) -> np.datetime64 | None:
    """A time like "2026-07-10T18:05:00Z" read directly (a tenth of the general path's cost, which a
    flood of messages feels); None for anything else (offsets, intervals), left to the general path."""
    if not isinstance(text, str) or not text.endswith("Z") or "/" in text or len(text) < 11:
        return None
    try:
        time = np.datetime64(text[:-1], "s")
    except ValueError:
        return None
    return None if np.isnat(time) else time


def _datastream_of(topic: str, document: dict, mapping: TopicMapping) -> str:
    if mapping.datastream is not None:
        return mapping.datastream
    if mapping.datastream_key is not None:
        if mapping.datastream_key not in document:
            raise MessageError(f"a message has no '{mapping.datastream_key}' naming its datastream")
        return _text(document[mapping.datastream_key])
    match = STA_TOPIC.search(topic)
    if match is None:
        raise MessageError("the topic names no datastream (not .../Datastreams(ID)/Observations) and "
                           "its mapping gives none")
    literal = match.group("id")
    return literal[1:-1].replace("''", "'") if literal.startswith("'") else literal


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _now() -> str:
    return f"{np.datetime_as_string(np.datetime64('now', 's'), unit='s')}Z"
