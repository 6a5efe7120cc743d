"""Proposed street works are planned treatments: done in their year, paid in that year, the
forecast carrying on from the treated condition."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.street_decay.chain import MIDPOINTS
from plugins.street_decay.simulation import StreetDecaySimulation
from plugins.street_decay.treatments import TREATMENTS
from tests.plugins.test_street_decay import demo_streets, halves  # noqa: F401 - the fixture
from twin.core import StreetsLayer
from twin.core.proposals import STREET_TREATMENTS, Measure, ProposalSet
from twin.sim import SimulationInputError, SimulationInputs, run_simulation

PARAMETERS = {"horizon_years": 10, "start_year": 2026, "strategy": "do_nothing", "monte_carlo_runs": 0}


def forecast(streets, proposals):
    inputs = SimulationInputs(layers={"streets": StreetsLayer(streets, "streets")}, quarters=halves(),
                              crs="EPSG:25833", proposals=proposals)
    report = run_simulation(StreetDecaySimulation(), inputs, PARAMETERS, seed=4)
    assert report.ok, report.traceback
    return report.output


def works(ids, treatment="reconstruction", year=2030):
    return ProposalSet((Measure("works", "street_works", "Rebuild", None,
                                {"segment_ids": ids, "treatment": treatment, "year": year}),), "EPSG:25833")


def test_the_kinds_treatments_are_the_plugins():
    assert STREET_TREATMENTS == TREATMENTS


def test_planned_works_are_done_in_their_year_and_paid_then(demo_streets):  # noqa: F811 - the fixture
    ids = [str(demo_streets.ids[0]), str(demo_streets.ids[5])]
    before = forecast(demo_streets, None)
    after = forecast(demo_streets, works(ids))
    old = next(t for t in before.results if t.name == "condition").columns
    new = next(t for t in after.results if t.name == "condition").columns
    rows = [0, 5]
    for year in range(2026, 2030):  # the same forecast up to the works
        np.testing.assert_allclose(new[f"condition_{year}"], old[f"condition_{year}"])
    np.testing.assert_allclose(new["condition_2030"][rows], MIDPOINTS[0], atol=1e-3)
    assert np.all(new["condition_2036"][rows] < old["condition_2036"][rows])
    others = np.setdiff1d(np.arange(len(demo_streets)), rows)
    np.testing.assert_allclose(new["condition_2036"][others], old["condition_2036"][others], atol=2e-3)
    spent = after.summary["spent_eur"]
    assert spent[4] > 0 and sum(spent) == pytest.approx(spent[4]) and sum(before.summary["spent_eur"]) == 0
    assert after.summary["proposals"]["applied"] == ["works"]


def test_works_outside_the_forecast_are_listed_and_unknown_segments_refused(demo_streets):  # noqa: F811
    late = forecast(demo_streets, works([str(demo_streets.ids[0])], year=2050))
    assert "outside the forecast (2026-2036)" in late.summary["proposals"]["not_applied"]["works"]
    with pytest.raises(SimulationInputError, match="names street segment 'nowhere'"):
        forecast(demo_streets, works(["nowhere"]))
