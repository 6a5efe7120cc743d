"""A simulation from another package joins the twin through its own entry point, with no change to
twin/: its parameters get a form, its run a report with its figures and charts, its result table a
legend and colours of its own classes."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import shapely

from twin.core import Scene
from twin.core.quarter import Quarter
from twin.io import read_layer
from twin.qt.parameter_form import ParameterForm
from twin.qt.reports import ReportsPanel
from twin.render import SceneView
from twin.sim import SimulationInputs, SimulationRegistry, run_simulation

pytestmark = pytest.mark.gui

PACKAGE = Path(__file__).resolve().parents[1] / "example_plugin"
DRESDEN = Path(__file__).resolve().parents[1] / "data" / "citygml" / "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"


@pytest.fixture
def registry(tmp_path, monkeypatch) -> SimulationRegistry:
    """The installed simulations plus the example package, registered as pip would: a .dist-info
    with its entry point on the path."""
    info = tmp_path / "twin_roof_greening-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twin-roof-greening\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[twin.simulations]\nroof_greening = twin_roof_greening.simulation:RoofGreening\n")
    monkeypatch.syspath_prepend(str(PACKAGE))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    registry = SimulationRegistry.discover()
    assert not registry.errors
    return registry


@pytest.fixture
def greened(registry) -> tuple[Scene, str]:
    scene = Scene()
    buildings = scene.add_layer(read_layer(DRESDEN, name="Loschwitz LoD2"))
    west, south, east, north = buildings.bounds[0], buildings.bounds[1], buildings.bounds[3], buildings.bounds[4]
    middle = (west + east) / 2
    scene.set_quarters([Quarter("West", shapely.box(west, south, middle, north)),
                        Quarter("East", shapely.box(middle, south, east, north))])
    simulation = registry.get("roof_greening")()
    report = run_simulation(simulation, SimulationInputs({"buildings": buildings}, scene.quarters, scene.crs),
                            {"min_area_m2": 20.0}, seed=1, scenario="green roofs", scene=scene)
    assert report.ok, report.error
    return scene, report.run_id


def test_its_parameters_get_a_form_from_their_declarations(qtbot, registry):
    form = ParameterForm(registry.get("roof_greening").parameters)
    qtbot.addWidget(form)
    assert form.labels["max_tilt_deg"].text() == "Flat below"
    assert form.fields["max_tilt_deg"].editor.suffix() == " deg"


def test_its_run_reports_its_figures_and_charts(qtbot, registry, greened):
    scene, run_id = greened
    panel = ReportsPanel(scene, registry)
    qtbot.addWidget(panel)
    panel.show_run(run_id)
    rows = {row.label: row for row in panel.figures().rows}
    assert rows["green roof potential"].unit == "m²"
    table = next(layer.data for layer in scene.layers if layer.kind == "result")
    suited = table.columns["suitability"] == 2
    assert suited.any() and not suited.all()  # the real roofs of the tile differ
    assert rows["green roof potential"].values[-1] == pytest.approx(table.columns["flat_roof_area"][suited].sum())
    assert rows["buildings suited"].values[:2] == [
        float(scene.runs[0].per_quarter[name]["buildings_suited"]) for name in ("West", "East")]
    assert [panel.charts.tabText(index) for index in range(panel.charts.count())] == ["Green roof potential"]


def test_its_table_is_drawn_in_its_own_classes_with_their_legend(greened):
    scene, _ = greened
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    try:
        view = SceneView(scene, plotter)
        result = next(layer for layer in scene.layers if layer.kind == "result")
        colouring = view.colouring_of(result)
        assert colouring.title == "Green roof suitability"
        assert [label for label, _ in colouring.entries] == ["unsuited", "partly suited", "suited"]
        mesh = view.mesh_of(result)
        codes = np.unique(mesh[colouring.scalars][np.isfinite(mesh[colouring.scalars])])
        assert set(codes) <= {0.0, 1.0, 2.0}
    finally:
        plotter.close()
