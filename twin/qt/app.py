"""Starts the desktop app on the demo city, or renders its window once to a PNG."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from data.demo import demo_scene


def run_app(screenshot: Path | None = None) -> int:
    if screenshot is not None and not (os.environ.get("DISPLAY") or
                                       os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from twin.qt.main_window import MainWindow
    from twin.qt.views import interactive_view, offscreen_view

    app = QApplication.instance() or QApplication(sys.argv[:1])
    make_view = offscreen_view if screenshot is not None else interactive_view
    window = MainWindow(demo_scene(), make_view)
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
