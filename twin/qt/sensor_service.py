"""File > Open sensor service...: a SensorThings service (polled) and/or an MQTT broker as a live layer.

The dialog asks for the service URL, a token if the service needs one, the poll interval and
an optional MQTT broker. The token stays in this session's memory: it is never written to the
project or any other file. A saved project keeps the layer's source (URL, poll interval, broker,
topics) and its observations (twin.io.live_store); reopening it reconnects (`resume_live_layers`),
asking for the token again where the service needed one. Reading the service and every
poll run as background jobs; new observations merge on the GUI thread through the layer's
`LiveSensorFeed`, so the station symbols (coloured by `latest_<quantity>`) and the inspector's
charts follow and the window never waits for the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from twin.core.errors import TwinError
from twin.core.layers import SensorsLayer
from twin.core.live import (
    LiveSensorFeed,
    LiveSource,
    MergeResult,
    Observation,
    latest_column,
    live_feed,
    observations_in,
)
from twin.io.mqtt_feed import MqttObservationFeed, TopicMapping, sensorthings_topic
from twin.io.reproject import to_crs
from twin.io.sensorthings_client import SensorThingsClient, ServicePoller
from twin.qt.jobs import Job

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

HISTORY = np.timedelta64(24, "h")  # observations read when the service opens
DRAIN_INTERVAL_MS = 200  # MQTT: merge what arrived five times a second, in one batch each
TOKEN_NOTE = ("The token is kept in memory for this session only; it is never saved in the project "
              "or any other file.")


@dataclass(frozen=True)
class ServiceChoice:
    url: str
    token: str | None = None
    poll_interval_s: float = 60.0
    mqtt_broker: str = ""  # host:port; empty for polling only
    mqtt_topics: tuple[TopicMapping, ...] = ()  # empty: the SensorThings topics of the service's datastreams

    @classmethod
    def of(cls, source: LiveSource, token: str | None = None) -> ServiceChoice:
        """The choice a saved live layer was made with (twin.core.live.LiveSource)."""
        topics = tuple(TopicMapping(**topic) for topic in source.mqtt_topics)
        return cls(source.service, token, source.poll_interval_s, source.mqtt_broker, topics)

    def source(self, topics: list[TopicMapping]) -> LiveSource:
        """What a project keeps of this choice: everything but the token."""
        return LiveSource(self.url, self.poll_interval_s, self.mqtt_broker,
                          tuple(_topic_table(topic) for topic in topics), needs_token=bool(self.token))


class SensorServiceDialog(QDialog):
    """Asks for a service URL, an optional token, the poll interval and an optional MQTT broker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open sensor service")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://host/FROST-Server/v1.1")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("only if the service needs one")
        self.interval = QDoubleSpinBox()
        self.interval.setRange(1.0, 3600.0)
        self.interval.setValue(60.0)
        self.interval.setSuffix(" s")
        self.broker = QLineEdit()
        self.broker.setPlaceholderText("host:1883 (optional: observations pushed over MQTT)")
        note = QLabel(TOKEN_NOTE)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("SensorThings URL", self.url)
        form.addRow("Token", self.token)
        form.addRow("Poll every", self.interval)
        form.addRow("MQTT broker", self.broker)
        form.addRow(note)
        form.addRow(buttons)
        self.setMinimumWidth(520)

    def choice(self) -> ServiceChoice:
        return ServiceChoice(self.url.text().strip(), self.token.text() or None, self.interval.value(),
                             self.broker.text().strip())


class LiveSensorService(QObject):
    """One opened service: its live layer, the poll timer and the MQTT feed. A child of the window."""

    opened = Signal(object)   # the SensorsLayer, once in the scene
    merged = Signal(object)   # a MergeResult that added observations

    def __init__(self, window: MainWindow, choice: ServiceChoice) -> None:
        super().__init__(window)
        self.window, self.choice = window, choice
        self.client = SensorThingsClient(choice.url, choice.token)
        self.poller: ServicePoller | None = None
        self.feed: LiveSensorFeed | None = None
        self.mqtt: MqttObservationFeed | None = None
        self.since: np.datetime64 | None = None  # the history read on opening; None: the last day
        self._poll_job: Job | None = None
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(int(choice.poll_interval_s * 1000))
        self._poll_timer.timeout.connect(self.poll_now)
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self._drain)
        self._open_job: Job | None = None
        window.installEventFilter(self)  # a closed window stops polling (and waits for a running poll)

    def start(self) -> Job | None:
        """Read the stations and the last day's observations (for a resumed layer: those since its
        newest one) in the background. A resumed layer without a service only subscribes."""
        since = self.since if self.since is not None else np.datetime64("now", "s") - HISTORY
        if self.feed is not None and len(self.feed.times):
            since = self.feed.times[-1]
        if not self.choice.url:
            self._connect({})
            return None
        scene_crs = self.window.scene.crs

        def read(_feedback) -> tuple[Any, dict]:
            sensors, raw_ids = self.client.sensors(since=since)
            return to_crs(sensors, scene_crs), raw_ids

        job = self._open_job = Job(f"Opening {self.choice.url}", read, self)
        job.succeeded.connect(self._opened)
        job.failed.connect(self._failed_to_open)
        self.window.jobs_bar.track(job)
        job.start()
        return job

    def stop(self) -> None:
        self._poll_timer.stop()
        self._drain_timer.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        for job in (self._open_job, self._poll_job):
            if job is not None:
                job.wait()
        self.client.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and event.type() == QEvent.Type.Close:
            # The window may still refuse to close (unsaved changes): look once it has decided.
            QTimer.singleShot(0, self._stop_if_closed)
        return False

    def _stop_if_closed(self) -> None:
        if not self.window.isVisible():
            self.window.removeEventFilter(self)
            self.stop()

    def poll_now(self) -> Job | None:
        """Ask the service for what is new; skipped while the previous poll still runs."""
        if self.feed is None or self.poller is None or (self._poll_job and self._poll_job.running):
            return None
        latest = {stream: self.feed.latest_time(stream) for stream in self.feed.datastream_ids()}
        poller = self.poller
        self._poll_job = Job("Polling sensors", lambda _feedback: poller.poll(latest), self)
        self._poll_job.succeeded.connect(self.merge)
        self._poll_job.failed.connect(lambda message: self._say(f"{message}; trying again at the next poll"))
        self._poll_job.start()
        return self._poll_job

    def merge(self, observations: list[Observation]) -> MergeResult | None:
        if self.feed is None or not observations:
            return None
        result = self.feed.merge(observations)
        if result.total_added:
            self._refresh_inspector()
            self._say(f"{result.total_added} new observations in {self.feed.layer.name}")
            self.merged.emit(result)
        return result

    def _opened(self, result: tuple[Any, dict]) -> None:
        sensors, raw_ids = result
        if self.feed is not None:  # a saved layer reconnected: merge what came since it was saved
            self.merge(observations_in(sensors))
            self._connect(raw_ids)
            return
        layer = SensorsLayer(sensors, urlsplit(self.choice.url).netloc or "sensor service")
        # before the scene has it: the time slider takes it as live
        self.feed = LiveSensorFeed(layer, self.choice.source(self._topics(raw_ids)))
        try:
            layer = self.window.scene.add_layer(layer)
        except TwinError as error:
            self.feed = None
            self._failed_to_open(str(error))
            return
        _colour_by_latest(layer)
        self._connect(raw_ids)
        self.window.statusBar().showMessage(
            f"Opened {self.choice.url}: {len(sensors)} stations, {len(sensors.datastreams)} datastreams; "
            f"polling every {self.choice.poll_interval_s:g} s", 10_000)

    def _connect(self, raw_ids: dict) -> None:
        """Poll the service (if there is one) and subscribe to the broker (if there is one)."""
        self.window.scene.layers.events.removed.connect(self._on_layer_removed)
        if self.choice.url:
            self.poller = ServicePoller(self.client, raw_ids)
            self._poll_timer.start()
        if self.choice.mqtt_broker:
            self._subscribe(self.choice.mqtt_broker, self._topics(raw_ids))
        self.opened.emit(self.feed.layer)

    def _topics(self, raw_ids: dict) -> list[TopicMapping]:
        if not self.choice.mqtt_broker:
            return []
        derived = [TopicMapping(sensorthings_topic(raw)) for raw in raw_ids.values()]
        return list(self.choice.mqtt_topics) or derived

    def _subscribe(self, broker: str, topics: list[TopicMapping]) -> None:
        host, _, port = broker.rpartition(":")
        if not host or not port.isdigit():
            host, port = broker, "1883"
        self.mqtt = MqttObservationFeed(host, int(port), topics)
        self.mqtt.start()
        self._drain_timer.start()

    def _drain(self) -> None:
        if self.mqtt is None:
            return
        for problem in self.mqtt.take_problems():
            self._say(problem)
        self.merge(self.mqtt.drain())

    def _failed_to_open(self, message: str) -> None:
        if self.feed is not None:  # a saved layer stays with what it has
            message += f"; {self.feed.layer.name} keeps the observations saved with the project, not live"
        self.window.show_error(message)
        self.stop()
        self.deleteLater()

    def _on_layer_removed(self, _index: int, layer: object) -> None:
        if self.feed is not None and layer is self.feed.layer:
            self.window.scene.layers.events.removed.disconnect(self._on_layer_removed)
            self.stop()
            self.deleteLater()

    def _refresh_inspector(self) -> None:
        shown = self.window.inspector.shown
        if shown is not None and shown[0] is self.feed.layer:
            self.window.inspector.show_feature(*shown)

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 15_000)


def _colour_by_latest(layer: SensorsLayer) -> None:
    """Colour the stations by their latest rain, else by the first quantity with a latest value."""
    offered = layer.color_attributes()
    preferred = latest_column("precipitation")
    choice = preferred if preferred in offered else next(
        (name for name in offered if name.startswith("latest_")), None)
    if choice is not None and layer.color_by is None:
        layer.set_style(color_by=choice)


def _topic_table(topic: TopicMapping) -> dict[str, str]:
    """A topic's fields that differ from the defaults, as text (for the project)."""
    defaults = asdict(TopicMapping(topic.topic))
    return {key: value for key, value in asdict(topic).items()
            if value is not None and (key == "topic" or value != defaults[key])}


def ask_token(window: QWidget, url: str) -> str | None:
    """The token of a service a saved project reconnects to (None: the user declined)."""
    token, given = QInputDialog.getText(window, "Token for a live layer", f"{url} needs a token. "
                                        + TOKEN_NOTE, QLineEdit.EchoMode.Password)
    return token if given and token else None


def resume_live_layers(window: MainWindow) -> list[LiveSensorService]:
    """Reconnect the live layers a project was saved with (asking for a token where needed)."""
    services = []
    for layer in list(window.scene.layers):
        feed = live_feed(layer)
        if feed is None or feed.source is None or any(
                service.feed is feed for service in window.findChildren(LiveSensorService)):
            continue
        token = None
        if feed.source.needs_token:
            token = ask_token(window, feed.source.service)
            if token is None:
                window.statusBar().showMessage(f"{layer.name} is not reconnected (no token); it keeps the "
                                               "observations saved with the project", 15_000)
                continue
        service = LiveSensorService(window, ServiceChoice.of(feed.source, token))
        service.feed = feed
        service.start()
        services.append(service)
    return services


def open_sensor_service(window: MainWindow) -> LiveSensorService | None:
    """Ask for a service and open it as a live layer (File > Open sensor service...)."""
    dialog = SensorServiceDialog(window)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.choice().url:
        return None
    try:
        service = LiveSensorService(window, dialog.choice())
    except TwinError as error:
        window.show_error(str(error))
        return None
    service.start()
    return service
