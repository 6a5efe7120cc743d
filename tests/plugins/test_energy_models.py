"""Energy plugin building blocks against the reference figures of tests/data/energy/NOTES.md."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from plugins.energy import balance, heat, nonresidential
from plugins.energy.balance import Battery, dispatch, self_consumption
from plugins.energy.heat import heat_intensities
from plugins.energy.loads import bdew_1999_hourly, load_profiles, read_selp_table, saxony_holidays
from plugins.energy.pv import ac_output_per_kwp
from plugins.energy.tabula import TABLE_PATH, Typology, read_table


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


def test_west_and_east_mirror_and_north_is_worst(sky):
    yearly = ac_output_per_kwp(sky, np.array([30, 30, 30]), np.array([90, 270, 0])).sum(axis=1)
    assert yearly[0] == pytest.approx(yearly[1], rel=0.06)
    assert yearly[2] < 0.8 * yearly.min(initial=np.inf, where=[True, True, False])


def test_holidays_of_saxony():
    days = {str(day) for day in saxony_holidays(2023)}
    assert {"2023-04-07", "2023-04-10", "2023-05-18", "2023-05-29", "2023-10-31", "2023-11-22"} <= days
    assert len(days) == 11


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


# --- BDEW 1999 profiles H0 and G0 from demandlib's table ------------------------------------------

@pytest.fixture(scope="module")
def profiles(weather):
    return load_profiles(2023, weather)


def _hour(day: str, hour: int) -> int:
    return int((np.datetime64(day) - np.datetime64("2023-01-01")).astype(int)) * 24 + hour


def _dynamisation(day_of_year: int) -> float:
    """BDEW's H0 factor, written out as the standard gives it."""
    t = float(day_of_year)
    return -3.92e-10 * t ** 4 + 3.2e-7 * t ** 3 - 7.02e-5 * t ** 2 + 2.1e-3 * t + 1.24


@pytest.mark.parametrize("name", ["H0", "G0", "H25", "G25"])
def test_profiles_scale_to_the_requested_energy(profiles, name):
    assert len(profiles[name]) == 8760 and (profiles[name] > 0).all()
    assert (profiles[name] * 3456.0).sum() == pytest.approx(3456.0, rel=1e-12)


def test_h0_and_g0_reproduce_the_source_table():
    # Winter working day, kW per 1,000 kWh/a (selp_series.csv, h0 column, 19:00-20:00 on a Wednesday).
    table = read_selp_table()
    static = bdew_1999_hourly(table["h0"], 2023, saxony_holidays(2023), dynamic=False)
    assert static[_hour("2023-01-11", 19)] == pytest.approx(np.mean([0.18476, 0.18820, 0.18892, 0.18644]))
    dynamic = bdew_1999_hourly(table["h0"], 2023, saxony_holidays(2023), dynamic=True)
    assert dynamic[_hour("2023-01-11", 19)] == pytest.approx(static[_hour("2023-01-11", 19)] * _dynamisation(11))


def test_normalised_profiles_keep_the_table_shape(profiles):
    # G0 on a winter Wednesday: noon against midnight, from the table's g0 quarter hours.
    noon, midnight = [0.23296, 0.22512, 0.21568, 0.20556], [0.06552, 0.06256, 0.05964, 0.05700]
    g0 = profiles["G0"]
    assert g0[_hour("2023-01-11", 12)] / g0[_hour("2023-01-11", 0)] == pytest.approx(sum(noon) / sum(midnight))
    # H0 on two winter Wednesdays differs only by the dynamisation factor of the day.
    h0 = profiles["H0"]
    assert h0[_hour("2023-01-11", 19)] / h0[_hour("2023-02-08", 19)] == pytest.approx(
        _dynamisation(11) / _dynamisation(39))


def test_h0_winter_evening_peak_above_summer(profiles):
    h0 = profiles["H0"]
    winter = h0[_hour("2023-01-11", 17):_hour("2023-01-11", 22)].max()
    summer = h0[_hour("2023-07-12", 17):_hour("2023-07-12", 22)].max()
    assert winter > 1.3 * summer


def test_seasons_and_holidays_of_the_1999_profiles(profiles):
    g0 = profiles["G0"]

    def day(date: str) -> np.ndarray:
        return g0[_hour(date, 0):_hour(date, 0) + 24]

    np.testing.assert_array_equal(day("2023-12-25"), day("2023-12-24"))  # a holiday is a Sunday
    assert not np.array_equal(day("2023-12-25"), day("2023-12-18"))
    np.testing.assert_array_equal(day("2023-03-20"), day("2023-03-13"))  # winter until 20 March
    assert not np.array_equal(day("2023-03-21"), day("2023-03-14"))  # then the transition
    np.testing.assert_array_equal(day("2023-05-16"), day("2023-07-11"))  # summer from 15 May


@pytest.mark.parametrize(("name", "watts"), [("H0", 268.0), ("H25", 228.0), ("G0", 236.0)])
def test_peak_per_1000_kwh_matches_the_reference_notes(profiles, name, watts):
    # NOTES.md: peak load per 1,000 kWh/a; hourly means here, so within 3 %.
    assert profiles[name].max() * 1e6 == pytest.approx(watts, rel=0.03)


# --- heat of non-residential buildings ------------------------------------------------------------

def test_benchmark_categories_of_adv_function_codes():
    assert nonresidential.category("31001_3051") == 16  # Krankenhaus
    assert nonresidential.category("31001_3021") == 21  # allgemeinbildende Schule
    assert nonresidential.category("31001_3065") == 22  # Kindertagesstätte
    assert nonresidential.category("31001_2054") == 50  # Laden
    assert nonresidential.category("31001_2143") == 44  # Lagerhalle: by its group 2140
    assert nonresidential.category("31001_3211") == 30  # Sport-, Turnhalle
    assert nonresidential.category("") == nonresidential.DEFAULT_CATEGORY


def test_benchmark_size_factor_and_values():
    np.testing.assert_allclose(nonresidential.size_factor(np.array([100.0, 500.0, 50_000.0, 90_000.0])),
                               [1.46, 1.46, 0.71, 0.71], atol=0.005)
    assert nonresidential.size_factor(np.array([5000.0]))[0] == pytest.approx(4.53 * 5000 ** -0.215 + 0.27)
    names, heating, hot_water = nonresidential.benchmarks(np.array(["31001_3051", "31001_3021"]),
                                                          np.array([20_000.0, 400.0]))
    assert list(names) == ["Krankenhäuser (ohne Forschung und Lehre)", "Schulen"]
    np.testing.assert_allclose(heating, [64.1 * (4.53 * 20_000 ** -0.215 + 0.27), 49.3 * 1.46])
    np.testing.assert_array_equal(hot_water, [40.8, 22.4])


def test_heat_intensities_by_use():
    kinds = np.array(["AB", "non-residential", "unheated"])
    functions = np.array(["31001_1000", "31001_3021", "31001_2463"])
    figures = heat_intensities(kinds, np.array([1975, 1975, 1975]), functions, np.array([5000.0, 400.0, 0.0]),
                               Typology())
    np.testing.assert_array_equal(figures.space_need[0], [106.1, 55.2, 34.7])  # TABULA East German slab
    # A school has a final-energy benchmark and no calculated need: the two are never mixed.
    assert np.isnan(figures.space_need[1:]).all() and np.isnan(figures.hot_water_need[1:]).all()
    assert figures.benchmark_heating[1] == pytest.approx(49.3 * 1.46)
    assert figures.benchmark_hot_water[1] == 22.4 and np.isnan(figures.benchmark_heating[0])
    # Refurbished like a multi-family house of the same age class.
    mfh = Typology().q_h_nd(np.array(["MFH"]), np.array([1975]))[0]
    np.testing.assert_allclose(figures.refurbished_ratio[1], mfh / mfh[0])
    assert figures.hot_water_need[0] == 15.0 and figures.benchmark_heating[2] == 0.0
    assert list(figures.source) == ["TABULA AB", "Schulen", "unheated"]
    assert list(figures.year_class) == [6, 6, 6]


def test_every_numba_kernel_releases_the_gil():
    kernels = [value for module in (balance,) for value in vars(module).values()
               if isinstance(value, numba.core.registry.CPUDispatcher)]
    assert len(kernels) == 3
    assert all(kernel.targetoptions.get("nogil") for kernel in kernels)


# --- heat today: refurbished shares, TABULA's adaptation to typical consumption -------------------

def test_adaptation_factor_interpolates_tabulas_nodes():
    factors = heat.typical_consumption_factor(np.array([0.0, 100.0, 150.0, 500.0, 800.0]))
    np.testing.assert_allclose(factors, [heat.ADAPTATION_FACTORS[0], heat.ADAPTATION_FACTORS[1],
                                         np.mean(heat.ADAPTATION_FACTORS[1:3]), heat.ADAPTATION_FACTORS[-1],
                                         heat.ADAPTATION_FACTORS[-1]])
    assert np.all(np.diff(heat.ADAPTATION_FACTORS) <= 0)  # the worse the building, the larger the gap


def test_refurbished_shares_start_from_today_and_never_exceed_the_stock():
    classes = np.array([6, 6, 10])
    today = tuple(np.linspace(0.0, 0.9, 12))
    before, since = heat.refurbished_shares(classes, today, 2026, 2026, 0.02)
    np.testing.assert_allclose(before, [today[5], today[5], today[9]])
    assert (since == 0).all()
    before, since = heat.refurbished_shares(classes, today, 2026, 2036, 0.02)
    np.testing.assert_allclose(since, [0.2, 0.2, min(0.2, 1 - today[9])])
    _, since = heat.refurbished_shares(classes, today, 2026, 2126, 0.02)
    np.testing.assert_allclose(before + since, 1.0)


def test_heat_today_counts_the_refurbished_share_and_keeps_need_apart_from_final_energy():
    kinds = np.array(["AB", "non-residential"])
    figures = heat_intensities(kinds, np.array([1975, 1975]), np.array(["31001_1000", "31001_3021"]),
                               np.array([5000.0, 400.0]), Typology())
    state = heat.heat_state(figures, np.array([0.6, 0.6]), np.zeros(2), 1, expenditure=1.2)
    need = 0.4 * 106.1 + 0.6 * 55.2 + 15.0
    assert state.need[0] == pytest.approx(need)
    assert state.final[0] == pytest.approx(need * 1.2 * heat.typical_consumption_factor(need * 1.2))
    # The school's benchmark is already consumption of today's stock: no need, final as benchmarked.
    assert np.isnan(state.need[1]) and state.final[1] == pytest.approx(49.3 * 1.46 + 22.4)
    unrefurbished = heat.heat_state(figures, np.zeros(2), np.zeros(2), 1, expenditure=1.2)
    assert unrefurbished.need[0] == pytest.approx(106.1 + 15.0) and state.final[0] < unrefurbished.final[0]


def test_refurbished_today_must_name_every_age_class():
    from plugins.energy.simulation import EnergySimulation
    from twin.sim import ParameterError

    params = {spec.name: spec.default for spec in EnergySimulation.parameters}
    EnergySimulation().check_parameters(params)
    with pytest.raises(ParameterError, match="refurbished_today"):
        EnergySimulation().check_parameters({**params, "refurbished_today": [0.5, 0.5]})
