"""The street-decay model: chains from curves and histories, strategies under budget, the plugin end to end."""

import math

import numba
import numpy as np
import pytest
import shapely

from data.generator.layout import PlannedStreet
from data.generator.streets import write_streets
from plugins.street_decay import calibration, chain
from plugins.street_decay.forecast import expected_forecast, monte_carlo
from plugins.street_decay.network import build_network, chain_stays, start_condition
from plugins.street_decay.simulation import StreetDecaySimulation
from plugins.street_decay.treatments import COST_MAIN_EUR_M2, COST_SIDE_EUR_M2
from twin.core import StreetsLayer
from twin.core.data import Inspections, StreetData
from twin.core.quarter import Quarter
from twin.io.streets import read_streets
from twin.sim import SimulationInputs, run_simulation

X0, Y0 = 409_000.0, 5_656_800.0


def grid_streets() -> list[PlannedStreet]:
    """A 1 km grid: every fourth north-south street a main road."""
    streets = []
    for i in range(10):
        offset = 100.0 * i + 50.0
        main = i % 4 == 0
        streets.append(PlannedStreet(f"Nord-Süd {i}", shapely.LineString([(X0 + offset, Y0), (X0 + offset, Y0 + 1000)]),
                                  "main" if main else "side", 12.0 if main else 6.5))
        streets.append(PlannedStreet(f"Ost-West {i}", shapely.LineString([(X0, Y0 + offset), (X0 + 1000, Y0 + offset)]),
                                  "side", 6.0))
    return streets


def halves() -> list[Quarter]:
    return [Quarter("West", shapely.box(X0, Y0, X0 + 500, Y0 + 1000)),
            Quarter("East", shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 1000))]


@pytest.fixture(scope="module")
def demo_streets(tmp_path_factory) -> StreetData:
    path = tmp_path_factory.mktemp("streets") / "friedrichstadt_streets.gpkg"
    write_streets(grid_streets(), "Friedrichstadt", path, np.random.default_rng(11))
    return read_streets(path)


def params(**changes) -> dict:
    return {**StreetDecaySimulation.defaults(), **changes}


def test_sojourn_times_of_the_collector_curve_give_the_published_stay_probabilities():
    published = [0.72, 0.80, 0.76, 0.70, 0.65, 0.58, 0.52, 0.46, 0.39]  # CONDITION.md, best to worst
    stay = chain.stay_from_curve(*chain.FAMILY_CURVES["main"])
    np.testing.assert_allclose(stay[:-1], published, atol=0.006)


@pytest.mark.parametrize("road", ["main", "side"])
@pytest.mark.parametrize("surface", ["asphalt", "paving", "concrete"])
def test_transition_matrices_are_stochastic_and_only_worsen(road, surface):
    matrix = chain.transition_matrix(chain.default_stay(road, surface))
    assert (matrix >= 0).all()
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)
    assert np.allclose(np.tril(matrix, -1), 0.0)  # without a treatment no segment gets better


@pytest.mark.parametrize(("road", "years", "tolerance"), [("side", 30, 0.1), ("main", 20, 0.2)])
def test_the_expected_forecast_of_a_chain_follows_its_curve(road, years, tolerance):
    """Tolerance in condition points (a state is 0.4 wide); the collector curve's collapse after about
    22 years (PCI 40 to 0 in seven years) is beyond a stay-or-drop-one chain, so it is checked to 20."""
    curve = chain.FAMILY_CURVES[road]
    stay = chain.default_stay(road, "asphalt")
    start = chain.curve_age(100.0 * (chain.MIDPOINTS[0] - 1.0) / 4.0, *curve)
    forecast = chain.expected_forecast(stay, years)
    target = chain.curve_value(start + np.arange(years + 1), *curve)
    assert np.abs(forecast - target).max() < tolerance


def test_calibration_recovers_the_chain_the_histories_were_simulated_with():
    rng = np.random.default_rng(5)
    true_stay = np.array([0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 1.0])
    count, campaigns = 6000, 5
    state = rng.integers(0, 6, count)
    states = [state.copy()]
    for _ in range(campaigns - 1):
        for _year in range(4):  # ratings every four years
            drop = rng.random(count) >= true_stay[state]
            state = np.minimum(state + drop, chain.STATES - 1)
        states.append(state.copy())
    grid = np.full((count, 4 * (campaigns - 1) + 1), np.nan)
    grid[:, ::4] = chain.MIDPOINTS[np.array(states)].T  # exact ratings at the state midpoints
    histories = calibration.Histories(grid, np.arange(count), np.full(count, np.datetime64("2024-01-01")))
    fitted = calibration.fit(histories, chain.default_stay("side", "asphalt"), 30.0, sigma=0.0)
    well_observed = fitted.history_years >= 4000  # the rarely reached worst states stay noisy
    well_observed[-1] = False  # the worst state keeps everything by construction
    assert well_observed[:6].all()
    np.testing.assert_allclose(fitted.stay[well_observed], true_stay[well_observed], atol=0.03)


def network_of(streets: StreetData, **changes):
    chosen = params(**changes)
    fits, _ = chain_stays(streets, chosen["calibrate"], chosen["prior_years"], chosen["rating_noise_sigma"])
    return build_network(streets, halves(), fits, chosen), start_condition(streets, chosen["start_year"])


@pytest.mark.parametrize("strategy", ["worst_first", "benefit_per_cost"])
def test_a_strategy_never_spends_more_than_its_budget(demo_streets, strategy):
    network, start = network_of(demo_streets, strategy=strategy)
    budget = 150_000.0
    expected = expected_forecast(network, start, 30, budget)
    spread = monte_carlo(network, start, 30, budget, runs=50, seed=3)
    assert expected.spent[1:, -1].max() <= budget
    assert spread.spent[:, 1:, -1].max() <= budget
    assert expected.spent[1, -1] > 0.9 * budget  # while much is poor, the budget is used, not left idle
    np.testing.assert_allclose(expected.spent[:, :2].sum(axis=1), expected.spent[:, -1])


def test_network_length_is_conserved_in_every_year_and_run(demo_streets):
    network, start = network_of(demo_streets)
    expected = expected_forecast(network, start, 25, 200_000.0)
    spread = monte_carlo(network, start, 25, 200_000.0, runs=20, seed=1)
    total = demo_streets.lengths().sum()
    np.testing.assert_allclose(expected.class_length[:, -1].sum(axis=1), total)
    np.testing.assert_allclose(spread.class_length[:, :, -1].sum(axis=2), total)
    np.testing.assert_allclose(expected.class_length[:, :2].sum(axis=(1, 2)), total)


def test_doing_nothing_only_worsens_and_a_budget_helps(demo_streets):
    network, start = network_of(demo_streets, strategy="do_nothing")
    idle = expected_forecast(network, start, 20, 0.0)
    assert (np.diff(idle.mean_value[:, -1]) > 0).all()
    assert idle.spent.sum() == 0.0
    funded_network, _ = network_of(demo_streets, strategy="benefit_per_cost")
    funded = expected_forecast(funded_network, start, 20, 300_000.0)
    assert funded.mean_value[-1, -1] < idle.mean_value[-1, -1]
    assert funded.backlog[-1, -1] < idle.backlog[-1, -1]


def test_monte_carlo_spread_brackets_the_expected_forecast_and_repeats_with_its_seed(demo_streets):
    network, start = network_of(demo_streets, strategy="do_nothing")
    expected = expected_forecast(network, start, 15, 0.0)
    first = monte_carlo(network, start, 15, 0.0, runs=400, seed=9)
    again = monte_carlo(network, start, 15, 0.0, runs=400, seed=9)
    np.testing.assert_array_equal(first.mean_value, again.mean_value)
    low, high = np.percentile(first.mean_value[:, :, -1], [1, 99], axis=0)
    assert ((low <= expected.mean_value[:, -1]) & (expected.mean_value[:, -1] <= high)).all()
    assert (high - low)[-1] > 0  # the runs spread


def within_monte_carlo_error(runs: np.ndarray, expected: np.ndarray, standard_errors: float = 4.0) -> bool:
    """Whether the mean over runs (axis 0) matches `expected` within a few standard errors, year by year."""
    error = runs.std(axis=0) / np.sqrt(len(runs))
    return bool((np.abs(runs.mean(axis=0) - expected) <= standard_errors * error + 1e-9).all())


@pytest.mark.parametrize(("strategy", "budget"), [("do_nothing", 0.0), ("worst_first", 1e12),
                                                  ("benefit_per_cost", 1e12)])
def test_where_the_budget_never_runs_short_the_expected_forecast_is_the_mean_of_the_runs(demo_streets, strategy,
                                                                                        budget):
    network, start = network_of(demo_streets, strategy=strategy)
    expected = expected_forecast(network, start, 25, budget)
    spread = monte_carlo(network, start, 25, budget, runs=1000, seed=17)
    for place in range(3):  # both quarters and the network
        assert within_monte_carlo_error(spread.mean_value[:, :, place], expected.mean_value[:, place])
        assert within_monte_carlo_error(spread.backlog[:, :, place], expected.backlog[:, place])
        assert within_monte_carlo_error(spread.spent[:, :, place], expected.spent[:, place])
    if budget > 0:
        assert expected.spent[1, -1] > 0  # the strategy did treat


def test_where_the_need_is_close_to_the_budget_the_expected_forecast_pools_it_over_the_runs():
    """200 equal segments rated 1.8 are each in state 1 or 2 (crack sealing) with even odds. A budget
    for 101 sealings pays for all the expected need (100) but not for what a run may draw (K ~ B(200, 1/2)):
    runs seal min(K, 101) segments, the expected forecast the whole need. Sealing lifts half the
    sealed segments into state 1 (0.2 points of 0.4)."""
    count, budget_segments = 200, 101
    lines = [shapely.LineString([(X0 + 10, Y0 + 2 * i), (X0 + 110, Y0 + 2 * i)]) for i in range(count)]
    streets = StreetData(ids=np.arange(count).astype(str), geometries=np.array(lines, dtype=object),
                         crs="EPSG:25833", attributes={"road_class": np.full(count, "side"),
                                                       "width_m": np.full(count, 6.0)})
    chosen = params(strategy="worst_first")
    stay = chain.default_stay("side", "asphalt")
    fit = calibration.Fit(stay, np.full(10, 0.1), np.zeros(10), np.zeros(10), 0.0, 0)
    network = build_network(streets, halves(), {("side", "asphalt"): fit}, chosen)
    start = np.full(count, 1.8)
    price = network.cost[0, 0]
    budget = budget_segments * price
    expected = expected_forecast(network, start, 1, budget)
    spread = monte_carlo(network, start, 1, budget, runs=4000, seed=5)

    odds = [math.comb(count, k) / 2.0**count for k in range(count + 1)]
    sealed = sum(p * min(k, budget_segments) for k, p in enumerate(odds))  # about 97.2

    def mean_after_a_year(share_in_2: float) -> float:
        return (1 - share_in_2) * (1.6 + 0.4 * (1 - stay[1])) + share_in_2 * (2.0 + 0.4 * (1 - stay[2]))

    assert expected.spent[1, -1] == pytest.approx(count / 2 * price)  # all the expected need
    assert within_monte_carlo_error(spread.spent[:, 1, -1], sealed * price)
    assert spread.spent[:, 1, -1].mean() < 0.98 * expected.spent[1, -1]
    assert expected.mean_value[1, -1] == pytest.approx(mean_after_a_year(0.25))
    assert within_monte_carlo_error(spread.mean_value[:, 1, -1], mean_after_a_year((count / 2 - sealed / 2) / count))
    assert spread.mean_value[:, 1, -1].mean() > expected.mean_value[1, -1] + 0.0015  # the runs are worse off


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_monte_carlo_runs_do_not_depend_on_the_thread_count(demo_streets):
    network, start = network_of(demo_streets)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        alone = monte_carlo(network, start, 10, 150_000.0, runs=9, seed=21)
        numba.set_num_threads(2)
        shared = monte_carlo(network, start, 10, 150_000.0, runs=9, seed=21)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(alone.mean_value, shared.mean_value)
    np.testing.assert_array_equal(alone.spent, shared.spent)


def test_the_start_condition_falls_back_from_measurements_to_history_to_age():
    lines = np.array([shapely.LineString([(0, i), (100, i)]) for i in range(3)], dtype=object)
    streets = StreetData(
        ids=np.array(["a", "b", "c"]), geometries=lines, crs="EPSG:25833",
        attributes={"road_class": np.array(["main", "side", "side"]),
                    "rut_depth_mm": np.array([15.0, np.nan, np.nan]),
                    "last_treatment_year": np.array([2000, 2000, 2016])},
        inspections=Inspections(segment=np.array([1, 1]), rating=np.array([2.0, 3.1]),
                                date=np.array(["2016-05-01", "2024-05-01"], dtype="datetime64[D]")))
    value = start_condition(streets, 2026)
    assert value[0] == pytest.approx(3.5)  # rut depth at the class A warning anchor
    assert value[1] == pytest.approx(3.1)  # the latest rating
    assert value[2] == pytest.approx(chain.curve_value(10.0, *chain.FAMILY_CURVES["side"]))


def test_the_plugin_writes_per_segment_per_year_columns_a_work_list_and_quarter_figures(demo_streets):
    inputs = SimulationInputs(layers={"streets": StreetsLayer(demo_streets, "streets")}, quarters=halves(),
                              crs="EPSG:25833")
    report = run_simulation(StreetDecaySimulation(), inputs, {"horizon_years": 10, "budget_eur": 200_000.0,
                                                              "monte_carlo_runs": 30}, seed=4)
    assert report.ok, report.traceback
    tables = {table.name: table for table in report.output.results}
    condition = tables["condition"]
    assert condition.target_layer == "streets" and len(condition) == len(demo_streets)
    assert {f"class_{year}" for year in range(2026, 2037)} <= set(condition.columns)
    assert set(np.unique(condition.columns["class_2036"])) <= {0, 1, 2, 3, 4}
    work = tables["work_list"]
    assert (np.diff(work.columns["rank"]) == 1).all()
    funded_cost = work.columns["cost"][work.columns["funded"]].sum()
    assert funded_cost <= 200_000.0
    west = report.output.per_quarter["West"]
    assert len(west["mean_condition"]) == 11
    shares = np.array(list(west["share_by_class"].values()))
    np.testing.assert_allclose(shares.sum(axis=0), 1.0, atol=3e-4)  # shares are rounded to 4 places
    assert west["spent_eur"][0] == 0.0 and max(west["spent_eur"]) > 0
    assert len(west["monte_carlo"]["mean_condition_p05"]) == 11
    assert report.output.summary["length_m"] == pytest.approx(demo_streets.lengths().sum())


def test_costs_are_one_per_treatment():
    assert len(COST_MAIN_EUR_M2) == len(COST_SIDE_EUR_M2) == 4


def test_a_run_reports_its_back_test_and_the_price_basis_of_its_costs(demo_streets):
    inputs = SimulationInputs(layers={"streets": StreetsLayer(demo_streets, "streets")}, quarters=halves(),
                              crs="EPSG:25833")
    report = run_simulation(StreetDecaySimulation(), inputs, {"horizon_years": 5, "monte_carlo_runs": 0}, seed=4)
    assert report.ok, report.traceback
    summary = report.output.summary
    tested = summary["backtest"]
    assert (tested["until"], tested["year"]) == (2020, 2024)
    assert tested["segments"] > 0 and 0 <= tested["mean_absolute_error"] < 1.0
    table = {table.name: table for table in report.output.results}["backtest"]
    assert list(table.columns["class"]) == ["blue", "dark_green", "light_green", "yellow", "red"]
    assert table.columns["segments"].sum() == tested["segments"]
    assert summary["costs"]["price_year"] == 2012 and summary["costs"]["currency"] == "EUR"
    assert set(summary["chains"]["side/asphalt"]) >= {"history_share", "years_new_to_warning"}


def test_without_calibration_a_run_has_no_back_test_and_says_so(demo_streets):
    inputs = SimulationInputs(layers={"streets": StreetsLayer(demo_streets, "streets")}, quarters=halves(),
                              crs="EPSG:25833")
    report = run_simulation(StreetDecaySimulation(), inputs, {"horizon_years": 3, "monte_carlo_runs": 0,
                                                              "calibrate": False}, seed=4)
    assert report.ok, report.traceback
    assert report.output.summary["backtest"] == {"note": "no back-test: calibration is off"}
    assert "backtest" not in {table.name for table in report.output.results}
