"""The energy plugin on real LoD2 files: roof geometry of the FZK-Haus and a run end to end."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.energy.roofs import roof_triangles
from plugins.energy.simulation import EnergySimulation
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
    assert summary["pv_mwh"] == pytest.approx(summary["pv_kwp"] * 0.975, rel=0.05)
    assert 0.0 < summary["self_sufficiency"] < 1.0
    assert summary["heat_2045_mwh"] < summary["heat_now_mwh"]
    tables = {table.name: table for table in report.output.results}
    buildings = tables["energy_buildings"]
    assert buildings.columns["pv_kwp"][0] == pytest.approx(summary["pv_kwp"])
    assert buildings.columns["heat_source"][0] == "TABULA SFH"
    assert len(tables["energy_week"]) == 168


def test_energy_is_registered():
    assert SimulationRegistry.discover().get("energy") is EnergySimulation
