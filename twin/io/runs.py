"""Simulation runs kept with a project: their figures and result layers, to reopen as they were.

One folder per run: `run.json` (what was run, its figures, which results) and `results.npz`
(the result grids and tables, exactly as computed: no rounding, no text conversion). A folder
is written under a temporary name and renamed when complete (twin.core.atomic.replace_folder),
so a crash never leaves half a run; what a killed save left is removed on the next save.
For exchange with other tools the CLI writes GeoTIFF and CSV (twin.sim.scenario_run.write_run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine

from twin.core.atomic import remove_stale_temporaries, replace_folder
from twin.core.data import ResultRaster, ResultTable
from twin.core.fields import Category
from twin.core.layers import ResultLayer, result_layer
from twin.core.plain import plain
from twin.core.scene import RunRecord, Scene
from twin.io.errors import TwinIOError

RUN_FILE, RESULTS_FILE = "run.json", "results.npz"
_EARLIER_PARTIAL_RUN = re.compile(r"^\.[0-9a-f]{12}-[a-z0-9_]{8}$")


def save_runs(scene: Scene, folder: Path) -> list[Path]:
    """Write every run of the scene that still has result layers; return the run folders.

    Raises SaveError (naming the folder) when the runs cannot be written.
    """
    remove_stale_temporaries(folder)
    _remove_partial_runs_of_earlier_versions(folder)
    folders = []
    for record in scene.runs:
        layers = [layer for layer in scene.layers
                  if isinstance(layer, ResultLayer) and layer.run_id == record.run_id]
        target = folder / record.run_id
        if not (target / RUN_FILE).is_file():  # a run never changes once stored
            _write_run(record, layers, target)
        folders.append(target)
    return folders


def load_run(folder: Path) -> tuple[RunRecord, list[ResultLayer]]:
    """A saved run and its result layers, ready for `scene.add_run`."""
    try:
        description = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        with np.load(folder / RESULTS_FILE, allow_pickle=False) as arrays:
            layers = [_layer(entry, number, arrays, description["run_id"])
                      for number, entry in enumerate(description["results"])]
        record = RunRecord(run_id=description["run_id"], simulation=description["simulation"],
                           scenario=description["scenario"], seed=description["seed"],
                           parameters=description["parameters"], summary=description["summary"],
                           per_quarter=description["per_quarter"])
    except FileNotFoundError as error:
        raise TwinIOError(folder, f"the saved run is incomplete ({Path(error.filename).name} is missing)") \
            from None
    # A damaged results.npz fails in zipfile or zlib; a damaged run.json as a key or shape error.
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, EOFError,
            zipfile.BadZipFile, zlib.error) as error:
        raise TwinIOError(folder, f"the saved run cannot be read ({type(error).__name__}: {error})") from None
    return record, layers


def _write_run(record: RunRecord, layers: list[ResultLayer], target: Path) -> None:
    def fill(partial: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        entries = [_entry(layer, number, arrays) for number, layer in enumerate(layers)]
        np.savez_compressed(partial / RESULTS_FILE, **arrays)
        description = {"run_id": record.run_id, "simulation": record.simulation,
                       "scenario": record.scenario, "seed": record.seed,
                       "parameters": record.parameters, "summary": record.summary,
                       "per_quarter": record.per_quarter, "results": entries}
        (partial / RUN_FILE).write_text(json.dumps(plain(description), indent=1), encoding="utf-8")

    replace_folder(target, fill)


def _remove_partial_runs_of_earlier_versions(folder: Path) -> None:
    # Earlier versions wrote a run as `.RUNID-XXXXXXXX` and left it behind when killed.
    try:
        entries = [entry for entry in os.scandir(folder) if _EARLIER_PARTIAL_RUN.match(entry.name)]
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


def _entry(layer: ResultLayer, number: int, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    data = layer.data
    entry: dict[str, Any] = {"layer": layer.name, "name": data.name, "description": data.description,
                             "visible": layer.visible, "opacity": layer.opacity}
    if isinstance(data, ResultRaster):
        arrays[f"r{number}_values"] = data.values
        if data.times is not None:
            arrays[f"r{number}_times"] = np.asarray(data.times)
        return entry | {"kind": "raster", "units": data.units, "label": data.label, "palette": data.palette,
                        "crs": data.crs, "transform": list(data.transform)[:6]}
    names = list(data.columns)
    for column, name in enumerate(names):
        arrays[f"r{number}_c{column}"] = np.asarray(data.columns[name])
    return entry | {"kind": "table", "target_layer": data.target_layer, "units": data.units, "columns": names,
                    "labels": data.labels, "headline": data.headline,
                    "categories": {key: [asdict(category) for category in categories]
                                   for key, categories in data.categories.items()}}


def _layer(entry: dict[str, Any], number: int, arrays: Any, run_id: str) -> ResultLayer:
    if entry["kind"] == "raster":
        times = arrays.get(f"r{number}_times")
        data: ResultRaster | ResultTable = ResultRaster(
            entry["name"], arrays[f"r{number}_values"], Affine(*entry["transform"]), entry["crs"],
            entry["units"], entry["description"], times, entry.get("label", ""), entry.get("palette", ""))
    else:
        columns = {name: arrays[f"r{number}_c{column}"] for column, name in enumerate(entry["columns"])}
        # runs saved before labels and headlines were declared have neither
        categories = {key: tuple(Category(**category) for category in listed)
                      for key, listed in entry.get("categories", {}).items()}
        data = ResultTable(entry["name"], entry["target_layer"], columns, entry["units"],
                           entry["description"], entry.get("labels", {}), entry.get("headline"), categories)
    return result_layer(data, entry["layer"], run_id=run_id, visible=entry["visible"],
                        opacity=entry["opacity"])
