"""Energy plugin building blocks against the reference figures of ../shared/reference/energy/NOTES.md."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.energy.balance import Battery, dispatch, self_consumption, self_sufficiency
from plugins.energy.loads import load_profiles, saxony_holidays
from plugins.energy.pv import ac_output_per_kwp, sun_and_sky
from plugins.energy.tabula import TABLE_PATH, Typology, read_table
from plugins.energy.weather import read_reference_year


@pytest.fixture(scope="module")
def weather():
    return read_reference_year(4)


@pytest.fixture(scope="module")
def sky(weather):
    return sun_and_sky(weather)


@pytest.fixture(scope="module")
def h25(weather):
    return load_profiles(2023, weather)["H25"]


def test_shipped_table_is_the_reference_extract(reference):
    assert TABLE_PATH.read_bytes() == (reference / "energy" / "tabula_DE_qhnd.txt").read_bytes()


def test_tabula_lookups_reproduce_every_row(reference):
    rows = read_table(reference / "energy" / "tabula_DE_qhnd.txt")
    typology = Typology(rows)
    for row in rows:
        middle = (row.first_year + min(row.last_year, 2030)) / 2
        found = typology.row(row.type, middle)
        # East German rows replace the national ones where both exist.
        if row.region == "N" and any(r.region == "East" and r.type == row.type and r.year_class == row.year_class
                                     for r in rows):
            assert found.region == "East"
            continue
        assert found.q_h_nd == row.q_h_nd, (row, found)


def test_tabula_east_german_slabs_and_fallbacks():
    typology = Typology()
    values = typology.q_h_nd(np.array(["AB", "AB", "AB", "TH", "AB"]), np.array([1975, 1981, 1990, 1850, 2005]))
    np.testing.assert_array_equal(values[0], [106.1, 55.2, 34.7])
    np.testing.assert_array_equal(values[1], [96.0, 54.3, 34.6])
    np.testing.assert_array_equal(values[2], [85.6, 53.0, 34.1])
    np.testing.assert_array_equal(values[3], [282.7, 94.8, 49.0])  # no TH before 1860: SFH
    np.testing.assert_array_equal(values[4], [49.9, 44.9, 41.3])  # no AB after 1994: MFH


def test_reference_year_region_4(weather):
    assert len(weather.times_utc) == 8760
    assert weather.global_horizontal.sum() / 1000 == pytest.approx(1075, rel=0.01)
    assert weather.air_temperature.mean() == pytest.approx(9.5, abs=0.1)


@pytest.mark.parametrize(("tilt", "azimuth", "expected"), [(30, 180, 975), (10, 180, 923), (30, 90, 847)])
def test_specific_pv_yield_in_dresden(sky, tilt, azimuth, expected):
    yearly = ac_output_per_kwp(sky, np.array([tilt]), np.array([azimuth]))[0].sum()
    assert yearly == pytest.approx(expected, rel=0.05)


def test_west_and_east_mirror_and_north_is_worst(sky):
    yearly = ac_output_per_kwp(sky, np.array([30, 30, 30]), np.array([90, 270, 0])).sum(axis=1)
    assert yearly[0] == pytest.approx(yearly[1], rel=0.06)
    assert yearly[2] < 0.8 * yearly.min(initial=np.inf, where=[True, True, False])


def test_holidays_of_saxony():
    days = {str(day) for day in saxony_holidays(2023)}
    assert {"2023-04-07", "2023-04-10", "2023-05-18", "2023-05-29", "2023-10-31", "2023-11-22"} <= days
    assert len(days) == 11


@pytest.mark.parametrize(("battery_kwh", "expected"), [(0.0, 0.36), (5.0, 0.65)])
def test_self_sufficiency_of_a_house(sky, h25, battery_kwh, expected):
    demand = h25 * 4000.0
    pv = ac_output_per_kwp(sky, np.array([30]), np.array([180]))[0] * 5.0
    flows = dispatch(demand, pv, Battery(np.array(battery_kwh), np.array(battery_kwh / 2)))[0]
    assert self_sufficiency(flows[0].sum(), flows[3].sum(), demand.sum()) == pytest.approx(expected, abs=0.04)


def test_energy_balance_closes_every_hour(sky, h25):
    demand = np.stack([h25 * 4000.0, h25 * 22300.0])
    pv = ac_output_per_kwp(sky, np.array([30, 10]), np.array([180, 135])) * np.array([[5.0], [9.4]])
    flows = dispatch(demand, pv, Battery(np.array([5.0, 10.0]), np.array([2.5, 5.0]), 0.9))
    direct, charge_pv, charge_grid, discharge, imported, exported, soc = flows.transpose(1, 0, 2)
    np.testing.assert_allclose(pv, direct + charge_pv + exported, atol=1e-9)
    np.testing.assert_allclose(demand, direct + discharge + imported, atol=1e-9)
    assert (charge_grid == 0).all() and (flows[:, :6] >= -1e-12).all()
    assert (soc <= np.array([[5.0], [10.0]]) + 1e-9).all() and discharge.sum() > 0
    # The battery gives back what it took, less its losses and what it still holds at the end.
    np.testing.assert_allclose(discharge.sum(axis=1), 0.9 * charge_pv.sum(axis=1) - np.sqrt(0.9) * soc[:, -1],
                               rtol=1e-9)
    assert self_consumption(direct[0].sum(), charge_pv[0].sum(), pv[0].sum()) > 0.5


def test_peak_shaving_holds_the_target_while_the_battery_lasts(h25):
    demand = (h25 * 1_000_000.0)[None]
    target = 0.8 * demand.max()
    flows = dispatch(demand, np.zeros_like(demand), Battery(np.array(2000.0), np.array(500.0), 0.9, target))[0]
    imported = flows[4] + flows[2]
    assert imported.max() <= target + 1e-6
    np.testing.assert_allclose(demand[0] + flows[2], flows[0] + flows[3] + imported, atol=1e-9)
