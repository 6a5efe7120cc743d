"""What a street-decay run produces, declared once, its condition classes, and its report's charts.

The condition classes are defined here only: the map (class and condition columns, and the
streets' latest ratings through `LEGENDS`) and the charts draw them from `CONDITION_CLASSES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from plugins.street_decay.rating import THRESHOLD, WARNING
from twin.core.charts import BarChartData, BarSeries, ChartData, LineChartData, LineSeries, ReferenceLine
from twin.core.data import ResultTable
from twin.core.scene import RunRecord
from twin.sim import YEAR, AttributeLegend, Category, Dimension, DType, FieldSpec, Location
from twin.sim.proposal_inputs import PROPOSALS_FIGURE

# German condition classes (ZEB / E EMI 2012), named by their map colours; Okabe-Ito shades of those
# colours, so that colour-blind readers tell them apart.
CLASS_NAMES = ("blue", "dark_green", "light_green", "yellow", "red")
CONDITION_CLASSES = (
    Category(0, "1.0-1.5 very good", "#0072B2", 1.5),
    Category(1, "1.5-2.5 good", "#009E73", 2.5),
    Category(2, "2.5-3.5 fair (target)", "#9AD29B", 3.5),
    Category(3, "3.5-4.5 poor (warning)", "#F0E442", 4.5),
    Category(4, "4.5-5.0 very poor", "#D55E00", 5.0),
)
LEGENDS = (AttributeLegend("streets", "condition", "Street condition (latest rating)", CONDITION_CLASSES),)

CLASS = Dimension("class", "|".join(CLASS_NAMES), {
    name: f"{name.replace('_', ' ')} ({category.label})"
    for name, category in zip(CLASS_NAMES, CONDITION_CLASSES, strict=True)})
PERCENTILE = Dimension("percentile", r"\d\d", {"05": "5th percentile", "95": "95th percentile"})
TREATMENT = Dimension("treatment", r"[a-z_]+")


def _text(name: str, table: str, label: str, location: Location = Location.SEGMENT) -> FieldSpec:
    return FieldSpec(name, location, "", label, label, DType.TEXT, table)


_CONDITION_TABLE = (
    _text("segment_id", "condition", "segment"), _text("name", "condition", "street name"),
    _text("road_class", "condition", "road class"), _text("quarter", "condition", "quarter"),
    FieldSpec("length", Location.SEGMENT, "m", "segment length", "length", result="condition"),
    FieldSpec("area", Location.SEGMENT, "m²", "paved area", "paved area", result="condition"),
    FieldSpec("condition_{year}", Location.SEGMENT, "", "expected condition value 1.0-5.0 per year",
              "condition {year} (1 very good .. 5 very poor)", result="condition", dimensions=(YEAR,),
              categories=CONDITION_CLASSES),
    FieldSpec("class_{year}", Location.SEGMENT, "", "condition class per year", "condition class {year}",
              DType.CLASS, "condition", (YEAR,), categories=CONDITION_CLASSES, headline=True),
)
_TREATMENT_TABLE = (
    _text("segment_id", "treatments", "segment"),
    FieldSpec("year", Location.SEGMENT, "", "year of the treatment", "year", DType.INTEGER, "treatments"),
    FieldSpec("expected_cost", Location.SEGMENT, "EUR", "expected cost", "expected cost", result="treatments",
              headline=True),
    FieldSpec("chance_{treatment}", Location.SEGMENT, "", "chance of the treatment (0-1)",
              "chance of {treatment}", result="treatments", dimensions=(TREATMENT,)),
)
_WORK_LIST = (
    FieldSpec("rank", Location.SEGMENT, "", "priority", "rank", DType.INTEGER, "work_list"),
    _text("segment_id", "work_list", "segment"), _text("name", "work_list", "street name"),
    _text("quarter", "work_list", "quarter"), _text("road_class", "work_list", "road class"),
    FieldSpec("condition", Location.SEGMENT, "", "condition value now",
              "condition (1 very good .. 5 very poor)", result="work_list", categories=CONDITION_CLASSES),
    FieldSpec("class", Location.SEGMENT, "", "condition class now", "condition class", DType.CLASS,
              "work_list", categories=CONDITION_CLASSES, headline=True),
    FieldSpec("importance", Location.SEGMENT, "", "importance weight", "importance", result="work_list"),
    _text("treatment", "work_list", "treatment"),
    FieldSpec("area", Location.SEGMENT, "m²", "area treated", "area", result="work_list"),
    FieldSpec("cost", Location.SEGMENT, "EUR", "cost of the treatment", "cost", result="work_list"),
    FieldSpec("cumulative_cost", Location.SEGMENT, "EUR", "cost of this and every segment before it",
              "cumulative cost", result="work_list"),
    FieldSpec("funded", Location.SEGMENT, "", "paid for by next year's budget", "funded", DType.FLAG,
              "work_list"),
)
_QUARTER_TABLE = (
    _text("quarter", "quarter_years", "quarter", Location.QUARTER),
    FieldSpec("year", Location.QUARTER, "", "year", "year", DType.INTEGER, "quarter_years"),
    FieldSpec("length", Location.QUARTER, "m", "street length", "street length", result="quarter_years"),
    FieldSpec("mean_condition", Location.QUARTER, "", "length-weighted condition", "mean condition",
              result="quarter_years", headline=True),
    FieldSpec("share_{class}", Location.QUARTER, "", "share of length in the class (0-1)",
              "share of length {class}", result="quarter_years", dimensions=(CLASS,)),
    FieldSpec("spent", Location.QUARTER, "EUR", "money spent", "money spent", result="quarter_years"),
    FieldSpec("backlog", Location.QUARTER, "EUR", "cost of treating every segment past 3.5", "backlog",
              result="quarter_years"),
    FieldSpec("mean_condition_p{percentile}", Location.QUARTER, "", "Monte-Carlo spread",
              "mean condition, {percentile}", result="quarter_years", dimensions=(PERCENTILE,)),
    FieldSpec("backlog_p{percentile}", Location.QUARTER, "EUR", "Monte-Carlo spread", "backlog, {percentile}",
              result="quarter_years", dimensions=(PERCENTILE,)),
)
_FIGURES = (
    FieldSpec("years", Location.QUARTER, "", "the forecast years", "years", DType.AXIS),
    FieldSpec("length_m", Location.QUARTER, "m", "street length", "street length"),
    FieldSpec("mean_condition", Location.QUARTER, "", "length-weighted condition value per year",
              "mean condition (1 very good .. 5 very poor)", DType.SERIES),
    FieldSpec("share_by_class_{class}", Location.QUARTER, "%", "share of street length in the class per year",
              "share of length {class}", DType.SERIES, dimensions=(CLASS,), scale=100.0),
    FieldSpec("spent_eur", Location.QUARTER, "EUR", "money spent per year", "money spent", DType.SERIES),
    FieldSpec("backlog_eur", Location.QUARTER, "EUR", "cost of treating every segment past 3.5",
              "backlog (segments past 3.5)", DType.SERIES),
    FieldSpec("monte_carlo_runs", Location.QUARTER, "", "Monte-Carlo runs", "Monte-Carlo runs",
              DType.INTEGER),
    FieldSpec("monte_carlo_mean_condition_p{percentile}", Location.QUARTER, "", "Monte-Carlo spread",
              "mean condition, {percentile}", DType.SERIES, dimensions=(PERCENTILE,)),
    FieldSpec("monte_carlo_backlog_eur_p{percentile}", Location.QUARTER, "EUR", "Monte-Carlo spread",
              "backlog, {percentile}", DType.SERIES, dimensions=(PERCENTILE,)),
    FieldSpec("chains", Location.SCENE, "", "the chains per road class and surface, and which states the "
              "history calibrated", "deterioration chains", DType.RECORD),
    FieldSpec("segments", Location.SCENE, "", "street segments", "street segments", DType.INTEGER),
    FieldSpec("treatments", Location.SCENE, "", "the treatments, cheapest first", "treatments", DType.RECORD),
)
_BACKTEST_TABLE = (
    _text("class", "backtest", "condition class", Location.SCENE),
    FieldSpec("segments", Location.SCENE, "", "segments forecast in the class", "segments", DType.INTEGER,
              "backtest"),
    FieldSpec("rated_share", Location.SCENE, "", "share of length the ratings put in the class (0-1)",
              "rated share", result="backtest"),
    FieldSpec("forecast_share", Location.SCENE, "", "share of length the forecast puts in the class (0-1)",
              "forecast share", result="backtest"),
    FieldSpec("mean_error", Location.SCENE, "", "mean of forecast minus rating over the segments "
              "forecast in the class", "mean error", result="backtest", headline=True),
    FieldSpec("mean_absolute_error", Location.SCENE, "", "mean of |forecast minus rating| over the "
              "segments forecast in the class",
              "mean absolute error", result="backtest"),
)
_BACKTEST_FIGURES = (
    FieldSpec("backtest_until", Location.SCENE, "", "back-test: chains calibrated on the ratings up to "
              "this year", "back-test calibrated up to", DType.INTEGER),
    FieldSpec("backtest_year", Location.SCENE, "", "back-test: the year whose ratings were forecast",
              "back-test year", DType.INTEGER),
    FieldSpec("backtest_segments", Location.SCENE, "", "back-test: segments compared", "back-test segments",
              DType.INTEGER),
    FieldSpec("backtest_note", Location.SCENE, "", "why there is no back-test", "back-test", DType.TEXT),
    FieldSpec("backtest_mean_error", Location.SCENE, "", "back-test: mean of forecast minus rating",
              "back-test mean error"),
    FieldSpec("backtest_mean_absolute_error", Location.SCENE, "", "back-test: mean of |forecast minus "
              "rating|", "back-test mean absolute error"),
    FieldSpec("backtest_{class}_segments", Location.SCENE, "", "back-test: segments forecast in the class",
              "back-test segments {class}", DType.INTEGER, dimensions=(CLASS,)),
    FieldSpec("backtest_{class}_rated_share", Location.SCENE, "", "back-test: share of length rated in "
              "the class", "back-test rated share {class}", dimensions=(CLASS,)),
    FieldSpec("backtest_{class}_forecast_share", Location.SCENE, "", "back-test: share of length forecast "
              "in the class", "back-test forecast share {class}", dimensions=(CLASS,)),
    FieldSpec("backtest_{class}_mean_error", Location.SCENE, "", "back-test: mean of forecast minus "
              "rating of the segments forecast in the class", "back-test mean error {class}",
              dimensions=(CLASS,)),
    FieldSpec("backtest_{class}_mean_absolute_error", Location.SCENE, "", "back-test: mean of |forecast "
              "minus rating| of the segments forecast in the class", "back-test mean absolute error {class}",
              dimensions=(CLASS,)),
)
_COST_FIGURES = (
    FieldSpec("costs_price_year", Location.SCENE, "", "the year whose prices the unit costs are in",
              "price year of the costs", DType.INTEGER),
    FieldSpec("costs_currency", Location.SCENE, "", "the currency of the unit costs", "currency", DType.TEXT),
    FieldSpec("costs_indexed_to", Location.SCENE, "", "the year the unit costs were indexed to (none: not "
              "indexed)", "costs indexed to", DType.INTEGER),
    FieldSpec("costs_index_factor", Location.SCENE, "", "price index of that year over the price year's",
              "cost index factor"),
    FieldSpec("costs_note", Location.SCENE, "", "how the unit costs were priced", "costs", DType.TEXT),
)
OUTPUTS = (*_CONDITION_TABLE, *_TREATMENT_TABLE, *_WORK_LIST, *_QUARTER_TABLE, *_BACKTEST_TABLE, *_FIGURES,
           *_BACKTEST_FIGURES, *_COST_FIGURES, PROPOSALS_FIGURE)
CONDITION_REFERENCES = (ReferenceLine(WARNING, f"warning value {WARNING}", "#E69F00"),
                        ReferenceLine(THRESHOLD, f"threshold value {THRESHOLD}", "#D55E00"))


def charts(run: RunRecord, tables: Mapping[str, ResultTable], quarter: str | None) -> list[ChartData]:
    """Condition classes over the years, mean condition with its spread, money spent and backlog."""
    figures = run.per_quarter[quarter] if quarter is not None else run.summary
    place = quarter or "the whole network"
    years = np.asarray(figures["years"])
    return [_class_shares(figures, years, place), _mean_condition(run, years, quarter),
            LineChartData(f"Money spent and backlog, {place}", "year", "EUR", [
                LineSeries("spent", years, np.asarray(figures["spent_eur"], dtype=float), markers=True),
                LineSeries("backlog", years, np.asarray(figures["backlog_eur"], dtype=float),
                           *_band(figures, "backlog_eur"))])]


def _class_shares(figures: Mapping[str, Any], years: np.ndarray, place: str) -> BarChartData:
    shares = figures["share_by_class"]
    return BarChartData(
        f"Share of street length per condition class, {place}", "share of length (%)",
        [str(year) for year in years],
        [BarSeries(category.label, np.asarray(shares[name], dtype=float) * 100.0, category.colour)
         for name, category in zip(CLASS_NAMES, CONDITION_CLASSES, strict=True) if name in shares],
        stacked=True, y_range=(0.0, 100.0))


def _mean_condition(run: RunRecord, years: np.ndarray, quarter: str | None) -> LineChartData:
    places = [quarter] if quarter is not None else list(run.per_quarter)
    lines = [_condition_line(name, run.per_quarter[name], years) for name in places]
    if quarter is None and len(run.per_quarter) > 1:
        lines.append(_condition_line("whole network", run.summary, years))
    spread = "; band: Monte-Carlo 5-95 %" if any(line.low is not None for line in lines) else ""
    return LineChartData(f"Mean condition (length-weighted{spread})", "year", "condition value", lines,
                         list(CONDITION_REFERENCES), y_range=(1.0, 5.0))


def _condition_line(name: str, figures: Mapping[str, Any], years: np.ndarray) -> LineSeries:
    return LineSeries(name, years, np.asarray(figures["mean_condition"], dtype=float),
                      *_band(figures, "mean_condition"))


def _band(figures: Mapping[str, Any], key: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    spread = figures.get("monte_carlo", {})
    if f"{key}_p05" not in spread:
        return None, None
    return np.asarray(spread[f"{key}_p05"], dtype=float), np.asarray(spread[f"{key}_p95"], dtype=float)
