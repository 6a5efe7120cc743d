"""Starts the desktop app on a project (the demo city by default), or renders its window to a PNG."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from twin.core.feedback import Feedback, ProgressListener
from twin.core.project import Project
from twin.io.project import open_project


def run_app(project: Path | None = None, screenshot: Path | None = None,
            progress: ProgressListener | None = None) -> int:
    if screenshot is not None and not (os.environ.get("DISPLAY") or
                                       os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from twin.qt.main_window import MainWindow
    from twin.qt.session import session_for
    from twin.qt.views import interactive_view, offscreen_view

    loaded = Project.load(project or _demo_project(progress))
    opened = open_project(loaded, Feedback(progress))
    for problem in opened.problems:
        print(f"warning: {problem}", file=sys.stderr)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Dresden urban twin")
    make_view = offscreen_view if screenshot is not None else interactive_view
    window = MainWindow(opened.scene, make_view, camera=opened.camera, problems=opened.problems,
                        session=session_for(opened.scene, loaded), view=opened.view)
    window.show()
    if screenshot is not None:
        app.processEvents()
        window.refresh_view()
        if not window.grab().save(str(screenshot)):
            print(f"error: {screenshot}: the screenshot could not be written", file=sys.stderr)
            return 2
        print(f"wrote {screenshot}")
        return 0
    return app.exec()


def _demo_project(progress: ProgressListener | None) -> Path:
    from data.demo import demo_project

    return demo_project(feedback=Feedback(progress))
