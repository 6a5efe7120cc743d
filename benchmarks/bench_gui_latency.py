"""GUI event-loop latency while a simulation runs in a background Job (target: under 100 ms).

A 10 ms QTimer ticks on the GUI thread; how late each tick fires is the latency a user feels
(a click, a repaint). It is measured first with nothing running (the baseline), then while the
simulation panel runs flood, street_decay and energy (defaults) on a demo quarter through a
twin.qt.jobs.Job, exactly as the app does. Printed: median, 95th percentile and maximum
lateness, and each as a ratio to the baseline.

A worker thread that makes thousands of tiny numpy calls starves the GUI thread too: each call
drops and retakes the GIL, and a thread waiting for it that sees it change hands keeps waiting.
A numba kernel compiled without `nogil=True` holds the GIL for its whole call, so the GUI thread
waits for it. When a tick is later than the target, the worker thread's Python frame at that
moment (the caller of the kernel that has just returned) is recorded; the slowest ones are
printed so the kernel to change can be named.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_latency.py [--quarter Johannstadt]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from data.demo import QUARTERS_FILE, demo_project  # noqa: E402
from twin.core.scene import Scene  # noqa: E402
from twin.io import read_layer, read_quarters  # noqa: E402
from twin.qt.simulation_panel import SimulationPanel  # noqa: E402

TICK_MS = 10
TARGET_MS = 100.0
BASELINE_S = 5.0
# Short runs: a few minutes of flood on the whole quarter; decay with the most Monte-Carlo runs.
RUNS = {
    "flood": {"duration_min": 3.0, "rain": "block", "block_depth_mm": 40.0, "rain_duration_min": 5.0,
              "snapshot_interval_min": 1.0},
    "street_decay": {"horizon_years": 30, "monte_carlo_runs": 10_000},
    "energy": {},
}


class LatencyProbe:
    """Ticks every 10 ms and records how late each tick is; on a late tick, where the worker was."""

    def __init__(self) -> None:
        self.lateness_ms: list[float] = []
        self.culprits: Counter[str] = Counter()
        self.worst: dict[str, float] = {}
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self.lateness_ms.clear()
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        late = (now - self._last) / 1e6 - TICK_MS
        self._last = now
        self.lateness_ms.append(max(late, 0.0))
        if late > TARGET_MS:
            where = _worker_frame()
            self.culprits[where] += 1
            self.worst[where] = max(self.worst.get(where, 0.0), late)


def _worker_frame() -> str:
    """File:line and function of the innermost plugin frame of the one other Python thread."""
    main = threading.main_thread().ident
    for ident, frame in sys._current_frames().items():
        if ident == main:
            continue
        chain = []
        while frame is not None:
            chain.append(frame)
            frame = frame.f_back
        for candidate in chain:  # innermost first
            path = candidate.f_code.co_filename
            if "plugins" in path:
                return f"{Path(path).relative_to(Path(path).parents[2])}:{candidate.f_lineno} " \
                       f"in {candidate.f_code.co_name}"
        return f"{chain[0].f_code.co_filename}:{chain[0].f_lineno}" if chain else "?"
    return "no worker"


def figures(lateness: list[float]) -> tuple[float, float, float]:
    values = np.asarray(lateness)
    return float(np.median(values)), float(np.percentile(values, 95)), float(values.max())


def demo_scene(quarter: str) -> Scene:
    """The quarter's terrain, buildings and streets of the demo city, and the three quarters."""
    folder = demo_project().parent
    stem = quarter.lower()
    scene = Scene("EPSG:25833")
    scene.set_quarters(read_quarters(QUARTERS_FILE)[0])
    for file, name in ((f"{stem}_dtm1.tif", "terrain"), (f"{stem}_lod2.gml", "buildings"),
                       (f"{stem}_streets.gpkg", "streets")):
        scene.add_layer(read_layer(folder / file, name=f"{quarter} {name}", to=scene.crs))
    return scene


def measure_baseline(app: QApplication, probe: LatencyProbe) -> list[float]:
    probe.start()
    ends = time.monotonic() + BASELINE_S
    while time.monotonic() < ends:
        app.processEvents()
        time.sleep(0.001)
    probe.stop()
    return list(probe.lateness_ms)


def measure_run(app: QApplication, panel: SimulationPanel, probe: LatencyProbe, simulation: str,
                seed: int) -> tuple[list[float], float, str]:
    panel.select_simulation(simulation)
    panel.form.set_values(RUNS[simulation])
    panel.seed_edit.setText(str(seed))
    reports = []
    panel.run_finished.connect(reports.append)
    probe.start()
    started = time.perf_counter()
    job = panel.run()
    if job is None:
        raise SystemExit(f"{simulation} did not start: {panel.message.text()}")
    while panel.running:
        app.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    probe.stop()
    panel.run_finished.disconnect(reports.append)
    if not reports:
        raise SystemExit(f"{simulation} did not end well: {panel.message.text()}")
    return list(probe.lateness_ms), seconds, panel.message.text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", default="Johannstadt")
    parser.add_argument("--only", choices=sorted(RUNS), help="measure one simulation")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    scene = demo_scene(args.quarter)
    panel = SimulationPanel(scene)
    panel.set_quarter(args.quarter)
    probe = LatencyProbe()

    print(f"GUI latency, 10 ms timer; {args.quarter}; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    base = figures(measure_baseline(app, probe))
    print(f"{'case':<26}{'ticks':>7}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
          f"{'p95/base':>10}{'max/base':>10}")
    print(f"{'baseline (no job)':<26}{'':>7}{base[0]:>11.1f}{base[1]:>9.1f}{base[2]:>9.1f}")
    for simulation in ([args.only] if args.only else list(RUNS)):
        for attempt, label in ((1, "first (compiles)"), (2, "warm")):
            probe.culprits.clear()
            probe.worst.clear()
            lateness, seconds, _ = measure_run(app, panel, probe, simulation, seed=attempt)
            median, p95, worst = figures(lateness)
            print(f"{simulation + ' ' + label:<26}{len(lateness):>7}{median:>11.1f}{p95:>9.1f}"
                  f"{worst:>9.1f}{p95 / max(base[1], 0.1):>10.1f}{worst / max(base[2], 0.1):>10.1f}"
                  f"   run {seconds:.1f} s, target {'met' if worst < TARGET_MS else 'MISSED'}")
            for where, count in probe.culprits.most_common(5):
                print(f"      late > {TARGET_MS:.0f} ms x{count} (worst {probe.worst[where]:.0f} ms), "
                      f"worker at {where}")
    panel.deleteLater()  # Qt objects go before the interpreter finalises
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


if __name__ == "__main__":
    main()
