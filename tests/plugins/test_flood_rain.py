"""Rain and losses of the flood plugin: where a design storm peaks, how Horton infiltration decays."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.flood import rain
from plugins.flood.rain import MM_PER_HOUR, RainSeries
from plugins.flood.solver import UNSEALED, Domain, Losses, simulate

# A depth-duration table reaching two hours, shaped like the illustrative Dresden one.
TWO_HOUR_TABLE = ((5.0, 16.5), (10.0, 25.0), (15.0, 30.5), (20.0, 34.5), (30.0, 40.5), (45.0, 47.0),
                  (60.0, 52.5), (90.0, 58.0), (120.0, 62.0))


@pytest.mark.parametrize(("duration_min", "peak_start_min"), [
    (60.0, 15.0),  # 0.3 D = 18 min
    (75.0, 20.0),  # 22.5 min; rounding 0.3 x 15 steps put the peak in 15-20 min
    (90.0, 25.0),  # 27 min; was 20-25
    (120.0, 35.0),  # 36 min; was 30-35
])
def test_the_euler_type2_peak_lies_in_the_step_that_holds_three_tenths_of_the_duration(duration_min,
                                                                                        peak_start_min):
    storm = rain.euler_type2(*zip(*TWO_HOUR_TABLE, strict=True), duration_min)
    peak = int(np.argmax(storm.intensities))
    assert storm.starts[peak] / 60.0 == peak_start_min
    assert storm.starts[peak] <= 0.3 * duration_min * 60.0 < storm.starts[peak] + 300.0
    durations, depths = (np.array(column) for column in zip(*TWO_HOUR_TABLE, strict=True))
    assert storm.depth_mm == pytest.approx(rain.log_log(np.array([duration_min]), durations, depths)[0])
    blocks = storm.intensities
    assert np.all(np.diff(blocks[:peak + 1]) >= 0) and np.all(np.diff(blocks[peak:]) <= 1e-15)


def test_horton_capacity_falls_with_the_water_taken_in_not_with_the_time_since_the_start():
    """A gauge-like event: three hours of drizzle at 5 mm/h, below the final rate of 10 mm/h,
    then 100 mm/h for 15 minutes, on a closed, flat, unsealed patch (f0 = 60 mm/h, k = 2/h).

    The drizzle soaks in whole and leaves the soil's capacity where it was, so the burst meets
    60 mm/h decaying from its own start: it takes fc T + (f0 - fc) (1 - exp(-k T)) / k =
    12.34 mm in T = 15 min, 27.34 mm with the drizzle's 15. Horton's curve in time since the
    start had the capacity at 10.1 mm/h by then: 17.5 mm in all, ponding 10 mm more.
    """
    final, initial, decay = 10.0, 60.0, 2.0  # mm/h, mm/h, 1/h
    drizzle_s, burst_s = 3 * 3600.0, 900.0
    storm = RainSeries(np.array([0.0, drizzle_s]), np.array([5.0, 100.0]) * MM_PER_HOUR, drizzle_s + burst_s)
    shape = (3, 3)
    domain = Domain(np.zeros(shape), 1.0, np.full(shape, 0.03), np.full(shape, UNSEALED, np.uint8))
    losses = Losses(final * MM_PER_HOUR, initial * MM_PER_HOUR, decay / 3600.0)
    result = simulate(domain, storm, drizzle_s + burst_s, losses=losses)
    hours = burst_s / 3600.0
    burst_intake = final * hours + (initial - final) * (1.0 - np.exp(-decay * hours)) / decay
    infiltrated_mm = result.balance.infiltration / domain.cell_area / 9 * 1000.0
    assert infiltrated_mm == pytest.approx(15.0 + burst_intake, rel=0.005)
    assert result.depth.mean() * 1000.0 == pytest.approx(25.0 - burst_intake, rel=0.005)
    assert result.balance.relative_error < 1e-9


def test_under_ponding_the_cumulative_horton_form_follows_the_curve_in_time():
    """Heavy rain from the start ponds at once: then the capacity is fc + (f0 - fc) exp(-k t)."""
    final, initial, decay, minutes = 10.0, 60.0, 2.0, 45.0
    shape = (3, 3)
    domain = Domain(np.zeros(shape), 1.0, np.full(shape, 0.03), np.full(shape, UNSEALED, np.uint8))
    losses = Losses(final * MM_PER_HOUR, initial * MM_PER_HOUR, decay / 3600.0)
    result = simulate(domain, rain.block_rain(150.0, minutes), minutes * 60.0, losses=losses)
    hours = minutes / 60.0
    expected = final * hours + (initial - final) * (1.0 - np.exp(-decay * hours)) / decay
    assert result.balance.infiltration / 9 * 1000.0 == pytest.approx(expected, rel=0.005)
