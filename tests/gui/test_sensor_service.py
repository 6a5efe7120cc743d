"""File > Open sensor service...: a live SensorThings service (and MQTT) in the window, over real HTTP."""

import json
import time

import numpy as np
import paho.mqtt.client as mqtt
import pytest
import shiboken6
from paho.mqtt.enums import CallbackAPIVersion
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QLineEdit

from tests.conftest import REFERENCE
from tests.sensor_service import Mosquitto, SensorThingsServer, mosquitto_binary, service_on_test_terrain
from twin.core.live import live_feed
from twin.core.project import Project
from twin.io.project import open_project
from twin.qt.main_window import MainWindow
from twin.qt.sensor_service import TOKEN_NOTE, LiveSensorService, SensorServiceDialog, ServiceChoice
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view

pytestmark = pytest.mark.gui
SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"


@pytest.fixture
def service(tmp_path):
    """The reference service with its stations moved onto the test terrain (the bowl at 411 km E)."""
    with SensorThingsServer(service_on_test_terrain(SERVICE_FILE, tmp_path, dates_moved_to_now=True)) as server:
        yield server


def open_service(qtbot, window, choice) -> LiveSensorService:
    live = LiveSensorService(window, choice)
    with qtbot.waitSignal(live.opened, timeout=20_000):
        live.start()
    return live


def test_the_dialog_asks_for_url_token_interval_and_broker_and_hides_the_token(qtbot):
    dialog = SensorServiceDialog()
    qtbot.addWidget(dialog)
    dialog.url.setText("  https://sta.example.org/v1.1 ")
    dialog.token.setText("s3cret")
    dialog.interval.setValue(30.0)
    assert dialog.token.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.choice() == ServiceChoice("https://sta.example.org/v1.1", "s3cret", 30.0, "")
    assert any(label.text() == TOKEN_NOTE for label in dialog.findChildren(QLabel))


def test_an_opened_service_becomes_a_live_layer_whose_symbols_and_chart_follow_new_observations(
        qtbot, window, service, tmp_path):
    live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=0.3))
    layer = window.scene.layers[-1]
    assert layer.kind == "sensors" and layer.name.startswith("127.0.0.1:") and layer.crs == "EPSG:25833"
    assert layer.color_by == "latest_precipitation"
    rain = layer.data.datastreams[0]
    count = len(rain.series.values)
    assert count == 73
    window.inspector.show_feature(layer, 0)
    chart = window.inspector.chart_widgets()[0]
    assert len(chart.data.series[0].x) == count
    _shoot(window, tmp_path / "before.png")
    last = rain.series.times[-1]
    for k, mm in enumerate([4.0, 9.5], start=1):
        service.add_observation(11, f"{last + np.timedelta64(5 * k, 'm')}Z", mm, 9000 + k)
    qtbot.waitUntil(lambda: len(layer.data.datastreams[0].series.values) == count + 2, timeout=20_000)
    assert layer.data.attributes["latest_precipitation"][0] == 9.5
    chart = window.inspector.chart_widgets()[0]
    assert len(chart.data.series[0].x) == count + 2  # the inspector's chart grew
    _shoot(window, tmp_path / "after.png")
    live.stop()


def test_the_time_slider_follows_a_live_layer_and_keeps_a_time_the_user_went_back_to(
        qtbot, window, service):
    live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=0.3))
    layer, bar = live.feed.layer, window.time_bar
    assert bar.isVisible() and bar.layer is layer and bar.following_live
    steps = live.feed.time_steps
    assert bar.slider.maximum() == steps - 1 and bar.slider.value() == steps - 1
    assert bar.step_label.text().endswith(" UTC, live")
    rain = layer.data.datastreams[0]
    last, count = rain.series.times[-1], len(rain.series.values)
    window.inspector.show_feature(layer, 0)
    service.add_observation(11, f"{last + np.timedelta64(5, 'm')}Z", 4.0, 9101)
    qtbot.waitUntil(lambda: bar.slider.maximum() == steps, timeout=20_000)
    assert bar.slider.value() == steps and bar.following_live  # at the newest: it moved on
    window.refresh_view()
    assert window.scene_view.mesh_of(layer).point_data["latest_precipitation"][0] == 4.0
    back = steps - 6
    bar.slider.setValue(back)  # the user looks back in time
    shown_time = live.feed.times[back]
    expected = rain.series.values[np.searchsorted(rain.series.times, shown_time, side="right") - 1]
    assert not bar.following_live and not bar.step_label.text().endswith("live")
    window.refresh_view()
    assert window.scene_view.mesh_of(layer).point_data["latest_precipitation"][0] == expected
    service.add_observation(11, f"{last + np.timedelta64(10, 'm')}Z", 6.5, 9102)
    qtbot.waitUntil(lambda: bar.slider.maximum() == steps + 1, timeout=20_000)
    assert bar.slider.value() == back and live.feed.times[bar.slider.value()] == shown_time  # not jumped
    assert layer.data.attributes["latest_precipitation"][0] == expected
    assert len(window.inspector.chart_widgets()[0].data.series[0].x) == count + 2  # the chart grew
    bar.slider.setValue(bar.slider.maximum())
    assert bar.following_live and layer.data.attributes["latest_precipitation"][0] == 6.5
    live.stop()


def test_the_token_reaches_the_service_and_never_the_saved_project(qtbot, window, tmp_path):
    with SensorThingsServer(SERVICE_FILE, token="s3cret-token") as server:
        live = open_service(qtbot, window, ServiceChoice(server.url, token="s3cret-token", poll_interval_s=3600))
        assert window.scene.layers[-1].kind == "sensors"
        assert window.save_project(tmp_path / "project.toml")
        live.stop()
    saved = (tmp_path / "project.toml").read_text(encoding="utf-8")
    assert "s3cret-token" not in saved and "needs_token = true" in saved  # asked for again on reopening
    assert not any("s3cret-token" in path.read_bytes().decode("utf-8", "replace")
                   for path in tmp_path.rglob("*") if path.is_file())


def test_a_saved_live_layer_reopens_with_what_it_received_and_reconnects_asking_for_the_token(
        qtbot, window, tmp_path, monkeypatch):
    service_file = service_on_test_terrain(SERVICE_FILE, tmp_path, dates_moved_to_now=True)
    with SensorThingsServer(service_file, token="s3cret-token") as server:
        choice = ServiceChoice(server.url, token="s3cret-token", poll_interval_s=0.3)
        live = open_service(qtbot, window, choice)
        layer = live.feed.layer
        layer.set_style(color_by="latest_precipitation", colormap="Blues")
        last = layer.data.datastreams[0].series.times[-1]
        server.add_observation(11, f"{last + np.timedelta64(5, 'm')}Z", 3.5, 9201)
        received = len(layer.data.datastreams[0].series.values) + 1
        qtbot.waitUntil(lambda: len(layer.data.datastreams[0].series.values) == received, timeout=20_000)
        assert window.save_project(tmp_path / "project.toml")
        live.stop()
        server.add_observation(11, f"{last + np.timedelta64(10, 'm')}Z", 1.0, 9202)  # while it was closed
        project = Project.load(tmp_path / "project.toml")
        (entry,) = project.live
        assert (entry.source.service, entry.source.poll_interval_s, entry.source.needs_token) == (
            server.url, 0.3, True)
        assert entry.observations == tmp_path / "project_live" / f"{layer.name.replace(':', '_')}.sta.json"
        opened = open_project(project)
        (reopened,) = [item for item in opened.scene.layers if item.kind == "sensors"]
        assert len(reopened.data.datastreams[0].series.values) == received  # before any reconnection
        assert (reopened.color_by, reopened.colormap) == ("latest_precipitation", "Blues")
        asked = []
        monkeypatch.setattr("twin.qt.sensor_service.ask_token", lambda _window, url: asked.append(url)
                            or "s3cret-token")
        settings = QSettings(str(tmp_path / "settings2.ini"), QSettings.Format.IniFormat)
        second = MainWindow(opened.scene, offscreen_view, session=ProjectSession(opened.scene, name="again"),
                            settings=settings)
        qtbot.addWidget(second, before_close_func=lambda widget: widget.session.mark_clean())
        assert second.time_bar.layer is reopened
        qtbot.waitUntil(lambda: len(reopened.data.datastreams[0].series.values) == received + 1, timeout=20_000)
        assert asked == [server.url] and reopened.data.attributes["latest_precipitation"][0] == 1.0
        assert second.time_bar.slider.maximum() == live_feed(reopened).time_steps - 1
        for service in second.findChildren(LiveSensorService):
            service.stop()
    assert not any("s3cret-token" in path.read_bytes().decode("utf-8", "replace")
                   for path in tmp_path.rglob("*") if path.is_file())


def test_a_service_answering_html_is_one_sentence_and_the_scene_stays(qtbot, window, service, monkeypatch):
    errors = []
    monkeypatch.setattr(window, "show_error", errors.append)
    service.misbehave("html")
    live = LiveSensorService(window, ServiceChoice(service.url))
    job = live.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=20_000)
    job.wait()
    assert errors == [f"{service.url}/Things: the service answered a web page (HTML), not SensorThings JSON; "
                      "give the service root, such as https://host/FROST-Server/v1.1"]
    assert [layer.kind for layer in window.scene.layers] == ["raster"]


def test_a_failing_poll_is_said_in_the_status_bar_and_the_layer_keeps_what_it_has(qtbot, window, service):
    live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=3600))
    layer = window.scene.layers[-1]
    before = len(layer.data.datastreams[0].series.values)
    service.misbehave("broken")
    job = live.poll_now()
    qtbot.waitUntil(lambda: not job.running, timeout=20_000)
    qtbot.waitUntil(lambda: "trying again at the next poll" in window.statusBar().currentMessage(), timeout=5000)
    assert "the answer is not valid JSON" in window.statusBar().currentMessage()
    assert len(layer.data.datastreams[0].series.values) == before
    live.stop()


def test_removing_the_layer_stops_its_polling(qtbot, window, service):
    live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=0.2))
    window.scene.remove_layer(window.scene.layers[-1].name)
    asked = len(service.requests)
    time.sleep(0.6)
    qtbot.wait(200)
    assert len(service.requests) == asked
    assert not shiboken6.isValid(live)  # the service let go of itself with its layer


def test_closing_the_window_stops_polling(qtbot, window, service):
    live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=0.2))
    window.session.mark_clean()
    assert window.close()
    qtbot.wait(100)
    asked = len(service.requests)
    qtbot.wait(700)
    assert len(service.requests) == asked and not live._poll_timer.isActive()


@pytest.mark.skipif(mosquitto_binary() is None, reason="the mosquitto broker is not installed")
def test_observations_pushed_over_mqtt_reach_the_layer(qtbot, window, service, tmp_path):
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        live = open_service(qtbot, window, ServiceChoice(service.url, poll_interval_s=3600,
                                                         mqtt_broker=f"127.0.0.1:{broker.port}"))
        assert live.mqtt.wait_connected(10)  # connected counts from the broker's acknowledged subscription
        layer = live.feed.layer
        count = len(layer.data.datastreams[0].series.values)
        last = layer.data.datastreams[0].series.times[-1]
        sender = mqtt.Client(CallbackAPIVersion.VERSION2)
        sender.connect("127.0.0.1", broker.port)
        sender.loop_start()
        for k in range(1, 51):
            payload = {"@iot.id": 7000 + k, "phenomenonTime": f"{last + np.timedelta64(k, 'm')}Z", "result": 0.1}
            sender.publish("v1.1/Datastreams(11)/Observations", json.dumps(payload), qos=1).wait_for_publish(5)
        sender.loop_stop()
        qtbot.waitUntil(lambda: len(layer.data.datastreams[0].series.values) == count + 50, timeout=20_000)
        live.stop()
    finally:
        broker.stop()


def _shoot(window, path) -> None:
    window.inspector_dock.raise_()
    window.refresh_view()
    window.grab().save(str(path))
