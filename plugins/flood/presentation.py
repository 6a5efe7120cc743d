"""What a flood run produces, declared once, and the charts of its report."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from twin.core.charts import BarChartData, BarSeries, ChartData, LineChartData, LineSeries
from twin.core.data import ResultTable
from twin.core.report_tables import figure_values
from twin.core.scene import RunRecord
from twin.sim import Dimension, DType, FieldSpec, Location
from twin.sim.proposal_inputs import PROPOSALS_FIGURE

DEPTH = Dimension("depth", r"\d+\.\d\d")
TERM = Dimension("term", r"[a-z_]+?")
DEPTH_CLASS_COLOURS = ("#56B4E9", "#0072B2", "#CC79A7", "#D55E00")

_GRIDS = (
    FieldSpec("max_depth", Location.CELL, "m", "deepest water over the run", "deepest water",
              palette="water"),
    FieldSpec("max_velocity", Location.CELL, "m/s", "fastest flow over the run", "fastest flow"),
    FieldSpec("arrival_time", Location.CELL, "min", "time the depth first reached the wet depth",
              "arrival of the water"),
    FieldSpec("depth", Location.CELL, "m", "water depth snapshots for animation", "water depth",
              palette="water"),
)
_TABLES = (
    FieldSpec("building_id", Location.BUILDING, "", "the building's id", "building", DType.TEXT,
              "building_flood"),
    FieldSpec("max_depth", Location.BUILDING, "m", "deepest water along the footprint", "deepest water",
              result="building_flood", headline=True),
    FieldSpec("affected", Location.BUILDING, "", "deeper than the building threshold", "affected",
              DType.FLAG, "building_flood"),
    FieldSpec("segment_id", Location.SEGMENT, "", "the segment's id", "segment", DType.TEXT, "street_flood"),
    FieldSpec("length", Location.SEGMENT, "m", "length of the segment", "length", result="street_flood"),
    FieldSpec("flooded_length", Location.SEGMENT, "m", "length of a street under flooded water",
              "flooded length", result="street_flood", headline=True),
    FieldSpec("point", Location.POINT, "", "hydrograph point or water-level sensor", "point", DType.TEXT,
              "hydrographs"),
    FieldSpec("time", Location.POINT, "min", "time from the start of the rain", "time",
              result="hydrographs"),
    FieldSpec("depth", Location.POINT, "m", "simulated depth", "simulated depth", result="hydrographs",
              headline=True),
    FieldSpec("measured", Location.POINT, "", "measured level where a replayed gauge event gives the times "
              "(in the sensor's unit)", "measured level", result="hydrographs"),
)
_QUARTER_FIGURES = (
    FieldSpec("flooded_area_m2_over_{depth}m", Location.QUARTER, "m²", "area whose deepest water exceeds "
              "the depth", "flooded area deeper than {depth} m", dimensions=(DEPTH,)),
    FieldSpec("ponded_volume_m3", Location.QUARTER, "m³", "water standing at the end",
              "water standing at the end"),
    FieldSpec("max_depth_m", Location.QUARTER, "m", "deepest water", "deepest water"),
    FieldSpec("buildings", Location.QUARTER, "", "buildings in the quarter", "buildings", DType.INTEGER),
    FieldSpec("buildings_affected", Location.QUARTER, "", "buildings over the threshold",
              "buildings affected", DType.INTEGER),
    FieldSpec("street_length_m", Location.QUARTER, "m", "street length in the quarter", "street length"),
    FieldSpec("flooded_street_length_m", Location.QUARTER, "m", "street length under flooded water",
              "flooded street length"),
)
_RUN_FIGURES = (
    FieldSpec("max_velocity_m_s", Location.SCENE, "m/s", "fastest flow anywhere", "fastest flow"),
    FieldSpec("rain_depth_mm", Location.SCENE, "mm", "rain depth of the event", "rain depth"),
    FieldSpec("rain_peak_mm_h", Location.SCENE, "mm/h", "highest rain intensity", "rain peak"),
    FieldSpec("rain_table", Location.SCENE, "", "the depth-duration table (or record) the rain came "
              "from: a KOSTRA cell and file, the scenario's table, or the illustrative demo table",
              "rain table", DType.TEXT),
    FieldSpec("rain_hyetograph", Location.SCENE, "", "the rain's intensity per interval (start_min, "
              "end_min, mm_h), for the report's chart", "rain over time", DType.RECORD),
    FieldSpec("rain_start_utc", Location.SCENE, "", "start of a replayed gauge event", "rain start (UTC)",
              DType.TIME),
    FieldSpec("simulated_min", Location.SCENE, "min", "simulated time", "simulated time"),
    FieldSpec("time_steps", Location.SCENE, "", "solver time steps", "time steps", DType.INTEGER),
    FieldSpec("solver_seconds", Location.SCENE, "s", "wall time of the solver", "solver time"),
    FieldSpec("cell_updates_per_s", Location.SCENE, "1/s", "solver speed", "cell updates per second"),
    FieldSpec("volumes_{term}_m3", Location.SCENE, "m³", "the water balance's terms",
              "water balance: {term}", dimensions=(TERM,)),
    FieldSpec("volumes_relative_error", Location.SCENE, "", "volume error over the water moved",
              "water balance: relative error"),
    FieldSpec("mass_balance_relative_error", Location.SCENE, "", "volume error over the water moved",
              "mass balance error"),
)
OUTPUTS = (*_GRIDS, *_TABLES, *_QUARTER_FIGURES, *_RUN_FIGURES, PROPOSALS_FIGURE)


def charts(run: RunRecord, tables: Mapping[str, ResultTable], quarter: str | None) -> list[ChartData]:
    """The rain (titled with the table it came from), flooded area by depth class and buildings
    reached, per quarter."""
    places = [quarter] if quarter is not None else list(run.per_quarter)
    found: list[ChartData] = []
    rain_chart = _rain(run)
    if rain_chart is not None:
        found.append(rain_chart)
    depth_chart = _depth_classes(run, places)
    if depth_chart is not None:
        found.append(depth_chart)
    if any("buildings_affected" in run.per_quarter[place] for place in places):
        found.append(BarChartData("Buildings reached by the water", "buildings", places, [
            BarSeries("buildings in the quarter", figure_values(run, places, "buildings"), "#BBBBBB"),
            BarSeries("affected", figure_values(run, places, "buildings_affected"), "#D55E00")]))
    return found


def _rain(run: RunRecord) -> LineChartData | None:
    """The rain's intensity as steps over time; the title says which table it came from."""
    hyetograph = run.summary.get("rain_hyetograph")
    if not hyetograph or not hyetograph.get("start_min"):
        return None
    starts, rates = np.asarray(hyetograph["start_min"], float), np.asarray(hyetograph["mm_h"], float)
    edges = np.append(starts, float(hyetograph["end_min"]))
    x, y = np.repeat(edges, 2)[1:-1], np.repeat(rates, 2)
    return LineChartData(f"Rain: {run.summary.get('rain_table', '')}", "minutes from the start",
                         "intensity (mm/h)", [LineSeries("rain", x, y, color="#0072B2")])


def _depth_classes(run: RunRecord, places: list[str]) -> BarChartData | None:
    thresholds = sorted({float(values["depth"]) for figures in run.per_quarter.values() for key in figures
                         if (values := _AREA.match(key)) is not None})
    if not thresholds:
        return None
    over = np.array([figure_values(run, places, f"flooded_area_m2_over_{threshold:.2f}m")
                     for threshold in thresholds])
    between = over - np.vstack([over[1:], np.zeros(len(places))])  # the area of each depth class
    names = [f"{low:g}-{high:g} m" for low, high in zip(thresholds, thresholds[1:], strict=False)]
    names.append(f"over {thresholds[-1]:g} m")
    return BarChartData("Flooded area by depth class", "flooded area (m²)", places,
                        [BarSeries(name, values, colour) for name, values, colour
                         in zip(names, between, DEPTH_CLASS_COLOURS, strict=False)], stacked=True)


_AREA = _QUARTER_FIGURES[0]
