"""Rain events as piecewise-constant intensities: block rain, Euler type II design storms, gauges.

An illustrative depth-duration table for Dresden, return period 100 years, is given in
DRESDEN_100_YEAR_TABLE. It is NOT the KOSTRA-DWD-2020 table (its cells cannot be downloaded
here): it is shaped like a KOSTRA curve for the Elbe valley and passes through 52.5 mm in
1 hour, close to the 53 mm in 1 h that Dresden called a 100-year event. Use the official
KOSTRA values for the 5 km cell of your site for real hazard maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.core.data import Datastream, SensorData
from twin.sim import SimulationInputError

MM_PER_HOUR = 1.0 / 3_600_000.0  # m/s

# (duration in minutes, depth in mm); illustrative, see the module docstring.
DRESDEN_100_YEAR_TABLE = ((5.0, 16.5), (10.0, 25.0), (15.0, 30.5), (20.0, 34.5), (30.0, 40.5),
                          (45.0, 47.0), (60.0, 52.5))


class RainError(SimulationInputError, ValueError):
    """A rain definition that cannot make an event (the user's input); one plain sentence."""


@dataclass(frozen=True)
class RainSeries:
    """Intensity `intensities[k]` (m/s) from `starts[k]` to `starts[k + 1]` (s); dry after `end`."""

    starts: np.ndarray
    intensities: np.ndarray
    end: float

    def __post_init__(self) -> None:
        if len(self.starts) != len(self.intensities):
            raise RainError("a rain series needs one intensity per start time")
        if len(self.starts) and (np.any(np.diff(self.starts) <= 0) or self.end <= self.starts[-1]):
            raise RainError("rain start times must rise and end after the last start")
        if np.any(self.intensities < 0):
            raise RainError("rain intensities cannot be negative")

    def rate_at(self, t: float) -> float:
        """Intensity (m/s) during the interval that starts at or before t."""
        if not len(self.starts) or t < self.starts[0] or t >= self.end:
            return 0.0
        return float(self.intensities[np.searchsorted(self.starts, t, side="right") - 1])

    def change_times(self) -> np.ndarray:
        """The times where the intensity changes (the solver steps land on them)."""
        return np.append(self.starts, self.end) if len(self.starts) else np.zeros(0)

    @property
    def depth_mm(self) -> float:
        durations = np.diff(np.append(self.starts, self.end))
        return float((self.intensities * durations).sum() * 1000.0)

    @property
    def peak_mm_h(self) -> float:
        return float(self.intensities.max() / MM_PER_HOUR) if len(self.intensities) else 0.0


def no_rain() -> RainSeries:
    return RainSeries(np.zeros(0), np.zeros(0), 0.0)


def block_rain(depth_mm: float, duration_min: float) -> RainSeries:
    """The same intensity over the whole duration."""
    if duration_min <= 0:
        raise RainError("a block rain needs a duration above zero")
    seconds = duration_min * 60.0
    return RainSeries(np.array([0.0]), np.array([depth_mm / 1000.0 / seconds]), seconds)


def euler_type2(durations_min: tuple[float, ...], depths_mm: tuple[float, ...], duration_min: float,
                step_min: float = 5.0) -> RainSeries:
    """Euler type II design storm from a depth-duration table (DWA practice).

    The cumulative depth is interpolated at each step (log-log between the table's durations,
    as KOSTRA depths grow like a power of the duration: see plugins.flood.kostra), the step
    increments sorted descending (Euler type I), then the largest ones turned ascending so that
    the peak falls in the step that contains 0.3 D, where DWA practice puts it. (Rounding 0.3
    times the step count put it a step early for 75, 90 and 120 minutes.)
    """
    durations, depths = _table(durations_min, depths_mm)
    if duration_min > durations[-1] + 1e-9:
        raise RainError(f"the depth-duration table ends at {durations[-1]:g} min; it cannot make a "
                        f"{duration_min:g} min storm")
    steps = int(round(duration_min / step_min))
    if steps < 1 or abs(steps * step_min - duration_min) > 1e-9:
        raise RainError(f"the storm duration {duration_min:g} min must be a whole number of "
                        f"{step_min:g} min steps")
    cumulative = log_log(step_min * np.arange(1, steps + 1), durations, depths)
    increments = np.sort(np.diff(np.concatenate([[0.0], cumulative])))[::-1]
    peak_step = int(np.floor(0.3 * steps + 1e-9))  # the step [k, k + 1) that holds 0.3 D
    rising = peak_step + 1
    ordered = np.concatenate([increments[:rising][::-1], increments[rising:]])
    seconds = step_min * 60.0
    return RainSeries(seconds * np.arange(steps), ordered / 1000.0 / seconds, steps * seconds)


def _table(durations_min: tuple[float, ...], depths_mm: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    durations, depths = np.asarray(durations_min, float), np.asarray(depths_mm, float)
    if len(durations) != len(depths) or len(durations) == 0:
        raise RainError("the depth-duration table needs as many depths as durations, at least one")
    if np.any(np.diff(durations) <= 0) or durations[0] <= 0:
        raise RainError("the table's durations must be above zero and rise")
    if np.any(np.diff(depths) < 0) or depths[0] <= 0:
        raise RainError("the table's depths must be above zero and not fall as the duration grows")
    return durations, depths


def log_log(durations: np.ndarray, table_durations: np.ndarray, table_depths: np.ndarray) -> np.ndarray:
    """Depths at `durations` on the power law hN = a D^b through each pair of neighbouring table
    points; below the first duration at its constant intensity."""
    durations = np.asarray(durations, dtype=float)
    clipped = np.maximum(durations, table_durations[0])
    depths = np.exp(np.interp(np.log(clipped), np.log(table_durations), np.log(table_depths)))
    return np.where(durations < table_durations[0], table_depths[0] * durations / table_durations[0], depths)


def gauge_rain(sensors: SensorData, station_id: str, start: np.datetime64 | None = None,
               seconds: float | None = None) -> tuple[RainSeries, np.datetime64]:
    """A recorded event from a rain gauge: its precipitation datastream, and the event's start.

    Values are sums per interval stamped at the interval's end (unit mm), or intensities (a
    unit with "/h", e.g. mm/h) held over the interval that ends at the stamp. The first
    interval is taken as long as the second. The event is the intervals that end in
    (start, start + seconds]; without a start, the wet spell around the wettest hour.
    """
    stream = precipitation_stream(sensors, station_id)
    times, values = stream.series.times.astype("datetime64[s]"), stream.series.values.astype(float)
    if len(times) < 2:
        raise RainError(f"the rain gauge '{station_id}' has fewer than two observations")
    ends = (times - times[0]).astype(float)
    starts = np.concatenate([[ends[0] - (ends[1] - ends[0])], ends[:-1]])
    if start is None:
        first = wettest_spell(values, ends)
    else:
        first = int(np.searchsorted(ends, (np.datetime64(start, "s") - times[0]).astype(float), side="right"))
    last = len(ends)
    if seconds is not None and first < len(ends):
        last = int(np.searchsorted(ends, starts[first] + seconds, side="right"))
    if last <= first:
        raise RainError(f"the rain gauge '{station_id}' has no observations in the chosen event")
    starts, ends, values = starts[first:last], ends[first:last], values[first:last]
    if stream.unit.replace(" ", "").lower().endswith("/h"):
        intensities = values * _mm_factor(stream.unit) * MM_PER_HOUR
    else:
        intensities = values * _mm_factor(stream.unit) / 1000.0 / (ends - starts)
    if np.any(intensities < 0) or not np.all(np.isfinite(intensities)):
        raise RainError(f"the rain gauge '{station_id}' has negative or missing values")
    origin = starts[0]
    return RainSeries(starts - origin, intensities, float(ends[-1] - origin)), \
        times[0] + np.timedelta64(int(origin), "s")


def wettest_spell(values: np.ndarray, ends: np.ndarray, hour: float = 3600.0) -> int:
    """Index of the first interval of the wet spell that holds the wettest hour's start."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    hour_ends = np.searchsorted(ends, ends + hour - 1e-6, side="right")
    first = int(np.argmax(cumulative[hour_ends] - cumulative[:-1]))
    while first > 0 and values[first - 1] > 0:
        first -= 1
    return first


def precipitation_stream(sensors: SensorData, station_id: str) -> Datastream:
    if station_id not in set(np.asarray(sensors.ids).astype(str)):
        known = ", ".join(sorted(np.asarray(sensors.ids).astype(str))[:8])
        raise RainError(f"no station '{station_id}' in the sensors layer (it has {known})")
    streams = [stream for stream in sensors.datastreams_of(station_id) if is_precipitation(stream)]
    if not streams:
        raise RainError(f"station '{station_id}' has no precipitation datastream")
    return streams[0]


def is_precipitation(stream: Datastream) -> bool:
    quantity = stream.quantity.lower()
    return "precipitation" in quantity or "rain" in quantity


def _mm_factor(unit: str) -> float:
    """Millimetres per unit of depth: mm, cm, m or l/m2 (= mm)."""
    depth_unit = unit.replace(" ", "").lower().split("/h")[0]
    factors = {"mm": 1.0, "l/m2": 1.0, "l/m²": 1.0, "cm": 10.0, "m": 1000.0}
    if depth_unit not in factors:
        raise RainError(f"the rain gauge's unit '{unit}' is not a depth (mm, cm, m) or an intensity "
                        f"(mm/h)")
    return factors[depth_unit]
