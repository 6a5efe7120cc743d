"""What an energy run produces, declared once, and the charts of its report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from twin.core.charts import BarChartData, BarSeries, ChartData, LineChartData, LineSeries
from twin.core.data import ResultTable
from twin.core.report_tables import figure_values
from twin.core.scene import RunRecord
from twin.sim import YEAR, DType, FieldSpec, Location
from twin.sim.proposal_inputs import PROPOSALS_FIGURE

# Final energy for heating and hot water at the typical level of measured consumption (all heated
# buildings), and the calculated need (TABULA, housing only): two quantities, never summed.
HEAT_YEAR = FieldSpec("heat_final_{year}_mwh", Location.QUARTER, "MWh/a",
                      "final energy for heating and hot water in a scenario year (typical consumption)",
                      "heat final energy {year}", dimensions=(YEAR,))
HEAT_NEED_YEAR = FieldSpec("heat_need_{year}_mwh", Location.QUARTER, "MWh/a",
                           "calculated heat need of the housing (TABULA) in a scenario year",
                           "heat need of housing {year}", dimensions=(YEAR,))


def _share(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, Location.QUARTER, "%", f"{label} (stored as 0-1)", label, scale=100.0)


_QUARTER_FIGURES = (
    FieldSpec("buildings", Location.QUARTER, "", "buildings", "buildings", DType.INTEGER),
    FieldSpec("electricity_mwh", Location.QUARTER, "MWh/a", "electricity demand", "electricity demand"),
    FieldSpec("pv_mwh", Location.QUARTER, "MWh/a", "rooftop PV yield", "PV yield"),
    _share("self_sufficiency", "self-sufficiency (each building)"),
    _share("self_consumption", "PV self-consumption (each building)"),
    _share("self_sufficiency_quarter", "self-sufficiency (quarter)"),
    _share("self_consumption_quarter", "PV self-consumption (quarter)"),
    FieldSpec("grid_import_mwh", Location.QUARTER, "MWh/a", "grid import", "grid import"),
    FieldSpec("grid_export_mwh", Location.QUARTER, "MWh/a", "grid export", "grid export"),
    FieldSpec("peak_demand_kw", Location.QUARTER, "kW", "highest hourly demand", "peak demand"),
    FieldSpec("sum_of_building_peaks_kw", Location.QUARTER, "kW", "sum of every building's own highest "
              "hourly demand", "sum of building peaks"),
    FieldSpec("coincidence_factor", Location.QUARTER, "", "peak demand over the sum of building peaks "
              "(simultaneity)", "coincidence factor"),
    FieldSpec("peak_import_after_pv_kw", Location.QUARTER, "kW", "highest import after PV",
              "peak import after PV"),
    FieldSpec("peak_import_after_batteries_kw", Location.QUARTER, "kW", "highest import after batteries",
              "peak import after batteries"),
    FieldSpec("peak_export_kw", Location.QUARTER, "kW", "highest export", "peak export"),
    FieldSpec("heat_final_now_mwh", Location.QUARTER, "MWh/a", "final energy for heating and hot water "
              "today (typical consumption)", "heat final energy today"),
    FieldSpec("heat_need_now_mwh", Location.QUARTER, "MWh/a", "calculated heat need of the housing today "
              "(TABULA)", "heat need of housing today"),
    HEAT_YEAR,
    HEAT_NEED_YEAR,
    FieldSpec("pv_kwp", Location.QUARTER, "kWp", "rooftop PV potential", "PV potential"),
)


def _column(name: str, units: str, label: str, table: str, dtype: DType = DType.NUMBER,
            location: Location = Location.BUILDING) -> FieldSpec:
    return FieldSpec(name, location, units, label, label, dtype, table)


_BUILDINGS = "energy_buildings"
_BUILDING_TABLE = (
    _column("building_id", "", "building", _BUILDINGS, DType.TEXT),
    _column("type", "", "TABULA building type", _BUILDINGS, DType.TEXT),
    _column("year_of_construction", "", "year of construction", _BUILDINGS),
    _column("floor_area", "m²", "conditioned floor area", _BUILDINGS),
    _column("dwellings", "", "flats", _BUILDINGS),
    _column("heat_source", "", "where the heat figures come from", _BUILDINGS, DType.TEXT),
    _column("heat_need_now", "MWh/a", "calculated heat need today (TABULA; housing only)", _BUILDINGS),
    _column("heat_final_now", "MWh/a", "final energy for heat today (typical consumption)", _BUILDINGS),
    FieldSpec("heat_need_{year}", Location.BUILDING, "MWh/a", "calculated heat need in a scenario year "
              "(TABULA; housing only)", "heat need {year}", result=_BUILDINGS, dimensions=(YEAR,)),
    FieldSpec("heat_final_{year}", Location.BUILDING, "MWh/a", "final energy for heat in a scenario year "
              "(typical consumption)", "heat final energy {year}", result=_BUILDINGS, dimensions=(YEAR,),
              headline=True),
    _column("pv_kwp", "kWp", "PV potential", _BUILDINGS),
    _column("pv_yield", "MWh/a", "PV yield", _BUILDINGS),
    _column("electricity", "MWh/a", "electricity demand", _BUILDINGS),
    _column("peak_demand", "kW", "highest hourly electricity demand", _BUILDINGS),
    _column("self_sufficiency", "", "self-sufficiency (0-1)", _BUILDINGS),
)
# The quarter table holds the quarter figures as columns (shares as stored, 0-1).
_QUARTER_TABLE = (
    _column("quarter", "", "quarter", "energy_quarters", DType.TEXT, Location.QUARTER),
    *(replace(spec, result="energy_quarters", scale=1.0, units="" if spec.scale != 1.0 else spec.units,
              dtype=DType.NUMBER) for spec in _QUARTER_FIGURES),
)
WEEK_LINES = (("demand", "demand", "#000000"), ("pv", "PV", "#E69F00"),
              ("import_after_pv", "import after PV", "#56B4E9"),
              ("import_after_batteries", "import after batteries", "#0072B2"),
              ("export", "export", "#CC79A7"))
_WEEK_TABLE = (
    _column("quarter", "", "quarter", "energy_week", DType.TEXT, Location.QUARTER),
    _column("hour_ending_utc", "", "hour ending (UTC)", "energy_week", DType.TIME, Location.QUARTER),
    *(_column(key, "kW", name, "energy_week", location=Location.QUARTER) for key, name, _ in WEEK_LINES),
    _column("quarter_battery_soc", "kWh", "quarter battery charge", "energy_week", location=Location.QUARTER),
)
MONTH_FLOWS = (("demand", "demand"), ("pv", "PV yield"), ("self_consumed", "PV self-consumed"),
               ("pv_direct", "PV used at once"), ("battery_charge", "battery charged from PV"),
               ("battery_discharge", "battery discharged"),
               ("battery_grid_charge", "battery charged from the grid"),
               ("grid_import", "grid import"), ("grid_export", "grid export"))
_MONTH_TABLE = (
    _column("quarter", "", "quarter", "energy_months", DType.TEXT, Location.QUARTER),
    _column("month", "", "month", "energy_months", DType.INTEGER, Location.QUARTER),
    *(_column(key, "MWh", name, "energy_months", location=Location.QUARTER) for key, name in MONTH_FLOWS),
)
OUTPUTS = (*_QUARTER_FIGURES, *_BUILDING_TABLE, *_QUARTER_TABLE, *_WEEK_TABLE, *_MONTH_TABLE,
           PROPOSALS_FIGURE)

# The electricity balance as figures (yearly) and as columns of energy_months, with its bars' names.
BALANCE = (("electricity_mwh", "demand", "demand", "#000000"), ("pv_mwh", "pv", "PV yield", "#E69F00"),
           ("self_consumed", "self_consumed", "PV self-consumed", "#009E73"),
           ("grid_import_mwh", "grid_import", "grid import", "#0072B2"),
           ("grid_export_mwh", "grid_export", "grid export", "#CC79A7"))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def charts(run: RunRecord, tables: Mapping[str, ResultTable], quarter: str | None) -> list[ChartData]:
    """The yearly and monthly electricity balance, self-sufficiency, heat demand and the hourly week."""
    places = [quarter] if quarter is not None else list(run.per_quarter)
    found: list[ChartData] = [_yearly_balance(run, places)]
    if "energy_months" in tables:
        found.append(_month_chart(tables["energy_months"], quarter))
    found.append(BarChartData("Self-sufficiency", "share of demand (%)", places, [
        BarSeries("each building on its own", figure_values(run, places, "self_sufficiency", 100.0),
                  "#56B4E9"),
        BarSeries("the quarter together", figure_values(run, places, "self_sufficiency_quarter", 100.0),
                  "#0072B2")], y_range=(0.0, 100.0)))
    if "heat_final_now_mwh" in run.per_quarter[places[0]]:
        found.append(_heat_chart(run, places))
    if "energy_week" in tables:
        found.append(_week_chart(tables["energy_week"], quarter))
    return found


def _yearly_balance(run: RunRecord, places: list[str]) -> BarChartData:
    # PV kept within the quarter, used at once or stored: what it did not export.
    self_consumed = (figure_values(run, places, "pv_mwh")
                     * figure_values(run, places, "self_consumption_quarter"))
    return BarChartData("Yearly electricity balance", "energy (MWh/a)", places, [
        BarSeries(name, self_consumed if key == "self_consumed" else figure_values(run, places, key), colour)
        for key, _, name, colour in BALANCE])


def _heat_chart(run: RunRecord, places: list[str]) -> BarChartData:
    years = sorted(key for key in run.per_quarter[places[0]] if HEAT_YEAR.match(key) is not None)
    return BarChartData("Heat, final energy today and after refurbishment", "heat (MWh/a)", places, [
        BarSeries("heat final energy today", figure_values(run, places, "heat_final_now_mwh")),
        *(BarSeries(HEAT_YEAR.quantity(key).label, figure_values(run, places, key)) for key in years)])


def _month_chart(months: ResultTable, quarter: str | None) -> BarChartData:
    """The balance per calendar month of a quarter; all quarters summed when none is chosen."""
    rows = np.ones(len(months), dtype=bool) if quarter is None else months.columns["quarter"] == quarter
    month = np.asarray(months.columns["month"])[rows] - 1
    series = [BarSeries(name, np.bincount(month, weights=months.columns[column][rows], minlength=12), colour)
              for _, column, name, colour in BALANCE]
    return BarChartData(f"Monthly electricity balance, {quarter or 'all quarters'}", "energy (MWh per month)",
                        list(MONTHS), series)


def _week_chart(week: ResultTable, quarter: str | None) -> LineChartData:
    """Hourly flows of the week; all quarters summed when none is chosen."""
    rows = np.ones(len(week), dtype=bool) if quarter is None else week.columns["quarter"] == quarter
    times = week.columns["hour_ending_utc"][rows].astype("datetime64[m]")
    hours, where = np.unique(times, return_inverse=True)
    series = [LineSeries(name, hours, np.bincount(where, weights=week.columns[key][rows],
                                                  minlength=len(hours)), color=colour)
              for key, name, colour in WEEK_LINES if key in week.columns]
    first = str(hours[0].astype("datetime64[D]")) if len(hours) else ""
    return LineChartData(f"Hourly balance, week from {first} ({quarter or 'all quarters'})",
                         "time (UTC)", "power (kW)", series)
