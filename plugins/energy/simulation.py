"""Energy scenarios: heat today and after refurbishment, rooftop PV, self-sufficiency and grid peaks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from plugins.energy import heat, households, measures, presentation, stock
from plugins.energy.balance import Battery, building_balances, dispatch, self_consumption, self_sufficiency
from plugins.energy.loads import COMMERCIAL_PROFILES, HOUSEHOLD_PROFILES, load_profiles
from plugins.energy.pv import ac_output_per_kwp, sun_and_sky
from plugins.energy.roofs import roof_triangles
from plugins.energy.tabula import Typology
from plugins.energy.weather import read_reference_year
from twin.core.data import BuildingData, ResultTable
from twin.sim import (
    Feedback,
    InputSpec,
    ParameterError,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)

FLAT_MOUNTINGS = {"south": ((15.0, 180.0, 1.0),), "east-west": ((10.0, 90.0, 0.5), (10.0, 270.0, 0.5)),
                  "horizontal": ((0.0, 180.0, 1.0),)}
WEEK_SERIES = ("demand", "pv", "import_after_pv", "export", "import_after_batteries", "quarter_battery_soc")
# A quarter's flows, its buildings' own PV and batteries and then the quarter (neighbours sharing,
# its battery) taken together. Per hour: pv = pv_direct + battery_charge + grid_export and
# demand = pv_direct + battery_discharge + grid_import - battery_grid_charge.
BALANCE_FLOWS = ("demand", "pv", "pv_direct", "battery_charge", "battery_discharge", "battery_grid_charge",
                 "grid_import", "grid_export")


# Sections of the parameter form.
STOCK, HEAT, PV, ELECTRICITY = "Building stock", "Heat and refurbishment", "Rooftop PV", "Electricity demand"
BATTERIES, WEATHER = "Batteries", "Weather and calendar"


class EnergySimulation(Simulation):
    name = "energy"
    title = "Energy scenarios"
    description = ("Heat demand of the building stock today and after refurbishment (TABULA), rooftop "
                   "PV from the LoD2 roofs (pvlib, test reference year), and the hourly electricity "
                   "balance per building and quarter with batteries: self-sufficiency and grid peaks.")
    inputs = (InputSpec("buildings", "buildings", "LoD2 buildings with roof surfaces; function, "
                        "yearOfConstruction and storeysAboveGround where known"),)
    outputs = presentation.OUTPUTS
    proposal_kinds = measures.KINDS
    charts = staticmethod(presentation.charts)
    parameters = (
        ParameterSpec("default_year", float, 1970.0, "construction year where a building has none",
                      minimum=1700.0, maximum=2100.0,
                      label="construction year (default)", group=STOCK, advanced=True),
        ParameterSpec("storey_height_m", float, 3.0, "storey height where only the height is known",
                      units="m", minimum=2.0, maximum=6.0,
                      label="storey height", group=STOCK, advanced=True),
        ParameterSpec("area_factor", float, 0.8, "conditioned floor area per gross footprint x storeys",
                      minimum=0.5, maximum=1.0,
                      label="floor area factor", group=STOCK, advanced=True),
        ParameterSpec("flat_size_m2", float, 65.0, "mean floor area of a flat", units="m2",
                      minimum=20.0, maximum=300.0,
                      label="flat size", group=STOCK, advanced=True),
        ParameterSpec("base_year", int, 2026, "the year 'today' stands for", minimum=2000, maximum=2100,
                      label="today's year", group=HEAT),
        ParameterSpec("scenario_years", list, (2030.0, 2035.0, 2045.0), "years to report heat demand for",
                      minimum=2000.0, maximum=2200.0,
                      label="scenario years", group=HEAT),
        ParameterSpec("refurbishment_rate", float, 0.01, "share of the stock refurbished each year",
                      units="1/a", minimum=0.0, maximum=0.2,
                      label="refurbishment rate", group=HEAT),
        ParameterSpec("refurbishment_depth", str, "usual", "TABULA refurbishment package",
                      choices=("usual", "advanced"),
                      label="refurbishment package", group=HEAT),
        ParameterSpec("refurbished_today", list, heat.REFURBISHED_TODAY, "share of each TABULA "
                      "construction-year class (01 ..1859 to 12 2016..) already refurbished today "
                      "(usual package); default: estimates for Dresden, see plugins/energy/heat.py",
                      minimum=0.0, maximum=1.0,
                      label="refurbished today, per age class", group=HEAT, advanced=True),
        ParameterSpec("heat_expenditure_factor", float, heat.EXPENDITURE_FACTOR, "delivered heat per "
                      "unit of need (distribution, storage, transfer losses)", minimum=1.0, maximum=3.0,
                      label="heat supply expenditure factor", group=HEAT, advanced=True),
        ParameterSpec("module_efficiency", float, 0.21, "module efficiency (kWp per m2 of modules)",
                      minimum=0.05, maximum=0.3,
                      label="module efficiency", group=PV, advanced=True),
        ParameterSpec("usable_fraction", float, 0.6, "share of a pitched roof modules can cover",
                      minimum=0.0, maximum=1.0,
                      label="usable share of pitched roofs", group=PV),
        ParameterSpec("flat_usable_fraction", float, 0.5, "share of a flat roof modules can cover",
                      minimum=0.0, maximum=1.0,
                      label="usable share of flat roofs", group=PV),
        ParameterSpec("flat_roof_tilt_deg", float, 10.0, "roofs flatter than this count as flat",
                      units="deg", minimum=0.0, maximum=30.0,
                      label="flat below", group=PV, advanced=True),
        ParameterSpec("flat_mounting", str, "east-west", "modules on flat roofs: 15 deg south, 10 deg "
                      "east-west, or horizontal", choices=tuple(FLAT_MOUNTINGS),
                      label="mounting on flat roofs", group=PV),
        ParameterSpec("min_yield_kwh_per_kwp", float, 700.0, "roof faces yielding less stay empty",
                      units="kWh/kWp", minimum=0.0, maximum=1200.0,
                      label="minimum yield", group=PV, advanced=True),
        ParameterSpec("pv_share", float, 1.0, "share of the roof potential that is built",
                      minimum=0.0, maximum=1.0,
                      label="share of the potential built", group=PV),
        ParameterSpec("kwh_per_dwelling", float, 2500.0, "household electricity per flat",
                      units="kWh/a", minimum=0.0, maximum=20000.0,
                      label="electricity per flat", group=ELECTRICITY),
        ParameterSpec("household_profile", str, "H25", "BDEW load profile of households (2025 or 1999)",
                      choices=HOUSEHOLD_PROFILES,
                      label="household load profile", group=ELECTRICITY, advanced=True),
        ParameterSpec("household_loads", str, "stochastic", "each dwelling's own stochastic year "
                      "(mean: the standard profile) or the standard profile itself",
                      choices=("stochastic", "standard profile"),
                      label="household loads", group=ELECTRICITY, advanced=True),
        ParameterSpec("nonresidential_kwh_per_m2", float, 60.0, "electricity of other heated buildings "
                      "per m2", units="kWh/(m2 a)", minimum=0.0, maximum=1000.0,
                      label="other buildings, per m²", group=ELECTRICITY),
        ParameterSpec("commercial_profile", str, "G25", "BDEW load profile of other heated buildings "
                      "(2025 or 1999)", choices=COMMERCIAL_PROFILES,
                      label="other buildings' load profile", group=ELECTRICITY, advanced=True),
        ParameterSpec("large_consumer_function", str, stock.HOSPITAL, "AdV function code of a large "
                      "consumer with its own profile (default: hospital)",
                      label="large consumer (AdV function)", group=ELECTRICITY, advanced=True),
        ParameterSpec("large_consumer_mwh", float, 0.0, "its yearly electricity, spread over its "
                      "buildings by floor area (0: treated as non-residential)", units="MWh/a",
                      minimum=0.0, maximum=1e6,
                      label="large consumer's electricity", group=ELECTRICITY),
        ParameterSpec("battery_kwh_per_kwp", float, 0.0, "home battery capacity per kWp of PV",
                      units="kWh/kWp", minimum=0.0, maximum=10.0,
                      label="home battery per kWp", group=BATTERIES),
        ParameterSpec("battery_c_rate", float, 0.5, "battery power per kWh of capacity", units="1/h",
                      minimum=0.05, maximum=5.0,
                      label="battery power per kWh", group=BATTERIES, advanced=True),
        ParameterSpec("battery_efficiency", float, 0.9, "battery round-trip efficiency",
                      minimum=0.5, maximum=1.0,
                      label="battery round-trip efficiency", group=BATTERIES, advanced=True),
        ParameterSpec("quarter_battery_kwh", float, 0.0, "a peak-shaving battery per quarter",
                      units="kWh", minimum=0.0, maximum=1e6,
                      label="quarter battery capacity", group=BATTERIES),
        ParameterSpec("quarter_battery_kw", float, 0.0, "its power", units="kW", minimum=0.0, maximum=1e5,
                      label="quarter battery power", group=BATTERIES),
        ParameterSpec("peak_target_kw", float, 0.0, "the import the quarter battery holds the grid to "
                      "(0: self-consumption)", units="kW", minimum=0.0, maximum=1e6,
                      label="peak target of the quarter battery", group=BATTERIES),
        ParameterSpec("week", int, 26, "calendar week of the hourly series", minimum=1, maximum=52,
                      label="week shown hourly", group=WEATHER),
        ParameterSpec("try_region", int, 4, "DWD test reference year region (Dresden: 4)",
                      minimum=1, maximum=15,
                      label="DWD test reference year region", group=WEATHER, advanced=True),
        ParameterSpec("calendar_year", int, 2023, "calendar of weekdays and holidays (not a leap year)",
                      minimum=2000, maximum=2099,
                      label="calendar year", group=WEATHER, advanced=True),
    )

    def check_parameters(self, params: Mapping[str, Any]) -> None:
        if len(params["refurbished_today"]) != len(heat.REFURBISHED_TODAY):
            raise ParameterError(f"parameter 'refurbished_today' must give {len(heat.REFURBISHED_TODAY)} "
                                 "shares, one per TABULA construction-year class")
        if params["calendar_year"] % 4 == 0:
            raise ParameterError("parameter 'calendar_year' must not be a leap year: the reference year "
                                 "has 8760 hours")

    def run(self, inputs: SimulationInputs, params: Mapping[str, Any], *,
            rng: np.random.Generator, feedback: Feedback) -> SimulationOutput:
        layer = inputs.layers["buildings"]
        buildings: BuildingData = measures.buildings(layer.data, inputs.proposals)
        feedback.progress(0.05, "building stock and heat demand")
        houses = stock.classify(buildings, params["default_year"], params["storey_height_m"],
                                params["area_factor"], params["flat_size_m2"])
        heat_columns, heat_source = _heat_columns(houses, params)
        feedback.progress(0.15, "weather, sun and load profiles")
        weather = read_reference_year(params["try_region"], params["calendar_year"])
        profiles = load_profiles(params["calendar_year"], weather)
        feedback.check()
        feedback.progress(0.3, "roof faces and PV yields")
        roofs = _roof_pv(buildings, sun_and_sky(weather), params)
        feedback.check()
        feedback.progress(0.5, "hourly balance of every building")
        profile_of, annual_kwh = _electricity(buildings, houses, params)
        group_of, names = _groups(buildings, inputs)
        capacity = roofs.kwp_per_building * params["battery_kwh_per_kwp"]
        profile_names = (params["household_profile"], params["commercial_profile"], "hospital")
        shapes, profile_of = _demand_shapes(np.stack([profiles[name] for name in profile_names]), profile_of,
                                            houses.dwellings, annual_kwh, params, rng)
        feedback.check()
        balances = building_balances(shapes, profile_of, annual_kwh, roofs.yields, roofs.start, roofs.classes,
                                     roofs.kwp, Battery(capacity, capacity * params["battery_c_rate"],
                                                        params["battery_efficiency"]), group_of, len(names))
        peaks = shapes.max(axis=1)[profile_of] * annual_kwh
        feedback.progress(0.85, "quarter batteries and figures")
        quarter_rows = [_quarter_figures(balances.hourly[index], balances.yearly[group_of == index], params,
                                         peaks[group_of == index]) for index in range(len(names))]
        per_quarter = {name: figures for name, (figures, *_) in zip(names, quarter_rows, strict=True)}
        summary = _quarter_figures(balances.hourly.sum(axis=0), balances.yearly, params, peaks)[0]
        summary["buildings"] = len(buildings)
        heat_columns_and_pv = {**heat_columns, "pv_kwp": roofs.kwp_per_building}
        for column, values in heat_columns_and_pv.items():
            key = column if column == "pv_kwp" else f"{column}_mwh"
            summary[key] = float(np.nansum(values))
            for index, name in enumerate(names):
                per_quarter[name][key] = float(np.nansum(values[group_of == index]))
        results = [_building_table(layer.name, buildings, houses, heat_columns, heat_source, roofs, balances,
                                   peaks),
                   _quarter_table(per_quarter), _week_table(names, quarter_rows, weather, params["week"]),
                   _month_table(names, quarter_rows, weather)]
        if inputs.proposals is not None:
            summary["proposals"] = measures.record(inputs.proposals)
        return SimulationOutput(summary=summary, per_quarter=per_quarter, results=results)


class _RoofPV:
    """PV entries per building (CSR rows): orientation class and kWp, and the classes' kW per kWp."""

    def __init__(self, start: np.ndarray, classes: np.ndarray, kwp: np.ndarray, yields: np.ndarray,
                 kwp_per_building: np.ndarray) -> None:
        self.start, self.classes, self.kwp, self.yields = start, classes, kwp, yields
        self.kwp_per_building = kwp_per_building
        self.kwh_per_building = np.add.reduceat(np.r_[kwp * yields.sum(axis=1)[classes], 0.0],
                                                start[:-1]) if len(kwp) else np.zeros(len(start) - 1)
        self.kwh_per_building[np.diff(start) == 0] = 0.0


def _roof_pv(buildings: BuildingData, sky, params: Mapping[str, Any]) -> _RoofPV:
    """Roof faces to modules: flat faces get the chosen mounting; orientations binned to 1 x 5 deg."""
    roofs = roof_triangles(buildings)
    flat = roofs.tilt < params["flat_roof_tilt_deg"]
    kwp_per_m2 = params["module_efficiency"] * params["pv_share"]
    pitched_kwp = roofs.area[~flat] * params["usable_fraction"] * kwp_per_m2
    building, tilt, azimuth, kwp = [roofs.building[~flat]], [roofs.tilt[~flat]], [roofs.azimuth[~flat]], \
        [pitched_kwp]
    flat_kwp = roofs.area[flat] * params["flat_usable_fraction"] * kwp_per_m2
    for mount_tilt, mount_azimuth, share in FLAT_MOUNTINGS[params["flat_mounting"]]:
        building.append(roofs.building[flat])
        tilt.append(np.full(flat.sum(), mount_tilt))
        azimuth.append(np.full(flat.sum(), mount_azimuth))
        kwp.append(flat_kwp * share)
    building, tilt, azimuth, kwp = (np.concatenate(parts) for parts in (building, tilt, azimuth, kwp))
    orientation = np.round(tilt).astype(np.int64) * 1000 + (np.round(azimuth / 5.0).astype(np.int64) % 72) * 5
    classes, class_of = np.unique(orientation, return_inverse=True)
    yields = ac_output_per_kwp(sky, classes // 1000, classes % 1000)
    good = yields.sum(axis=1)[class_of] >= params["min_yield_kwh_per_kwp"]
    entry, entry_of = np.unique(building[good] * len(classes) + class_of[good], return_inverse=True)
    entry_kwp = np.bincount(entry_of, weights=kwp[good], minlength=len(entry))
    entry_building = entry // len(classes)
    start = np.searchsorted(entry_building, np.arange(len(buildings) + 1))
    kwp_per_building = np.bincount(entry_building, weights=entry_kwp, minlength=len(buildings))
    return _RoofPV(start, entry % len(classes), entry_kwp, yields, kwp_per_building)


def _heat_columns(houses: stock.Stock, params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Heat need (housing only, NaN elsewhere) and final energy now and per scenario year (MWh/a),
    and where each building's figures come from."""
    figures = heat.heat_intensities(houses.kind, houses.year, houses.function, houses.floor_area, Typology())
    depth = 1 if params["refurbishment_depth"] == "usual" else 2
    columns = {}
    for label, year in (("now", params["base_year"]), *((str(int(y)), y) for y in params["scenario_years"])):
        before, since = heat.refurbished_shares(figures.year_class, tuple(params["refurbished_today"]),
                                                params["base_year"], year, params["refurbishment_rate"])
        state = heat.heat_state(figures, before, since, depth, params["heat_expenditure_factor"])
        columns[f"heat_need_{label}"] = heat.heat_mwh(houses.floor_area, state.need)
        columns[f"heat_final_{label}"] = heat.heat_mwh(houses.floor_area, state.final)
    return columns, figures.source


def _demand_shapes(standard: np.ndarray, profile_of: np.ndarray, dwellings: np.ndarray,
                   annual_kwh: np.ndarray, params: Mapping[str, Any],
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The hourly shapes (each summing to 1) the buildings use and each building's row: the standard
    profiles, and with stochastic households one drawn row per residential building."""
    residential = np.flatnonzero((profile_of == 0) & (annual_kwh > 0))
    if params["household_loads"] != "stochastic" or len(residential) == 0:
        return standard, profile_of
    model = households.household_model(standard[0])
    loads = households.dwelling_loads(model, dwellings[residential], annual_kwh[residential], rng)
    profile_of = profile_of.copy()
    profile_of[residential] = len(standard) + np.arange(len(residential))
    return np.concatenate([standard, loads / annual_kwh[residential, None]]), profile_of


def _electricity(buildings: BuildingData, houses: stock.Stock,
                 params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Profile index (0 households, 1 other heated buildings, 2 the large consumer) and yearly kWh
    of every building."""
    residential = np.isin(houses.kind, ("SFH", "TH", "MFH", "AB"))
    profile_of = np.where(residential, 0, 1)
    annual = np.where(residential, houses.dwellings * params["kwh_per_dwelling"],
                      houses.floor_area * params["nonresidential_kwh_per_m2"])
    function = np.asarray(buildings.attributes.get("function", np.full(len(buildings), "")), dtype=str)
    large = function == params["large_consumer_function"]
    if params["large_consumer_mwh"] > 0 and large.any():
        area = houses.floor_area[large]
        weights = area / area.sum() if area.sum() > 0 else np.full(large.sum(), 1.0 / large.sum())
        annual[large] = params["large_consumer_mwh"] * 1000.0 * weights
        profile_of[large] = 2
    return profile_of, annual


def _groups(buildings: BuildingData, inputs: SimulationInputs) -> tuple[np.ndarray, list[str]]:
    """Each building's quarter (the first that holds it); buildings outside all form their own group."""
    if not inputs.quarters:
        return np.zeros(len(buildings), dtype=np.int64), ["all buildings"]
    group_of = np.full(len(buildings), len(inputs.quarters), dtype=np.int64)
    for index, quarter in reversed(list(enumerate(inputs.quarters))):
        group_of[quarter.select_features(buildings.footprints)] = index
    names = [quarter.name for quarter in inputs.quarters]
    return group_of, names + (["outside the quarters"] if (group_of == len(names)).any() else [])


def _quarter_figures(hourly: np.ndarray, yearly: np.ndarray, params: Mapping[str, Any],
                     building_peaks: np.ndarray) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Figures of a group from its hourly sums, with its quarter battery shaving the grid import;
    also the week's series (WEEK_SERIES) and the hourly balance (BALANCE_FLOWS), in kW."""
    direct, charge_pv, _, discharge, imported, exported, demand, pv = hourly
    # The quarter sees its buildings' net flows: one building's surplus covers another's load first.
    quarter = dispatch(imported, exported, Battery(np.array(params["quarter_battery_kwh"]),
                                                   np.array(params["quarter_battery_kw"]),
                                                   params["battery_efficiency"], params["peak_target_kw"]))[0]
    shared, charge_pv_quarter, grid_charge, discharge_quarter, load_import, final_export, soc = quarter
    final_import = load_import + grid_charge
    figures = {
        "buildings": len(yearly),
        "electricity_mwh": demand.sum() / 1000.0,
        "pv_mwh": pv.sum() / 1000.0,
        "self_sufficiency": self_sufficiency(direct.sum(), discharge.sum(), demand.sum()),
        "self_consumption": self_consumption(direct.sum(), charge_pv.sum(), pv.sum()),
        # Within the quarter one building's surplus covers another's load, and the quarter battery helps.
        "self_sufficiency_quarter": 1.0 - load_import.sum() / demand.sum() if demand.sum() > 0 else np.nan,
        "self_consumption_quarter": 1.0 - final_export.sum() / pv.sum() if pv.sum() > 0 else np.nan,
        "grid_import_mwh": final_import.sum() / 1000.0,
        "grid_export_mwh": final_export.sum() / 1000.0,
        "peak_demand_kw": demand.max(),
        # Buildings peak at different hours: the group's peak is well below the sum of theirs.
        "sum_of_building_peaks_kw": building_peaks.sum(),
        "coincidence_factor": demand.max() / building_peaks.sum() if building_peaks.sum() > 0 else np.nan,
        "peak_import_after_pv_kw": imported.max(),
        "peak_import_after_batteries_kw": final_import.max(),
        "peak_export_kw": final_export.max(),
    }
    series = np.stack([demand, pv, imported, exported, final_import, soc])
    balance = np.stack([demand, pv, direct + shared, charge_pv + charge_pv_quarter,
                        discharge + discharge_quarter, grid_charge, final_import, final_export])
    return figures, series, balance


def _building_table(layer_name: str, buildings: BuildingData, houses: stock.Stock,
                    heat_columns: dict[str, np.ndarray], heat_source: np.ndarray, roofs: _RoofPV,
                    balances, peaks: np.ndarray) -> ResultTable:
    yearly = balances.yearly
    demand = yearly[:, 6]
    sufficiency = np.divide(yearly[:, 0] + yearly[:, 3], demand, out=np.full(len(demand), np.nan),
                            where=demand > 0)
    columns = {"building_id": np.asarray(buildings.ids).astype(str), "type": houses.kind,
               "year_of_construction": houses.year, "floor_area": houses.floor_area,
               "dwellings": houses.dwellings,
               "heat_source": heat_source, **heat_columns, "pv_kwp": roofs.kwp_per_building,
               "pv_yield": yearly[:, 7] / 1000.0,
               "electricity": demand / 1000.0, "peak_demand": peaks, "self_sufficiency": sufficiency}
    units = {"floor_area": "m²", "pv_kwp": "kWp", "pv_yield": "MWh/a", "electricity": "MWh/a",
             "peak_demand": "kW", **{column: "MWh/a" for column in heat_columns}}
    return ResultTable("energy_buildings", layer_name, columns, units,
                       "heated area, heat need (housing) and final energy now and per scenario year, "
                       "rooftop PV, electricity and its peak")


def _quarter_table(per_quarter: dict[str, dict[str, Any]]) -> ResultTable:
    names = list(per_quarter)
    keys = list(next(iter(per_quarter.values()))) if names else []
    columns = {"quarter": np.array(names, dtype=str),
               **{key: np.array([per_quarter[name][key] for name in names], dtype=float) for key in keys}}
    return ResultTable("energy_quarters", "quarters", columns, {}, "yearly figures per quarter (units as "
                       "declared; shares 0-1)")


def _week_table(names: list[str], quarter_rows: list, weather, week: int) -> ResultTable:
    hours = slice((week - 1) * 168, week * 168)
    series = np.concatenate([rows[1][:, hours] for rows in quarter_rows], axis=1)
    times = np.tile(weather.times_utc[hours] + np.timedelta64(1800, "s"), len(names))
    columns = {"quarter": np.repeat(np.array(names, dtype=str), 168),
               "hour_ending_utc": np.datetime_as_string(times, unit="m"),
               **{name: series[row] for row, name in enumerate(WEEK_SERIES)}}
    units = {name: "kW" for name in columns if name not in ("quarter", "hour_ending_utc")}
    units["quarter_battery_soc"] = "kWh"
    return ResultTable("energy_week", "quarters", columns, units, f"hourly flows in calendar week {week}")


def _month_table(names: list[str], quarter_rows: list, weather) -> ResultTable:
    """The balance of every quarter summed per calendar month (MEZ, the reference year's clock), MWh."""
    month = (weather.times_utc + np.timedelta64(3600, "s")).astype("datetime64[M]").astype(np.int64) % 12
    starts = np.flatnonzero(np.r_[True, np.diff(month) != 0])
    if len(starts) != 12:
        raise ValueError("the reference year must run from January to December")
    # (quarters, flows, 12): kW over an hour is kWh.
    sums = np.add.reduceat(np.stack([rows[2] for rows in quarter_rows]), starts, axis=2) / 1000.0
    flows = {flow: sums[:, row].ravel() for row, flow in enumerate(BALANCE_FLOWS)}
    columns = {"quarter": np.repeat(np.array(names, dtype=str), 12),
               "month": np.tile(np.arange(1, 13), len(names)),
               "demand": flows["demand"], "pv": flows["pv"],
               "self_consumed": flows["pv_direct"] + flows["battery_charge"],
               **{flow: flows[flow] for flow in BALANCE_FLOWS[2:]}}
    units = {name: "MWh" for name in columns if name not in ("quarter", "month")}
    return ResultTable("energy_months", "quarters", columns, units,
                       "monthly electricity balance: PV self-consumed (at once or stored) and exported, "
                       "demand covered by PV, batteries and the grid")
