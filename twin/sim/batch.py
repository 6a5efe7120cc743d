"""Batches of scenario runs: the product of parameter variations, each run named by a content hash.

A batch takes scenario files and variations (`budget_eur=5e5,1e6`), checks every varied value
against the simulation's declared parameters before anything runs, and plans one run per scenario
and combination. A run's key hashes what decides its figures: the twin's version, the simulation,
the seed, the quarters, the full parameter set and the bytes of every input file. Its folder
`runs/KEY/` holds `results/` (what `python main.py run` writes: summary.json, GeoTIFF, CSV),
`saved/RUN_ID/` (the result layers as the app reopens them, twin.io.runs) and `scenario.toml` (the
run as a scenario of its own). The folder appears whole or not at all, so a repeated batch skips
the runs that exist and an interrupted one resumes. Execution is twin.sim.batch_dask's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin import __version__
from twin.core.atomic import replace_folder, write_atomic
from twin.core.errors import TwinError, did_you_mean
from twin.core.plain import plain
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import read_quarters
from twin.io.runs import save_runs
from twin.sim.contract import ParameterError, ParameterSpec, Simulation, to_plain
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, SimulationInputError, resolve_parameters, store_run
from twin.sim.scenario_run import write_run

RUNS_FOLDER, RESULTS_FOLDER, SAVED_FOLDER = "runs", "results", "saved"
RUN_SCENARIO_FILE = "scenario.toml"
DIGESTS_FILE, BATCH_FILE = "input_digests.json", "batch.json"
_KEY_LENGTH = 20  # hex digits of sha256 a run folder is named by: 80 bits, no collisions in practice
_CHUNK = 1 << 20


class BatchError(TwinError):
    """A batch that cannot be planned: an unknown parameter, a value of the wrong type, a bad option."""


@dataclass(frozen=True)
class Variation:
    """One varied parameter and its values in the declared type."""

    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class PlannedRun:
    """One run of a batch: the scenario it runs (parameters and seed set), and what was varied."""

    key: str
    name: str
    source: Path  # the scenario file it comes from
    scenario: Scenario
    varied: dict[str, Any] = field(default_factory=dict)
    refused: str | None = None  # why the simulation refuses this combination (it is not run)

    @property
    def simulation(self) -> str:
        return self.scenario.simulation


# ----------------------------------------------------------------------------- variations

def split_variation(text: str) -> tuple[str, list[str]]:
    """'key=v1,v2' as the key and the value texts; commas inside [...] or quotes stay in a value."""
    key, equals, values = text.partition("=")
    if not equals or not key.strip() or not values.strip():
        raise BatchError(f"--vary '{text}' must read key=value1,value2,...")
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(values):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(values[start:index])
            start = index + 1
    parts.append(values[start:])
    texts = [part.strip() for part in parts]
    if not all(texts):
        raise BatchError(f"--vary '{text}' has an empty value")
    return key.strip(), texts


def parse_variation(text: str, simulation: type[Simulation]) -> Variation:
    """A --vary option read against the simulation's declared parameters (type and range checked)."""
    name, texts = split_variation(text)
    declared = {spec.name: spec for spec in simulation.parameters}
    if name not in declared:
        raise BatchError(f"--vary {name}: simulation '{simulation.name}' has no parameter "
                         f"'{name}'{did_you_mean(name, declared)}")
    spec = declared[name]
    values = tuple(_typed_value(spec, value_text) for value_text in texts)
    if len(set(map(_canonical, values))) != len(values):
        raise BatchError(f"--vary {name} names a value twice")
    return Variation(name, values)


def _typed_value(spec: ParameterSpec, text: str) -> Any:
    if spec.type is str:
        value: Any = text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'" else text
    else:
        try:
            value = tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError:
            raise BatchError(f"--vary {spec.name}: '{text}' is not a value of the parameter "
                             f"(a number, true/false or a [list])") from None
    try:
        return spec.validate(value)
    except ParameterError as error:
        raise BatchError(f"--vary {spec.name}: {error}") from None


def _canonical(value: Any) -> str:
    return json.dumps(plain(to_plain(value)), sort_keys=True)


def shown(value: Any) -> str:
    """A parameter value as a run's name shows it: the same value always reads the same (5e5 and
    500000 as 500000), so that it names the same run."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list | tuple):  # a list or table parameter: [2030, 2040]
        return "[" + ", ".join(shown(element) for element in value) + "]"
    return value if isinstance(value, str) else _canonical(value)


# ----------------------------------------------------------------------------- input digests

class InputDigests:
    """SHA-256 of input files, each hashed once: kept by path, size and modification time, and in
    a file beside the batch so that a repeated batch does not read its large inputs again."""

    def __init__(self, store: Path | None = None) -> None:
        self._store = store
        self._known: dict[str, str] = {}
        if store is not None and store.is_file():
            try:
                known = json.loads(store.read_text(encoding="utf-8"))
                self._known = {str(k): str(v) for k, v in known.items()} if isinstance(known, dict) else {}
            except (OSError, ValueError):
                self._known = {}  # a damaged cache is rebuilt, never trusted

    def digest(self, path: Path) -> str:
        """The digest of a file, or of a folder of tiles (its files' names and bytes)."""
        path = path.resolve()
        if path.is_dir():
            entries = sorted(entry for entry in path.rglob("*") if entry.is_file())
            combined = hashlib.sha256()
            for entry in entries:
                combined.update(f"{entry.relative_to(path).as_posix()}\0{self.digest(entry)}\n".encode())
            return combined.hexdigest()
        stat = path.stat()
        signature = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
        if signature not in self._known:
            with path.open("rb") as handle:
                self._known[signature] = hashlib.file_digest(handle, "sha256").hexdigest()
        return self._known[signature]

    def save(self) -> None:
        if self._store is not None:
            write_atomic(self._store, json.dumps(self._known, indent=0, sort_keys=True))


# ----------------------------------------------------------------------------- the plan

def plan_batch(scenario_files: Sequence[Path], variations: Sequence[str], registry: SimulationRegistry,
               digests: InputDigests, quarters: Sequence[str] = ()) -> list[PlannedRun]:
    """Every run of the batch, in order: each scenario with each combination of the variations.

    Raises BatchError (or ScenarioError) naming the problem before anything runs: a scenario that
    cannot be read, a parameter its simulation lacks, a value of the wrong type or range, a quarter
    its quarters file lacks. A combination the simulation refuses as a whole (two parameters that
    contradict each other) is planned as refused, with its reason, and reported as failed."""
    if not scenario_files:
        raise BatchError("a batch needs at least one scenario file")
    # absolute paths: the workers may start in another folder
    scenarios = [Scenario.load(Path(file).absolute()) for file in scenario_files]
    names = [scenario.name for scenario in scenarios]
    runs: list[PlannedRun] = []
    for file, scenario in zip(scenario_files, scenarios, strict=True):
        simulation = registry.get(scenario.simulation)
        _check_given_parameters(scenario, simulation)
        # Runs are told apart by name (in the table, as layers in the app): two scenarios named alike
        # are named after their files too.
        title = f"{scenario.name} ({Path(file).stem})" if names.count(scenario.name) > 1 else scenario.name
        scenario = dataclasses.replace(scenario, name=title, quarters=tuple(quarters) or scenario.quarters)
        _check_quarters(scenario)
        parsed = [parse_variation(text, simulation) for text in variations]
        _refuse_repeated(parsed)
        for combination in itertools.product(*(variation.values for variation in parsed)):
            varied = {variation.name: value for variation, value in zip(parsed, combination, strict=True)}
            label = ", ".join(f"{name}={shown(value)}" for name, value in varied.items())
            runs.append(_planned(Path(file), scenario, simulation, varied, label, digests))
    _refuse_duplicates(runs)
    return runs


def _check_given_parameters(scenario: Scenario, simulation: type[Simulation]) -> None:
    declared = {spec.name for spec in simulation.parameters}
    for name in scenario.parameters:
        if name not in declared:
            raise BatchError(f"{scenario.path}: simulation '{simulation.name}' has no parameter "
                             f"'{name}'{did_you_mean(name, declared)}")


def _check_quarters(scenario: Scenario) -> None:
    if not scenario.quarters:
        return
    if scenario.quarters_file is None:
        raise BatchError(f"{scenario.path}: quarters are named, but the scenario has no quarters_file")
    known = [quarter.name for quarter in read_quarters(scenario.quarters_file)[0]]
    for name in scenario.quarters:
        if name not in known:
            raise BatchError(f"{scenario.quarters_file}: no quarter named '{name}'"
                             f"{did_you_mean(name, known)}")


def _refuse_repeated(parsed: list[Variation]) -> None:
    names = [variation.name for variation in parsed]
    for name in names:
        if names.count(name) > 1:
            raise BatchError(f"--vary {name} is given twice: list all its values in one --vary")


def _refuse_duplicates(runs: list[PlannedRun]) -> None:
    seen: dict[str, str] = {}
    for run in runs:
        if run.key in seen:
            raise BatchError(f"the runs '{seen[run.key]}' and '{run.name}' are the same run "
                             f"(the same scenario, parameters and inputs)")
        seen[run.key] = run.name


def _planned(source: Path, scenario: Scenario, simulation: type[Simulation], varied: dict[str, Any],
             label: str, digests: InputDigests) -> PlannedRun:
    parameters = {**scenario.parameters, **varied}
    name = f"{scenario.name} [{label}]" if label else scenario.name
    refused = None
    try:
        resolved = resolve_parameters(simulation, parameters)
    except SimulationInputError as error:
        refused, resolved = str(error), parameters
    content = _content(scenario, name, resolved, digests)
    # A scenario without a seed still runs the same every time: its seed comes from its content.
    seed = scenario.seed if scenario.seed is not None else int(_hash(content)[:15], 16)
    key = _hash({**content, "seed": seed})[:_KEY_LENGTH]
    run_scenario = dataclasses.replace(scenario, name=name, seed=seed, parameters=parameters)
    return PlannedRun(key, name, source, run_scenario, varied, refused)


def _content(scenario: Scenario, name: str, parameters: Mapping[str, Any],
             digests: InputDigests) -> dict[str, Any]:
    quarters_file = scenario.quarters_file
    return {
        "twin_version": __version__,
        "simulation": scenario.simulation,
        "name": name,
        "crs": scenario.crs,
        "quarters": list(scenario.quarters),
        "quarters_file": None if quarters_file is None else digests.digest(quarters_file),
        "inputs": {slot: digests.digest(path) for slot, path in sorted(scenario.inputs.items())},
        "parameters": plain(to_plain(dict(sorted(parameters.items())))),
    }


def _hash(content: Mapping[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- run folders

def run_folder(batch_folder: Path, key: str) -> Path:
    return batch_folder / RUNS_FOLDER / key


def summary_file(batch_folder: Path, key: str) -> Path:
    return run_folder(batch_folder, key) / RESULTS_FOLDER / "summary.json"


def is_complete(batch_folder: Path, key: str) -> bool:
    """Whether the run's folder is there (it appears whole, so then it is complete)."""
    return summary_file(batch_folder, key).is_file()


def write_batch_run(run: PlannedRun, report: RunReport, crs: str | None, batch_folder: Path) -> Path:
    """Write a run that ended well (its inputs in `crs`) into its folder, in one step; return it.

    Raises SaveError naming the folder when it cannot be written."""
    target = run_folder(batch_folder, run.key)

    def fill(partial: Path) -> None:
        write_run(report, partial / RESULTS_FOLDER)
        scene = Scene(crs)
        store_run(scene, report)
        save_runs(scene, partial / SAVED_FOLDER)
        run.scenario.save(partial / RUN_SCENARIO_FILE)

    replace_folder(target, fill)
    return target


def read_summary(batch_folder: Path, key: str) -> dict[str, Any]:
    """A finished run's summary.json (what `python main.py run` writes)."""
    path = summary_file(batch_folder, key)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BatchError(f"{path}: the run's summary cannot be read ({error})") from None
    if not isinstance(document, dict):
        raise BatchError(f"{path}: the run's summary is not a JSON object")
    return document


def batch_description(runs: Sequence[PlannedRun], outcomes: Mapping[str, Mapping[str, Any]],
                      variations: Sequence[str]) -> dict[str, Any]:
    """What batch.json says: the variations, and each run with its key, name, status and error."""
    return plain({
        "twin_version": __version__,
        "variations": list(variations),
        "runs": [{"key": run.key, "name": run.name, "scenario_file": str(run.source.resolve()),
                  "simulation": run.simulation, "seed": run.scenario.seed,
                  "varied": to_plain(run.varied), **outcomes.get(run.key, {"status": "not run"})}
                 for run in runs],
    })
