"""Proposed measures in the flood: retention areas store their volume, unsealed ground infiltrates,
green roofs hold their first millimetres, new buildings are walls, demolished ones are ground."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import shapely
from affine import Affine

from plugins.flood.measures import roof_spill
from plugins.flood.rain import block_rain
from plugins.flood.simulation import FloodSimulation
from twin.core import RasterLayer
from twin.core.data import BuildingData, RasterData
from twin.core.layers import BuildingsLayer
from twin.core.proposals import Measure, ProposalSet
from twin.core.quarter import Quarter
from twin.sim import RunStatus, SimulationInputError, SimulationInputs, run_simulation

X0, Y1, CELL, SIZE = 412_000.0, 5_656_000.0, 2.0, 30  # a 60 m x 60 m closed, flat basin
CRS = "EPSG:25833"
CLOSED = {"rain": "block", "block_depth_mm": 100.0, "rain_duration_min": 10.0, "duration_min": 60.0,
          "edges": "closed", "infiltration": "constant", "infiltration_mm_h": 0.0,
          "sewer_capacity_mm_h": 0.0, "open_land": "sealed", "snapshot_interval_min": 60.0}


@pytest.fixture(autouse=True)
def one_solver_thread():
    """These grids are tiny: on a busy machine numba's threads only wait for each other (one
    thread runs them 10-30x faster under load)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


def basin(size: int = SIZE) -> RasterData:
    return RasterData(np.full((size, size), 100.0, np.float32), Affine(CELL, 0, X0, 0, -CELL, Y1), CRS)


def square(col0: int, row0: int, cells: int) -> shapely.Polygon:
    """A square of whole cells, `cells` wide, from the cell (row0, col0)."""
    x, y = X0 + col0 * CELL, Y1 - row0 * CELL
    return shapely.box(x, y - cells * CELL, x + cells * CELL, y)


def houses() -> BuildingData:
    footprints = np.array([square(4, 4, 6), square(18, 18, 6)], dtype=object)
    return BuildingData(ids=np.array(["H1", "H2"]), attributes={}, vertices=np.zeros((0, 3)),
                        triangles=np.zeros((0, 3), int), triangle_building=np.zeros(0, int),
                        triangle_surface=np.zeros(0, int), footprints=footprints, crs=CRS)


def run(proposals: ProposalSet | None, parameters: dict, with_houses: bool = False):
    layers = {"terrain": RasterLayer(basin(), "dtm")}
    if with_houses:
        layers["buildings"] = BuildingsLayer(houses(), "houses")
    inputs = SimulationInputs(layers=layers, quarters=[Quarter("Basin", basin_outline())], crs=CRS,
                              proposals=proposals)
    report = run_simulation(FloodSimulation(), inputs, parameters, seed=1)
    assert report.status is RunStatus.OK, report.traceback
    return report.output


def basin_outline() -> shapely.Polygon:
    return square(0, 0, SIZE)


def final_depth(output) -> np.ndarray:
    depth = next(result for result in output.results if result.name == "depth")
    return np.nan_to_num(depth.values[-1].astype(float))


def measures(*items: Measure) -> ProposalSet:
    return ProposalSet(items, CRS)


def test_a_retention_area_lowers_the_ponded_volume_by_its_volume():
    """Ponded volume: water standing above the original ground at the end. 100 mm on 3,600 m² is
    360 m³; a retention area of 20 m³ in the closed basin leaves 340 m³ above the ground."""
    pit = square(12, 12, 4)
    before = run(None, CLOSED)
    after = run(measures(Measure("pit", "retention_area", "pit", pit, {"volume_m3": 20.0})), CLOSED)
    lowered = np.zeros((SIZE, SIZE))
    lowered[12:16, 12:16] = 20.0 / (16 * CELL * CELL)
    ponded_before = final_depth(before).sum() * CELL * CELL
    ponded_after = np.maximum(final_depth(after) - lowered, 0.0).sum() * CELL * CELL
    assert ponded_before == pytest.approx(360.0, rel=1e-6)
    assert ponded_before - ponded_after == pytest.approx(20.0, rel=0.01)
    assert after.summary["proposals"]["retention_volume_m3"] == pytest.approx(20.0)
    assert after.summary["proposals"]["applied"] == ["pit"]


def test_unsealing_raises_infiltration_by_the_rate_times_the_area_and_time():
    """Sealed ground infiltrates nothing; 8 x 8 cells (256 m²) unsealed at a constant 30 mm/h under
    standing water for the hour take 0.03 m/h * 256 m² * 1 h = 7.68 m³."""
    parameters = {**CLOSED, "infiltration_mm_h": 30.0}
    before = run(None, parameters)
    after = run(measures(Measure("yard", "unsealing", "green yard", square(10, 10, 8), {})), parameters)
    gained = after.summary["volumes"]["infiltration_m3"] - before.summary["volumes"]["infiltration_m3"]
    assert before.summary["volumes"]["infiltration_m3"] == 0.0
    assert gained == pytest.approx(0.03 * 256.0, rel=0.01)
    assert after.summary["proposals"]["unsealed_area_m2"] == 256.0


def test_a_green_roof_holds_its_first_millimetres_of_the_spill():
    """100 mm in 10 min (600 mm/h) against a sewer of 20 mm/h: without the green roof 96.7 mm run
    off each roof; holding the first 30 mm leaves 67.7 mm, so 29 mm on 144 m² stay on the roof."""
    parameters = {**CLOSED, "sewer_capacity_mm_h": 20.0, "roof_drainage": "sewer"}
    roof = Measure("roof", "green_roof", "green roof", None, {"building_ids": ["H1"], "retention_mm": 30})
    before = run(None, parameters, with_houses=True)
    after = run(measures(roof), parameters, with_houses=True)
    storm, sewer = block_rain(100.0, 10.0), 20.0 / 1000 / 3600
    held = (roof_spill(storm, sewer, 0.0) - roof_spill(storm, sewer, 0.03)) * 144.0
    assert held == pytest.approx(0.029 * 144.0, rel=0.01)
    stored = after.summary["volumes"]["stored_m3"] - before.summary["volumes"]["stored_m3"]
    assert stored == pytest.approx(-held, rel=0.01)
    assert after.summary["proposals"]["green_roof_held_m3"] == pytest.approx(held)
    assert abs(after.summary["mass_balance_relative_error"]) < 1e-9


def test_a_new_building_is_a_wall_and_a_demolished_one_is_ground():
    new = Measure("hall", "new_building", "hall", square(4, 18, 6),
                  {"storeys": 2, "use": "sports", "construction_year": 2030})
    gone = Measure("gone", "demolition", "gone", None, {"building_ids": ["H1"]})
    output = run(measures(new, gone), CLOSED, with_houses=True)
    depth = final_depth(output)
    assert np.all(depth[18:24, 4:10] == 0.0)  # the new walls stay dry
    assert np.all(depth[4:10, 4:10] > 0.05)  # the demolished house's ground holds water
    table = next(result for result in output.results if result.name == "building_flood")
    assert table.columns["building_id"].tolist() == ["H2", "hall"]


def test_a_measure_naming_a_building_the_layer_lacks_is_one_sentence():
    gone = Measure("gone", "demolition", "gone", None, {"building_ids": ["H9"]})
    with pytest.raises(SimulationInputError, match="measure 'gone' names building 'H9', which the building "
                                                   "layer does not have"):
        run(measures(gone), CLOSED, with_houses=True)


def test_trees_are_listed_as_not_applied_with_the_reason():
    trees = Measure("oak", "trees", "oak", shapely.Point(X0 + 30, Y1 - 30), {"crown_diameter_m": 10})
    output = run(measures(trees), {**CLOSED, "duration_min": 5.0})
    assert "no interception" in output.summary["proposals"]["not_applied"]["oak"]
