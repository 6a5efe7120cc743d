"""Flood nowcast: a rain rule on a live gauge starts the flood run of the gauge's quarter.

A `RainRule` watches one precipitation datastream of a live sensors layer: when more than
`threshold_mm` fell in the last `window_min` minutes it fires, once per event (it arms again
when the window's rain drops under the threshold). The `Nowcaster` then builds the event's rain
as a gauge record (the observed rain since the wet spell began, extended with a design-storm
`StormTail` after the last observation) and runs the flood simulation of the scenario on the
quarter that holds the gauge, with `rain = "gauge"`: the flood plugin takes the record as it
takes a recorded storm. The `Alert` holds the expected maximum depth and the affected buildings.

`python main.py watch SCENARIO.toml` runs this unattended: the scenario is a flood scenario with
a `[watch]` table (see WatchConfig) naming the service or MQTT broker, the rule and the tail.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely

from twin.core.data import Datastream, ResultTable, SensorData, TimeSeries
from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.layers import SensorsLayer
from twin.core.scenario import Scenario
from twin.sim.contract import Simulation, SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, RunStatus, SimulationInputError, resolve_parameters, run_simulation
from twin.sim.scenario_run import prepare_scene

MM_FACTORS = {"mm": 1.0, "l/m2": 1.0, "l/m²": 1.0, "cm": 10.0, "m": 1000.0}
AFFECTED_LISTED = 20
DepthTable = tuple[tuple[float, ...], tuple[float, ...]]  # (durations in min, depths in mm)


class NowcastError(TwinError):
    """A rule, tail or gauge that cannot make a nowcast; one sentence."""


@dataclass(frozen=True)
class RainRule:
    """Fires when more than `threshold_mm` fell at the gauge within the last `window_min` minutes."""

    datastream: str
    threshold_mm: float = 15.0
    window_min: float = 30.0


@dataclass(frozen=True)
class StormTail:
    """The rain assumed after the last observation: `euler2` (a design storm from the flood
    scenario's depth-duration table), `block` (depth_mm spread evenly) or `none`."""

    kind: str = "euler2"
    duration_min: float = 30.0
    depth_mm: float = 0.0
    step_min: float = 5.0

    def depths_mm(self, table: DepthTable | None) -> np.ndarray:
        """The tail's rain per step (mm), in time order."""
        steps = int(round(self.duration_min / self.step_min))
        if self.kind == "none" or steps == 0:
            return np.zeros(0)
        if self.kind == "block":
            return np.full(steps, self.depth_mm / steps)
        if self.kind != "euler2":
            raise NowcastError(f"the storm tail '{self.kind}' is none of euler2, block, none")
        from plugins.flood.rain import DRESDEN_100_YEAR_TABLE, RainError, euler_type2

        durations, depths = table or tuple(zip(*DRESDEN_100_YEAR_TABLE, strict=True))
        try:
            storm = euler_type2(tuple(durations), tuple(depths), self.duration_min, self.step_min)
        except RainError as error:
            raise NowcastError(f"the storm tail: {error}") from None
        return storm.intensities * self.step_min * 60.0 * 1000.0


@dataclass(frozen=True)
class Trigger:
    """The rule fired: when, how much fell in the window, and where the wet spell began."""

    datastream: str
    station: str
    time: np.datetime64
    window_mm: float
    event_start: np.datetime64


class RainWatch:
    """Applies a rule to a sensors layer's data after each merge; one trigger per event."""

    def __init__(self, rule: RainRule) -> None:
        self.rule = rule
        self._armed = True

    def check(self, sensors: SensorData) -> Trigger | None:
        stream = gauge_stream(sensors, self.rule.datastream)
        times, depths = stream.series.times, rain_depths_mm(stream)
        if not len(times):
            return None
        window_start = times[-1] - np.timedelta64(int(self.rule.window_min * 60), "s")
        in_window = times > window_start
        window_mm = float(depths[in_window].sum())
        if window_mm <= self.rule.threshold_mm:
            self._armed = True
            return None
        if not self._armed:
            return None
        self._armed = False
        first = _wet_spell_start(depths, int(np.argmax(in_window)))
        return Trigger(stream.id, stream.station_id, times[-1], window_mm,
                       times[first] - _interval(times, first))


@dataclass
class Alert:
    """What a nowcast expects: figures of the quarter and the affected buildings, deepest first."""

    trigger: Trigger
    quarter: str
    observed_mm: float
    tail_mm: float
    simulated_rain_mm: float | None = None  # the rain the flood run had, as it reports it
    max_depth_m: float | None = None
    buildings_affected: int | None = None
    affected_buildings: list[dict[str, Any]] = field(default_factory=list)
    run_id: str = ""
    error: str | None = None
    report: RunReport | None = field(default=None, repr=False, compare=False)  # the run, for a scene to keep

    def as_json(self) -> dict[str, Any]:
        return {"alert": "flood nowcast", "time_utc": _iso(self.trigger.time),
                "datastream": self.trigger.datastream, "station": self.trigger.station,
                "window_mm": round(self.trigger.window_mm, 2),
                "event_start_utc": _iso(self.trigger.event_start),
                "quarter": self.quarter, "observed_rain_mm": round(self.observed_mm, 2),
                "tail_rain_mm": round(self.tail_mm, 2), "simulated_rain_mm": self.simulated_rain_mm,
                "max_depth_m": self.max_depth_m,
                "buildings_affected": self.buildings_affected,
                "affected_buildings": self.affected_buildings, "run_id": self.run_id, "error": self.error}

    def sentence(self) -> str:
        head = (f"ALERT {_iso(self.trigger.time)}: {self.trigger.window_mm:.1f} mm in the rain window at "
                f"'{self.trigger.station}'")
        if self.error:
            return f"{head}; the flood nowcast of {self.quarter} failed: {self.error}"
        depth = "no water" if self.max_depth_m is None else f"a maximum depth of {self.max_depth_m:.2f} m"
        names = ", ".join(item["building"] for item in self.affected_buildings[:5])
        return (f"{head}; the flood nowcast of {self.quarter} ({self.observed_mm:.1f} mm observed + "
                f"{self.tail_mm:.1f} mm design tail) expects {depth} and {self.buildings_affected or 0} "
                f"affected buildings{': ' + names if names else ''}")


class Nowcaster:
    """Runs a flood simulation on a trigger, on inputs loaded once (terrain, buildings, streets)."""

    def __init__(self, simulation: Simulation, inputs: SimulationInputs, parameters: dict[str, Any],
                 tail: StormTail, *, after_rain_min: float = 30.0, seed: int | None = None,
                 name: str = "flood nowcast") -> None:
        self.simulation, self.inputs, self.parameters = simulation, inputs, parameters
        self.tail, self.after_rain_min, self.seed, self.name = tail, after_rain_min, seed, name

    @classmethod
    def for_scenario(cls, scenario: Scenario, tail: StormTail, after_rain_min: float = 30.0,
                     registry: SimulationRegistry | None = None) -> Nowcaster:
        """The scenario's simulation on its inputs; its sensors file, if any, is left to the live layer."""
        simulation = (registry or SimulationRegistry.discover()).get(scenario.simulation)()
        others = {slot: path for slot, path in scenario.inputs.items() if slot != "sensors"}
        _, inputs = prepare_scene(replace(scenario, inputs=others))
        return cls(simulation, inputs, dict(scenario.parameters), tail, after_rain_min=after_rain_min,
                   seed=scenario.seed, name=f"nowcast: {scenario.name}")

    @property
    def crs(self) -> str:
        return self.inputs.crs

    def run(self, sensors: SensorData, trigger: Trigger, feedback: Feedback | None = None) -> Alert:
        """The flood run of the gauge's quarter on the observed rain and the tail; its alert."""
        gauge = _gauge_in_scene(sensors, trigger.station, self.inputs.crs)
        quarter = self._quarter_of(gauge.xyz[0])
        record, observed_mm, tail_mm = nowcast_record(gauge, trigger, self.tail, self.tail_table())
        rain_min = (record.series.times[-1] - trigger.event_start).astype(int) / 60.0
        parameters = {**self.parameters, "rain": "gauge", "rain_gauge": trigger.station,
                      "gauge_start_utc": _iso(trigger.event_start),
                      "duration_min": float(math.ceil(rain_min + self.after_rain_min))}
        layers = {**self.inputs.layers, "sensors": SensorsLayer(_only(gauge, record), "nowcast rain")}
        inputs = SimulationInputs(layers=layers, quarters=[quarter] if quarter else self.inputs.quarters,
                                  crs=self.inputs.crs)
        alert = Alert(trigger, quarter.name if quarter else "the scenario's quarters", observed_mm, tail_mm)
        try:
            report = run_simulation(self.simulation, inputs, parameters, seed=self.seed,
                                    feedback=feedback, scenario=self.name)
        except TwinError as error:
            alert.error = str(error)
            return alert
        if report.status is not RunStatus.OK or report.output is None:
            alert.error = report.error or report.status.value
            return alert
        _fill_alert(alert, report.output.per_quarter, report.output.results)
        rain_mm = report.output.summary.get("rain_depth_mm")
        alert.simulated_rain_mm = None if rain_mm is None else round(float(rain_mm), 2)
        alert.run_id, alert.report = report.run_id, report
        return alert

    def _quarter_of(self, xyz: np.ndarray):
        point = shapely.Point(float(xyz[0]), float(xyz[1]))
        return next((quarter for quarter in self.inputs.quarters if quarter.polygon.covers(point)), None)

    def tail_table(self) -> DepthTable:
        """The scenario's own depth-duration table at its return period (its KOSTRA file, its rows
        or the illustrative default), so that the tail is the storm the scenario names."""
        from plugins.flood.simulation import depth_duration_table

        try:  # a refused table or return period (RainError is one) is the tail's problem here
            parameters = resolve_parameters(self.simulation, self.parameters)
            table = depth_duration_table(parameters)
            depths = table.column(parameters["return_period_a"])
        except SimulationInputError as error:
            raise NowcastError(f"the storm tail: {error}") from None
        return tuple(table.durations_min), tuple(depths)


def nowcast_record(gauge: SensorData, trigger: Trigger, tail: StormTail,
                   table: DepthTable | None) -> tuple[Datastream, float, float]:
    """The event as a gauge record in mm per interval: observed since the event began, then the tail.

    Returns the datastream, the observed and the tail's rain (mm)."""
    stream = gauge_stream(gauge, trigger.datastream)
    times, depths = stream.series.times, rain_depths_mm(stream)
    observed = (times > trigger.event_start) & (times <= trigger.time)
    tail_depths = tail.depths_mm(table)
    step = np.timedelta64(int(tail.step_min * 60), "s")
    tail_times = trigger.time + step * np.arange(1, len(tail_depths) + 1)
    series = TimeSeries(np.concatenate([times[observed], tail_times]).astype("datetime64[s]"),
                        np.concatenate([depths[observed], tail_depths]))
    record = Datastream(id=f"{stream.id} nowcast", station_id=stream.station_id,
                        name=f"{stream.name} nowcast", quantity="precipitation", unit="mm", series=series)
    return record, float(depths[observed].sum()), float(tail_depths.sum())


def gauge_stream(sensors: SensorData, datastream: str) -> Datastream:
    stream = next((item for item in sensors.datastreams if item.id == datastream), None)
    if stream is None:
        known = ", ".join(item.id for item in sensors.datastreams[:8])
        raise NowcastError(f"the rain rule's datastream '{datastream}' is not in the sensors layer "
                           f"(it has {known})")
    return stream


def rain_depths_mm(stream: Datastream) -> np.ndarray:
    """Rain per interval in mm: sums (mm, cm, m, l/m²) as they are, intensities (.../h) times the interval."""
    unit = stream.unit.replace(" ", "").lower()
    depth_unit, per_hour = (unit[:-2], True) if unit.endswith("/h") else (unit, False)
    if depth_unit not in MM_FACTORS:
        raise NowcastError(f"the rain gauge's unit '{stream.unit}' is not a depth (mm) or an intensity "
                           "(mm/h)")
    values = stream.series.values * MM_FACTORS[depth_unit]
    if not per_hour:
        return values
    times = stream.series.times
    hours = np.array([_interval(times, index).astype(int) / 3600.0 for index in range(len(times))])
    return values * hours


def _interval(times: np.ndarray, index: int) -> np.timedelta64:
    """The interval that ends at times[index]: back to the one before (the first as long as the second)."""
    if len(times) < 2:
        return np.timedelta64(300, "s")
    return times[index] - times[index - 1] if index > 0 else times[1] - times[0]


def _wet_spell_start(depths: np.ndarray, first_in_window: int) -> int:
    """The first of the wet intervals that lead into the window's first wet one without a dry one
    between (the window's leading dry intervals are no part of the event)."""
    first = first_in_window
    while first < len(depths) - 1 and depths[first] <= 0:
        first += 1
    while first > 0 and depths[first - 1] > 0:
        first -= 1
    return first


def _gauge_in_scene(sensors: SensorData, station: str, crs: str) -> SensorData:
    from twin.io.reproject import to_crs

    rows = np.flatnonzero(np.asarray(sensors.ids).astype(str) == station)
    if not len(rows):
        raise NowcastError(f"the rain gauge '{station}' is not in the sensors layer")
    row = int(rows[0])
    one = SensorData(ids=sensors.ids[row:row + 1], xyz=sensors.xyz[row:row + 1], attributes={},
                     datastreams=sensors.datastreams_of(station), crs=sensors.crs)
    return one if sensors.crs == crs else to_crs(one, crs)


def _only(gauge: SensorData, record: Datastream) -> SensorData:
    return SensorData(ids=gauge.ids, xyz=gauge.xyz, attributes={}, datastreams=[record], crs=gauge.crs)


def _fill_alert(alert: Alert, per_quarter: dict[str, dict[str, Any]], results: list) -> None:
    figures = per_quarter.get(alert.quarter) or next(iter(per_quarter.values()), {})
    depth = figures.get("max_depth_m")
    alert.max_depth_m = None if depth is None or not np.isfinite(depth) else round(float(depth), 3)
    alert.buildings_affected = figures.get("buildings_affected")
    table = next((item for item in results
                  if isinstance(item, ResultTable) and item.name == "building_flood"), None)
    if table is None or "affected" not in table.columns:
        return
    affected = np.flatnonzero(np.asarray(table.columns["affected"]).astype(bool))
    depths = np.asarray(table.columns["max_depth"], dtype=float)[affected]
    order = affected[np.argsort(-depths, kind="stable")][:AFFECTED_LISTED]
    alert.affected_buildings = [{"building": str(table.columns["building_id"][row]),
                                 "max_depth_m": round(float(table.columns["max_depth"][row]), 3)}
                                for row in order]


def _iso(time: np.datetime64) -> str:
    return f"{np.datetime_as_string(np.datetime64(time, 's'), unit='s')}Z"


def alert_line(alert: Alert) -> str:
    """The alert as one JSON line, for logs and other programs."""
    return json.dumps(alert.as_json(), ensure_ascii=False, allow_nan=False)
