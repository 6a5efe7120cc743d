"""Street-condition decay: where road condition will be in 1-30 years and what a yearly budget buys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from plugins.street_decay import calibration, measures, presentation, prices, treatments
from plugins.street_decay.backtest import back_test
from plugins.street_decay.chain import state_of
from plugins.street_decay.forecast import Expected, MonteCarlo, Network, expected_forecast, monte_carlo
from plugins.street_decay.network import build_network, chain_stays, importance, start_condition, text_column
from plugins.street_decay.presentation import CLASS_NAMES
from plugins.street_decay.rating import condition_class
from twin.core.data import ResultTable, StreetData
from twin.sim import (
    Feedback,
    InputSpec,
    ParameterError,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)

# Sections of the parameter form.
FORECAST, BUDGET, CALIBRATION = "Forecast", "Strategy and budget", "Calibration"
COSTS, WIDTHS, IMPORTANCE = "Unit costs (EUR/m², per treatment)", "Road widths", "Importance weights"


class StreetDecaySimulation(Simulation):
    name = "street_decay"
    title = "Street-condition decay"
    description = ("Forecasts road condition (German 1.0-5.0 scale) per segment with Markov chains per "
                   "road class and surface, calibrated on the inspection history, and plays a maintenance "
                   "strategy under a yearly budget: condition classes, money spent, backlog, work list.")
    inputs = (InputSpec("streets", "streets", "street segments with measured condition quantities, a rating "
                        "history or a last_treatment_year (schema: twin/io/streets.py)"),)
    outputs = presentation.OUTPUTS
    proposal_kinds = measures.KINDS
    legends = presentation.LEGENDS
    charts = staticmethod(presentation.charts)
    parameters = (
        ParameterSpec("start_year", int, 2026, "the year the measured condition describes",
                      minimum=1950, maximum=2100,
                      label="start year", group=FORECAST),
        ParameterSpec("horizon_years", int, 20, "years to forecast", units="a", minimum=1, maximum=30,
                      label="years to forecast", group=FORECAST),
        ParameterSpec("monte_carlo_runs", int, 200, "seeded chain runs for the spread (0: expected "
                      "forecast only)", minimum=0, maximum=10_000,
                      label="Monte-Carlo runs", group=FORECAST),
        ParameterSpec("strategy", str, "benefit_per_cost", "do nothing; worst segments first; or best "
                      "condition gain x importance per euro", choices=treatments.STRATEGIES,
                      label="maintenance strategy", group=BUDGET, choice_labels={
                          "do_nothing": "do nothing", "worst_first": "worst segments first",
                          "benefit_per_cost": "best gain per euro"}),
        ParameterSpec("budget_eur", float, 1_000_000.0, "money for treatments each year", units="EUR",
                      minimum=0.0,
                      label="yearly budget", group=BUDGET,
                      applies_when={"strategy": ("worst_first", "benefit_per_cost",)}),
        ParameterSpec("calibrate", bool, True, "fit the chains to the inspection history where it "
                      "holds enough moves",
                      label="calibrate on the inspection history", group=CALIBRATION),
        ParameterSpec("prior_years", float, 30.0, "weight of the family curves as prior: each stay "
                      "probability counts the curve as this many segment-years observed in the state; "
                      "where the history holds many more, it decides", units="a", minimum=0.0,
                      label="weight of the family curves", group=CALIBRATION, advanced=True,
                      applies_when={"calibrate": (True,)}),
        ParameterSpec("rating_noise_sigma", float, calibration.RATING_NOISE_SIGMA, "standard deviation "
                      "of repeated ratings of one unchanged segment (the calibration's measurement "
                      "model; 0.15 is an assumption, see calibration.py)", minimum=0.0, maximum=1.0,
                      label="rating noise (sigma)", group=CALIBRATION, advanced=True,
                      applies_when={"calibrate": (True,)}),
        ParameterSpec("backtest_until", int, 2020, "back-test: calibrate on the ratings up to this year",
                      minimum=1950, maximum=2100,
                      label="back-test: calibrate up to", group=CALIBRATION, advanced=True,
                      applies_when={"calibrate": (True,)}),
        ParameterSpec("backtest_year", int, 2024, "back-test: forecast this year's ratings and compare",
                      minimum=1950, maximum=2100,
                      label="back-test: forecast year", group=CALIBRATION, advanced=True,
                      applies_when={"calibrate": (True,)}),
        ParameterSpec("cost_main_eur_m2", list, treatments.COST_MAIN_EUR_M2, "main roads: crack sealing, "
                      "surface renewal, overlay, reconstruction (Somerville 2012 collector figures "
                      "converted, see treatments.py), in prices of the cost price year", units="EUR/m2",
                      minimum=0.0, label="main roads", group=COSTS, advanced=True),
        ParameterSpec("cost_side_eur_m2", list, treatments.COST_SIDE_EUR_M2, "side roads: the same four "
                      "(residential figures)", units="EUR/m2", minimum=0.0,
                      label="side roads", group=COSTS, advanced=True),
        ParameterSpec("cost_price_year", int, treatments.COST_PRICE_YEAR, "the year whose prices the unit "
                      "costs are in (2012: US$ of 2012 converted at 0.78 EUR/US$)", minimum=1950,
                      maximum=2100, label="price year of the costs", group=COSTS, advanced=True),
        ParameterSpec("cost_currency", str, "EUR", "the currency of the unit costs", choices=("EUR",),
                      label="currency of the costs", group=COSTS, advanced=True),
        ParameterSpec("index_costs", bool, True, "scale the unit costs from their price year to the start "
                      "year by the road-building price index (Destatis, table price_index.csv in the "
                      "plugin)", label="index costs to the start year", group=COSTS, advanced=True),
        ParameterSpec("width_main_m", float, 7.5, "width of a main road without width_m", units="m",
                      minimum=1.0, maximum=60.0,
                      label="main roads", group=WIDTHS, advanced=True),
        ParameterSpec("width_side_m", float, 5.5, "width of a side road without width_m", units="m",
                      minimum=1.0, maximum=60.0,
                      label="side roads", group=WIDTHS, advanced=True),
        ParameterSpec("weight_main", float, 1.0, "importance added for a main road", minimum=0.0,
                      label="main road", group=IMPORTANCE, advanced=True),
        ParameterSpec("weight_tram", float, 1.0, "importance added for a tram route", minimum=0.0,
                      label="tram route", group=IMPORTANCE, advanced=True),
        ParameterSpec("weight_bus", float, 0.5, "importance added for a bus route", minimum=0.0,
                      label="bus route", group=IMPORTANCE, advanced=True),
        ParameterSpec("weight_school", float, 0.5, "importance added for a school route", minimum=0.0,
                      label="school route", group=IMPORTANCE, advanced=True),
    )

    def check_parameters(self, params: Mapping[str, Any]) -> None:
        if params["backtest_year"] <= params["backtest_until"]:
            raise ParameterError("parameter 'backtest_year' must come after 'backtest_until'")
        for name in ("cost_main_eur_m2", "cost_side_eur_m2"):
            if len(params[name]) != len(treatments.TREATMENTS):
                raise ParameterError(f"parameter '{name}' needs {len(treatments.TREATMENTS)} costs, one per "
                                     f"treatment ({', '.join(treatments.TREATMENTS)})")

    def run(self, inputs: SimulationInputs, params: Mapping[str, Any], *,
            rng: np.random.Generator, feedback: Feedback) -> SimulationOutput:
        streets: StreetData = inputs.layers["streets"].data
        start = start_condition(streets, params["start_year"])
        feedback.progress(0.05, "calibrating the deterioration chains")
        fits, chain_report = chain_stays(streets, params["calibrate"], params["prior_years"],
                                         params["rating_noise_sigma"], check=feedback.check)
        factor, cost_basis = prices.cost_factor(prices.read_price_index() if params["index_costs"] else {},
                                                params["cost_price_year"], params["start_year"])
        network = build_network(streets, inputs.quarters, fits, params, factor)
        budget = params["budget_eur"] if params["strategy"] != "do_nothing" else 0.0
        feedback.progress(0.2, "expected forecast")
        works, outside = measures.planned_works(inputs.proposals, streets, params["start_year"],
                                                params["horizon_years"])
        expected = measures.forecast_with_works(network, start, params["horizon_years"], budget, works) \
            if works else expected_forecast(network, start, params["horizon_years"], budget)
        feedback.check()
        spread = None
        if params["monte_carlo_runs"] > 0 and not works:
            feedback.progress(0.4, f"{params['monte_carlo_runs']} Monte-Carlo runs")
            spread = monte_carlo(network, start, params["horizon_years"], budget, params["monte_carlo_runs"],
                                 int(rng.integers(2**63)))
        years = params["start_year"] + np.arange(params["horizon_years"] + 1)
        places = [quarter.name for quarter in inputs.quarters]
        layer = inputs.layers["streets"].name
        results = [_condition_table(streets, layer, places, network, expected, years),
                   _treatment_table(streets, layer, expected, years),
                   _work_list(streets, layer, places, network, start, params),
                   _quarter_table([*places, "network"], network, expected, spread, years)]
        tested, table = _back_test(streets, params, feedback)
        results += [table] if table is not None else []
        per_quarter = {name: _figures(network, expected, spread, years, index)
                       for index, name in enumerate(places)}
        summary = {**_figures(network, expected, spread, years, len(places)), "chains": chain_report,
                   "backtest": tested, "costs": {**cost_basis, "currency": params["cost_currency"]},
                   "segments": len(streets), "treatments": list(treatments.TREATMENTS)}
        if inputs.proposals is not None:
            summary["proposals"] = measures.record(inputs.proposals, works, outside)
            if works and params["monte_carlo_runs"] > 0:
                summary["proposals"]["note"] = measures.NO_SPREAD
        return SimulationOutput(summary=summary, per_quarter=per_quarter, results=results)


def _back_test(streets: StreetData, params: Mapping[str, Any],
               feedback: Feedback) -> tuple[dict[str, Any], ResultTable | None]:
    """The back-test's figures and table (none while calibration is off: there is nothing to test)."""
    if not params["calibrate"]:
        return {"note": "no back-test: calibration is off"}, None
    feedback.progress(0.9, "back-test")
    return back_test(streets, params["prior_years"], params["rating_noise_sigma"], params["backtest_until"],
                     params["backtest_year"], feedback.check)


def _condition_table(streets: StreetData, layer: str, places: list[str], network: Network,
                     expected: Expected, years: np.ndarray) -> ResultTable:
    names = np.array([*places, ""])
    columns: dict[str, np.ndarray] = {"segment_id": np.asarray(streets.ids).astype(str),
                                      "name": text_column(streets, "name", "", lower=False),
                                      "road_class": text_column(streets, "road_class", "side"),
                                      "quarter": names[network.quarter], "length": network.length,
                                      "area": network.area}
    for row, year in enumerate(years):
        columns[f"condition_{year}"] = np.round(expected.value[row], 3)
        columns[f"class_{year}"] = condition_class(expected.value[row])
    units = {"length": "m", "area": "m²"}
    return ResultTable("condition", layer, columns, units, "expected condition value per segment and year; "
                       "class_YEAR 0 blue (<=1.5), 1 dark green, 2 light green (<=3.5), 3 yellow, 4 red")


def _treatment_table(streets: StreetData, layer: str, expected: Expected, years: np.ndarray) -> ResultTable:
    """Per segment and year with an expected cost of at least a cent: the chance of each treatment."""
    row, segment = np.nonzero(np.round(expected.cost, 2) > 0)
    columns = {"segment_id": np.asarray(streets.ids).astype(str)[segment], "year": years[row],
               "expected_cost": np.round(expected.cost[row, segment], 2)}
    for number, name in enumerate(treatments.TREATMENTS):
        columns[f"chance_{name}"] = np.round(expected.treated[row, segment, number].astype(np.float64), 4)
    return ResultTable("treatments", layer, columns, {"expected_cost": "EUR"},
                       "treatments of the expected forecast: per segment and year the chance of each "
                       "treatment (0-1) and the expected cost")


def _work_list(streets: StreetData, layer: str, places: list[str], network: Network, start: np.ndarray,
               params: Mapping[str, Any]) -> ResultTable:
    """Segments that need a treatment now, in the order the strategy takes them (worst first for
    'do nothing'); `funded` marks those next year's budget pays for, taken in that order."""
    state = state_of(start)
    ranking = network if params["strategy"] != "do_nothing" else _worst_first(streets, network, params)
    bucket = ranking.ranks[ranking.group, state]
    position = np.empty(len(network), dtype=np.int64)
    position[network.tie_order] = np.arange(len(network))
    rows = np.flatnonzero(bucket >= 0)
    rows = rows[np.lexsort((position[rows], bucket[rows]))]
    treatment = treatments.NEEDED[state[rows]]
    cost = network.cost[rows, treatment]
    budget = params["budget_eur"] if params["strategy"] != "do_nothing" else 0.0
    return ResultTable("work_list", layer, {
        "rank": np.arange(1, len(rows) + 1), "segment_id": np.asarray(streets.ids).astype(str)[rows],
        "name": text_column(streets, "name", "", lower=False)[rows],
        "quarter": np.array([*places, ""])[network.quarter[rows]],
        "road_class": text_column(streets, "road_class", "side")[rows], "condition": np.round(start[rows], 2),
        "class": condition_class(start[rows]), "importance": importance(streets, params)[rows],
        "treatment": np.array(treatments.TREATMENTS)[treatment], "area": np.round(network.area[rows], 1),
        "cost": np.round(cost, 2), "cumulative_cost": np.round(np.cumsum(cost), 2),
        "funded": treatments.select_within_budget(cost, float(budget))},
        {"area": "m²", "cost": "EUR", "cumulative_cost": "EUR"},
        f"segments to treat in {params['start_year'] + 1}, in priority order ({params['strategy']})")


def _worst_first(streets: StreetData, network: Network, params: Mapping[str, Any]) -> Network:
    """The network ranked worst first, for the work list of the do-nothing strategy."""
    weight = importance(streets, params)
    profiles, group = np.unique(np.column_stack([network.cost / network.area[:, None], weight]), axis=0,
                                return_inverse=True)
    return replace(network, group=group.ravel(),
                   ranks=treatments.bucket_ranks("worst_first", profiles[:, :4], profiles[:, 4]))


def _quarter_table(places: list[str], network: Network, expected: Expected, spread: MonteCarlo | None,
                   years: np.ndarray) -> ResultTable:
    count = len(years)
    length = expected.class_length.sum(axis=2)
    columns = {"quarter": np.repeat(places, count), "year": np.tile(years, len(places)),
               "length": length.T.ravel(), "mean_condition": expected.mean_value.T.ravel()}
    for colour, name in enumerate(CLASS_NAMES):
        share = expected.class_length[:, :, colour] / np.where(length > 0, length, np.nan)
        columns[f"share_{name}"] = share.T.ravel()
    columns["spent"] = expected.spent.T.ravel()
    columns["backlog"] = expected.backlog.T.ravel()
    if spread is not None:
        for name, values in (("mean_condition", spread.mean_value), ("backlog", spread.backlog)):
            low, high = np.percentile(values, [5, 95], axis=0)
            columns[f"{name}_p05"], columns[f"{name}_p95"] = low.T.ravel(), high.T.ravel()
    units = {"length": "m", "spent": "EUR", "backlog": "EUR", "backlog_p05": "EUR", "backlog_p95": "EUR"}
    return ResultTable("quarter_years", "", columns, units,
                       "per quarter (and the whole network) and year: class shares of length, mean "
                       "condition, spending and backlog; p05/p95 from the Monte-Carlo runs")


def _figures(network: Network, expected: Expected, spread: MonteCarlo | None, years: np.ndarray,
             place: int) -> dict[str, Any]:
    length = expected.class_length[:, place].sum(axis=1)
    figures: dict[str, Any] = {
        "years": years.tolist(), "length_m": float(length[0]),
        "mean_condition": np.round(expected.mean_value[:, place], 3).tolist(),
        "share_by_class": {name: np.round(expected.class_length[:, place, colour] / np.where(
            length > 0, length, np.nan), 4).tolist() for colour, name in enumerate(CLASS_NAMES)},
        "spent_eur": np.round(expected.spent[:, place], 2).tolist(),
        "backlog_eur": np.round(expected.backlog[:, place], 2).tolist(),
    }
    if spread is not None:
        figures["monte_carlo"] = {"runs": len(spread.mean_value)}
        for name, values, digits in (("mean_condition", spread.mean_value, 3),
                                     ("backlog_eur", spread.backlog, 2)):
            for percent in (5, 95):
                band = np.percentile(values[:, :, place], percent, axis=0)
                figures["monte_carlo"][f"{name}_p{percent:02d}"] = np.round(band, digits).tolist()
    return figures
