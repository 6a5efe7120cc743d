"""A sensors layer that follows a live feed: new observations merge in, duplicates do not.

Observations arrive from a polled SensorThings service or an MQTT broker (twin/io); the
`LiveSensorFeed` merges them into its layer's datastreams in batches and replaces the layer's
data once per batch, so the views (the station symbols, the inspector's charts) follow through
the layer's own `data` event, and its listeners hear a `MergeResult` on `feed.events.merged`.

An observation counts once per datastream: a second one with the same `@iot.id`, or with the
same phenomenonTime (a series holds one value per instant), is a duplicate and is dropped, so a
broker that delivers a message twice after a reconnect, or a poll that overlaps the last one,
changes nothing. Each station gets a `latest_<quantity>` attribute: the value of its most recent
observation of that quantity at the time shown, for colouring its symbol.

The feed is also the live layer's timeline, as a result over time is for its time steps: its
steps are the instants of all observations, `time_index` picks the one shown, and a step back
in time shows each station's value as it was then. At the newest step the feed follows live:
new observations move the shown time on with them. Elsewhere the shown time stays put while
the steps grow around it (`events.times` says how many there are now). `live_feed(layer)` finds
the feed of a live layer, for the time slider.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from psygnal import Signal, SignalGroup

from twin.core.data import Datastream, SensorData, TimeSeries
from twin.core.layers import SensorsLayer

LATEST_PREFIX = "latest_"
_FEEDS: weakref.WeakKeyDictionary[SensorsLayer, LiveSensorFeed] = weakref.WeakKeyDictionary()


class Observation(NamedTuple):
    """One new value of one datastream; `time` is UTC datetime64[s] (an interval's end)."""

    datastream_id: str
    time: np.datetime64
    value: float
    id: str | None = None


@dataclass
class MergeResult:
    """What one merge did: observations added per datastream, and what it left out."""

    added: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    unknown_datastreams: dict[str, int] = field(default_factory=dict)

    @property
    def total_added(self) -> int:
        return sum(self.added.values())


@dataclass(frozen=True)
class LiveSource:
    """Where a live layer's observations come from, as a project keeps it (never a token).

    `mqtt_topics` are the topics followed, each as TopicMapping's fields (twin.io.mqtt_feed):
    {"topic": "v1.1/Datastreams(11)/Observations"} or with a payload mapping ("time_key", ...).
    """

    service: str = ""  # the SensorThings service polled; "" for MQTT alone
    poll_interval_s: float = 60.0
    mqtt_broker: str = ""  # host:port; "" for polling alone
    mqtt_topics: tuple[dict[str, str], ...] = ()
    needs_token: bool = False  # the service asked for one: ask again on reopening


class LiveFeedEvents(SignalGroup):
    merged = Signal(object)  # MergeResult, after the layer's data has been replaced
    times = Signal(int)  # the number of time steps, once new observations added some
    time_index = Signal(int)  # the step shown, when a slider moved it or new steps moved it on


class LiveSensorFeed:
    """Merges observations into a sensors layer. Call `merge` from one thread (the GUI's, in the app)."""

    def __init__(self, layer: SensorsLayer, source: LiveSource | None = None) -> None:
        self.layer, self.source = layer, source
        self.events = LiveFeedEvents()
        self._seen_ids: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._shown: np.datetime64 | None = None  # None: the newest, following live
        self.times = observation_times(layer.data)
        self.layer.data = with_latest_values(layer.data)
        _FEEDS[layer] = self

    @property
    def time_steps(self) -> int:
        return max(len(self.times), 1)

    @property
    def time_labels(self) -> list[str]:
        """The steps as the slider names them: '2026-07-10 18:05 UTC'."""
        texts = np.datetime_as_string(self.times.astype("datetime64[m]"))
        return [f"{text.replace('T', ' ')} UTC" for text in texts.tolist()] or ["no observations yet"]

    @property
    def following_live(self) -> bool:
        return self._shown is None

    @property
    def time_index(self) -> int:
        if self._shown is None:
            return self.time_steps - 1
        return int(np.searchsorted(self.times, self._shown))

    @time_index.setter
    def time_index(self, index: int) -> None:
        if not 0 <= index < self.time_steps:
            raise ValueError(f"time step {index} outside 0..{self.time_steps - 1}")
        shown = None if index >= len(self.times) - 1 else self.times[index]
        if index == self.time_index and (shown is None) == self.following_live:
            return
        with self._lock:
            self._shown = shown
            self.layer.data = with_latest_values(self.layer.data, until=shown)
        self.events.time_index.emit(index)

    def latest_time(self, datastream_id: str) -> np.datetime64 | None:
        """The phenomenonTime of the datastream's most recent observation (None: it has none)."""
        stream = self._stream(datastream_id)
        if stream is None or not len(stream.series.times):
            return None
        return stream.series.times[-1]

    def datastream_ids(self) -> list[str]:
        return [stream.id for stream in self.layer.data.datastreams]

    def merge(self, observations: Iterable[Observation]) -> MergeResult:
        """Add what is new, in time order; replace the layer's data once if anything was added."""
        with self._lock:
            result, before = MergeResult(), self.time_index
            sensors = self.layer.data
            by_stream = _group(observations)
            known = {stream.id: index for index, stream in enumerate(sensors.datastreams)}
            streams = list(sensors.datastreams)
            for stream_id, batch in by_stream.items():
                if stream_id not in known:
                    result.unknown_datastreams[stream_id] = len(batch)
                    continue
                index = known[stream_id]
                streams[index], added = self._merged_stream(streams[index], batch)
                result.duplicates += len(batch) - added
                if added:
                    result.added[stream_id] = added
            if result.total_added:
                self.times = observation_times(replace(sensors, datastreams=streams))
                self.layer.data = with_latest_values(replace(sensors, datastreams=streams), until=self._shown)
        if result.total_added:
            self.events.times.emit(self.time_steps)
            if self.time_index != before:
                self.events.time_index.emit(self.time_index)
        self.events.merged.emit(result)
        return result

    def _merged_stream(self, stream: Datastream, batch: list[Observation]) -> tuple[Datastream, int]:
        seen = self._seen_ids.setdefault(stream.id, set())
        fresh = [item for item in batch if item.id is None or item.id not in seen]
        if not fresh:
            return stream, 0
        times = np.array([item.time for item in fresh], dtype="datetime64[s]")
        values = np.array([item.value for item in fresh], dtype=np.float64)
        # One value per instant: the first of a batch wins, an instant the series has is old.
        _, first = np.unique(times, return_index=True)
        first = np.sort(first)
        new = first[~np.isin(times[first], stream.series.times)]
        seen.update(item.id for item in fresh if item.id is not None)
        if not len(new):
            return stream, 0
        all_times = np.concatenate([stream.series.times, times[new]])
        all_values = np.concatenate([stream.series.values, values[new]])
        order = np.argsort(all_times, kind="stable")
        series = TimeSeries(all_times[order], all_values[order])
        return replace(stream, series=series), len(new)

    def _stream(self, datastream_id: str) -> Datastream | None:
        return next((s for s in self.layer.data.datastreams if s.id == datastream_id), None)


def observations_in(sensors: SensorData) -> list[Observation]:
    """Every observation of the sensors' datastreams, as a feed merges them."""
    return [Observation(stream.id, time, value) for stream in sensors.datastreams
            for time, value in zip(stream.series.times, stream.series.values.tolist(), strict=True)]


def _group(observations: Iterable[Observation]) -> dict[str, list[Observation]]:
    groups: dict[str, list[Observation]] = {}
    for observation in observations:
        groups.setdefault(observation.datastream_id, []).append(observation)
    return groups


def with_latest_values(sensors: SensorData, until: np.datetime64 | None = None) -> SensorData:
    """The sensors with one `latest_<quantity>` column per quantity: each station's newest value
    (at or before `until`, if given; NaN where a station had none yet)."""
    ids = np.asarray(sensors.ids).astype(str).tolist()
    rows = {station: row for row, station in enumerate(ids)}
    columns: dict[str, np.ndarray] = {}
    newest: dict[str, np.ndarray] = {}
    for stream in sensors.datastreams:
        if stream.station_id not in rows:
            continue
        name = latest_column(stream.quantity)
        column = columns.setdefault(name, np.full(len(ids), np.nan))
        times = newest.setdefault(name, np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[s]"))
        last = len(stream.series.times) - 1 if until is None else \
            int(np.searchsorted(stream.series.times, until, side="right")) - 1
        row = rows[stream.station_id]
        if last >= 0 and (np.isnat(times[row]) or stream.series.times[last] > times[row]):
            times[row] = stream.series.times[last]
            column[row] = stream.series.values[last]
    attributes = {name: values for name, values in sensors.attributes.items()
                  if not name.startswith(LATEST_PREFIX)}
    return replace(sensors, attributes={**attributes, **columns})


def observation_times(sensors: SensorData) -> np.ndarray:
    """Every instant with an observation of any datastream, sorted, once each (datetime64[s])."""
    times = [stream.series.times for stream in sensors.datastreams]
    return np.unique(np.concatenate(times).astype("datetime64[s]")) if times else \
        np.array([], dtype="datetime64[s]")


def live_feed(layer: object) -> LiveSensorFeed | None:
    """The feed that keeps this layer live; None for a layer that is not live."""
    try:
        return _FEEDS.get(layer)  # type: ignore[arg-type]
    except TypeError:  # not weakly referable: not a layer at all
        return None


def latest_column(quantity: str) -> str:
    """The attribute name of a quantity's latest value: 'latest_precipitation', 'latest_no2'."""
    return LATEST_PREFIX + (re.sub(r"[^0-9a-z]+", "_", quantity.lower()).strip("_") or "value")
