"""The quick flood re-run (plugins/flood/rerun.py): the solver again only downstream of the drawn
measures, the edge of that sub-domain following the before run, the before run everywhere else."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import shapely
from affine import Affine

from plugins.flood import rerun
from plugins.flood.kernels import ROOF, SEALED, UNSEALED
from plugins.flood.simulation import FloodSimulation
from plugins.flood.solver import Domain
from twin.core import RasterLayer
from twin.core.data import RasterData
from twin.core.proposals import Measure, ProposalSet
from twin.core.quarter import Quarter
from twin.sim import RunStatus, SimulationInputError, SimulationInputs, run_simulation

X0, Y1, CELL, ROWS, COLS = 412_000.0, 5_656_000.0, 2.0, 30, 70
CRS = "EPSG:25833"
# a short storm on sealed ground: every drop runs off, down the valley and out of its east end
STORM = {"rain": "block", "block_depth_mm": 60.0, "rain_duration_min": 20.0, "duration_min": 30.0,
         "edges": "open", "infiltration": "constant", "infiltration_mm_h": 0.0, "sewer_capacity_mm_h": 0.0,
         "open_land": "sealed", "snapshot_interval_min": 1.0}


@pytest.fixture(autouse=True)
def one_solver_thread():
    """These grids are tiny: on a busy machine numba's threads only wait for each other."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


def valley() -> RasterData:
    """A valley along the middle row, falling 1 % to the east; its sides rise 2 % to north and south."""
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    heights = 100.0 - 0.01 * CELL * cols + 0.02 * CELL * np.abs(rows - ROWS // 2)
    return RasterData(heights.astype(np.float32), Affine(CELL, 0, X0, 0, -CELL, Y1), CRS)


def cells(col0: int, row0: int, width: int, height: int) -> shapely.Polygon:
    """A rectangle of whole cells from the cell (row0, col0)."""
    x, y = X0 + col0 * CELL, Y1 - row0 * CELL
    return shapely.box(x, y - height * CELL, x + width * CELL, y)


def inputs(*measures: Measure) -> SimulationInputs:
    return SimulationInputs(layers={"terrain": RasterLayer(valley(), "dtm")},
                            quarters=[Quarter("Valley", cells(0, 0, COLS, ROWS))], crs=CRS,
                            proposals=ProposalSet(measures, CRS) if measures else None)


def results(scene: SimulationInputs, parameters: dict) -> dict:
    report = run_simulation(FloodSimulation(), scene, parameters, seed=0)
    assert report.status is RunStatus.OK, report.traceback
    return {result.name: result for result in report.output.results}


POND = Measure("pond", "retention_area", "pond", cells(30, 12, 6, 6), {"depth_m": 0.5})


def test_the_quick_re_run_of_a_pond_matches_the_full_re_run_and_computes_only_downstream():
    """The pond in the valley's middle stores the water from upstream: the quick re-run gives the
    full re-run's change of the deepest water within a millimetre on average and the same flooded
    area (within 2 %), computes no cell of the valley's upper end, and keeps the before run there."""
    before = results(inputs(), STORM)
    full = results(inputs(POND), STORM)["max_depth"].values
    baseline = rerun.prepare(inputs(POND), STORM, list(before.values()))
    quick = rerun.estimate(inputs(POND), baseline)
    old = before["max_depth"].values
    full_change, quick_change = full - old, quick.max_depth.values - old
    changed = (np.abs(full_change) > 0.001) | (np.abs(quick_change) > 0.001)
    assert changed[12:18, 30:36].all() and np.abs(full_change[12:18, 30:36]).min() > 0.3
    assert np.abs(quick_change - full_change)[changed].mean() < 0.001
    assert np.count_nonzero(quick.max_depth.values > 0.02) == pytest.approx(np.count_nonzero(full > 0.02), rel=0.02)
    computed = np.zeros(old.shape, bool)
    computed[quick.subdomain.rows, quick.subdomain.cols] = quick.subdomain.free
    buffer_cells = rerun.BUFFER_M / CELL
    assert not computed[:, :int(30 - buffer_cells)].any() and computed[15, 30:].all()
    np.testing.assert_array_equal(quick.max_depth.values[~computed], old[~computed])
    np.testing.assert_allclose(quick.change.values, quick_change, atol=1e-6)


def plane_with_a_wall_and_a_hollow() -> tuple[Domain, np.ndarray]:
    """A plane falling east 1 %, a wall across its middle row at x = 80 m, a 0.5 m deep trench
    across the plane (north to south) at x = 120 m; and the trench's cells."""
    rows, cols = np.mgrid[0:40, 0:80]
    terrain = 100.0 - 0.02 * cols.astype(float)
    trench = (np.abs(rows - 20) <= 15) & (np.abs(cols - 60) <= 2)
    terrain[trench] -= 0.5
    cell_class = np.full(terrain.shape, SEALED, np.uint8)
    cell_class[17:24, 40:42] = ROOF
    return Domain(terrain, CELL, np.full(terrain.shape, 0.02), cell_class, open_edges=True), trench


def computed_cells(domain: Domain, max_depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sub-domain downstream of the cell (20, 10) with a 4 m buffer: its free and edge cells."""
    changed = np.zeros(domain.shape, bool)
    changed[20, 10] = True
    sub = rerun.downstream_subdomain(rerun.routes(domain, max_depth), domain, changed, buffer_m=4.0)
    free, edge = np.zeros(domain.shape, bool), np.zeros(domain.shape, bool)
    free[sub.rows, sub.cols], edge[sub.rows, sub.cols] = sub.free, sub.edge
    return free, edge


def test_the_sub_domain_follows_the_flow_round_walls_and_through_a_trench_the_water_filled():
    """Downstream of a changed cell on a plane falling east lies its row (steepest descent, not a
    diagonal to the nearest edge); a wall across the row sends the path round it; a trench the
    before run filled to the brim is taken whole, though it reaches farther than the buffer, and
    the path goes on beyond it."""
    domain, trench = plane_with_a_wall_and_a_hollow()
    free, edge = computed_cells(domain, np.where(trench, 0.55, 0.0))
    assert free[20, 10:40].all() and (free[15:17, 40:42].all() or free[24:26, 40:42].all())
    assert free[trench].all() and free[:, 63:].any()
    assert not free[:, :8].any() and not free[:12, :50].any() and not free[domain.cell_class == ROOF].any()
    ring = slice(max(0, 8 - rerun.EDGE_CELLS), 8)
    assert free[20, 8] and edge[20, ring].all() and not edge[20, :ring.start].any() and not (edge & free).any()


def test_the_sub_domain_ends_in_a_trench_the_before_run_did_not_fill():
    """Water standing 0.2 m deep in the 0.5 m trench stays there: the path ends in it, and the
    sub-domain holds the pond, not the trench's dry parts nor the plane beyond it."""
    domain, trench = plane_with_a_wall_and_a_hollow()
    rows = np.arange(40)[:, None]
    pond = trench & (np.abs(rows - 20) <= 4)
    free, _edge = computed_cells(domain, np.where(pond, 0.2, 0.0))
    assert free[pond].all() and not free[trench & (np.abs(rows - 20) > 8)].any()
    assert not free[:, 66:].any()


def test_changed_cells_are_where_heights_classes_roughness_or_downpipes_differ():
    terrain, manning = np.full((5, 5), 10.0), np.full((5, 5), 0.02)
    cell_class = np.full((5, 5), SEALED, np.uint8)
    cell_class[0, 0] = ROOF
    before = Domain(terrain, CELL, manning, cell_class)
    after = Domain(terrain.copy(), CELL, manning.copy(), cell_class.copy())
    after.terrain[2, 2] -= 1.0
    after.cell_class[3, 3] = UNSEALED
    after.manning[4, 4] = 0.05
    after.downpipe_shares = after.downpipe_shares * 0.5  # a green roof: its downpipes pour half
    expected = np.zeros((5, 5), bool)
    expected[2, 2] = expected[3, 3] = expected[4, 4] = True
    expected.ravel()[before.downpipe_cells] = True
    np.testing.assert_array_equal(rerun.changed_cells(before, after), expected)


def test_the_before_run_must_keep_its_depths_every_minute():
    parameters = {**STORM, "snapshot_interval_min": 5.0, "duration_min": 10.0}
    before = results(inputs(), parameters)
    with pytest.raises(SimulationInputError, match="every 1 min .*snapshot_interval_min.*every 5 min"):
        rerun.prepare(inputs(POND), parameters, list(before.values()))
    assert rerun.before_parameters(parameters)["snapshot_interval_min"] == 1.0


def test_proposals_that_change_no_cell_say_so():
    trees = Measure("oak", "trees", "oak", shapely.Point(X0 + 30, Y1 - 30), {"crown_diameter_m": 10})
    parameters = {**STORM, "duration_min": 2.0}
    baseline = rerun.prepare(inputs(trees), parameters, list(results(inputs(), parameters).values()))
    with pytest.raises(SimulationInputError, match="change no cell"):
        rerun.estimate(inputs(trees), baseline)
