"""Open point clouds in the window as a user does and remove them again, N times; resident memory.

Run as its own process (`python -m tests.gui.memory_cycles CYCLES FILE...`), set up as `main.py`
sets up the app (glibc arenas, the software renderer's memory), so that what the process holds
is the window's alone. Each cycle opens the files through the window's loader (read in a child
process, progress in the status bar), waits until every layer is in the scene and drawn, and
removes them with the layers panel's Remove (its question answered yes). Prints one JSON object:
resident MiB before the first cycle, once the clouds are in, and after each removal.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from twin.core.memory import bound_software_renderer_memory, limit_allocator_arenas

LOAD_TIMEOUT_S = 300.0  # one cycle's reading; beyond it the run fails instead of hanging
SETTLE_S = 1.0  # events after a removal: the window hands freed memory back on a zero timer


def resident_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(cycles: int, paths: list[Path]) -> dict:
    limit_allocator_arenas()  # as twin.cli.main does, before Qt, VTK or any thread starts
    bound_software_renderer_memory()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from twin.core.scene import Scene
    from twin.qt.main_window import MainWindow
    from twin.qt.session import ProjectSession
    from twin.qt.views import offscreen_view

    app = QApplication([])
    scene = Scene(crs="EPSG:25833")
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="memory"),
                            settings=settings)
        window.layers_panel.confirm_removal = lambda layers: True  # the user answers Remove
        window.show()
        settle(app)
        figures = {"before": resident_mib(), "loaded": [], "removed": [], "points": 0}
        for _ in range(cycles):
            figures["points"] = open_all(app, window, paths)
            figures["loaded"].append(resident_mib())
            remove_all(window)
            settle(app)
            figures["removed"].append(resident_mib())
        window.session.mark_clean()
        window.close()
    return figures


def open_all(app, window, paths: list[Path]) -> int:
    """Open the files through the loader; the number of points drawn once all are in."""
    window.open_files(paths)
    started = time.monotonic()
    while window.loader.busy or len(window.scene.layers) < len(paths):
        if time.monotonic() - started > LOAD_TIMEOUT_S:
            raise TimeoutError(f"the loader did not finish within {LOAD_TIMEOUT_S:.0f} s: "
                               f"{window.last_error or 'no error shown'}")
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()  # the window draws each layer as it arrives
    return sum(len(layer.data.xyz) for layer in window.scene.layers)


def remove_all(window) -> None:
    panel = window.layers_panel
    for layer in list(window.scene.layers):
        panel.select_layer(layer)
        panel.remove_selected()
    window.refresh_view()


def settle(app) -> None:
    until = time.monotonic() + SETTLE_S
    while time.monotonic() < until:
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), [Path(text) for text in sys.argv[2:]])))
