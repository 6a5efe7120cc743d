"""Latency from an MQTT publish to the live sensors layer's update, against the broker's own round trip.

The real Mosquitto broker runs on a free local port. One publisher, in a process of its own, sends
SensorThings observations to `v1.1/Datastreams(11)/Observations` at a steady rate (and then a
burst of messages as fast as it can); two subscribers in this process hear the same messages
(times are the machine's wall clock, shared by both processes):

- baseline: a bare paho subscriber, stamping each message as it arrives (publish -> subscribe);
- twin: `MqttObservationFeed` with a consumer that waits for messages, drains the queue and merges
  the batch into a `LiveSensorFeed` (the `watch` loop's way), stamping each observation when the
  layer holding it has been replaced (the moment the views hear `layer.events.data`).

Printed: the median and 95th percentile of both, and of the twin's extra time over the baseline.
Target: the twin's 95th percentile under 1 s. The app merges on a 200 ms GUI timer instead of
waking on arrival (twin/qt/sensor_service.py), which adds up to 200 ms to these figures.

    nice .venv/bin/python benchmarks/bench_mqtt_latency.py [--messages 400] [--rate 50]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paho.mqtt import client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from tests.sensor_service import Mosquitto, mosquitto_binary  # noqa: E402
from twin.core.layers import SensorsLayer  # noqa: E402
from twin.core.live import LiveSensorFeed  # noqa: E402
from twin.io.mqtt_feed import MqttObservationFeed, TopicMapping  # noqa: E402
from twin.io.sensors import read_sensors  # noqa: E402

TOPIC = "v1.1/Datastreams(11)/Observations"
SERVICE_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sensorthings" / \
    "dresden_johannstadt_service.sta.json"
TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400, help="messages at the steady rate")
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--burst", type=int, default=2000, help="messages sent as fast as possible after")
    args = parser.parse_args()
    if mosquitto_binary() is None:
        sys.exit("the mosquitto broker is not installed (apt-get install mosquitto)")
    with tempfile.TemporaryDirectory() as folder:
        broker = Mosquitto(Path(folder))
        broker.start()
        try:
            for label, count, rate in (("steady", args.messages, args.rate), ("burst", args.burst, None)):
                sent, baseline, twin = measure(broker.port, count, rate, first_id=len(label) * 100_000)
                report(label, count, rate, sent, baseline, twin)
        finally:
            broker.stop()


def measure(port: int, count: int, rate: float | None, first_id: int) -> tuple[dict, dict, dict]:
    sent: dict[str, float] = {}
    baseline: dict[str, float] = {}
    twin: dict[str, float] = {}
    bare = mqtt.Client(CallbackAPIVersion.VERSION2)
    bare.on_message = lambda _c, _u, message: baseline.setdefault(
        str(json.loads(message.payload)["@iot.id"]), time.time())
    bare.connect("127.0.0.1", port)
    bare.subscribe(TOPIC, qos=1)
    bare.loop_start()
    feed = MqttObservationFeed("127.0.0.1", port, [TopicMapping(TOPIC)])
    feed.start(wait_s=10)
    live = LiveSensorFeed(SensorsLayer(read_sensors(SERVICE_FILE), "gauges"))
    stop = threading.Event()
    consumer = threading.Thread(target=consume, args=(feed, live, twin, stop), daemon=True)
    consumer.start()
    time.sleep(1.0)  # both subscriptions in place
    with multiprocessing.Pool(1) as pool:  # its own process: the publisher does not take our GIL
        sent.update(pool.apply(publish, (port, count, rate, first_id)))
    deadline = time.monotonic() + 30
    while (len(twin) < count or len(baseline) < count) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    consumer.join()
    feed.stop()
    bare.loop_stop()
    bare.disconnect()
    return sent, baseline, twin


def consume(feed: MqttObservationFeed, live: LiveSensorFeed, stamps: dict, stop: threading.Event) -> None:
    """The watch loop: wake on arrival, merge what is queued in one batch, stamp it once merged."""
    while not stop.is_set():
        feed.wait(0.2)
        batch = feed.drain()
        if batch:
            live.merge(batch)
            now = time.time()
            for item in batch:
                stamps[item.id] = now


def publish(port: int, count: int, rate: float | None, first_id: int) -> dict[str, float]:
    """Send the messages; the wall-clock time each was handed to paho (one clock on one machine)."""
    sent: dict[str, float] = {}
    sender = mqtt.Client(CallbackAPIVersion.VERSION2)
    sender.connect("127.0.0.1", port)
    sender.loop_start()
    start_time = np.datetime64("2026-07-10T18:00:00")
    began = time.time()
    for number in range(count):
        identity = first_id + number
        end = start_time + np.timedelta64(identity, "s")
        payload = json.dumps({"@iot.id": identity, "phenomenonTime": f"{end}Z", "result": 0.1})
        if rate:
            time.sleep(max(0.0, began + number / rate - time.time()))
        sent[str(identity)] = time.time()
        sender.publish(TOPIC, payload, qos=1)
    sender.loop_stop()
    sender.disconnect()
    return sent


def report(label: str, count: int, rate: float | None, sent: dict, baseline: dict, twin: dict) -> None:
    common = [key for key in sent if key in baseline and key in twin]
    base = np.array([baseline[key] - sent[key] for key in common]) * 1000
    ours = np.array([twin[key] - sent[key] for key in common]) * 1000
    extra = ours - base
    pace = f"{rate:g}/s" if rate else "as fast as possible"
    print(f"{label}: {count} messages at {pace}; {len(common)} reached both subscribers")
    for name, values in (("broker round trip (baseline)", base), ("publish -> layer updated", ours),
                         ("the twin's extra time", extra)):
        print(f"  {name:<30} median {np.median(values):8.1f} ms   p95 {np.percentile(values, 95):8.1f} ms")
    verdict = "meets" if np.percentile(ours, 95) < TARGET_S * 1000 else "MISSES"
    print(f"  ratio of medians {np.median(ours) / max(np.median(base), 1e-3):.2f}; "
          f"p95 {verdict} the target of {TARGET_S:g} s")


if __name__ == "__main__":
    main()
