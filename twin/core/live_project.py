"""Live sensor layers in a project: where they come from, and the observations received so far.

    [[live]]
    name = "Rain gauges (live)"
    service = "https://sta.example.org/FROST-Server/v1.1"
    poll_interval_s = 60.0
    mqtt_broker = "broker.example.org:1883"       # optional
    needs_token = true                            # asked for again on reopening; never stored
    observations = "project_live/rain_gauges_live.sta.json"   # what was received, beside the project
    visible = true                                # the layer's style, as for [[layers]]
    color_by = "latest_precipitation"

    [[live.mqtt_topics]]                          # optional: the topics followed, with their mapping
    topic = "v1.1/Datastreams(11)/Observations"

Reopening reads the observations file into the layer at once (the service may be down), and the
window then reconnects to the service and the broker and merges what came since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.core.errors import did_you_mean
from twin.core.live import LiveSource
from twin.core.paths import UnsuitablePath, named_path
from twin.core.project import STYLE_KEYS, LayerStyle, ProjectError, read_style, stored_path, style_table

TOPIC_KEYS = ("topic", "datastream", "datastream_key", "time_key", "value_key", "id_key")  # TopicMapping's
_LIVE_KEYS = ("name", "service", "poll_interval_s", "mqtt_broker", "mqtt_topics", "needs_token",
              "observations", *STYLE_KEYS)


@dataclass(frozen=True, kw_only=True)
class LiveEntry(LayerStyle):
    """A live layer of the project: its name, its source, its saved observations and its style."""

    name: str
    source: LiveSource
    observations: Path


def live_tables(entries: list[LiveEntry], folder: Path) -> dict[str, Any]:
    """The project's [[live]] tables (none: no key at all)."""
    if not entries:
        return {}
    return {"live": [_table(entry, folder) for entry in entries]}


def _table(entry: LiveEntry, folder: Path) -> dict[str, Any]:
    source = entry.source
    table: dict[str, Any] = {"name": entry.name, "service": source.service,
                             "poll_interval_s": source.poll_interval_s, "mqtt_broker": source.mqtt_broker,
                             "needs_token": source.needs_token,
                             "observations": stored_path(entry.observations, folder)}
    if source.mqtt_topics:
        table["mqtt_topics"] = [dict(topic) for topic in source.mqtt_topics]
    return table | style_table(entry)


def read_live(tables: Any, path: Path | None) -> list[LiveEntry]:
    """The [[live]] tables of a project document, checked; every problem names the file."""
    if not isinstance(tables, list):
        raise ProjectError(path, "live layers must be written as [[live]] tables")
    return [_entry(table, f"live layer {number}", path) for number, table in enumerate(tables, start=1)]


def _entry(table: Any, where: str, path: Path | None) -> LiveEntry:
    if not isinstance(table, dict):
        raise ProjectError(path, f"{where} must be a table")
    for key in table:
        if key not in _LIVE_KEYS:
            raise ProjectError(path, f"unknown key '{key}' in {where}{did_you_mean(key, _LIVE_KEYS)}")
    for key in ("name", "observations"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ProjectError(path, f"{where} needs '{key}' (non-empty text)")
    service, broker = (_text(table, key, where, path) for key in ("service", "mqtt_broker"))
    if not service and not broker:
        raise ProjectError(path, f"{where} needs a 'service' URL, an 'mqtt_broker' or both")
    interval = table.get("poll_interval_s", 60.0)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not math.isfinite(interval) \
            or interval <= 0:
        raise ProjectError(path, f"{where} poll_interval_s must be a number of seconds above 0")
    if not isinstance(table.get("needs_token", False), bool):
        raise ProjectError(path, f"{where} needs_token must be true or false")
    source = LiveSource(service, float(interval), broker, _topics(table.get("mqtt_topics", []), where, path),
                        table.get("needs_token", False))
    folder = path.parent if path is not None else Path.cwd()
    try:
        observations = named_path(folder, table["observations"])
    except UnsuitablePath as error:
        raise ProjectError(path, f"{where} observations: {error.problem}") from None
    return LiveEntry(name=table["name"], source=source, observations=observations,
                     **read_style(table, where, path))


def _text(table: dict, key: str, where: str, path: Path | None) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ProjectError(path, f"{where} {key} must be text")
    return value.strip()


def _topics(value: Any, where: str, path: Path | None) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list):
        raise ProjectError(path, f"{where} mqtt_topics must be written as [[live.mqtt_topics]] tables")
    topics = []
    for topic in value:
        if not isinstance(topic, dict) or not isinstance(topic.get("topic"), str) \
                or not all(isinstance(item, str) for item in topic.values()):
            raise ProjectError(path, f"{where} mqtt_topics: each needs a 'topic' and text values")
        unknown = [key for key in topic if key not in TOPIC_KEYS]
        if unknown:
            raise ProjectError(path, f"unknown key '{unknown[0]}' in {where} mqtt_topics"
                                     f"{did_you_mean(unknown[0], TOPIC_KEYS)}")
        topics.append(dict(topic))
    return tuple(topics)
