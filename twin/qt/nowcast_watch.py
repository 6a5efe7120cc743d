"""File > Watch for floods...: a watch scenario's rain gauge, live in the window, and its flood nowcast.

The scenario is the one `python main.py watch` takes (twin.sim.watch.WatchConfig). The window
opens its SensorThings service as a live layer (with its MQTT broker, if any) and checks the
rain rule after every merge. When the rule fires, the flood run of the gauge's quarter runs in
the background on the observed rain and the design tail; its result layers join the scene as a
run, and the alert shows in an *Alert* dock at the top of the window (the expected maximum depth
and the affected buildings, deepest first) and in the status bar. A watch over MQTT alone (no
service) is for the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import TwinError
from twin.core.numbers import format_number
from twin.qt.jobs import Job
from twin.qt.sensor_service import LiveSensorService, ServiceChoice
from twin.sim.nowcast import Alert, Nowcaster, NowcastError, RainWatch, Trigger, alert_line
from twin.sim.runner import store_run
from twin.sim.watch import WatchConfig

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

ALERT_STYLE = "QLabel { background: #b3261e; color: white; padding: 8px; font-size: 14px; }"
BUILDINGS_SHOWN = 8


class NowcastWatch(QObject):
    """One watch: the live gauge layer, its rule, and the nowcast run when the rule fires."""

    alerted = Signal(object)  # the Alert, once its dock shows

    def __init__(self, window: MainWindow, config: WatchConfig) -> None:
        super().__init__(window)
        self.window, self.config = window, config
        self.rule = RainWatch(config.rule)
        self.nowcaster: Nowcaster | None = None
        self.service: LiveSensorService | None = None
        self.alerts: list[Alert] = []
        self.alert_dock: QDockWidget | None = None
        self._run: Job | None = None

    def start(self) -> Job:
        """Load the scenario's terrain and buildings once, in the background; then open the gauge."""
        config = self.config
        if not config.service:
            raise NowcastError(f"{config.scenario.path or config.scenario.name}: the window watches a "
                               "SensorThings service; give [watch] a 'service' (a watch over MQTT alone runs "
                               "with python main.py watch)")
        def prepare(_feedback) -> Nowcaster:
            return Nowcaster.for_scenario(config.scenario, config.tail, config.after_rain_min)

        job = Job(f"Preparing the nowcast of {config.scenario.name}", prepare, self)
        job.succeeded.connect(self._prepared)
        job.failed.connect(self.window.show_error)
        self.window.jobs_bar.track(job)
        job.start()
        return job

    def _prepared(self, nowcaster: Nowcaster) -> None:
        config = self.config
        self.nowcaster = nowcaster
        token = os.environ.get(config.token_env) if config.token_env else None
        broker = f"{config.mqtt_broker[0]}:{config.mqtt_broker[1]}" if config.mqtt_broker else ""
        # the rule's own topics only when the scenario names a broker: else the service's datastreams
        topics = config.mqtt_topics if broker else ()
        choice = ServiceChoice(config.service, token, config.poll_interval_s, broker, topics)
        self.service = LiveSensorService(self.window, choice)
        self.service.since = config.since
        self.service.opened.connect(lambda _layer: self.check())  # the history may hold the event already
        self.service.merged.connect(lambda _result: self.check())
        self.service.start()

    def check(self) -> Job | None:
        """Apply the rule to the gauge's observations; run the nowcast when it fires."""
        if self.nowcaster is None or self.service is None or self.service.feed is None \
                or (self._run is not None and self._run.running):
            return None  # a running nowcast: the rule is asked again at the next merge
        sensors = self.service.feed.layer.data
        try:
            trigger = self.rule.check(sensors)
        except NowcastError as error:
            self._say(str(error))
            return None
        if trigger is None:
            return None
        self._say(f"Rain rule: {trigger.window_mm:.1f} mm in {self.config.rule.window_min:g} min at "
                  f"'{trigger.station}'; running the flood nowcast")
        nowcaster = self.nowcaster
        self._run = Job(f"Flood nowcast ({trigger.window_mm:.1f} mm at {trigger.station})",
                        lambda feedback: nowcaster.run(sensors, trigger, feedback), self)
        self._run.succeeded.connect(self._alert)
        self._run.failed.connect(self.window.show_error)
        self.window.jobs_bar.track(self._run)
        self._run.start()
        return self._run

    def _alert(self, alert: Alert) -> None:
        if alert.report is not None:
            try:
                store_run(self.window.scene, alert.report)  # the expected flood, in the 3D view
            except (TwinError, ValueError) as error:
                self._say(f"the nowcast's layers were not added: {error}")
        if self.config.alerts_file is not None:
            with self.config.alerts_file.open("a", encoding="utf-8") as stream:
                stream.write(alert_line(alert) + "\n")
        self.alerts.append(alert)
        self._show(alert)
        self._say(alert.sentence())
        QApplication.alert(self.window)  # the task bar asks for attention while the window is behind
        self.alerted.emit(alert)

    def _show(self, alert: Alert) -> None:
        if self.alert_dock is None:
            self.alert_dock = QDockWidget("Alert", self.window)
            self.alert_dock.setObjectName("nowcast_alert")
            self.window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.alert_dock)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(alert_text(alert))
        label.setObjectName("alert_text")
        label.setStyleSheet(ALERT_STYLE)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        # as tall as its text: the dock area would otherwise share the window's height with the view
        holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        holder.setMaximumHeight(label.heightForWidth(max(self.window.width() - 24, 400)) + 4)
        self.alert_dock.setWidget(holder)
        self.alert_dock.show()
        self.alert_dock.raise_()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
        if self._run is not None:
            self._run.wait()

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 30_000)


def alert_text(alert: Alert) -> str:
    """The alert as the dock shows it: what fired, what is expected, and the deepest buildings."""
    trigger: Trigger = alert.trigger
    head = (f"FLOOD ALERT, {alert.quarter}: {trigger.window_mm:.1f} mm in "
            f"the rain window at '{trigger.station}' ({str(trigger.time)[:16].replace('T', ' ')} UTC).")
    if alert.error:
        return f"{head}\nThe flood nowcast failed: {alert.error}"
    depth = "no standing water" if alert.max_depth_m is None else \
        f"a maximum depth of {_metres(alert.max_depth_m)}"
    lines = [head, f"Expected: {depth}, {alert.buildings_affected or 0} affected buildings "
                   f"({alert.observed_mm:.1f} mm observed + {alert.tail_mm:.1f} mm design tail)."]
    shown = alert.affected_buildings[:BUILDINGS_SHOWN]
    if shown:
        names = ", ".join(f"{item['building']} ({_metres(item['max_depth_m'])})" for item in shown)
        more = len(alert.affected_buildings) - len(shown)
        lines.append(f"Deepest: {names}{f' and {more} more' if more > 0 else ''}.")
    return "\n".join(lines)


def _metres(depth: float) -> str:
    return f"{format_number(depth, 'm')} m"


def open_nowcast_watch(window: MainWindow, path: Path | None = None) -> NowcastWatch | None:
    """Ask for a watch scenario and start watching it (File > Watch for floods...)."""
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(window, "Watch for floods: a watch scenario",
                                                str(Path.cwd()), "Scenario (*.toml)")
        if not chosen:
            return None
        path = Path(chosen)
    try:
        watch = NowcastWatch(window, WatchConfig.load(path))
        watch.start()
    except TwinError as error:
        window.show_error(str(error))
        return None
    return watch
