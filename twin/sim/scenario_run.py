"""A scenario from file to figures: load its layers and quarters, run, write the outputs."""

from __future__ import annotations

import json
from pathlib import Path

from twin import __version__
from twin.core.atomic import write_atomic
from twin.core.data import ResultRaster, ResultTable
from twin.core.errors import CRSError, ScenarioError, did_you_mean
from twin.core.feedback import Feedback
from twin.core.plain import plain
from twin.core.quarter import Quarter
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import read_layer, read_quarters, write_geotiff, write_table_csv
from twin.sim.contract import SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, run_simulation


def prepare_scene(scenario: Scenario) -> tuple[Scene, SimulationInputs]:
    """A scene holding the scenario's input layers and quarters, and the run's inputs."""
    scene = Scene(scenario.crs)
    scene.set_quarters(_quarters(scenario))
    layers = {}
    for slot, file in scenario.inputs.items():
        layer = read_layer(file, crs=scenario.crs, name=slot, to=scenario.crs)
        try:
            layers[slot] = scene.add_layer(layer)
        except CRSError as error:
            raise ScenarioError(scenario.path, f"input '{slot}': {error}") from None
    return scene, SimulationInputs(layers=layers, quarters=scene.quarters, crs=scene.crs)


def run_scenario(
    scenario: Scenario,
    registry: SimulationRegistry,
    feedback: Feedback | None = None,
) -> tuple[Scene, RunReport]:
    """Load and run a scenario; a run that ended well is stored in the returned scene."""
    simulation = registry.get(scenario.simulation)()
    scene, inputs = prepare_scene(scenario)
    report = run_simulation(simulation, inputs, scenario.parameters, seed=scenario.seed,
                            feedback=feedback, scenario=scenario.name, scene=scene)
    return scene, report


def write_run(report: RunReport, directory: Path) -> list[Path]:
    """Write summary.json and the result files of a run that ended well; return their paths."""
    if not report.ok or report.output is None:
        raise ValueError("only a run that ended well has outputs to write")
    directory.mkdir(parents=True, exist_ok=True)
    written = [_write_result(result, directory) for result in report.output.results]
    summary = {
        "twin_version": __version__,
        "simulation": report.simulation,
        "scenario": report.scenario,
        "run_id": report.run_id,
        "status": report.status.value,
        "seed": report.seed,
        "seconds": round(report.seconds, 3),
        "parameters": report.parameters,
        "summary": report.output.summary,
        "per_quarter": report.output.per_quarter,
        "files": [path.name for path in written],
    }
    summary_path = directory / "summary.json"
    write_atomic(summary_path, json.dumps(plain(summary), indent=2, ensure_ascii=False) + "\n")
    return [summary_path, *written]


def _quarters(scenario: Scenario) -> list[Quarter]:
    if scenario.quarters_file is None:
        if scenario.quarters:
            raise ScenarioError(scenario.path, "[scenario] quarters needs a quarters_file")
        return []
    quarters, crs = read_quarters(scenario.quarters_file)
    if crs is not None and crs != scenario.crs:
        raise ScenarioError(scenario.path, f"the quarters file is in {crs}, the scenario in "
                                           f"{scenario.crs}")
    by_name = {quarter.name: quarter for quarter in quarters}
    for name in scenario.quarters:
        if name not in by_name:
            raise ScenarioError(scenario.path, f"no quarter named '{name}' in "
                                               f"{scenario.quarters_file.name}"
                                               f"{did_you_mean(name, by_name)}")
    return [by_name[name] for name in scenario.quarters] if scenario.quarters else quarters


def _write_result(result: ResultRaster | ResultTable, directory: Path) -> Path:
    if isinstance(result, ResultRaster):
        path = directory / f"{result.name}.tif"
        write_geotiff(path, result)
    else:
        path = directory / f"{result.name}.csv"
        write_table_csv(path, result)
    return path

