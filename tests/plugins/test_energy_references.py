"""The energy models against figures from outside the plugin: measured PV yields, the PV review's
set-up, the HTW Berlin independence calculator, measured heat consumption and the prebound effect.

Each test names its source and says how far the model may differ from it, and why. Figures the
plugin computed with its own set-up are not references and do not appear here.
"""

from __future__ import annotations

import numpy as np
import pytest

from plugins.energy import heat
from plugins.energy.balance import Battery, dispatch, self_sufficiency
from plugins.energy.households import dwelling_loads, household_model
from plugins.energy.pv import PVModel, ac_output_per_kwp, plane_of_array
from plugins.energy.tabula import Typology

# --- PV -------------------------------------------------------------------------------------------

def test_yield_at_30_degrees_south_matches_the_review_set_up(sky):
    # Issue 20's review set-up (pvlib: Perez transposition, angle-of-incidence loss, roof-mounted
    # cell temperature, 14 % losses, 96 % inverter) gives 915 kWh/kWp for Dresden, 30 deg south, on
    # the same reference year. Within 1 %: both are pvlib chains; what may differ is the IAM model
    # (Martin-Ruiz here). The plugin's former chain gave 976.
    assert ac_output_per_kwp(sky, np.array([30.0]), np.array([180.0]))[0].sum() == pytest.approx(915, rel=0.01)


def test_performance_ratio_matches_measured_german_rooftop_systems(sky):
    # Schardt and te Heesen, "Performance of Rooftop PV Systems in Selected European Countries from
    # 2012 to 2019", EU PVSEC 2021: 32,744 monitored rooftop systems; Germany, systems running
    # 2015-2019: 990 kWh/kWp and performance ratio 0.74. The performance ratio (yield over the
    # irradiation on the modules' plane) does not depend on the year's sunshine or the roofs'
    # orientation, so it compares a Dresden reference year with a national sample: within 0.04
    # (the spread of the countries' means they report is 0.73-0.74, a single orientation and the
    # reference year's temperatures add a little). The former chain (no incidence loss,
    # free-standing temperature) gave 0.81.
    tilt, azimuth = np.array([30.0, 30.0, 10.0]), np.array([180.0, 90.0, 180.0])
    yields = ac_output_per_kwp(sky, tilt, azimuth).sum(axis=1)
    irradiation = plane_of_array(sky, tilt, azimuth, PVModel(incidence_loss=False)).sum(axis=1) / 1000.0
    np.testing.assert_allclose(yields / irradiation, 0.74, atol=0.04)


def test_yield_lies_within_measured_german_rooftop_yields(sky):
    # te Heesen, Herbort and Rumpler, "Performance of roof-top PV systems in Germany from 2012 to
    # 2018", Solar Energy 194 (2019) 128-135: regional annual means of 23,944 systems between
    # 816 kWh/kWp (2017, Baltic coast) and 1,049 kWh/kWp (2018, Bavaria); Schardt and te Heesen
    # (above): 990 kWh/kWp for Germany 2015-2019. A well oriented roof in Dresden in a typical year
    # lies within the regional range and within 10 % of the national mean (2015-2019 were sunnier
    # than the reference year; the sample mixes all orientations).
    # PVGIS (PVGIS-SARAH2, Dresden, 30 deg south, 14 % loss) could not be retrieved offline and
    # is not used.
    yearly = ac_output_per_kwp(sky, np.array([30.0]), np.array([180.0]))[0].sum()
    assert 816 <= yearly <= 1049
    assert yearly == pytest.approx(990, rel=0.10)


def test_each_modelling_choice_moves_the_yield_the_documented_way(sky):
    # What each choice changes at 30 deg south (kWh/kWp on the reference year): Perez adds
    # circumsolar and horizon light over the isotropic sky, the glass reflects some, a module close
    # above a roof runs hotter than a free-standing one.
    def yearly(model: PVModel) -> float:
        return float(ac_output_per_kwp(sky, np.array([30.0]), np.array([180.0]), model)[0].sum())

    isotropic = yearly(PVModel("isotropic", False, "faiman"))
    perez = yearly(PVModel("perez", False, "faiman"))
    with_incidence = yearly(PVModel("perez", True, "faiman"))
    roof_mounted = yearly(PVModel())
    assert 1.02 < perez / isotropic < 1.07
    assert 0.94 < with_incidence / perez < 0.98
    assert 0.92 < roof_mounted / with_incidence < 0.97


# --- self-sufficiency of the reference house --------------------------------------------------------

@pytest.fixture(scope="module")
def house(sky, h25):
    """200 draws of a 4,000 kWh/a household and 5 kWp at 30 deg south."""
    loads = dwelling_loads(household_model(h25), np.ones(200), np.full(200, 4000.0), np.random.default_rng(7))
    pv = ac_output_per_kwp(sky, np.array([30.0]), np.array([180.0]))[0] * 5.0
    return loads, pv


def _sufficiency(demand: np.ndarray, pv: np.ndarray, battery_kwh: float) -> np.ndarray:
    flows = dispatch(demand, np.broadcast_to(pv, np.shape(np.atleast_2d(demand))),
                     Battery(np.array(battery_kwh), np.array(battery_kwh / 2)))
    return np.array([self_sufficiency(f[0].sum(), f[3].sum(), f[0].sum() + f[3].sum() + f[4].sum())
                     for f in flows])


def test_reference_house_with_battery_matches_the_htw_independence_calculator(house):
    # HTW Berlin "Unabhängigkeitsrechner" (Quaschning et al., volker-quaschning.de/software/unabhaengig):
    # a single-family house of 4,000 kWh/a with 5 kWp and 5 kWh usable battery. Its page states
    # that real values can differ by a good 10 % from what it computes; its exact output for this
    # house could not be retrieved offline, so the band is the review's reading of it (issue 20:
    # about 60-70 %), widened by 3 points for this model's 0.5 C battery and Dresden's weather.
    loads, pv = house
    assert 0.57 <= _sufficiency(loads, pv, 5.0).mean() <= 0.73


def test_a_standard_profile_overstates_the_self_sufficiency_of_one_house(house, h25):
    # The calculator is built on measured single households (HTW's representative load profiles at
    # one-second resolution, Tjaden et al. 2015): a single house's load does not follow the smooth
    # mean over many households, so less of it meets the PV at the same hour. On the stochastic
    # loads self-sufficiency without a battery is lower than on the standard profile.
    loads, pv = house
    stochastic = _sufficiency(loads, pv, 0.0)
    standard = _sufficiency(h25 * 4000.0, pv, 0.0)[0]
    assert stochastic.mean() < standard - 0.02
    assert 0.25 <= stochastic.mean() <= 0.40  # the calculator's houses without battery: about 30 %


# --- heat: the prebound effect and measured consumption ---------------------------------------------

def _typical_consumption(kind: str, year: float, refurbished_today: float) -> tuple[float, float]:
    """Calculated need and typical final energy (kWh/(m2 a)) of one housing type today."""
    figures = heat.heat_intensities(np.array([kind]), np.array([year]), np.array(["31001_1000"]),
                                    np.array([1000.0]), Typology())
    state = heat.heat_state(figures, np.array([refurbished_today]), np.array([0.0]), 1)
    return float(state.need[0]), float(state.final[0])


@pytest.mark.parametrize(("kind", "year"), [("MFH", 1900), ("SFH", 1965), ("MFH", 1935), ("SFH", 1955)])
def test_old_unrefurbished_houses_use_less_than_calculated(kind, year):
    # The prebound effect: Sunikka-Blank and Galvin, "Introducing the prebound effect", Building
    # Research & Information 40 (2012) 260-273, find German dwellings' measured heating
    # consumption on average about 30 % below their calculated energy rating, more for the poorest
    # ratings. For unrefurbished old houses (calculated delivered energy above 200 kWh/(m2 a)) the
    # typical consumption lies 20-45 % below the calculated delivered energy. The former model gave
    # the calculated figure itself.
    need, final = _typical_consumption(kind, year, 0.0)
    delivered = need * heat.EXPENDITURE_FACTOR
    assert delivered > 200
    assert 0.55 <= final / delivered <= 0.80


def test_efficient_houses_use_about_what_is_calculated():
    # Same source: the gap closes for efficient buildings (and turns into a small rebound); a house
    # of 2002-2009 keeps at least 90 % of its calculated delivered energy.
    need, final = _typical_consumption("MFH", 2005, 0.0)
    assert final / (need * heat.EXPENDITURE_FACTOR) >= 0.9


def test_east_german_slab_estate_today_is_in_the_range_of_metered_district_heat():
    # Techem's metered consumption of multi-family houses (press release of 21 August 2017 on its
    # "Energiekennwerte" study, data of 2016): district-heated buildings 102 kWh per m2 of living
    # area and year for space heating; the cities' means for heating and hot water 112-177
    # kWh/m2. A 1969-78 slab block with today's refurbished share (plugin default) lies in that
    # range for heating and hot water, with 15 % allowance below its lower end: the model's area is
    # TABULA's conditioned floor area, somewhat larger than living area, so its figures per m2 read
    # lower. (The former model's 121 kWh/(m2 a) was need, not consumption, and also lay in range:
    # this test checks the level, the prebound test above the correction.)
    _, final = _typical_consumption("AB", 1975, heat.REFURBISHED_TODAY[5])
    assert 0.85 * 102 <= final <= 177
