"""Hourly electricity balance with a battery, compiled with numba.

Every kernel releases the GIL (nogil): the desktop shell runs simulations in a worker thread.

The battery follows one rule: it holds the grid import at a target (kW). With target 0 that is
plain self-consumption (charge from PV surplus, discharge to cover the load); with a target above
zero it shaves peaks: it discharges only the load above the target and recharges, from PV or the
grid, while the load is below it. Charge and discharge each lose sqrt(round-trip efficiency).

Flows per hour (kWh in an hour = kW): demand = direct + discharge + import_load and
pv = direct + charge_pv + export; charge = charge_pv + charge_grid (grid charging only above a
zero target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

FLOWS = ("direct", "charge_pv", "charge_grid", "discharge", "import_load", "export", "soc")


@dataclass(frozen=True)
class Battery:
    capacity_kwh: np.ndarray
    power_kw: np.ndarray
    round_trip_efficiency: float = 0.9
    target_import_kw: np.ndarray | float = 0.0


@numba.njit(cache=True, nogil=True)
def _dispatch(demand, pv, capacity, power, efficiency, target, out):
    """One unit's year; out is (7, hours) in the order of FLOWS."""
    step_efficiency = np.sqrt(efficiency)
    soc = 0.0
    for hour in range(demand.shape[0]):
        load, generation = demand[hour], pv[hour]
        direct = min(load, generation)
        surplus, deficit = generation - direct, load - direct
        discharge = 0.0
        charge_pv = 0.0
        charge_grid = 0.0
        if deficit > target:
            discharge = min(deficit - target, power, soc * step_efficiency)
            soc -= discharge / step_efficiency
        else:
            room = (capacity - soc) / step_efficiency
            charge_pv = min(surplus, power, room)
            charge_grid = min(target - deficit, power - charge_pv, room - charge_pv)
            charge_grid = max(charge_grid, 0.0)
            soc += (charge_pv + charge_grid) * step_efficiency
        out[0, hour] = direct
        out[1, hour] = charge_pv
        out[2, hour] = charge_grid
        out[3, hour] = discharge
        out[4, hour] = deficit - discharge
        out[5, hour] = surplus - charge_pv
        out[6, hour] = soc


@numba.njit(parallel=True, cache=True, nogil=True)
def _dispatch_units(demand, pv, capacity, power, efficiency, target, out):
    for unit in numba.prange(demand.shape[0]):
        _dispatch(demand[unit], pv[unit], capacity[unit], power[unit], efficiency, target[unit], out[unit])


def dispatch(demand: np.ndarray, pv: np.ndarray, battery: Battery) -> np.ndarray:
    """Hourly flows of units (buildings or quarters): (units, 7, hours) in the order of FLOWS.

    demand and pv are (units, hours) in kW; the battery's arrays have one value per unit.
    """
    demand, pv = np.atleast_2d(demand).astype(np.float64), np.atleast_2d(pv).astype(np.float64)
    units = demand.shape[0]
    out = np.empty((units, len(FLOWS), demand.shape[1]))
    _dispatch_units(demand, pv, _per_unit(battery.capacity_kwh, units), _per_unit(battery.power_kw, units),
                    float(battery.round_trip_efficiency), _per_unit(battery.target_import_kw, units), out)
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _building_balances(profiles, profile_of, annual_kwh, pv_yields, pv_start, pv_class, pv_kwp,
                       capacity, power, efficiency, group_of, groups, chunks):
    """Per building: demand from its profile, PV from its orientation classes, the battery year.

    Returns the yearly sums per building (buildings, 8: BUILDING_COLUMNS) and the hourly sums per
    group (groups, 8, hours), accumulated per chunk of buildings so that threads never share a sum.
    """
    buildings, hours = profile_of.shape[0], profiles.shape[1]
    totals = np.zeros((buildings, 8))
    hourly = np.zeros((chunks, groups, 8, hours))
    per_chunk = (buildings + chunks - 1) // chunks
    for chunk in numba.prange(chunks):
        demand = np.empty(hours)
        pv = np.empty(hours)
        out = np.empty((7, hours))
        for building in range(chunk * per_chunk, min((chunk + 1) * per_chunk, buildings)):
            demand[:] = profiles[profile_of[building]] * annual_kwh[building]
            pv[:] = 0.0
            for entry in range(pv_start[building], pv_start[building + 1]):
                pv += pv_yields[pv_class[entry]] * pv_kwp[entry]
            _dispatch(demand, pv, capacity[building], power[building], efficiency, 0.0, out)
            group = group_of[building]
            for hour in range(hours):
                for flow in range(6):
                    totals[building, flow] += out[flow, hour]
                    hourly[chunk, group, flow, hour] += out[flow, hour]
                totals[building, 6] += demand[hour]
                totals[building, 7] += pv[hour]
                hourly[chunk, group, 6, hour] += demand[hour]
                hourly[chunk, group, 7, hour] += pv[hour]
    return totals, hourly.sum(axis=0)


BUILDING_COLUMNS = ("direct", "charge_pv", "charge_grid", "discharge", "import_load", "export",
                    "demand", "pv")


@dataclass(frozen=True)
class BuildingBalances:
    """Yearly kWh per building and hourly kW per group, columns in the order of BUILDING_COLUMNS."""

    yearly: np.ndarray  # (buildings, 8)
    hourly: np.ndarray  # (groups, 8, hours)


def building_balances(profiles: np.ndarray, profile_of: np.ndarray, annual_kwh: np.ndarray,
                      pv_yields: np.ndarray, pv_start: np.ndarray, pv_class: np.ndarray, pv_kwp: np.ndarray,
                      battery: Battery, group_of: np.ndarray, groups: int,
                      chunks: int = 16) -> BuildingBalances:
    """Every building's year with its own PV and battery (self-consumption), summed per group.

    profiles (profiles, hours) each sum to 1; building b uses profiles[profile_of[b]] x annual_kwh[b].
    pv_yields (classes, hours) are kW per kWp; building b has the entries pv_start[b]:pv_start[b+1]
    of pv_class and pv_kwp. group_of[b] in 0..groups-1 (quarters, or one more for outside ones).
    """
    buildings = len(profile_of)
    yearly, hourly = _building_balances(
        np.ascontiguousarray(profiles, dtype=np.float64), np.asarray(profile_of, dtype=np.int64),
        np.asarray(annual_kwh, dtype=np.float64), np.ascontiguousarray(pv_yields, dtype=np.float64),
        np.asarray(pv_start, dtype=np.int64), np.asarray(pv_class, dtype=np.int64),
        np.asarray(pv_kwp, dtype=np.float64), _per_unit(battery.capacity_kwh, buildings),
        _per_unit(battery.power_kw, buildings), float(battery.round_trip_efficiency),
        np.asarray(group_of, dtype=np.int64), int(groups), int(max(1, min(chunks, buildings))))
    return BuildingBalances(yearly, hourly)


def _per_unit(values: np.ndarray | float, units: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (units,)).copy()


def self_sufficiency(direct: float, discharge: float, demand: float) -> float:
    """(PV used directly + battery discharge) / consumption (NOTES.md)."""
    return (direct + discharge) / demand if demand > 0 else float("nan")


def self_consumption(direct: float, charge_pv: float, pv: float) -> float:
    """(PV used directly + battery charge from PV) / PV generation (NOTES.md)."""
    return (direct + charge_pv) / pv if pv > 0 else float("nan")
