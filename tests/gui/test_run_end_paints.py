"""What the window does when a run ends happens without painting in between: the run is stored and
the docks and time bar it brings are laid out with the window's updates off, and a table dock
behind another builds its model only when shown."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow

from twin.core.data import ResultTable
from twin.core.layers import result_layer
from twin.core.scene import Scene
from twin.io import read_layer, read_quarters
from twin.qt.result_table import ResultTablePanel
from twin.qt.simulation_panel import SimulationPanel
from twin.sim.registry import SimulationRegistry

pytestmark = pytest.mark.gui


def test_a_run_is_stored_and_answered_with_the_windows_updates_off(qtbot, dtm_file, quarters_file):
    """Each step that resized the 3D view painted it at once (a whole software-OpenGL frame)."""
    scene = Scene("EPSG:25833")
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file, name="West terrain", to=scene.crs))
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = SimulationPanel(scene, SimulationRegistry.discover(), include_hidden=True)
    window.setCentralWidget(panel)
    window.show()
    panel.select_simulation("selftest")
    updates_while = {}
    scene.events.runs.connect(lambda _record: updates_while.setdefault("stored", window.updatesEnabled()))
    panel.run_finished.connect(lambda _report: updates_while.setdefault("answered", window.updatesEnabled()))
    job = panel.run()
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    assert updates_while == {"stored": False, "answered": False}, panel.message.text()
    assert window.updatesEnabled() and len(scene.runs) == 1


def table_layer(name: str, rows: int = 50):
    table = ResultTable("work_list", "streets", {"segment_id": np.array([f"s{row}" for row in range(rows)]),
                                                 "cost": np.linspace(0.0, 1000.0, rows)}, {"cost": "EUR"})
    return result_layer(table, name)


def test_a_table_panel_not_on_screen_builds_its_model_when_shown(qtbot):
    scene = Scene("EPSG:25833")
    panel = ResultTablePanel(scene)
    qtbot.addWidget(panel)
    scene.add_layer(table_layer("Run: work_list"))
    assert panel.layer.name == "Run: work_list" and panel.csv_button.isEnabled()  # offered at once
    assert panel.proxy.rowCount() == 0  # not built while nobody sees it
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.proxy.rowCount() == 50
    scene.add_layer(table_layer("Later run: work_list", rows=20))
    panel.show_layer("Later run: work_list")
    assert panel.proxy.rowCount() == 20  # on screen: built at once


def test_a_hidden_table_panel_still_answers_for_its_rows(qtbot):
    scene = Scene("EPSG:25833")
    panel = ResultTablePanel(scene)
    qtbot.addWidget(panel)
    scene.add_layer(table_layer("Run: work_list"))
    assert panel.shown_rows() == list(range(50))
    panel.select_row(7)
    assert panel.view.selectionModel().selectedRows()[0].row() == 7
