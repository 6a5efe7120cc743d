"""A quarter's run on a building or street file keeps the features around its quarters: what a whole
read cut to that box gives, a large file read through its spatial index (only the chunks it needs),
and the same flood figures as the run on the files read whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from data.demo import QUARTERS_FILE, demo_project
from twin.core.data import BuildingData, StreetData
from twin.core.errors import ScenarioError
from twin.core.scenario import Scenario
from twin.io import read_layer, read_quarters
from twin.io.spatial_index import LayerIndex
from twin.sim import scenario_run
from twin.sim.contract import SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import run_simulation
from twin.sim.scenario_run import READ_MARGIN_M, prepare_scene, run_scenario

DRESDEN = "citygml/dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml"  # GeoSN LoD2, 14 buildings
FLOOD = {"rain": "block", "block_depth_mm": 40.0, "rain_duration_min": 10.0, "duration_min": 12.0,
         "snapshot_interval_min": 6.0, "cell_size_m": 4.0, "crop_to_quarters": True}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def indexed(monkeypatch):
    """Every building and street file read through its spatial index, however small."""
    monkeypatch.setattr(scenario_run, "INDEX_FROM_BYTES", 0)


def scenario_of(folder: Path, quarter: shapely.Polygon, inputs: dict[str, Path],
                simulation: str = "energy", parameters: dict | None = None) -> Scenario:
    """A scenario on one quarter, written with its quarters file into `folder`."""
    (folder / "quarters.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25833"}},
        "features": [{"type": "Feature", "properties": {"name": "Quarter"},
                      "geometry": shapely.geometry.mapping(quarter)}]}), encoding="utf-8")
    return Scenario.from_dict({
        "scenario": {"name": "Quarter run", "simulation": simulation, "seed": 1, "quarters": ["Quarter"],
                     "quarters_file": "quarters.geojson"},
        "inputs": {slot: str(path) for slot, path in inputs.items()},
        "parameters": parameters or {}}, folder / "scenario.toml")


def west_part(bounds: tuple[float, float, float, float], share: float = 0.3) -> shapely.Polygon:
    """A quarter over the west `share` of an extent, cut at a slant (its box is what counts)."""
    minx, miny, maxx, maxy = bounds
    cut = minx + share * (maxx - minx)
    return shapely.Polygon([(minx, miny), (cut, miny), (cut - 50.0, maxy), (minx, maxy)])


def grown_box(quarter: shapely.Polygon) -> shapely.Polygon:
    minx, miny, maxx, maxy = quarter.bounds
    return shapely.box(minx - READ_MARGIN_M, miny - READ_MARGIN_M, maxx + READ_MARGIN_M, maxy + READ_MARGIN_M)


def building_extent(data: BuildingData) -> tuple[float, float, float, float]:
    return data.bounds[0], data.bounds[1], data.bounds[3], data.bounds[4]


def assert_same_buildings(part: BuildingData, whole: BuildingData, kept: np.ndarray) -> None:
    """`part` holds the buildings `kept` of `whole`, in order, each with its footprint and triangles."""
    np.testing.assert_array_equal(part.ids, whole.ids[kept])
    assert all(a.equals(b) for a, b in zip(part.footprints, whole.footprints[kept], strict=True))
    for name, column in whole.attributes.items():
        np.testing.assert_array_equal(part.attributes[name], column[kept])
    for new_row, old_row in enumerate(np.flatnonzero(kept)):
        old = np.sort(whole.vertices[whole.triangles[whole.triangle_building == old_row]].reshape(-1, 3), axis=0)
        new = np.sort(part.vertices[part.triangles[part.triangle_building == new_row]].reshape(-1, 3), axis=0)
        np.testing.assert_array_equal(new, old)


def assert_same_streets(part: StreetData, whole: StreetData, kept: np.ndarray) -> None:
    np.testing.assert_array_equal(part.ids, whole.ids[kept])
    assert all(a.equals(b) for a, b in zip(part.geometries, whole.geometries[kept], strict=True))
    for name, column in whole.attributes.items():
        np.testing.assert_array_equal(part.attributes[name], column[kept])


@pytest.mark.parametrize("through_index", [False, True])
def test_a_quarters_buildings_are_those_of_the_whole_file_reaching_its_box(reference, tmp_path, monkeypatch,
                                                                            through_index):
    if through_index:
        monkeypatch.setattr(scenario_run, "INDEX_FROM_BYTES", 0)
    path = reference / DRESDEN
    whole = read_layer(path).data
    quarter = west_part(building_extent(whole))
    notes: list[str] = []
    scene, _ = prepare_scene(scenario_of(tmp_path, quarter, {"buildings": path}), notes)
    kept = shapely.intersects(whole.footprints, grown_box(quarter))
    assert 0 < kept.sum() < len(whole)  # the box leaves buildings out
    assert_same_buildings(scene.layer("buildings").data, whole, kept)
    assert scene.layer("buildings").source == path
    how = "through its spatial index" if through_index else "read whole"
    assert any(note.startswith(f"{path.name}: {kept.sum()} of its {len(whole)} buildings kept")
               and how in note for note in notes), notes


def test_a_second_run_opens_only_the_chunks_around_its_quarters(reference, tmp_path, indexed):
    path = reference / DRESDEN
    whole = read_layer(path).data
    quarter = west_part(building_extent(whole))
    scenario = scenario_of(tmp_path, quarter, {"buildings": path})
    prepare_scene(scenario)  # the first run indexes the file
    index = LayerIndex.open(path)
    box = grown_box(quarter).bounds
    far = [chunk for chunk, (minx, miny, maxx, maxy) in enumerate(index.extents)
           if minx > box[2] or maxx < box[0] or miny > box[3] or maxy < box[1]]
    assert 0 < len(far) < index.chunks
    for chunk in far:  # a chunk the run opened now would fail to read
        (index.folder / f"chunk{chunk}.npz").write_bytes(b"not a chunk")
    notes: list[str] = []
    scene, _ = prepare_scene(scenario, notes)
    kept = shapely.intersects(whole.footprints, grown_box(quarter))
    assert_same_buildings(scene.layer("buildings").data, whole, kept)
    needed = index.chunks - len(far)
    assert any(f"{needed} of its {index.chunks} chunks" in note for note in notes), notes


def test_a_changed_file_is_indexed_again_before_the_next_run(reference, tmp_path, indexed):
    path = tmp_path / "buildings.gml"
    path.write_bytes((reference / DRESDEN).read_bytes())
    whole = read_layer(path).data
    quarter = west_part(building_extent(whole), share=1.0)  # every building
    scenario = scenario_of(tmp_path, quarter, {"buildings": path})
    assert len(prepare_scene(scenario)[0].layer("buildings").data) == len(whole)
    text = path.read_text(encoding="utf-8")
    members = text.split("<core:cityObjectMember>")
    last = members[-1]
    path.write_text("<core:cityObjectMember>".join(members[:-1]) + last[last.index("</core:cityObjectMember>")
                                                                        + len("</core:cityObjectMember>"):],
                    encoding="utf-8")
    assert len(prepare_scene(scenario)[0].layer("buildings").data) == len(whole) - 1


@pytest.mark.parametrize("through_index", [False, True])
def test_a_quarters_street_segments_are_those_of_the_whole_file_reaching_its_box(tmp_path, monkeypatch,
                                                                                  through_index):
    if through_index:
        monkeypatch.setattr(scenario_run, "INDEX_FROM_BYTES", 0)
    path = demo_project().parent / "johannstadt_streets.gpkg"
    whole = read_layer(path).data
    quarter = west_part(whole.bounds)
    scene, _ = prepare_scene(scenario_of(tmp_path, quarter, {"streets": path}, "street_decay"))
    kept = shapely.intersects(whole.geometries, grown_box(quarter))
    assert 0 < kept.sum() < len(whole)
    part = scene.layer("streets").data
    assert_same_streets(part, whole, kept)
    assert part.inspections is not None and len(part.inspections) > 0
    for row in range(len(part)):  # each kept segment keeps its own inspection history
        old_row = int(np.flatnonzero(kept)[row])
        np.testing.assert_array_equal(part.inspections.of_segment(row)[1], whole.inspections.of_segment(old_row)[1])


def test_a_file_with_nothing_near_the_quarters_is_refused_in_one_sentence(reference, tmp_path, indexed):
    far_away = shapely.box(420_000.0, 5_660_000.0, 420_400.0, 5_660_400.0)
    with pytest.raises(ScenarioError, match="no feature of dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml "
                                            "reaches the run's quarters"):
        prepare_scene(scenario_of(tmp_path, far_away, {"buildings": reference / DRESDEN}))


def test_a_flood_on_indexed_files_has_the_figures_of_the_run_on_the_files_read_whole(tmp_path, indexed):
    """A corner of the demo Johannstadt: its buildings and streets read by index floods as on all of them."""
    folder = demo_project().parent
    inputs = {"terrain": folder / "johannstadt_dtm1.tif", "buildings": folder / "johannstadt_lod2.gml",
              "streets": folder / "johannstadt_streets.gpkg"}
    johannstadt = {quarter.name: quarter for quarter in read_quarters(QUARTERS_FILE)[0]}["Johannstadt"]
    minx, miny, _, _ = johannstadt.polygon.bounds
    quarter = johannstadt.polygon.intersection(shapely.box(minx, miny, minx + 400.0, miny + 400.0))
    scenario = scenario_of(tmp_path, quarter, inputs, "flood", FLOOD)
    notes: list[str] = []
    scene, indexed_run = run_scenario(scenario, SimulationRegistry.discover(), notes=notes)
    assert indexed_run.ok, indexed_run.error
    whole_buildings = read_layer(inputs["buildings"]).data
    assert len(scene.layer("buildings").data) < len(whole_buildings)  # the index left buildings out

    layers = {slot: read_layer(path, name=slot) for slot, path in inputs.items()}  # as before: whole
    whole_inputs = SimulationInputs(layers=layers, quarters=scene.quarters, crs="EPSG:25833")
    simulation = SimulationRegistry.discover().get("flood")()
    whole_run = run_simulation(simulation, whole_inputs, scenario.parameters, seed=1)
    assert whole_run.ok, whole_run.error
    assert indexed_run.output.per_quarter == whole_run.output.per_quarter
    depths = [{result.name: result for result in run.output.results}["max_depth"] for run in (indexed_run, whole_run)]
    assert depths[0].transform == depths[1].transform
    np.testing.assert_array_equal(depths[0].values, depths[1].values)
    assert np.nanmax(depths[0].values) > 0.05
    tables = [{result.name: result for result in run.output.results}["building_flood"] for run in (indexed_run, whole_run)]
    row_of = {building: row for row, building in enumerate(tables[1].columns["building_id"])}
    rows = np.array([row_of[building] for building in tables[0].columns["building_id"]])
    for name, column in tables[0].columns.items():  # the buildings read have the rows they had
        np.testing.assert_array_equal(column, np.asarray(tables[1].columns[name])[rows])
    left_out = np.setdiff1d(np.arange(len(tables[1])), rows)
    assert len(left_out) and np.all(np.asarray(tables[1].columns["max_depth"])[left_out] == 0.0)  # dry, far off
