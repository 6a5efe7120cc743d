"""Proposed measures in the energy simulation: a demolished building leaves the stock, a new
one joins it with its use, year and storeys; a green roof is noted with the reason."""

from __future__ import annotations

import pytest
import shapely

from plugins.energy.simulation import EnergySimulation
from twin.core.proposals import Measure, ProposalSet
from twin.io import read_layer
from twin.sim import SimulationInputs, run_simulation

CRS = "EPSG:25832"  # the FZK-Haus's


@pytest.fixture(scope="module")
def fzk_layer(reference):
    return read_layer(reference / "citygml" / "FZK-Haus-LoD2_citygml3.gml", name="buildings")


def energy_run(layer, proposals):
    inputs = SimulationInputs({"buildings": layer}, [], CRS, proposals=proposals)
    report = run_simulation(EnergySimulation(), inputs, {"kwh_per_dwelling": 4000.0}, seed=1)
    assert report.ok, report.traceback
    return report.output


def table(output, name="energy_buildings"):
    return next(result for result in output.results if result.name == name)


def test_a_demolished_building_leaves_the_stock_and_a_new_one_joins_it(fzk_layer):
    house = str(fzk_layer.data.ids[0])
    x, y = shapely.get_coordinates(fzk_layer.data.footprints[0])[0]
    office = Measure("office", "new_building", "New office", shapely.box(x + 30, y, x + 60, y + 20),
                     {"storeys": 4, "use": "office", "construction_year": 2028})
    before = energy_run(fzk_layer, None)
    after = energy_run(fzk_layer, ProposalSet((
        Measure("gone", "demolition", "Demolish the house", None, {"building_ids": [house]}), office), CRS))
    assert table(before).columns["building_id"].tolist() == [house]
    rows = table(after).columns
    assert rows["building_id"].tolist() == ["office"]
    assert rows["type"].tolist() == ["non-residential"] and rows["year_of_construction"].tolist() == [2028]
    assert rows["floor_area"][0] > 0 and rows["pv_kwp"][0] > 0  # its flat roof carries modules
    assert after.summary["buildings"] == 1
    assert after.summary["electricity_mwh"] != pytest.approx(before.summary["electricity_mwh"])
    assert after.summary["proposals"]["applied"] == ["office", "gone"]


def test_a_green_roof_is_noted_with_the_reason_and_changes_nothing(fzk_layer):
    house = str(fzk_layer.data.ids[0])
    roof = Measure("roof", "green_roof", "Green roof", None, {"building_ids": [house], "retention_mm": 40})
    before = energy_run(fzk_layer, None)
    after = energy_run(fzk_layer, ProposalSet((roof,), CRS))
    assert after.summary["heat_need_now_mwh"] == before.summary["heat_need_now_mwh"]
    assert "U-value" in after.summary["proposals"]["not_applied"]["roof"]
