"""End to end on the demo city: the Johannstadt rain gauge, served live, fires a flood nowcast.

`python main.py watch` follows the demo's SensorThings response served by a real local service;
18 mm fall at the gauge in 15 minutes after a dry evening; the rule fires, the flood run of
Johannstadt (10 m cells, cropped to the quarter: quick enough for CI) finishes, and the alert
names the expected maximum depth and the affected buildings.
"""

from __future__ import annotations

import json
import select
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from data.demo import QUARTERS_FILE, default_cache, demo_project
from tests.conftest import PROJECT_ROOT
from tests.sensor_service import SensorThingsServer, start_watch

GAUGE = "RG-Johannstadt/precipitation"
RAIN_MM = (6.0, 6.0, 6.0)  # after midnight, 5 minutes apart: 18 mm in 15 minutes


@pytest.fixture(scope="module")
def demo() -> Path:
    demo_project()  # generated on first use
    return default_cache()


def watch_scenario(folder: Path, demo: Path, service_url: str) -> Path:
    """Johannstadt's flood at 10 m cells on the quarter, watching the demo's rain gauge."""
    scenario = folder / "nowcast_johannstadt.toml"
    scenario.write_text(f"""
[scenario]
name = "Johannstadt flood nowcast (demo, 10 m cells)"
simulation = "flood"
seed = 1
quarters = ["Johannstadt"]
quarters_file = "{QUARTERS_FILE.as_posix()}"

[inputs]
terrain = "{(demo / 'johannstadt_dtm1.tif').as_posix()}"
buildings = "{(demo / 'johannstadt_lod2.gml').as_posix()}"

[parameters]
cell_size_m = 10.0
crop_to_quarters = true
buildings_as = "walls"
edges = "open"
snapshot_interval_min = 10.0

[watch]
service = "{service_url}"
poll_interval_s = 0.3
since_utc = "2026-07-15T20:00:00Z"
datastream = "{GAUGE}"
threshold_mm = 15.0
window_min = 30.0
tail = "block"
tail_duration_min = 10.0
tail_depth_mm = 20.0
after_rain_min = 10.0
alerts_file = "alerts.jsonl"
""", encoding="utf-8")
    return scenario


def rain_after_midnight(server: SensorThingsServer) -> None:
    for k, mm in enumerate(RAIN_MM, start=1):
        end = np.datetime64("2026-07-16T00:00:00") + np.timedelta64(5 * k, "m")
        server.add_observation(GAUGE, f"{end}Z", mm, 80_000 + k)


def test_watch_on_the_demo_city_fires_the_johannstadt_nowcast_and_the_alert_names_depths_and_buildings(
        tmp_path, demo):
    with SensorThingsServer(demo / "sensors.sta.json") as server:
        scenario = watch_scenario(tmp_path, demo, server.url)
        process = start_watch(scenario, server, PROJECT_ROOT, timeout_s=120)
        try:
            started = time.monotonic()
            rain_after_midnight(server)
            ready, _, _ = select.select([process.stdout], [], [], 600)  # a busy machine's flood run
            line = process.stdout.readline() if ready else ""
            took = time.monotonic() - started
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert line, errors
    alert = json.loads(line)
    print(f"\nrain to alert: {took:.1f} s")  # the nowcast's time, for the report (pytest -s)
    assert (alert["time_utc"], alert["window_mm"], alert["station"], alert["quarter"]) == (
        "2026-07-16T00:15:00Z", 18.0, "RG-Johannstadt", "Johannstadt")
    assert (alert["observed_rain_mm"], alert["tail_rain_mm"], alert["simulated_rain_mm"]) == (18.0, 20.0, 38.0)
    assert alert["error"] is None and alert["max_depth_m"] > 0.05
    assert alert["buildings_affected"] >= 1 and len(alert["affected_buildings"]) == min(
        alert["buildings_affected"], 20)
    depths = [item["max_depth_m"] for item in alert["affected_buildings"]]
    assert depths == sorted(depths, reverse=True)  # deepest first
    assert "running the flood nowcast" in errors and errors.rstrip().endswith("stopped watching")
    assert process.returncode == 0
    assert json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()[0]) == alert
