"""KOSTRA depth-duration tables: reading a grid cell's export, interpolating between durations and
return periods as KOSTRA prescribes, and the run saying which table its rain came from."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.flood import kostra, rain
from plugins.flood.simulation import FloodSimulation
from tests.conftest import PROJECT_ROOT
from tests.plugins.test_flood_plugin import FAST, scene_inputs
from twin.core.scene import RunRecord
from twin.sim import run_simulation

CELL_49011 = PROJECT_ROOT / "tests" / "data" / "flood" / "kostra_2010r_cell_49011.csv"
DURATIONS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 540, 720, 1080, 1440, 2880, 4320)


@pytest.fixture(scope="module")
def cell() -> kostra.DepthDurationTable:
    return kostra.read_kostra_csv(CELL_49011)


def test_a_grid_cell_table_is_read_with_its_cell_and_data_set(cell):
    assert cell.source == "KOSTRA-DWD-2010R cell 49011 (file kostra_2010r_cell_49011.csv)"
    assert tuple(cell.durations_min) == DURATIONS
    assert tuple(cell.return_periods_a) == (1, 2, 3, 5, 10, 20, 30, 50, 100)
    assert cell.depths_mm[DURATIONS.index(60), -1] == 51.0  # hN(60 min, 100 a), decimal comma read
    assert cell.depths_mm[DURATIONS.index(4320), 0] == 49.8


def test_the_attribute_table_layout_of_dwds_gis_files_reads_the_same(cell, tmp_path):
    columns = [f"HN_{int(period):03d}A" for period in cell.return_periods_a]
    lines = ["INDEX_RC,D_min," + ",".join(columns)]
    lines += [f"49011,{duration:g}," + ",".join(f"{depth:g}" for depth in row)
              for duration, row in zip(cell.durations_min, cell.depths_mm, strict=True)]
    (tmp_path / "cell.csv").write_text("\n".join(lines), encoding="utf-8")
    read = kostra.read_kostra_csv(tmp_path / "cell.csv")
    assert np.array_equal(read.depths_mm, cell.depths_mm)
    assert read.source == "KOSTRA-DWD (data set not named) cell 49011 (file cell.csv)"


@pytest.mark.parametrize(("left_out", "tolerance"), [
    *((duration, 0.035) for duration in (10, 15, 20, 30, 45)),
    *((duration, 0.003) for duration in (90, 120, 180, 240, 360, 540, 720, 1080))])
def test_log_log_interpolation_recovers_a_left_out_published_duration(cell, left_out, tolerance):
    """A duration left out and interpolated from its neighbours, in all nine return periods:
    the log-log line lands within 0.3 % of DWD's published depth from 90 min to 18 h and within
    3.5 % below 1 h (the curve bends most there, and the gap left is twice the table's), and
    always nearer than a straight line (which misses by 0.6-1.5 % and up to 6.4 %). 60 min and
    24 h are left aside: KOSTRA joins its fitted segments there, so their neighbours lie on
    different curves."""
    durations = cell.durations_min
    row = DURATIONS.index(left_out)
    kept = np.arange(len(durations)) != row
    for depths in cell.depths_mm.T:
        published = depths[row]
        log_log = rain.log_log(durations[row:row + 1], durations[kept], depths[kept])[0]
        straight = np.interp(left_out, durations[kept], depths[kept])
        assert abs(log_log / published - 1) <= tolerance
        assert abs(log_log - published) < abs(straight - published)


def test_between_return_periods_the_depth_is_linear_in_the_log_of_the_period(cell):
    """hN = u + w ln T: the 20- and 30-year columns left out and rebuilt from 10 and 50 years
    reproduce DWD's published values within 1.5 %."""
    kept = kostra.DepthDurationTable(cell.durations_min, cell.return_periods_a[[4, 7]],
                                     cell.depths_mm[:, [4, 7]], "10 and 50 years")
    assert kept.column(20.0) == pytest.approx(cell.depths_mm[:, 5], rel=0.015)
    assert kept.column(30.0) == pytest.approx(cell.depths_mm[:, 6], rel=0.015)
    with pytest.raises(rain.RainError, match="no return period of 100 years"):
        kept.column(100.0)


def test_the_euler_type2_storm_matches_an_independent_implementation(cell):
    """The R package kostra2020's calc_modelrain (EulerII, 5 min steps) on this cell, 60 min and
    20 years: 38.7 mm in all, the 5-minute depth 11.3 mm as the peak, in the 4th interval."""
    storm = rain.euler_type2(tuple(cell.durations_min), tuple(cell.column(20.0)), 60.0)
    blocks_mm = storm.intensities * 300.0 * 1000.0
    assert storm.depth_mm == pytest.approx(38.7)
    assert blocks_mm.max() == pytest.approx(11.3)
    assert int(np.argmax(blocks_mm)) == 3


def test_a_table_that_is_no_kostra_table_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "notes.csv").write_text("station;rain\nDresden;53\n", encoding="utf-8")
    with pytest.raises(rain.RainError, match="notes.csv: no header row naming return periods"):
        kostra.read_kostra_csv(tmp_path / "notes.csv")
    (tmp_path / "two.csv").write_text("INDEX_RC;D_min;HN_001A;HN_100A\n1;5;5;14\n2;5;6;15\n", encoding="utf-8")
    with pytest.raises(rain.RainError, match="holds 2 grid cells"):
        kostra.read_kostra_csv(tmp_path / "two.csv")


@pytest.mark.parametrize(("params", "label"), [
    ({}, "illustrative Dresden table (demo default, not KOSTRA), T = 100 a"),
    ({"kostra_file": str(CELL_49011), "return_period_a": 30.0},
     "KOSTRA-DWD-2010R cell 49011 (file kostra_2010r_cell_49011.csv), T = 30 a"),
])
def test_the_run_says_which_table_its_design_storm_came_from(params, label):
    given = {**FAST, "rain": "euler2", "rain_duration_min": 30.0, "duration_min": 5.0, **params}
    report = run_simulation(FloodSimulation(), scene_inputs(), given, seed=1)
    assert report.ok, report.traceback
    summary = report.output.summary
    assert summary["rain_table"] == label
    assert summary["rain_hyetograph"]["end_min"] == 30.0
    record = RunRecord("r1", "flood", "storm", 1, given, summary, report.output.per_quarter)
    chart = FloodSimulation.charts(record, {}, None)[0]
    assert chart.title == f"Rain: {label}"  # the report's first chart names the table
    assert chart.series[0].y.max() == pytest.approx(summary["rain_peak_mm_h"])
    if "kostra_file" in params:
        assert summary["rain_depth_mm"] == pytest.approx(31.2)  # hN(30 min, 30 a) of the cell
