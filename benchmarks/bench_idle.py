"""The desktop window at rest and at work: idle CPU, and a flood run's time in the window against headless.

1. Idle: the main window on the demo city, exactly as `python main.py` opens it, sits for 20 s;
   printed is the CPU time the process used (all its threads) as a share of one core, and how
   many frames the 3D view drew. Target: under 2 % of a core. For comparison the same window
   with pyvistaqt's own interactor (its 5-per-second render timer) is measured in the same run.
2. Run: a short flood on one quarter from the window's simulation panel, through the app's job
   machinery, and then the same run (same layers, quarter, parameters, seed) headless in this
   process, alternating, twice each. Printed: the fastest wall time of each way and their ratio.
   Target: at most 1.1. A first, unmeasured headless run loads the solver's kernels, so no
   measured run pays for compiling them.

Needs a display; without one it runs itself again under `xvfb-run` (software OpenGL), where an
idle render timer costs the most.

    .venv/bin/python benchmarks/bench_idle.py [--seconds 20] [--quarter Johannstadt]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

IDLE_TARGET = 0.02  # of one core
RATIO_TARGET = 1.1
FLOOD = {"duration_min": 3.0, "rain": "block", "block_depth_mm": 40.0, "rain_duration_min": 5.0,
         "snapshot_interval_min": 1.0}
REPEATS = 2  # each way, alternating; the fastest of each counts (other processes only slow a run down)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the window sits idle")
    parser.add_argument("--quarter", default="Johannstadt")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        again_under_xvfb()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"Idle window, demo city, {args.seconds:g} s; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, display {os.environ.get('DISPLAY')}")
    for label, on_demand in (("pyvistaqt timer", False), ("on demand", True)):
        window = open_window(on_demand)
        cpu, frames = idle_cpu(app, window, args.seconds)
        met = "met" if cpu < IDLE_TARGET else "MISSED"
        verdict = f"  target < {IDLE_TARGET:.0%}: {met}" if on_demand else ""
        print(f"  {label:<16} CPU {cpu:6.1%} of a core, {frames} frames{verdict}")
        if on_demand:
            run_ratio(app, window, args.quarter)
        close(app, window)


def again_under_xvfb() -> None:
    if shutil.which("xvfb-run") is None:
        raise SystemExit("no display and no xvfb-run: install xvfb, or run this on a desktop")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
    raise SystemExit(subprocess.run(command, check=False).returncode)


def open_window(on_demand: bool):
    """The main window on the demo project, as `twin.qt.app.run_app` opens it."""
    from data.demo import demo_project
    from twin.core.project import Project
    from twin.io.project import open_project
    from twin.qt.main_window import MainWindow
    from twin.qt.session import ProjectSession
    from twin.qt.views import interactive_view

    loaded = Project.load(demo_project())
    opened = open_project(loaded)
    session = ProjectSession(opened.scene, loaded.path, loaded.name, loaded.quarters_file, loaded.scenarios)
    window = MainWindow(opened.scene, interactive_view if on_demand else timer_view, camera=opened.camera,
                        problems=opened.problems, session=session)
    window.show()
    return window


def timer_view(parent):
    """pyvistaqt's interactor as it comes: re-rendered by its timer five times a second."""
    from pyvistaqt import QtInteractor

    interactor = QtInteractor(parent)
    frames = {"count": 0}

    def count(*_event: object) -> None:
        frames["count"] += 1

    interactor.render_window.AddObserver("EndEvent", count)
    interactor.frame_counter = frames
    return interactor, interactor


def frames_of(window) -> int:
    view = window.view_widget
    return view.frames if hasattr(view, "frames") else view.frame_counter["count"]


def idle_cpu(app, window, seconds: float) -> tuple[float, int]:
    """CPU used by this process over `seconds` of the event loop with nothing to do."""
    from PySide6.QtCore import QTimer

    settle(app, 3.0)  # the first frames, the docks' layout, the legends
    frames, cpu, wall = frames_of(window), time.process_time(), time.perf_counter()
    QTimer.singleShot(round(seconds * 1000), app.quit)
    app.exec()
    used = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return used, frames_of(window) - frames


def run_ratio(app, window, quarter: str) -> None:
    from PySide6.QtCore import QEventLoop

    from twin.sim.contract import SimulationInputs
    from twin.sim.runner import run_simulation

    panel = window.simulation_panel
    panel.select_simulation("flood")
    panel.set_quarter(quarter)
    panel.form.set_values(FLOOD)
    panel.seed_edit.setText("7")
    simulation, layers, quarters = panel.simulation, panel.selected_layers(), panel.selected_quarters()
    parameters = panel.form.values()

    def headless() -> float:
        inputs = SimulationInputs(layers=layers, quarters=quarters, crs=window.scene.crs)
        started = time.perf_counter()
        report = run_simulation(simulation(), inputs, parameters, seed=7)
        if not report.ok:
            raise SystemExit(f"the headless flood failed: {report.error}")
        return time.perf_counter() - started

    def from_window() -> float:
        started = time.perf_counter()
        job = panel.run()
        if job is None:
            raise SystemExit(f"the flood did not start from the window: {panel.message.text()}")
        loop = QEventLoop()
        job.finished.connect(loop.quit)
        loop.exec()
        return time.perf_counter() - started

    headless()  # loads the kernels
    times = {"window": [], "headless": []}
    for _ in range(REPEATS):
        times["window"].append(from_window())
        times["headless"].append(headless())
    in_window, alone = min(times["window"]), min(times["headless"])
    ratio = in_window / alone
    every = ", ".join(f"{way} {' '.join(f'{seconds:.1f}' for seconds in runs)} s"
                      for way, runs in times.items())
    print(f"Flood on {quarter} ({FLOOD['duration_min']:g} min): fastest from the window {in_window:.2f} s, "
          f"headless {alone:.2f} s, ratio {ratio:.2f}  target <= {RATIO_TARGET}: "
          f"{'met' if ratio <= RATIO_TARGET else 'MISSED'}  ({every})")


def settle(app, seconds: float) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        app.processEvents()
        time.sleep(0.01)


def close(app, window) -> None:
    """Put a measured window away: hidden, its 3D view closed (which stops pyvistaqt's timer)."""
    window.hide()
    window.view_widget.close()
    settle(app, 0.5)


if __name__ == "__main__":
    main()
