"""Starts the desktop app on a project (the demo city by default), or renders its window to a PNG."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from twin.core.feedback import Feedback, ProgressListener
from twin.core.project import Project
from twin.io.project import OpenedProject, open_project

if TYPE_CHECKING:  # Qt loads only once the display is settled (run_app)
    from twin.qt.main_window import MainWindow, ViewFactory

# Rounds of the event loop a screenshot waits for the opened window to settle. Opening places the
# camera on the saved (or first) quarter one round after the window shows; that quarter rebuilds
# the Simulations dock's input combos, and Qt shows a widget added to a shown layout one round
# later still (a queued show), then lays it out: grabbed before, the "Input layers" box was empty.
SETTLE_ROUNDS = 6


def run_app(project: Path | None = None, screenshot: Path | None = None,
            progress: ProgressListener | None = None) -> int:
    if screenshot is not None and not (os.environ.get("DISPLAY") or
                                       os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from twin.qt.views import interactive_view, offscreen_view

    loaded = Project.load(project or _demo_project(progress))
    opened = open_project(loaded, Feedback(progress))
    for problem in opened.problems:
        print(f"warning: {problem}", file=sys.stderr)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Dresden urban twin")
    window = project_window(loaded, opened, offscreen_view if screenshot is not None else interactive_view)
    window.show()
    if screenshot is not None:
        if not save_screenshot(window, screenshot):
            print(f"error: {screenshot}: the screenshot could not be written", file=sys.stderr)
            return 2
        print(f"wrote {screenshot}")
        return 0
    return app.exec()


def project_window(loaded: Project, opened: OpenedProject, make_view: ViewFactory) -> MainWindow:
    """The main window on an opened project: its scene, camera, look, bookmarks and problems."""
    from twin.qt.main_window import MainWindow
    from twin.qt.session import session_for

    return MainWindow(opened.scene, make_view, camera=opened.camera, problems=opened.problems,
                      session=session_for(opened.scene, loaded), view=opened.view)


def save_screenshot(window: MainWindow, path: Path) -> bool:
    """The shown window as it has settled, saved as a picture; False where it could not be written."""
    from PySide6.QtWidgets import QApplication

    for _ in range(SETTLE_ROUNDS):
        QApplication.processEvents()
    window.refresh_view()
    return window.grab().save(str(path))


def _demo_project(progress: ProgressListener | None) -> Path:
    from data.demo import demo_project

    return demo_project(feedback=Feedback(progress))
