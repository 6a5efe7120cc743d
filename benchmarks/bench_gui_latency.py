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

`--after-run` measures instead the GUI thread's longest stall when a run ends in the main window:
the quarter's shipped flood scenario (`--cell-size`, 4 m by default) from the Simulations panel,
with the real OpenGL view (under `xvfb-run`, software OpenGL, where there is no display). Printed:
the time in the run's end slot (storing the run, the window answering it), the longest stall of
the 10 ms timer from the run's end on, and how many frames the 3D view drew then (each a whole
render: 1.5-2 s at 1600 x 1000 in software OpenGL under load).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from data.demo import QUARTERS_FILE, demo_project  # noqa: E402
from twin.core.scene import Scene  # noqa: E402
from twin.io import read_layer, read_quarters  # noqa: E402
from twin.qt.simulation_panel import SimulationPanel  # noqa: E402

AFTER_RUN_S = 6.0  # the window's answer to a run is over well within this

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
        self.at_s: list[float] = []  # when each tick came, on the probe's clock
        self.culprits: Counter[str] = Counter()
        self.worst: dict[str, float] = {}
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def now_s(self) -> float:
        return self._clock.nsecsElapsed() / 1e9

    def start(self) -> None:
        self.lateness_ms.clear()
        self.at_s.clear()
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
        self.at_s.append(now / 1e9)
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


class Paints(QObject):
    """Counts the paints of the 3D view that render the scene (pyvistaqt's paintGL): those with its
    updates on (a QOpenGLWidget painted while they are off keeps its last frame)."""

    count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint and watched.updatesEnabled():
            self.count += 1
        return False


def measure_after_run(app: QApplication, quarter: str, cell_size: float) -> None:
    """The quarter's shipped flood from the main window's panel; the GUI thread when it ends."""
    window = flood_window(app, quarter, cell_size)
    panel = window.simulation_panel
    probe, paints, ended = LatencyProbe(), Paints(), {}
    window.view_widget.installEventFilter(paints)
    store = panel._run_ended  # the slot the run's end reaches: timed around, not changed

    def timed_end(report: object) -> None:
        ended["at"], ended["paints"], ended["frames"] = probe.now_s(), paints.count, window.view_widget.frames
        started = time.perf_counter()
        store(report)
        ended["slot_s"] = time.perf_counter() - started

    panel._run_ended = timed_end
    probe.start()
    if panel.run() is None:
        raise SystemExit(f"the flood did not start: {panel.message.text()}")
    while panel.running:
        app.processEvents()
        time.sleep(0.002)
    settle(app, AFTER_RUN_S)
    probe.stop()
    if "at" not in ended:
        raise SystemExit(f"the flood did not end well: {panel.message.text()}")
    stalls = [late for at, late in zip(probe.at_s, probe.lateness_ms, strict=True) if at >= ended["at"]]
    long_ones = ", ".join(f"{late:.0f}" for late in stalls if late > TARGET_MS)
    print(f"{quarter} flood at {cell_size:g} m from the window; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}\n  {panel.message.text()}\n"
          f"  the run's end slot {ended['slot_s']:.2f} s; longest GUI stall after it {max(stalls):.0f} ms; "
          f"stalls over {TARGET_MS:.0f} ms: {long_ones}\n"
          f"  3D view after it: {paints.count - ended['paints']} paints rendering it, "
          f"{window.view_widget.frames - ended['frames']} frames on request")
    window.session.mark_clean()
    window.close()


def flood_window(app: QApplication, quarter: str, cell_size: float):
    """The main window (real OpenGL view) on the quarter, its panel set to the shipped flood."""
    from data.demo import QUARTERS_FILE
    from twin.qt.main_window import MainWindow
    from twin.qt.session import ProjectSession
    from twin.qt.views import interactive_view

    scene = demo_scene(quarter)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, interactive_view, settings=settings,
                        session=ProjectSession(scene, name="bench", quarters_file=QUARTERS_FILE))
    window.show()
    settle(app, 1.0)
    panel = window.simulation_panel
    panel.select_simulation("flood")
    panel.set_quarter(quarter)
    scenario = ROOT / "scenarios" / f"flood_{quarter.lower()}.toml"
    parameters = tomllib.loads(scenario.read_text(encoding="utf-8"))["parameters"]
    panel.form.set_values({**parameters, "cell_size_m": cell_size})
    panel.seed_edit.setText("1")
    return window


def settle(app: QApplication, seconds: float) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        app.processEvents()
        time.sleep(0.002)


def again_under_xvfb() -> None:
    if shutil.which("xvfb-run") is None:
        raise SystemExit("no display and no xvfb-run: install xvfb, or run this on a desktop")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
    environment = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    raise SystemExit(subprocess.run(command, check=False, env=environment).returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", default="Johannstadt")
    parser.add_argument("--only", choices=sorted(RUNS), help="measure one simulation")
    parser.add_argument("--after-run", action="store_true", help="the stall as a run ends in the main window")
    parser.add_argument("--cell-size", type=float, default=4.0, help="of --after-run's flood, in m")
    args = parser.parse_args()
    if args.after_run and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        again_under_xvfb()
    if not args.after_run:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.after_run:
        measure_after_run(app, args.quarter, args.cell_size)
        return
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
