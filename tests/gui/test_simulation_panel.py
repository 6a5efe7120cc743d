"""The simulation panel: real simulations run in a Job from the form, cancel, errors, scenario files."""

from pathlib import Path

import numpy as np
import pytest
import shapely
from PySide6.QtCore import Qt

from data.generator.layout import PlannedStreet
from data.generator.streets import write_streets
from twin.core.scene import Scene
from twin.io import read_layer, read_quarters
from twin.qt.simulation_panel import SimulationPanel
from twin.sim.registry import SimulationRegistry

pytestmark = pytest.mark.gui

X0, Y0 = 411_000.0, 5_654_000.0  # the grid of tests/conftest.py: 200 m x 100 m


@pytest.fixture(scope="module")
def registry() -> SimulationRegistry:
    return SimulationRegistry.discover()


@pytest.fixture
def streets_file(tmp_path: Path) -> Path:
    """A small street grid over the test quarters, with the demo's condition data."""
    planned = [PlannedStreet(f"Ost-West {i}", shapely.LineString([(X0, Y0 + 20 + 30 * i), (X0 + 200, Y0 + 20 + 30 * i)]),
                             "main" if i == 0 else "side", 10.0 if i == 0 else 6.0) for i in range(3)]
    planned += [PlannedStreet(f"Nord-Süd {i}", shapely.LineString([(X0 + 40 + 60 * i, Y0), (X0 + 40 + 60 * i, Y0 + 100)]),
                              "side", 6.0) for i in range(3)]
    return write_streets(planned, "West", tmp_path / "west_streets.gpkg", np.random.default_rng(5))


@pytest.fixture
def scene(dtm_file: Path, quarters_file: Path, streets_file: Path) -> Scene:
    scene = Scene("EPSG:25833")
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file, name="West terrain", to=scene.crs))
    scene.add_layer(read_layer(streets_file, name="West streets", to=scene.crs))
    return scene


def make_panel(qtbot, scene: Scene, registry: SimulationRegistry, **options) -> SimulationPanel:
    panel = SimulationPanel(scene, registry, include_hidden=True, **options)
    qtbot.addWidget(panel)
    return panel


def run_and_wait(qtbot, panel: SimulationPanel, timeout_ms: int = 120_000) -> list:
    """Click Run like a user and wait for the run's Job; the stored run's report, or fail with the message."""
    started, finished = [], []
    panel.job_started.connect(started.append)
    panel.run_finished.connect(finished.append)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert len(started) == 1, panel.message.text()
    with qtbot.waitSignal(started[0].finished, timeout=timeout_ms):
        pass
    assert len(finished) == 1, panel.message.text()
    assert not panel.running
    return finished


def test_the_list_hides_self_tests_and_slots_offer_layers_of_their_kind(qtbot, scene, registry):
    plain = SimulationPanel(scene, registry)
    qtbot.addWidget(plain)
    names = [plain.simulation_combo.itemData(i) for i in range(plain.simulation_combo.count())]
    assert "selftest" not in names and {"flood", "street_decay", "energy"} <= set(names)
    plain.select_simulation("flood")
    assert plain.description.text().startswith("2-D rain-on-grid")
    assert plain.slot_combos["terrain"].currentText() == "West terrain"
    streets = plain.slot_combos["streets"]
    assert [streets.itemText(i) for i in range(streets.count())] == ["(none)", "West streets"]
    assert streets.currentText() == "West streets"  # optional, but named after the quarter
    assert [box.text() for box in plain.quarter_boxes.values()] == ["West", "East"]
    assert [quarter.name for quarter in plain.selected_quarters()] == ["West"]
    plain.set_quarter("East")
    assert [quarter.name for quarter in plain.selected_quarters()] == ["East"]
    assert set(plain.form.fields) == {spec.name for spec in registry.get("flood").parameters}


def test_the_selftest_runs_in_a_job_and_its_results_arrive_as_layers(qtbot, scene, registry):
    panel = make_panel(qtbot, scene, registry)
    panel.select_simulation("selftest")
    panel.seed_edit.setText("7")
    panel.form.fields["passes"].editor.setValue(3)
    panel.quarter_boxes["East"].setChecked(True)
    (report,) = run_and_wait(qtbot, panel)
    assert report.ok and report.seed == 7 and report.parameters["passes"] == 3
    assert set(report.output.per_quarter) == {"West", "East"}
    assert [run.run_id for run in scene.runs] == [report.run_id]
    assert [layer.name for layer in scene.layers][2:] == ["Self-test: smoothed_terrain", "Self-test: change"]
    assert "finished" in panel.message.text() and "2 result layers added" in panel.message.text()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_a_short_street_decay_run_reports_per_quarter(qtbot, scene, registry):
    panel = make_panel(qtbot, scene, registry)
    panel.select_simulation("street_decay")
    panel.form.set_values({"monte_carlo_runs": 5, "horizon_years": 3, "budget_eur": 50_000.0})
    panel.seed_edit.setText("11")
    panel.name_edit.setText("West, small budget")
    (report,) = run_and_wait(qtbot, panel)
    assert report.ok and list(report.output.per_quarter) == ["West"]
    assert scene.runs[0].simulation == "street_decay"
    assert all(layer.run_id == report.run_id for layer in scene.layers[2:]) and len(scene.layers) > 2
    assert all(layer.name.startswith("West, small budget: ") for layer in scene.layers[2:])
    assert panel.message.text().startswith("West, small budget finished")
    assert panel.name_edit.text() == ""  # the next run is named afresh


def test_cancel_stops_the_run_and_leaves_the_scene_as_it_was(qtbot, scene, registry):
    panel = make_panel(qtbot, scene, registry)
    panel.select_simulation("selftest")
    panel.form.set_values({"passes": 400, "pause": 0.02})
    before = [layer.name for layer in scene.layers]
    finished = []
    panel.run_finished.connect(finished.append)
    job = panel.run()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        qtbot.waitUntil(lambda: panel.progress.value() > 0)
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running)
    assert [layer.name for layer in scene.layers] == before and scene.runs == [] and finished == []
    assert panel.message.text() == "The run was cancelled; nothing was kept."
    assert panel.run_button.isEnabled()


def test_a_run_that_cannot_start_says_why_in_one_sentence(qtbot, quarters_file, registry):
    empty = Scene("EPSG:25833")
    empty.set_quarters(read_quarters(quarters_file)[0])
    panel = make_panel(qtbot, empty, registry)
    panel.select_simulation("selftest")
    assert panel.run() is None
    assert panel.message.text() == ("simulation 'selftest' needs the input 'terrain' "
                                    "(raster: a terrain model (DTM), heights in metres)")
    assert empty.runs == [] and len(empty.layers) == 0


def test_a_refused_parameter_or_seed_disables_run(qtbot, scene, registry):
    panel = make_panel(qtbot, scene, registry)
    panel.select_simulation("selftest")
    panel.form.fields["noise"].editor.setValue(50.0)
    assert not panel.run_button.isEnabled()
    panel.form.fields["noise"].editor.setValue(1.0)
    assert panel.run_button.isEnabled()
    panel.seed_edit.setText("-3")
    assert not panel.run_button.isEnabled()


def test_a_saved_scenario_opens_with_the_same_values(qtbot, scene, registry, tmp_path, quarters_file):
    panel = make_panel(qtbot, scene, registry, quarters_file=quarters_file)
    panel.select_simulation("flood")
    panel.form.set_values({"rain": "block", "block_depth_mm": 42.5, "duration_min": 30.0,
                           "hydrograph_points": [[411_050.0, 5_654_050.0]], "edges": "closed"})
    panel.name_edit.setText("West, short block rain")
    panel.seed_edit.setText("99")
    saved = tmp_path / "west.toml"
    panel_values = panel.form.values()
    assert panel.save_scenario(saved)

    reopened = make_panel(qtbot, scene, registry, choose_open_file=lambda *args: saved)
    reopened.set_quarter("East")
    qtbot.mouseClick(reopened.open_button, Qt.MouseButton.LeftButton)
    assert reopened.simulation.name == "flood"
    assert reopened.form.values() == panel_values
    assert reopened.seed() == 99 and reopened.name_edit.text() == "West, short block rain"
    assert [quarter.name for quarter in reopened.selected_quarters()] == ["West"]
    assert reopened.slot_combos["terrain"].currentText() == "West terrain"
    assert reopened.message.text() == "Opened the scenario 'West, short block rain'."


def test_a_scenario_reads_the_input_files_the_scene_lacks_in_a_job(qtbot, registry, selftest_scenario):
    empty = Scene("EPSG:25833")
    panel = make_panel(qtbot, empty, registry)
    job = panel.open_scenario(selftest_scenario)
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert [layer.kind for layer in empty.layers] == ["raster"]
    assert [quarter.name for quarter in empty.quarters] == ["West", "East"]
    assert panel.slot_combos["terrain"].currentData() == empty.layers[0].name
    assert panel.form.values()["passes"] == 4 and panel.seed() == 7
    (report,) = run_and_wait(qtbot, panel)
    assert report.ok and report.scenario == "Self-test"


def test_a_scenarios_quarters_move_into_the_scene_crs_with_its_layers(qtbot, registry, selftest_scenario):
    scene = Scene("EPSG:25832")  # the scenario's files are in EPSG:25833
    panel = make_panel(qtbot, scene, registry)
    with qtbot.waitSignal(panel.open_scenario(selftest_scenario).finished, timeout=20_000):
        pass
    terrain = shapely.box(*scene.layers[0].data.bounds)
    assert [quarter.name for quarter in scene.quarters] == ["West", "East"]
    assert all(terrain.intersection(quarter.polygon).area > 0.4 * quarter.polygon.area
               for quarter in scene.quarters)


def test_a_broken_scenario_is_one_sentence_and_changes_nothing(qtbot, scene, registry, tmp_path):
    panel = make_panel(qtbot, scene, registry)
    panel.select_simulation("selftest")
    broken = tmp_path / "broken.toml"
    broken.write_text('[scenario]\nname = "x"\nsimulation = "selftest"\nsede = 3\n', encoding="utf-8")
    assert panel.open_scenario(broken) is None
    assert "unknown key 'sede' in [scenario] (did you mean 'seed'?)" in panel.message.text()
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[scenario]\nname = "x"\nsimulation = "floood"\n', encoding="utf-8")
    panel.open_scenario(unknown)
    assert panel.message.text() == "no simulation named 'floood' is installed (did you mean 'flood'?)"
    assert panel.simulation.name == "selftest" and len(scene.layers) == 2
