"""Energy inputs the energy tests share: the reference year of Dresden's region, its sun and sky,
and the household standard load profile H25 (read once per test session)."""

from __future__ import annotations

import pytest

from plugins.energy.loads import load_profiles
from plugins.energy.pv import sun_and_sky
from plugins.energy.weather import read_reference_year


@pytest.fixture(scope="session")
def weather():
    return read_reference_year(4)


@pytest.fixture(scope="session")
def sky(weather):
    return sun_and_sky(weather)


@pytest.fixture(scope="session")
def h25(weather):
    return load_profiles(2023, weather)["H25"]
