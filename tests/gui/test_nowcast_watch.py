"""File > Watch for floods...: the rain rule on a live gauge runs the nowcast and shows a visible alert."""

import json
import shutil

import pytest
from PySide6.QtWidgets import QLabel

from tests.conftest import REFERENCE
from tests.sensor_service import SensorThingsServer, service_on_test_terrain
from twin.qt.nowcast_watch import open_nowcast_watch

pytestmark = pytest.mark.gui
SERVICE_FILE = REFERENCE / "sensorthings" / "dresden_johannstadt_service.sta.json"


@pytest.fixture
def service(tmp_path):
    """The reference service with the rain gauge in the test grid's West quarter."""
    with SensorThingsServer(service_on_test_terrain(SERVICE_FILE, tmp_path)) as server:
        yield server


def test_the_rule_fires_the_nowcast_whose_alert_shows_in_the_window_with_its_flood(qtbot, window, service,
                                                                                  tmp_path, quarters_file):
    scenario = tmp_path / "watch.toml"
    scenario.write_text(
        '[scenario]\nname = "Watch"\nsimulation = "flood"\nseed = 1\nquarters_file = "quarters.geojson"\n\n'
        '[inputs]\nterrain = "dtm.tif"\n\n[parameters]\nsnapshot_interval_min = 10.0\n\n'
        f'[watch]\nservice = "{service.url}"\npoll_interval_s = 0.3\nsince_utc = "2026-07-10T17:00:00Z"\n'
        'datastream = "11"\ntail = "block"\ntail_duration_min = 10.0\ntail_depth_mm = 20.0\n'
        'after_rain_min = 10.0\nalerts_file = "alerts.jsonl"\n', encoding="utf-8")
    watch = open_nowcast_watch(window, scenario)
    qtbot.waitUntil(lambda: watch.service is not None and watch.service.feed is not None, timeout=60_000)
    assert window.time_bar.layer is watch.service.feed.layer  # the gauge is a live layer with its slider
    assert watch.alert_dock is None  # a dry evening: nothing fired
    with qtbot.waitSignal(watch.alerted, timeout=300_000) as alerted:  # a busy machine's flood run
        for k in (1, 2, 3):
            service.add_observation(11, f"2026-07-10T18:{5 * k:02d}:00Z", 6.0, 6000 + k)
    alert = alerted.args[0]
    assert (str(alert.trigger.time), alert.trigger.window_mm, alert.quarter) == ("2026-07-10T18:15:00", 18.0, "West")
    assert alert.error is None and alert.max_depth_m > 0
    assert watch.alert_dock.isVisible()
    text = watch.alert_dock.findChild(QLabel, "alert_text").text()
    assert text.startswith("FLOOD ALERT, West: 18.0 mm in the rain window at '1' (2026-07-10 18:15 UTC).")
    assert "Expected: a maximum depth of " in text and "18.0 mm observed + 20.0 mm design tail" in text
    assert any(layer.name.endswith("max_depth") for layer in window.scene.layers)  # the flood in the view
    assert json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8"))["quarter"] == "West"
    watch.stop()


def test_a_watch_without_a_service_is_one_sentence(qtbot, window, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(window, "show_error", errors.append)
    shutil.copy(SERVICE_FILE, tmp_path / "gauges.sta.json")
    scenario = tmp_path / "watch.toml"
    scenario.write_text(
        '[scenario]\nname = "Watch"\nsimulation = "flood"\n\n[inputs]\nterrain = "dtm.tif"\n'
        'sensors = "gauges.sta.json"\n\n[watch]\nmqtt_broker = "127.0.0.1:1883"\ndatastream = "11"\n',
        encoding="utf-8")
    assert open_nowcast_watch(window, scenario) is None
    assert errors == [f"{scenario}: the window watches a SensorThings service; give [watch] a 'service' (a watch over "
                      "MQTT alone runs with python main.py watch)"]
