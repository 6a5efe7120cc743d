"""A scenario from file to figures: load its layers and quarters, run, write the outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import shapely

from twin import __version__
from twin.core.atomic import (
    SaveError,
    check_writable_folder,
    is_temporary,
    remove_stale_temporaries,
    replace_folder,
)
from twin.core.data import ResultRaster, ResultTable
from twin.core.errors import CRSError, ScenarioError, did_you_mean
from twin.core.feedback import Feedback
from twin.core.layers import BuildingsLayer, Layer, StreetsLayer
from twin.core.plain import plain
from twin.core.proposals import ProposalError, ProposalSet
from twin.core.quarter import Quarter
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import format_for, read_layer, read_quarters, write_geotiff, write_table_csv
from twin.io.errors import TwinIOError
from twin.io.formats import in_scene_crs, read_data
from twin.io.mosaic import read_folder_window, tile_paths
from twin.io.proposals_geojson import read_proposals
from twin.io.reproject import quarters_to_crs
from twin.io.spatial_index import LayerIndex, features_in_box
from twin.io.tiles import tile_of_name
from twin.sim.contract import SimulationInputs, SimulationOutput
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, run_simulation

SUMMARY_FILE = "summary.json"
_MAX_SUMMARY_BYTES = 16 * 1024 * 1024
# Read around a run's quarters from a folder of tiles: more than the flood's crop_to_quarters keeps
# (50 m), so a cropped flood is the one a whole read gives; a run over all its inputs sees this box.
READ_MARGIN_M = 100.0
# A building or street file from this size on is read around the quarters through its spatial
# index (twin/io/spatial_index.py); a smaller one is read whole and cut to the same box. Below it
# the index saves next to nothing and its first run costs a whole read and writing its chunks: a
# demo quarter's 3-5 MB CityGML comes back whole from the model cache in 0.01 s, its 0.1 MB
# GeoPackage of streets is read in 0.02 s. Above it a GeoPackage is read anew every run (21 MB,
# 45,000 segments: 12 s), and a city's CityGML model is large in memory.
INDEX_FROM_BYTES = 16 * 1024 * 1024
_FEATURE_LAYERS = {"buildings": BuildingsLayer, "streets": StreetsLayer}
Bounds = tuple[float, float, float, float]


def prepare_scene(scenario: Scenario, notes: list[str] | None = None) -> tuple[Scene, SimulationInputs]:
    """A scene holding the scenario's input layers and quarters, and the run's inputs.

    A scenario without a crs runs in its first input's CRS, on that input's own grid; `notes`
    hears what was brought into the scene's CRS (a raster warped, say). An input that is a folder
    of tiles (a city's DTM, LAZ or LoD2 in GeoSN's 2 km tiles) is read only around the run's
    quarters, where the scenario has a quarters file: the tiles reaching their box grown by
    READ_MARGIN_M, and of terrain tiles only the cells inside it (twin/io/mosaic.py). A building
    or street file is then cut to the features meeting that box, a large one read through its
    spatial index (INDEX_FROM_BYTES)."""
    scene = Scene(scenario.crs)
    layers = {}
    for slot, file in scenario.inputs.items():
        layer = _input_layer(scenario, slot, file, scene.crs, notes)
        try:
            layers[slot] = scene.add_layer(layer)
        except CRSError as error:
            raise ScenarioError(scenario.path, f"input '{slot}': {error}") from None
    scene.set_quarters(_quarters(scenario, scene.crs))
    return scene, SimulationInputs(layers=layers, quarters=scene.quarters, crs=scene.crs,
                                   proposals=_proposals(scenario, scene))


def run_scenario(
    scenario: Scenario,
    registry: SimulationRegistry,
    feedback: Feedback | None = None,
    notes: list[str] | None = None,
) -> tuple[Scene, RunReport]:
    """Load and run a scenario; a run that ended well is stored in the returned scene. `notes`
    hears what the user should know about the inputs (see prepare_scene)."""
    simulation = registry.get(scenario.simulation)()
    scene, inputs = prepare_scene(scenario, notes)
    report = run_simulation(simulation, inputs, scenario.parameters, seed=scenario.seed,
                            feedback=feedback, scenario=scenario.name, scene=scene)
    return scene, report


def write_run(report: RunReport, directory: Path) -> list[Path]:
    """Write summary.json and the result files of a run that ended well; return their paths.

    The files are written into a new folder beside `directory` that then takes its place in one
    step: an earlier run there is replaced whole, and a run killed or failing while writing leaves
    the earlier one as it was. Raises SaveError naming the folder when it cannot be written.
    """
    if not report.ok or report.output is None:
        raise ValueError("only a run that ended well has outputs to write")
    check_run_folder(directory)
    remove_stale_temporaries(directory.parent)
    output = report.output
    names = replace_folder(directory, lambda folder: _write_outputs(report, output, folder))
    return [directory / name for name in names]


def check_run_folder(directory: Path) -> None:
    """Raise SaveError unless a run's results may go to `directory`; checked before a run starts.

    It may be new, empty, or hold the results of an earlier run (replaced whole), and a new
    folder must be creatable beside it. A folder holding anything else is not replaced.
    """
    if directory.exists() and not directory.is_dir():
        raise SaveError(directory, "is a file, not a folder for the results of a run")
    strangers = _not_run_results(directory) if directory.is_dir() else []
    if strangers:
        raise SaveError(directory, f"holds files that are not the results of a twin run ({strangers[0]}), "
                                   f"so the results do not replace it: choose another folder or empty it")
    check_writable_folder(directory.absolute().parent)


def _write_outputs(report: RunReport, output: SimulationOutput, folder: Path) -> list[str]:
    written = [_write_result(result, folder) for result in output.results]
    summary = {
        "twin_version": __version__,
        "simulation": report.simulation,
        "scenario": report.scenario,
        "run_id": report.run_id,
        "status": report.status.value,
        "seed": report.seed,
        "seconds": round(report.seconds, 3),
        "parameters": report.parameters,
        "summary": output.summary,
        "per_quarter": output.per_quarter,
        "files": [path.name for path in written],
    }
    text = json.dumps(plain(summary), indent=2, ensure_ascii=False) + "\n"
    (folder / SUMMARY_FILE).write_text(text, encoding="utf-8")
    return [SUMMARY_FILE, *summary["files"]]


def _not_run_results(directory: Path) -> list[str]:
    """The entries of `directory` that no earlier run of the twin wrote there."""
    entries = sorted(name for name in os.listdir(directory) if not is_temporary(name))
    listed = _files_of_earlier_run(directory / SUMMARY_FILE)
    return [name for name in entries if name != SUMMARY_FILE and name not in listed] \
        if listed is not None else entries


def _files_of_earlier_run(summary: Path) -> set[str] | None:
    if not summary.is_file() or summary.stat().st_size > _MAX_SUMMARY_BYTES:
        return None
    try:
        document = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or "twin_version" not in document:
        return None
    files = document.get("files")
    return {name for name in files if isinstance(name, str)} if isinstance(files, list) else None


def _proposals(scenario: Scenario, scene: Scene) -> ProposalSet | None:
    """The scenario's proposals in the scene CRS, each drawn measure inside one of its quarters."""
    if scenario.proposals is None:
        return None
    proposals = read_proposals(scenario.proposals, scene.crs)
    try:
        proposals.check_in_quarters(scene.quarters)
    except ProposalError as error:
        raise ScenarioError(scenario.path, f"proposals {scenario.proposals.name}: {error}") from None
    return proposals


def _quarters(scenario: Scenario, scene_crs: str | None) -> list[Quarter]:
    if scenario.quarters_file is None:
        if scenario.quarters:
            raise ScenarioError(scenario.path, "[scenario] quarters needs a quarters_file")
        return []
    quarters, crs = _run_quarters(scenario, scenario.quarters_file)
    if crs is not None and scene_crs is not None and crs != scene_crs:
        raise ScenarioError(scenario.path, f"the quarters file is in {crs}, the scenario in "
                                           f"{scene_crs}")
    return quarters


def _run_quarters(scenario: Scenario, quarters_file: Path) -> tuple[list[Quarter], str | None]:
    """The quarters the scenario names (all of the file where it names none), and the file's CRS."""
    quarters, crs = read_quarters(quarters_file)
    by_name = {quarter.name: quarter for quarter in quarters}
    for name in scenario.quarters:
        if name not in by_name:
            raise ScenarioError(scenario.path, f"no quarter named '{name}' in "
                                               f"{quarters_file.name}"
                                               f"{did_you_mean(name, by_name)}")
    return ([by_name[name] for name in scenario.quarters] if scenario.quarters else quarters), crs


def _input_layer(scenario: Scenario, slot: str, file: Path, scene_crs: str | None,
                 notes: list[str] | None) -> Layer:
    """An input file read whole; a folder of tiles or a building or street file read around the
    run's quarters (see prepare_scene)."""
    if scenario.quarters_file is not None and _feature_kind(file) is not None:
        return _features_around_quarters(scenario, slot, file, scenario.quarters_file, scene_crs,
                                         [] if notes is None else notes)
    if not file.is_dir() or scenario.quarters_file is None:
        return read_layer(file, crs=scenario.crs, name=slot, to=scene_crs, notes=notes)
    box = _quarters_box(scenario, scenario.quarters_file, _folder_crs(file, scenario.crs))
    layer = read_folder_window(file, box, crs=scenario.crs, name=slot, to=scene_crs, notes=notes)
    if layer is None:
        raise ScenarioError(scenario.path, f"input '{slot}': no tile of {file.name} reaches the run's "
                                           f"quarters ({', '.join(f'{v:.0f}' for v in box)})")
    return layer


def _feature_kind(file: Path) -> str | None:
    """'buildings' or 'streets' for a plain file of those kinds, else None (a zip, a folder, other
    kinds, a file the twin cannot read: read_layer says what is wrong with it)."""
    if not file.is_file():
        return None
    try:
        kind = format_for(file).kind
    except TwinIOError:
        return None
    return kind if kind in _FEATURE_LAYERS else None


def _features_around_quarters(scenario: Scenario, slot: str, file: Path, quarters_file: Path,
                              scene_crs: str | None, notes: list[str]) -> Layer:
    """The buildings or street segments of a file that meet the box of the run's quarters grown by
    READ_MARGIN_M: those of a whole read, a large file's read through its spatial index."""
    if file.stat().st_size >= INDEX_FROM_BYTES:
        index = LayerIndex.open(file, scenario.crs)
        notes.extend(index.notes)
        box = _quarters_box(scenario, quarters_file, index.crs or scenario.crs)
        kind, total, data = index.kind, index.features, index.read(box)
        how = f"through its spatial index, {index.chunks_read} of its {index.chunks} chunks"
    else:
        file_format, whole = read_data(file, scenario.crs, Feedback(), notes)
        box = _quarters_box(scenario, quarters_file, whole.crs or scenario.crs)
        kind, total, data = file_format.kind, len(whole), features_in_box(whole, box)
        how = "read whole"
    if data is None or not len(data):
        raise ScenarioError(scenario.path, f"input '{slot}': no feature of {file.name} reaches the run's "
                                           f"quarters ({', '.join(f'{v:.0f}' for v in box)})")
    notes.append(f"{file.name}: {len(data)} of its {total} {kind} kept, those reaching "
                 f"{', '.join(f'{v:.0f}' for v in box)} ({how})")
    if scene_crs is not None:
        data = in_scene_crs(file, data, scene_crs, notes)
    return _FEATURE_LAYERS[kind](data, slot, source=file)


def _quarters_box(scenario: Scenario, quarters_file: Path, crs: str | None) -> Bounds:
    """The box around the run's quarters, in `crs` (the tiles'), grown by READ_MARGIN_M."""
    quarters, file_crs = _run_quarters(scenario, quarters_file)
    if crs is not None and file_crs is not None and file_crs != crs:
        quarters = quarters_to_crs(quarters, file_crs, crs)
    minx, miny, maxx, maxy = shapely.unary_union([quarter.polygon for quarter in quarters]).bounds
    return minx - READ_MARGIN_M, miny - READ_MARGIN_M, maxx + READ_MARGIN_M, maxy + READ_MARGIN_M


def _folder_crs(folder: Path, scenario_crs: str | None) -> str | None:
    """The CRS a folder's tiles are in, as far as their GeoSN names say (else the scenario's)."""
    named = next((tile for tile in map(tile_of_name, (path.name for path in tile_paths(folder)))
                  if tile is not None), None)
    return named.crs if named is not None else scenario_crs


def _write_result(result: ResultRaster | ResultTable, directory: Path) -> Path:
    if isinstance(result, ResultRaster):
        path = directory / f"{result.name}.tif"
        write_geotiff(path, result)
    else:
        path = directory / f"{result.name}.csv"
        write_table_csv(path, result)
    return path

