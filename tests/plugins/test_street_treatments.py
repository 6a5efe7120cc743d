"""Treatment effects, unit costs at the run's prices, and a budget that cannot hold a network at new."""

from pathlib import Path

import numpy as np
import pytest
import shapely

from plugins.street_decay import calibration, chain, prices
from plugins.street_decay.forecast import expected_forecast, monte_carlo
from plugins.street_decay.network import build_network
from plugins.street_decay.simulation import StreetDecaySimulation
from plugins.street_decay.treatments import TREATMENTS
from twin.core.data import StreetData
from twin.core.quarter import Quarter
from twin.io.errors import TwinIOError

NO_AGEING = calibration.Fit(np.ones(10), np.full(10, 0.1), np.zeros(10), np.zeros(10), 0.0, 0)


def one_street_per_value(values: list[float]) -> tuple[StreetData, np.ndarray]:
    lines = np.array([shapely.LineString([(0, 2 * i), (100, 2 * i)]) for i in range(len(values))], dtype=object)
    streets = StreetData(ids=np.arange(len(values)).astype(str), geometries=lines, crs="EPSG:25833",
                         attributes={"road_class": np.full(len(values), "side"),
                                     "width_m": np.full(len(values), 6.0)})
    return streets, np.array(values)


def treated_once(values: list[float], fit: calibration.Fit = NO_AGEING, budget: float = 1e12,
                 strategy: str = "worst_first", years: int = 1):
    streets, start = one_street_per_value(values)
    params = {**StreetDecaySimulation.defaults(), "strategy": strategy}
    network = build_network(streets, [Quarter("all", shapely.box(-1, -1, 200, 2 * len(values) + 1))],
                            {("side", "asphalt"): fit}, params)
    return network, expected_forecast(network, start, years, budget), start


def test_crack_sealing_lifts_a_few_points_not_a_whole_state():
    """A segment at 2.0 (third state) is sealed to 1.8: 0.2 points (5 PCI points), not the 0.4 of a
    whole state as before (the former model put it at 1.6)."""
    _, expected, _ = treated_once([2.0])
    assert expected.treated[1, 0, TREATMENTS.index("crack_sealing")] == pytest.approx(1.0)
    assert expected.value[1, 0] == pytest.approx(1.8)


def test_only_reconstruction_makes_an_old_segment_new():
    """Surface renewal (2.4), overlay (3.6) and reconstruction (4.8): the first two renew the surface to
    1.6, not to new (the former model reset all three to 1.2)."""
    _, expected, _ = treated_once([2.4, 3.6, 4.8])
    chosen = expected.treated[1].argmax(axis=1)
    assert [TREATMENTS[index] for index in chosen] == ["surface_renewal", "overlay", "reconstruction"]
    np.testing.assert_allclose(expected.value[1], [1.6, 1.6, 1.2])


def test_a_segment_in_good_condition_is_not_crack_sealed_into_new():
    network, expected, _ = treated_once([1.6])
    assert (network.ranks[:, 1] == -1).all()
    assert expected.spent.sum() == 0.0 and expected.value[1, 0] == pytest.approx(1.6)


def test_a_monte_carlo_run_seals_half_the_segments_one_state_up():
    streets, start = one_street_per_value([2.0] * 2000)
    params = {**StreetDecaySimulation.defaults(), "strategy": "worst_first"}
    network = build_network(streets, [Quarter("all", shapely.box(-1, -1, 200, 4001))],
                            {("side", "asphalt"): NO_AGEING}, params)
    spread = monte_carlo(network, start, 1, 1e12, runs=20, seed=3)
    assert spread.mean_value[:, 1, -1].mean() == pytest.approx(1.8, abs=0.005)


def test_an_unlimited_budget_cannot_hold_a_network_at_new_by_crack_sealing():
    """Issue 21: with money for everything, the former model sealed every segment that reached the
    second state back into the best one each year, holding the Prohlis network at 1.2 + 0.4 x (1 -
    p_00) = 1.2785 for a few tens of thousands of euros a year. Now the network settles between the
    second and third states, above 1.6, and nothing stays in the best state without reconstruction."""
    fit = calibration.Fit(chain.default_stay("side", "asphalt"), np.full(10, 0.1), np.zeros(10), np.zeros(10),
                          0.0, 0)
    _, expected, _ = treated_once([1.2, 2.0, 2.8, 3.6, 4.4, 4.8], fit, 1e12, "benefit_per_cost", 30)
    assert expected.mean_value[-10:, -1].min() > 1.6
    assert expected.value[-1].max() < 2.0


def write_table(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_costs_are_indexed_by_the_ratio_of_the_table_years(tmp_path):
    table = prices.read_price_index(write_table(tmp_path / "index.csv", "# a note\nyear,index\n2012,80\n2024,120\n"))
    factor, basis = prices.cost_factor(table, 2012, 2026)
    assert factor == pytest.approx(1.5)
    assert basis["indexed_to"] == 2024 and "latest year" in basis["note"]
    assert prices.cost_factor(table, 2010, 2026)[0] == 1.0


def test_the_shipped_price_index_table_reads_and_a_run_says_whether_costs_were_indexed():
    table = prices.read_price_index()
    factor, basis = prices.cost_factor(table, 2012, 2026)
    if 2012 not in table:  # no published values in the table yet: the run says so
        assert factor == 1.0 and "not indexed" in basis["note"]
    else:
        assert basis["indexed_to"] is not None and factor > 1.0


@pytest.mark.parametrize(("text", "problem"), [("year;index\n2012;100\n", "heading"),
                                               ("year,index\n2012,abc\n", "row 2"),
                                               ("year,index\n2012,-3\n", "positive")])
def test_a_bad_price_index_table_is_a_twin_io_error_naming_the_file(tmp_path, text, problem):
    path = write_table(tmp_path / "index.csv", text)
    with pytest.raises(TwinIOError, match=problem) as error:
        prices.read_price_index(path)
    assert "index.csv" in str(error.value)


def test_indexed_costs_scale_the_network_costs():
    streets, _ = one_street_per_value([2.0])
    params = StreetDecaySimulation.defaults()
    quarters = [Quarter("all", shapely.box(-1, -1, 200, 3))]
    plain = build_network(streets, quarters, {("side", "asphalt"): NO_AGEING}, params)
    indexed = build_network(streets, quarters, {("side", "asphalt"): NO_AGEING}, params, cost_factor=1.4)
    np.testing.assert_allclose(indexed.cost, 1.4 * plain.cost)
