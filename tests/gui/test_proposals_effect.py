"""Compute effect from the Proposals panel: the window computes what `main.py effect` computes (one
code path), and the energy and street effects of drawn measures reach the reports, the view and the
costs."""

import csv

import numpy as np
import pytest
import rasterio
import shapely
from PySide6.QtCore import QSettings

from data.generator.streets import write_streets
from tests.plugins.test_street_decay import X0, Y0, grid_streets
from twin.cli import EXIT_OK, main
from twin.core import Scene
from twin.core.numbers import format_number
from twin.core.proposals import Measure, ProposalSet
from twin.core.quarter import Quarter
from twin.io import read_layer, read_quarters
from twin.io.proposals_geojson import write_proposals
from twin.qt.main_window import MainWindow
from twin.qt.session import ProjectSession
from twin.qt.views import offscreen_view
from twin.sim.difference import DifferenceRasterLayer, DifferenceTableLayer

pytestmark = pytest.mark.gui

CRS = "EPSG:25833"
POND = shapely.box(411120.0, 5654030.0, 411160.0, 5654070.0)  # in the East quarter of tests/conftest.py
# depths every minute: the window's flood effect runs before with them (its quick estimate needs them)
FLOOD = {"rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 10.0, "duration_min": 10.0,
         "snapshot_interval_min": 1.0}
MACHINE_FIGURES = ("solver_seconds", "cell_updates_per_s")  # how fast this machine was, not the scenario
BUILDINGS = "citygml/dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"


def open_window(qtbot, tmp_path, scene: Scene, quarter: str) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene, offscreen_view, session=ProjectSession(scene, name="test"), settings=settings)
    qtbot.addWidget(window, before_close_func=lambda widget: widget.session.mark_clean())
    window.resize(1000, 700)
    window.show()
    qtbot.waitUntil(lambda: window._camera_placed)
    qtbot.wait(10)
    window.select_quarter(quarter)
    return window


def compute_effect(qtbot, window, simulation: str, parameters: dict, proposals: ProposalSet, seed: int = 3):
    window.proposals_panel.change(proposals, "Draft", None)
    panel = window.simulation_panel
    panel.select_simulation(simulation)
    panel.form.set_values(parameters)
    panel.seed_edit.setText(str(seed))
    with qtbot.waitSignal(window.proposals_effect.shown, timeout=240_000) as shown:
        assert window.proposals_effect.compute() is not None
    return shown.args[0]


def test_the_windows_effect_equals_the_command_lines(qtbot, tmp_path, dtm_file, quarters_file):
    pond = Measure("pond", "retention_area", "Pond", POND, {"depth_m": 0.5})
    write_proposals(ProposalSet((pond,), CRS), tmp_path / "measures.geojson")
    scenario = tmp_path / "effect.toml"
    scenario.write_text(f"""
[scenario]
name = "Pond"
simulation = "flood"
seed = 3
quarters_file = "{quarters_file.name}"
quarters = ["East"]
proposals = "measures.geojson"

[inputs]
terrain = "{dtm_file.name}"

[parameters]
{chr(10).join(f'{key} = {value!r}'.replace("'", '"') for key, value in FLOOD.items())}
""", encoding="utf-8")
    assert main(["effect", str(scenario), "--out", str(tmp_path / "cli"), "--quiet"]) == EXIT_OK

    scene = Scene()
    scene.set_quarters(read_quarters(quarters_file)[0])
    scene.add_layer(read_layer(dtm_file))
    window = open_window(qtbot, tmp_path, scene, "East")
    window.proposals_panel.import_file(tmp_path / "measures.geojson")
    with qtbot.waitSignal(window.proposals_effect.refined, timeout=240_000) as refined:  # after the estimate
        compute_effect(qtbot, window, "flood", FLOOD, window.proposals_panel.proposals)
    effect = refined.args[0]

    rows = list(csv.DictReader((tmp_path / "cli" / "figures.csv").open(encoding="utf-8")))
    cli = {(row["place"], row["figure"]): [float(row[key]) for key in ("before", "with", "delta")]
           for row in rows}
    gui = {(place, key): [value["before"], value["with"], value["delta"]]
           for place, figures in effect.figures.items() for key, value in figures.items()}
    assert set(gui) == set(cli) and ("East", "max_depth_m") in gui
    for key, values in cli.items():
        if key[1] in MACHINE_FIGURES:
            continue
        assert gui[key] == pytest.approx(values, rel=1e-6, abs=1e-9), key
    [row] = list(csv.DictReader((tmp_path / "cli" / "costs.csv").open(encoding="utf-8")))
    assert effect.costs[0]["cost_eur"] == pytest.approx(float(row["cost_eur"]))
    layer = window.proposals_effect.difference
    assert isinstance(layer, DifferenceRasterLayer) and layer in window.scene.layers
    with rasterio.open(tmp_path / "cli" / "difference" / f"{layer.data.name}.tif") as grid:
        written = grid.read(1, masked=True).filled(np.nan)
    np.testing.assert_allclose(layer.data.values, written, atol=1e-6, equal_nan=True)
    assert np.nanmin(layer.data.values) < -0.01 or np.nanmax(layer.data.values) > 0.01


@pytest.fixture
def buildings_scene(reference):
    buildings = read_layer(reference / BUILDINGS, name="buildings")
    scene = Scene()
    west, south, east, north = shapely.GeometryCollection(
        [footprint for footprint in buildings.data.footprints if footprint is not None]).bounds
    scene.set_quarters([Quarter("Stadtteil", shapely.box(west - 200, south - 200, east + 200, north + 200))])
    scene.add_layer(buildings)
    return scene


def test_a_green_roof_a_new_building_and_a_demolition_show_their_energy_deltas(qtbot, tmp_path,
                                                                               buildings_scene):
    stock = buildings_scene.layer("buildings").data
    roofed, gone = str(stock.ids[0]), str(stock.ids[1])
    x, y = shapely.get_coordinates(stock.footprints[0])[0]
    proposals = ProposalSet((
        Measure("roof", "green_roof", "Green roof", None, {"building_ids": [roofed], "retention_mm": 30.0}),
        Measure("kita", "new_building", "Kindergarten", shapely.box(x + 40, y + 40, x + 70, y + 60),
                {"storeys": 2, "use": "kindergarten", "construction_year": 2028}),
        Measure("gone", "demolition", "Demolition", None, {"building_ids": [gone]})), CRS)
    window = open_window(qtbot, tmp_path, buildings_scene, "Stadtteil")
    effect = compute_effect(qtbot, window, "energy", {}, proposals)

    figures = effect.figures["Stadtteil"]
    assert figures["buildings"]["delta"] == 0  # one in, one out
    assert figures["pv_mwh"]["delta"] != 0 and figures["heat_final_now_mwh"]["delta"] != 0
    assert effect.added == {"energy_buildings": ["kita"]} and effect.removed == {"energy_buildings": [gone]}
    [table] = [result for result in effect.differences if result.name == "energy_buildings"]
    columns = table.columns
    rows = {building: row for row, building in enumerate(np.asarray(columns["building_id"]).astype(str))}
    before = next(t for t in effect.before.output.results if t.name == "energy_buildings").columns
    lost = list(np.asarray(before["building_id"]).astype(str)).index(gone)
    # the demolished house's whole demand and PV are lost; the new one's are gained
    assert columns["heat_final_now"][rows[gone]] == pytest.approx(-before["heat_final_now"][lost])
    assert columns["pv_yield"][rows[gone]] == pytest.approx(-before["pv_yield"][lost])
    assert columns["pv_yield"][rows["kita"]] > 0 and np.isnan(columns["year_of_construction"][rows["kita"]])
    assert columns["heat_final_now"][rows[roofed]] == 0  # a green roof leaves the demand as it was
    # the map: every building of the layer coloured by its change, and the new one's row kept (its
    # block takes the row's colour: tests/gui/test_effect_views.py)
    layer = window.proposals_effect.difference
    assert isinstance(layer, DifferenceTableLayer) and layer.data.target_layer == "buildings"
    assert sorted(np.asarray(layer.data.columns["building_id"]).astype(str)) == sorted(
        [*np.asarray(stock.ids).astype(str), "kita"])
    assert window.scene_view.visual_of(layer).drawn
    assert any("Heat final" in legend.title.GetInput() for legend in window.scene_view.legends._legends)
    costs = {row["measure"]: row for row in effect.costs}
    assert costs["roof"]["quantity"] == pytest.approx(round(stock.footprints[0].area, 2))
    assert costs["roof"]["cost_eur"] > 0 and costs["kita"]["cost_eur"] is None
    assert window.reports.compared_run.run_id == effect.with_proposals.run_id
    assert "EUR" in window.proposals_panel.message.text()
    costs_shown = window.proposals_panel.costs.text()
    assert f"Green roof: {format_number(costs['roof']['quantity'])} m2 × 45 EUR" in costs_shown
    assert "Kindergarten: not costed" in costs_shown and "Total: " in costs_shown


def test_street_works_from_the_panel_improve_the_condition_and_are_paid(qtbot, tmp_path):
    path = tmp_path / "streets.gpkg"
    write_streets(grid_streets(), "Friedrichstadt", path, np.random.default_rng(11))
    scene = Scene()
    streets = read_layer(path, name="streets")
    scene.set_quarters([Quarter("Mitte", shapely.box(X0 - 10, Y0 - 10, X0 + 1010, Y0 + 1010))])
    scene.add_layer(streets)
    treated = [str(streets.data.ids[0]), str(streets.data.ids[5])]
    proposals = ProposalSet((Measure("works", "street_works", "Rebuild", None,
                                     {"segment_ids": treated, "treatment": "reconstruction", "year": 2030}),), CRS)
    window = open_window(qtbot, tmp_path, scene, "Mitte")
    effect = compute_effect(qtbot, window, "street_decay", {"horizon_years": 10, "start_year": 2026,
                                                            "strategy": "do_nothing", "monte_carlo_runs": 0},
                            proposals)

    layer = window.proposals_effect.difference
    assert isinstance(layer, DifferenceTableLayer) and layer.data.target_layer == "streets"
    ids = np.asarray(layer.data.columns["segment_id"]).astype(str)
    later = layer.data.columns["condition_2036"]
    assert np.all(later[np.isin(ids, treated)] < 0)  # better (a lower class) after the works
    np.testing.assert_allclose(later[~np.isin(ids, treated)], 0.0, atol=2e-3)
    spent = [value for key, value in effect.figures["Mitte"].items() if key.startswith("spent_eur[")]
    assert sum(value["delta"] for value in spent) > 0
