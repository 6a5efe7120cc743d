"""Defaults that rest on published figures, each checked against its source.

Road-building price index (plugins/street_decay/price_index.csv): Statistisches Bundesamt (Destatis),
press release of 14 July 2021, "Investitionen in Brückenbau: Preise für Bauleistungen im Brückenbau
2020 gegenüber 2011 um 24 % gestiegen": prices for road building (Bauleistungen im Straßenbau) in
2020 were 29.1 % above 2011 (Baupreisindex Straßenbau, statistic 61261, yearly averages).
"""

from __future__ import annotations

import pytest

from plugins.street_decay import prices

DESTATIS_ROAD_RISE_2011_2020 = 1.291


def test_the_shipped_road_price_index_holds_the_published_rise_from_2011_to_2020():
    table = prices.read_price_index()
    factor, basis = prices.cost_factor(table, 2011, 2020)
    # the press release gives one decimal of a percent: the ratio is known to +-0.0005
    assert factor == pytest.approx(DESTATIS_ROAD_RISE_2011_2020, abs=5e-4)
    assert basis["indexed_to"] == 2020

