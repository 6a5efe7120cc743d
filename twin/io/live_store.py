"""The observations a live layer received, saved beside its project, and the layer opened from them.

A project's live layer (twin.core.live_project) keeps its stations and every observation received
in `<project>_live/<layer>.sta.json`: a SensorThings response (Things with Locations and
Datastreams with their Observations, positions in WGS84), the format the twin reads as a sensors
file, with the service's own datastream ids, so that polls after reopening merge into the same
series. Opening reads it into a live layer (its `LiveSensorFeed` carries the source) before the
window reconnects, so what was received shows at once even when the service is down.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from twin.core.atomic import SaveError, why_not_written, write_atomic
from twin.core.data import Datastream, SensorData
from twin.core.errors import TwinError
from twin.core.layers import SensorsLayer
from twin.core.live import LATEST_PREFIX, LiveSensorFeed, live_feed
from twin.core.live_project import LiveEntry
from twin.core.scene import Scene
from twin.io.formats import read_layer

WGS84 = "EPSG:4326"


def save_live_layers(scene: Scene, folder: Path) -> list[LiveEntry]:
    """Write each live layer's stations and observations into `folder`; their project entries."""
    entries: list[LiveEntry] = []
    for layer in scene.layers:
        feed = live_feed(layer)
        if feed is None or feed.source is None:
            continue
        stem = _file_stem(layer.name)
        taken = {entry.observations.name for entry in entries}
        stem = next(f"{stem}_{n}" for n in range(1, len(taken) + 2) if f"{stem}_{n}.sta.json" not in taken) \
            if f"{stem}.sta.json" in taken else stem
        path = folder / f"{stem}.sta.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SaveError(folder, f"cannot be made: {why_not_written(error)}") from None
        write_atomic(path, json.dumps(sensorthings_document(layer.data), ensure_ascii=False))
        entries.append(LiveEntry(name=layer.name, source=feed.source, observations=path,
                                 visible=layer.visible, opacity=layer.opacity, color_by=layer.color_by,
                                 colormap=layer.colormap if layer.color_by else None,
                                 color_range=layer.color_range))
    return entries


def open_live_layers(entries: list[LiveEntry], scene: Scene) -> list[str]:
    """Add each saved live layer to the scene from its observations file; one sentence per failure."""
    problems = []
    for entry in entries:
        try:
            layer = read_layer(entry.observations, name=entry.name, to=scene.crs)
        except (TwinError, ValueError) as error:
            problems.append(f"live layer '{entry.name}' not opened: {error}")
            continue
        if not isinstance(layer, SensorsLayer):
            problems.append(f"live layer '{entry.name}' not opened: {entry.observations} holds no sensors")
            continue
        layer.source = None  # saved as a live layer, not as a sensors file among the [[layers]]
        LiveSensorFeed(layer, entry.source)  # before the scene has it: the time slider takes it as live
        layer.visible, layer.opacity = entry.visible, entry.opacity
        if entry.color_by or entry.colormap or entry.color_range:
            layer.set_style(entry.color_by, entry.colormap, entry.color_range)
        scene.add_layer(layer)
    return problems


def sensorthings_document(sensors: SensorData) -> dict[str, Any]:
    """The stations and their observations as a SensorThings response ({"value": [Thing, ...]})."""
    lon, lat = _wgs84(sensors)
    things = []
    for row, station in enumerate(np.asarray(sensors.ids).astype(str).tolist()):
        coordinates = [float(lon[row]), float(lat[row])]
        if np.isfinite(sensors.xyz[row, 2]):
            coordinates.append(float(sensors.xyz[row, 2]))
        attributes = _station_attributes(sensors, row)
        things.append({
            "@iot.id": station, "name": attributes.pop("name", station),
            "description": attributes.pop("description", ""), "properties": attributes,
            "Locations": [{"encodingType": "application/geo+json",
                           "location": {"type": "Point", "coordinates": coordinates}}],
            "Datastreams": [_datastream(stream) for stream in sensors.datastreams_of(station)]})
    return {"value": things}


def _datastream(stream: Datastream) -> dict[str, Any]:
    times = np.datetime_as_string(stream.series.times.astype("datetime64[s]"), unit="s").tolist()
    values = stream.series.values.tolist()
    return {"@iot.id": stream.id, "name": stream.name, "unitOfMeasurement": {"symbol": stream.unit},
            "ObservedProperty": {"name": stream.quantity},
            "Observations": [{"phenomenonTime": f"{time}Z", "result": float(value)}
                             for time, value in zip(times, values, strict=True)]}


def _station_attributes(sensors: SensorData, row: int) -> dict[str, Any]:
    """A station's own attributes as JSON values; the `latest_` columns are recomputed on reading."""
    attributes = {}
    for name, column in sensors.attributes.items():
        if name.startswith(LATEST_PREFIX):
            continue
        value = column[row].item() if hasattr(column[row], "item") else column[row]
        if isinstance(value, float) and not np.isfinite(value):
            continue
        attributes[name] = value
    return attributes


def _wgs84(sensors: SensorData) -> tuple[np.ndarray, np.ndarray]:
    if sensors.crs in (None, WGS84):
        return sensors.xyz[:, 0], sensors.xyz[:, 1]
    to_wgs84 = Transformer.from_crs(sensors.crs, WGS84, always_xy=True)
    return to_wgs84.transform(sensors.xyz[:, 0], sensors.xyz[:, 1])


def _file_stem(name: str) -> str:
    """A layer's name as a file name: 'sta.example.org:8080' -> 'sta.example.org_8080'."""
    return re.sub(r"[^0-9A-Za-z._-]+", "_", name).strip("._") or "live"
