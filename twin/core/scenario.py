"""Scenarios: a TOML file naming a simulation, its parameters, input files, quarters and a seed.

    [scenario]
    name = "Johannstadt, 100-year 1-hour storm"
    simulation = "flood"
    seed = 42
    quarters = ["Johannstadt"]            # optional; default: every quarter of the scene
    quarters_file = "../data/quarters.geojson"
    crs = "EPSG:25833"                    # optional; without it, the CRS of the first input
    proposals = "measures.geojson"        # optional; measures applied to the inputs (docs/proposals.md)

    [inputs]                              # input name -> file, relative to this file
    terrain = "../data/demo/johannstadt_dtm1.tif"

    [parameters]                          # checked against the simulation's declared parameters
    duration_min = 60

A scenario without `crs` runs in the CRS of its first input, on that input's own grid (as QGIS
takes a project's CRS from its first layer); naming a `crs` asks for the inputs to be brought
into it, rasters warped. Typos are caught here with a suggestion ("unknown key 'sede' in
[scenario] (did you mean 'seed'?)").
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from twin.core.atomic import remove_stale_temporaries, write_atomic
from twin.core.crs import normalize_crs
from twin.core.errors import CRSError, ScenarioError, did_you_mean
from twin.core.paths import UnsuitablePath, named_path, read_toml_text

_TABLES = ("scenario", "inputs", "parameters")
_SCENARIO_KEYS = ("name", "simulation", "description", "seed", "crs", "quarters", "quarters_file",
                  "proposals")
_REQUIRED_KEYS = ("name", "simulation")


@dataclass(frozen=True)
class Scenario:
    name: str
    simulation: str
    description: str = ""
    seed: int | None = None
    crs: str | None = None  # None: the CRS of the first input
    quarters: tuple[str, ...] = ()
    quarters_file: Path | None = None
    inputs: dict[str, Path] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    proposals: Path | None = None  # a proposals file (GeoJSON) whose measures change the inputs

    @classmethod
    def load(cls, path: Path | str) -> Scenario:
        """Read and check a scenario file; every problem is a ScenarioError naming the file."""
        path = Path(path)
        try:
            document = tomllib.loads(_scenario_text(path))
        except FileNotFoundError:
            raise ScenarioError(path, "the scenario file does not exist") from None
        except UnicodeDecodeError:
            raise ScenarioError(path, "the scenario file is not UTF-8 text") from None
        except tomllib.TOMLDecodeError as error:
            raise ScenarioError(path, f"not valid TOML: {error}") from None
        return cls.from_dict(document, path)

    @classmethod
    def from_dict(cls, document: dict[str, Any], path: Path | None = None) -> Scenario:
        _reject_unknown(document, _TABLES, "table", "", path)
        header = _table(document, "scenario", path)
        _reject_unknown(header, _SCENARIO_KEYS, "key", " in [scenario]", path)
        for key in _REQUIRED_KEYS:
            if key not in header:
                raise ScenarioError(path, f"[scenario] needs a '{key}'")
        base = path.parent if path is not None else Path.cwd()
        return cls(
            name=_text(header, "name", path),
            simulation=_text(header, "simulation", path),
            description=_text(header, "description", path, required=False),
            seed=_seed(header, path),
            crs=_crs(header, path),
            quarters=tuple(_string_list(header, "quarters", path)),
            quarters_file=_optional_file(header, "quarters_file", base, path),
            inputs=_inputs(_table(document, "inputs", path), base, path),
            parameters=dict(_table(document, "parameters", path)),
            path=path,
            proposals=_optional_file(header, "proposals", base, path),
        )

    def save(self, path: Path | str) -> None:
        """Write the scenario as TOML (atomically), with file paths relative to it."""
        path = Path(path).resolve()
        header: dict[str, Any] = {"name": self.name, "simulation": self.simulation}
        if self.description:
            header["description"] = self.description
        if self.seed is not None:
            header["seed"] = self.seed
        if self.crs is not None:
            header["crs"] = self.crs
        if self.quarters:
            header["quarters"] = list(self.quarters)
        if self.quarters_file is not None:
            header["quarters_file"] = _relative(self.quarters_file, path.parent)
        if self.proposals is not None:
            header["proposals"] = _relative(self.proposals, path.parent)
        document = {
            "scenario": header,
            "inputs": {slot: _relative(file, path.parent) for slot, file in self.inputs.items()},
            "parameters": self.parameters,
        }
        remove_stale_temporaries(path.parent)  # what a killed earlier save left beside it
        write_atomic(path, tomli_w.dumps(document))


def _reject_unknown(table: dict, known: tuple[str, ...], what: str, where: str,
                    path: Path | None) -> None:
    for key in table:
        if key not in known:
            raise ScenarioError(path, f"unknown {what} '{key}'{where}{did_you_mean(key, known)}")


def _table(document: dict, name: str, path: Path | None) -> dict:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise ScenarioError(path, f"'{name}' must be a table ([{name}])")
    return table


def _text(header: dict, key: str, path: Path | None, required: bool = True) -> str:
    value = header.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ScenarioError(path, f"[scenario] {key} must be {'non-empty ' if required else ''}text")
    return value


def _seed(header: dict, path: Path | None) -> int | None:
    seed = header.get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(path, f"[scenario] seed must be a whole number >= 0, got {seed!r}")
    return seed


def _crs(header: dict, path: Path | None) -> str | None:
    if "crs" not in header:
        return None
    try:
        crs = normalize_crs(header["crs"])
    except CRSError as error:
        raise ScenarioError(path, f"[scenario] crs: {error}") from None
    if crs is None:
        raise ScenarioError(path, "[scenario] crs must not be empty")
    return crs


def _string_list(header: dict, key: str, path: Path | None) -> list[str]:
    values = header.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ScenarioError(path, f"[scenario] {key} must be a list of names")
    return values


def _scenario_text(path: Path) -> str:
    try:
        return read_toml_text(path)
    except UnsuitablePath as error:
        raise ScenarioError(path, f"not a scenario file: {error.problem}") from None


def _existing_file(text: Any, label: str, base: Path, path: Path | None,
                   folder_allowed: bool = False) -> Path:
    """The file a scenario names, under the rule of twin.core.paths (no devices, folders, system
    files); where `folder_allowed`, a folder too (an input's tiles, read as one mosaic)."""
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError(path, f"{label} must be a file path")
    try:
        file = named_path(base, text)
    except UnsuitablePath as error:
        file = _folder(base, text) if folder_allowed else None
        if file is None:
            empty = ", and holds no tiles" if folder_allowed and "is a folder" in error.problem else ""
            raise ScenarioError(path, f"{label}: {error.problem}{empty}") from None
    if not file.exists():
        raise ScenarioError(path, f"{label} names a file that does not exist: {file}")
    return file


def _folder(base: Path, text: str) -> Path | None:
    """The folder `text` names where it holds files (tiles to read as one), else None."""
    try:
        folder = named_path(base, text, folder_expected=True)
        return folder if any(entry.is_file() for entry in folder.iterdir()) else None
    except (UnsuitablePath, OSError):
        return None


def _optional_file(header: dict, key: str, base: Path, path: Path | None) -> Path | None:
    if key not in header:
        return None
    return _existing_file(header[key], f"[scenario] {key}", base, path)


def _inputs(table: dict, base: Path, path: Path | None) -> dict[str, Path]:
    return {slot: _existing_file(text, f"input '{slot}'", base, path, folder_allowed=True)
            for slot, text in table.items()}


def _relative(file: Path, directory: Path) -> str:
    return Path(os.path.relpath(file, directory)).as_posix()
