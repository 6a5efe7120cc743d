"""The energy plugin on real LoD2 files: roof geometry of the FZK-Haus and a run end to end."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.energy.loads import load_profiles
from plugins.energy.roofs import roof_triangles
from plugins.energy.simulation import EnergySimulation
from plugins.energy.weather import read_reference_year
from twin.io import read_layer
from twin.io.citygml import read_citygml
from twin.sim import SimulationInputs, SimulationRegistry, run_simulation


@pytest.fixture(scope="module")
def fzk_file(reference):
    return reference / "citygml" / "FZK-Haus-LoD2_citygml3.gml"


def test_fzk_haus_roofs_face_north_and_south_at_30_degrees(fzk_file):
    roofs = roof_triangles(read_citygml(fzk_file))
    np.testing.assert_allclose(roofs.tilt, 30.0, atol=1e-6)
    faces = np.round(roofs.azimuth) % 360
    assert set(faces) == {0.0, 180.0}
    # A 12 m x 10 m house with its ridge along x: each face 12 m x 5 m / cos 30 deg.
    for azimuth in (0.0, 180.0):
        assert roofs.area[faces == azimuth].sum() == pytest.approx(12 * 5 / np.cos(np.radians(30)), rel=1e-9)


@pytest.mark.parametrize("household_profile", ["H25", "H0"])
def test_energy_run_on_the_fzk_haus(fzk_file, household_profile):
    layer = read_layer(fzk_file, name="buildings")
    report = run_simulation(EnergySimulation(), SimulationInputs({"buildings": layer}, [], "EPSG:25832"),
                            {"battery_kwh_per_kwp": 1.0, "kwh_per_dwelling": 4000.0,
                             "household_profile": household_profile}, seed=1)
    assert report.ok, report.traceback
    summary = report.output.summary
    # Function "1000" (CityGML's code list) is a house: one dwelling of 4,000 kWh/a on the chosen profile.
    assert summary["electricity_mwh"] == pytest.approx(4.0, rel=1e-12)
    # Only the south face carries modules: 69.3 m2 x 60 % x 0.21 kWp/m2; the north face yields too little.
    assert summary["pv_kwp"] == pytest.approx(12 * 5 / np.cos(np.radians(30)) * 0.6 * 0.21, rel=1e-9)
    # 30 deg south: about 915 kWh/kWp (tests/plugins/test_energy_references.py).
    assert summary["pv_mwh"] == pytest.approx(summary["pv_kwp"] * 0.915, rel=0.02)
    assert 0.0 < summary["self_sufficiency"] < 1.0
    assert summary["heat_final_2045_mwh"] < summary["heat_final_now_mwh"]
    assert summary["heat_need_2045_mwh"] < summary["heat_need_now_mwh"]
    # One house: its own stochastic year peaks at several kW, as it is the only building the
    # coincidence factor is 1.
    assert 2.0 < summary["peak_demand_kw"] == pytest.approx(summary["sum_of_building_peaks_kw"])
    assert summary["coincidence_factor"] == pytest.approx(1.0)
    tables = {table.name: table for table in report.output.results}
    buildings = tables["energy_buildings"]
    assert buildings.columns["pv_kwp"][0] == pytest.approx(summary["pv_kwp"])
    assert buildings.columns["heat_source"][0] == "TABULA SFH"
    assert buildings.columns["peak_demand"][0] == pytest.approx(summary["peak_demand_kw"])
    # Need (calculated) and final energy (typical consumption) are separate columns, never summed.
    assert {"heat_need_now", "heat_final_now", "heat_need_2045", "heat_final_2045"} <= set(buildings.columns)
    # A construction year is a date, not an amount: it carries no unit.
    assert "year_of_construction" not in buildings.units and buildings.units["floor_area"] == "m²"
    assert tables["energy_quarters"].units == {"electricity_mwh": "MWh/a", "pv_mwh": "MWh/a",
                                               "grid_import_mwh": "MWh/a", "grid_export_mwh": "MWh/a",
                                               "peak_demand_kw": "kW", "sum_of_building_peaks_kw": "kW",
                                               "peak_import_after_pv_kw": "kW",
                                               "peak_import_after_batteries_kw": "kW", "peak_export_kw": "kW",
                                               "heat_final_now_mwh": "MWh/a", "heat_need_now_mwh": "MWh/a",
                                               **{f"heat_{kind}_{year}_mwh": "MWh/a" for year in (2030, 2035, 2045)
                                                  for kind in ("final", "need")},
                                               "pv_kwp": "kWp"}
    assert len(tables["energy_week"]) == 168
    # Drawn on the buildings, the result shows final energy by scenario year (the time slider's steps).
    shown = next(layer for layer in report.result_layers if layer.name.endswith("energy_buildings"))
    assert shown.default_color_by() == "heat_final" and shown.time_labels == ["2030", "2035", "2045"]


def test_months_add_up_to_the_year_and_close_the_balance_with_both_batteries(fzk_file):
    layer = read_layer(fzk_file, name="buildings")
    # A home battery, and a quarter battery holding the import to 0.3 kW: it also charges from the grid.
    report = run_simulation(EnergySimulation(), SimulationInputs({"buildings": layer}, [], "EPSG:25832"),
                            {"battery_kwh_per_kwp": 1.0, "kwh_per_dwelling": 4000.0, "quarter_battery_kwh": 5.0,
                             "quarter_battery_kw": 2.0, "peak_target_kw": 0.3}, seed=1)
    assert report.ok, report.traceback
    figures = report.output.per_quarter["all buildings"]
    months = next(table for table in report.output.results if table.name == "energy_months")
    assert months.target_layer == "quarters" and set(months.units.values()) == {"MWh"}
    assert list(months.columns["quarter"]) == ["all buildings"] * 12
    assert list(months.columns["month"]) == list(range(1, 13))
    flows = months.columns
    for column, figure in (("demand", "electricity_mwh"), ("pv", "pv_mwh"), ("grid_import", "grid_import_mwh"),
                           ("grid_export", "grid_export_mwh")):
        assert flows[column].sum() == pytest.approx(figures[figure], rel=1e-12), column
    assert flows["self_consumed"].sum() == pytest.approx(figures["self_consumption_quarter"] * figures["pv_mwh"],
                                                         rel=1e-9)
    covered = flows["pv_direct"] + flows["battery_discharge"]
    assert covered.sum() == pytest.approx(figures["self_sufficiency_quarter"] * figures["electricity_mwh"],
                                          rel=1e-9)
    # The balance closes in every month.
    np.testing.assert_allclose(flows["pv"], flows["self_consumed"] + flows["grid_export"], rtol=1e-9)
    np.testing.assert_allclose(flows["self_consumed"], flows["pv_direct"] + flows["battery_charge"], rtol=1e-9)
    np.testing.assert_allclose(flows["demand"], covered + flows["grid_import"] - flows["battery_grid_charge"],
                               rtol=1e-9)
    assert np.all(flows["battery_discharge"] > 0) and flows["battery_grid_charge"].sum() > 0
    assert flows["pv"][5] > 3 * flows["pv"][11]  # June against December
    # Months are calendar months of the reference year's clock (MEZ): with the standard profile
    # (not a stochastic year) the demand is the H25 profile summed over them.
    standard = run_simulation(EnergySimulation(), SimulationInputs({"buildings": layer}, [], "EPSG:25832"),
                              {"kwh_per_dwelling": 4000.0, "household_loads": "standard profile"}, seed=1)
    months = next(table for table in standard.output.results if table.name == "energy_months")
    weather = read_reference_year(4, 2023)
    profile = load_profiles(2023, weather)["H25"]
    month_ends = np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) * 24
    np.testing.assert_allclose(months.columns["demand"],
                               np.add.reduceat(profile, np.r_[0, month_ends[:-1]]) * 4.0, rtol=1e-9)


def test_energy_is_registered():
    assert SimulationRegistry.discover().get("energy") is EnergySimulation


@pytest.fixture(scope="module")
def dresden_layer(reference):
    return read_layer(reference / "citygml" / "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml", name="buildings")


def _run(layer, seed: int, **changes):
    report = run_simulation(EnergySimulation(), SimulationInputs({"buildings": layer}, [], "EPSG:25833"),
                            {"default_year": 1900.0, **changes}, seed=seed)
    assert report.ok, report.traceback
    buildings = next(table for table in report.output.results if table.name == "energy_buildings")
    return report.output.summary, buildings.columns


def test_household_loads_are_drawn_from_the_scenario_seed(dresden_layer):
    first, first_buildings = _run(dresden_layer, 1)
    again, again_buildings = _run(dresden_layer, 1)
    other, other_buildings = _run(dresden_layer, 2)
    assert first == again
    np.testing.assert_array_equal(first_buildings["peak_demand"], again_buildings["peak_demand"])
    assert not np.array_equal(first_buildings["peak_demand"], other_buildings["peak_demand"])
    assert first["electricity_mwh"] == pytest.approx(other["electricity_mwh"], rel=1e-12)  # same energy


def test_buildings_peak_at_different_hours_and_the_standard_profile_hides_it(dresden_layer):
    stochastic, buildings = _run(dresden_layer, 1)
    standard, standard_buildings = _run(dresden_layer, 1, household_loads="standard profile")
    flats = buildings["dwellings"] > 0
    assert flats.sum() >= 5
    # Each building's stochastic year peaks above its smooth standard-profile year ...
    assert (buildings["peak_demand"][flats] > 1.3 * standard_buildings["peak_demand"][flats]).all()
    # ... at its own hours: the group's peak lies well below the sum of the buildings' peaks.
    assert stochastic["coincidence_factor"] < 0.8 < standard["coincidence_factor"]
    assert stochastic["peak_demand_kw"] == pytest.approx(stochastic["coincidence_factor"]
                                                         * stochastic["sum_of_building_peaks_kw"])
