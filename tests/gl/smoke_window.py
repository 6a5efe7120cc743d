"""Drives the real window (OpenGL 3D view) like a user, under Xvfb: run by tests/gl/test_real_window.py.

Opens the demo project, runs a short street-condition forecast for Johannstadt from the
simulation panel, shows its condition result, and saves the screen and a JSON of what happened.
Usage: python tests/gl/smoke_window.py OUT_FOLDER
"""

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from data.demo import demo_project
from twin.core.project import Project
from twin.io.project import open_project
from twin.qt.main_window import MainWindow
from twin.qt.views import interactive_view

QUARTER = "Johannstadt"


def wait(app: QApplication, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    return condition()


def main(out: Path) -> None:
    app = QApplication(sys.argv[:1])
    opened = open_project(Project.load(demo_project()))
    window = MainWindow(opened.scene, interactive_view, opened.camera, opened.problems)
    window.show()
    wait(app, lambda: False, 1.0)
    window.select_quarter(QUARTER)
    panel = window.simulation_panel
    panel.select_simulation("street_decay")
    panel.set_quarter(QUARTER)
    panel.form.set_values({"monte_carlo_runs": 20, "horizon_years": 10})
    reports = []
    panel.run_finished.connect(reports.append)
    job = panel.run()
    finished = wait(app, lambda: bool(reports) or not panel.running, 120)
    condition = next(layer for layer in window.scene.layers if layer.name.endswith("condition"))
    condition.time_index = condition.time_steps - 1
    wait(app, lambda: False, 1.0)
    window.refresh_view()
    window.grab()  # lays out and paints every dock before the screen is read
    wait(app, lambda: False, 0.5)
    screen = app.primaryScreen().grabWindow(0)
    screen.save(str(out / "window.png"))
    view = window.view_widget
    corner = view.mapTo(window, view.rect().topLeft())
    facts = {
        "job_started": job is not None,
        "finished": finished,
        "status": reports[0].status.value if reports else None,
        "result_layers": [layer.name for layer in reports[0].result_layers] if reports else [],
        "condition_year": condition.time_labels[condition.time_index],
        "reports_visible": window.reports_dock.isVisible(),
        "view": [corner.x(), corner.y(), view.width(), view.height()],
        "window": [window.geometry().x(), window.geometry().y()],
    }
    (out / "facts.json").write_text(json.dumps(facts, indent=1))
    window.session.mark_clean()
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
