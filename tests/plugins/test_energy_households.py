"""Stochastic household loads: their mean is the standard profile, single dwellings peak at
several kW, and their simultaneity falls with the number of dwellings as published."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.energy.households import EXACT_UP_TO, coincidence_factor, dwelling_loads, household_model
from plugins.energy.loads import load_profiles
from plugins.energy.weather import read_reference_year

DWELLINGS = 400
ANNUAL_KWH = 2500.0


@pytest.fixture(scope="module")
def h25():
    return load_profiles(2023, read_reference_year(4))["H25"]


@pytest.fixture(scope="module")
def single(h25):
    """400 single dwellings of 2,500 kWh/a each, drawn event by event."""
    return dwelling_loads(household_model(h25), np.ones(DWELLINGS), np.full(DWELLINGS, ANNUAL_KWH),
                          np.random.default_rng(11))


def test_each_dwelling_uses_its_annual_energy(single):
    np.testing.assert_allclose(single.sum(axis=1), ANNUAL_KWH, rtol=1e-12)
    assert (single >= 0).all()


def test_mean_of_many_dwellings_is_the_standard_profile(single, h25):
    expected = h25 * ANNUAL_KWH
    mean = single.mean(axis=0)
    # The daily shape (each hour of the day over the year) and the months within 2 %; single hours
    # within the sampling noise of 400 dwellings.
    np.testing.assert_allclose(mean.reshape(365, 24).mean(axis=0), expected.reshape(365, 24).mean(axis=0),
                               rtol=0.02)
    month_ends = np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[:-1] * 24
    np.testing.assert_allclose(np.add.reduceat(mean, np.r_[0, month_ends]),
                               np.add.reduceat(expected, np.r_[0, month_ends]), rtol=0.02)
    assert np.abs(mean / expected - 1).mean() < 0.06


def test_buildings_of_many_flats_keep_the_standard_profile_as_mean(h25):
    flats = np.full(50, 3.0 * EXACT_UP_TO)  # drawn as normal sums
    loads = dwelling_loads(household_model(h25), flats, flats * ANNUAL_KWH, np.random.default_rng(3))
    np.testing.assert_allclose(loads.sum(axis=1), flats * ANNUAL_KWH, rtol=1e-12)
    expected = h25 * 12 * ANNUAL_KWH
    np.testing.assert_allclose(loads.mean(axis=0).reshape(365, 24).mean(axis=0),
                               expected.reshape(365, 24).mean(axis=0), rtol=0.02)
    assert loads.max(axis=1).mean() > 1.5 * expected.max()  # still far above the smooth profile


def test_a_single_dwelling_peaks_at_several_kilowatts(single, h25):
    # The standard profile gives one flat of 2,500 kWh/a a peak of 0.57 kW. Households reach
    # several kW in an hour (oven, washing machine, kettle together); DIN 18015-1 designs a flat
    # without electric hot water for 14.5 kW at any instant, an upper bound for an hourly mean.
    peaks = single.max(axis=1)
    assert h25.max() * ANNUAL_KWH < 0.6
    assert 2.5 <= np.median(peaks) <= 6.0
    assert peaks.max() < 14.5


def test_coincidence_factor_falls_with_the_number_of_dwellings_as_published(single, h25):
    # Simultaneity of n households (peak of the sum over the sum of the single peaks). German
    # distribution planning uses g(n) = g_inf + (1 - g_inf) n^(-3/4) (Kiank and Fruth, "Planning
    # Guide for Power Distribution Plants", Publicis 2011, section on the simultaneity of
    # residential loads, after the curve of DIN 18015-1), a Rusck-type law (Rusck 1956: the peak of
    # n independent consumers grows as n mu + k sqrt(n) sigma). Its limit g_inf is the mean
    # household's peak over a single one's: here the standard profile's over the single dwellings'.
    # The model must follow the curve within 0.05 at every n; with the standard profile for every
    # flat (the former model) g is 1 for all n.
    g_inf = h25.max() * ANNUAL_KWH / single.max(axis=1).mean()
    previous = 1.0
    for n in (2, 5, 10, 20, 50, 100):
        groups = single[: DWELLINGS // n * n].reshape(-1, n, single.shape[1])
        g = np.mean([coincidence_factor(group) for group in groups])
        assert g == pytest.approx(g_inf + (1 - g_inf) * n ** -0.75, abs=0.05), n
        assert g < previous
        previous = g


def test_loads_are_reproducible_from_the_seed(h25):
    model = household_model(h25)
    draw = [dwelling_loads(model, np.array([1.0, 30.0]), np.array([3000.0, 75000.0]), np.random.default_rng(seed))
            for seed in (5, 5, 6)]
    np.testing.assert_array_equal(draw[0], draw[1])
    assert not np.array_equal(draw[0], draw[2])


def test_buildings_without_dwellings_draw_nothing(h25):
    loads = dwelling_loads(household_model(h25), np.array([0.0, 2.0]), np.array([0.0, 5000.0]),
                           np.random.default_rng(1))
    assert (loads[0] == 0).all() and loads[1].sum() == pytest.approx(5000.0)


def test_event_hours_are_those_of_the_rates_cumulative_distribution():
    from plugins.energy.households import _hours_of

    rng = np.random.default_rng(4)
    cumulative = np.cumsum(rng.random(8760) * (rng.random(8760) > 0.3))  # hours without events too
    values = np.r_[rng.random(100_000) * cumulative[-1], 0.0, cumulative[-1] * (1 - 1e-15)]
    np.testing.assert_array_equal(_hours_of(cumulative, values), np.searchsorted(cumulative, values, "right"))
