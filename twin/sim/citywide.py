"""The whole city's flood: the terrain split into sub-catchment domains, run as Dask tasks, stitched.

A scenario's terrain (a file, or a folder of tiles read as one virtual mosaic) is split on the
run's grid into domains of about `domain_m` square by plugins/flood/catchments.py: catchments
from D8 flow directions, merged where a flat joins them, each domain run on its own cells' box
grown by `buffer_m` so that water crossing a divide is still computed. Every domain is one Dask
task (a LocalCluster as for batches, twin/sim/batch_dask.py, or any scheduler by address) that
reads its window of the inputs from their path (the same path on every worker), runs the flood
plugin through its contract, and returns the cells it owns. The client writes them, as they
arrive, into city-wide grids of maximum depth, velocity and arrival time, finally written as
Cloud-Optimized GeoTIFFs (tiled, deflate, with overviews), and into per-building, per-street
and per-quarter tables (CSV and Parquet). No grid larger than a domain is held in memory but
the run grid's overview the split needs.

Hydrograph points are dropped (a domain's window need not hold them); inflow points go to the
domain that owns their cell.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import rasterio
import rasterio.features
import rasterio.shutil
import shapely
from affine import Affine
from distributed import Client, as_completed

from plugins.flood.catchments import CatchmentSplit, split_into_domains
from plugins.flood.simulation import FloodSimulation
from twin.core.atomic import (
    check_writable_folder,
    is_temporary,
    remove_stale_temporaries,
    write_atomic,
)
from twin.core.data import RasterData
from twin.core.errors import ScenarioError, TwinError
from twin.core.layers import BuildingsLayer, RasterLayer, StreetsLayer
from twin.core.quarter import Quarter
from twin.core.scenario import Scenario
from twin.io.mosaic import TerrainMosaic, read_tiles_window, tile_paths
from twin.io.quarters import read_quarters_in
from twin.io.spatial_index import LayerIndex
from twin.sim.batch_dask import SCHEDULER_TIMEOUT_S, LocalBatchCluster
from twin.sim.contract import SimulationInputs
from twin.sim.runner import resolve_parameters, run_simulation

DEFAULT_DOMAIN_M = 1000.0
DEFAULT_BUFFER_M = 150.0
FIELDS = {"max_depth": "m", "max_velocity": "m/s", "arrival_time": "min"}
SUMMARY_FILE = "citywide.json"
Bounds = tuple[float, float, float, float]


class CitywideError(TwinError):
    """A whole-city run that cannot start (wrong simulation, unreadable inputs, no scheduler)."""


@dataclass(frozen=True)
class CityInputs:
    """Where every worker reads the inputs: the terrain's tiles, the building and street files."""

    terrain: tuple[Path, ...]
    buildings: Path | None
    streets: Path | None
    crs: str | None


@dataclass(frozen=True)
class DomainTask:
    number: int
    bounds: Bounds  # the window on the terrain, in the CRS
    owned: np.ndarray  # bool on the run grid of the window: the cells this domain reports
    parameters: dict[str, Any]
    inputs: CityInputs


@dataclass
class DomainResult:
    number: int
    seconds: float = 0.0
    error: str | None = None
    fields: dict[str, np.ndarray] = field(default_factory=dict)
    buildings: dict[str, np.ndarray] = field(default_factory=dict)
    streets: dict[str, np.ndarray] = field(default_factory=dict)
    cell_updates: float = 0.0
    solver_seconds: float = 0.0


@dataclass
class CityPlan:
    scenario: Scenario
    inputs: CityInputs
    parameters: dict[str, Any]
    grid: RasterData  # the run grid's overview: block means of the terrain
    split: CatchmentSplit
    quarters: list[Quarter]

    def tasks(self) -> list[DomainTask]:
        return [DomainTask(domain.number, _window_bounds(self.grid.transform, domain.rows, domain.cols),
                           self.split.owner[domain.rows, domain.cols] == domain.number,
                           self.parameters, self.inputs) for domain in self.split.domains]


@dataclass
class CitywideOutcome:
    summary: dict[str, Any]
    failed: dict[int, str]
    written: list[Path]


ProgressListener = Callable[[int, int, int], None]  # domains done, failed, total


def plan_citywide(scenario_file: Path, domain_m: float = DEFAULT_DOMAIN_M,
                  buffer_m: float = DEFAULT_BUFFER_M) -> CityPlan:
    """Read the scenario, the terrain's overview on the run grid, and split it into domains."""
    scenario = Scenario.load(scenario_file)
    if scenario.simulation != "flood":
        raise CitywideError(f"{scenario_file}: a citywide run is a flood run, this scenario runs "
                            f"'{scenario.simulation}'")
    if "terrain" not in scenario.inputs:
        raise CitywideError(f"{scenario_file}: [inputs] needs a terrain (a file or a folder of tiles)")
    parameters = _domain_parameters(resolve_parameters(FloodSimulation, scenario.parameters))
    inputs = CityInputs(_terrain_tiles(scenario.inputs["terrain"]), scenario.inputs.get("buildings"),
                        scenario.inputs.get("streets"), scenario.crs)
    mosaic = TerrainMosaic(inputs.terrain, inputs.crs)
    factor = _factor(mosaic, parameters["cell_size_m"])
    grid = mosaic.read_window(factor=factor)
    split = split_into_domains(grid.values, grid.transform, domain_m=domain_m, buffer_m=buffer_m)
    extent = shapely.box(*grid.bounds)  # quarters off the terrain have no figures to report
    quarters = [] if scenario.quarters_file is None else [
        quarter for quarter in read_quarters_in(scenario.quarters_file, grid.crs or "EPSG:25833")
        if (not scenario.quarters or quarter.name in scenario.quarters)
        and quarter.polygon.intersects(extent)]
    return CityPlan(scenario, inputs, parameters, grid, split, quarters)


def run_citywide(plan: CityPlan, out: Path, *, client: Client | None = None, scheduler: str | None = None,
                 workers: int | None = None, on_progress: ProgressListener | None = None) -> CitywideOutcome:
    """Run every domain on Dask and write the stitched grids, tables and citywide.json into `out`."""
    check_writable_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)  # the drafts of a run that was killed
    started = time.perf_counter()
    tasks = plan.tasks()
    stitcher = _Stitcher(plan, out)
    results: list[DomainResult] = []
    listener = on_progress or (lambda done, failed, total: None)
    try:  # Ctrl-C or a failure on the way leaves no draft behind, and no half-written grid or table
        with ExitStack() as stack:
            client = client or stack.enter_context(_client(scheduler, workers))
            stitcher.start()
            futures = [client.submit(run_domain, task, key=f"twin-domain-{task.number}-{id(plan)}",
                                     pure=False) for task in tasks]
            for future in as_completed(futures, loop=client.loop):  # the client need not be the default
                result = _result_of(future)
                results.append(result)
                if result.error is None:
                    stitcher.add(result, tasks[result.number - 1])
                failed = sum(r.error is not None for r in results)
                listener(len(results) - failed, failed, len(tasks))
        written = stitcher.finish(results)
    finally:
        stitcher.discard_temporaries()
    summary = _summary(plan, results, time.perf_counter() - started)
    write_atomic(out / SUMMARY_FILE, json.dumps(summary, indent=1))
    failures = {result.number: str(result.error) for result in results if result.error}
    return CitywideOutcome(summary, failures, [*written, out / SUMMARY_FILE])


def _client(scheduler: str | None, workers: int | None) -> Any:
    if scheduler is not None:
        try:
            return Client(scheduler, set_as_default=False, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError) as error:
            raise CitywideError(f"the Dask scheduler at {scheduler} cannot be reached ({error})") from None
    if workers is not None and workers < 1:
        raise CitywideError(f"--workers must be at least 1, got {workers}")
    return LocalBatchCluster(workers or 2)


def _result_of(future: Any) -> DomainResult:
    try:
        return future.result()
    except Exception as error:  # the worker died or the task could not start
        number = int(str(future.key).split("-")[2])
        return DomainResult(number, error=f"{type(error).__name__}: {error}")


# ----------------------------------------------------------------------------- one domain, on a worker

_mosaics: dict[tuple[Path, ...], TerrainMosaic] = {}
_indexes: dict[Path, LayerIndex] = {}
_lock = threading.Lock()


def run_domain(task: DomainTask) -> DomainResult:
    """Run one domain through the flood plugin's contract; its own cells' grids and table rows.
    Never raises for the domain's own problems: they come back as its error."""
    started = time.perf_counter()
    try:
        inputs = _domain_inputs(task)
        terrain = inputs.layers["terrain"].data
        report = run_simulation(FloodSimulation(), inputs, _with_inflows_of(task, terrain), seed=0)
        if not report.ok or report.output is None:
            return DomainResult(task.number, time.perf_counter() - started, report.error)
        results = {result.name: result for result in report.output.results}
        grids = {name: results[name].values for name in FIELDS}
        shape = next(iter(grids.values())).shape
        if shape != task.owned.shape:
            raise CitywideError(f"domain {task.number}: its grid is {shape}, its window {task.owned.shape}")
        transform = results["max_depth"].transform
        summary = report.output.summary
        return DomainResult(
            task.number, time.perf_counter() - started, None,
            {name: np.where(task.owned, grid, np.nan).astype(np.float32) for name, grid in grids.items()},
            _owned_rows(results.get("building_flood"), inputs, "buildings", task.owned, transform),
            _owned_rows(results.get("street_flood"), inputs, "streets", task.owned, transform),
            _cell_updates(summary), float(summary["solver_seconds"]))
    except Exception as error:  # a bad window, a failed read: this domain fails, the others go on
        return DomainResult(task.number, time.perf_counter() - started, f"{type(error).__name__}: {error}")


def _domain_inputs(task: DomainTask) -> SimulationInputs:
    terrain = _mosaic(task.inputs.terrain, task.inputs.crs).read_window(task.bounds)
    layers: dict[str, Any] = {"terrain": RasterLayer(terrain, "terrain")}
    for slot, layer_type in (("buildings", BuildingsLayer), ("streets", StreetsLayer)):
        path = getattr(task.inputs, slot)
        data = None if path is None else _read_window(path, task.bounds, task.inputs.crs)
        if data is not None and len(data):
            layers[slot] = layer_type(data, slot)
    return SimulationInputs(layers=layers, quarters=[], crs=terrain.crs or "EPSG:25833")


def _mosaic(tiles: tuple[Path, ...], crs: str | None) -> TerrainMosaic:
    with _lock:  # a worker's threads share one mosaic; each read opens its own tiles
        if tiles not in _mosaics:
            _mosaics[tiles] = TerrainMosaic(tiles, crs)
        return _mosaics[tiles]


def _read_window(path: Path, bounds: Bounds, crs: str | None) -> Any:
    """A building or street layer's features in the window: a folder of tiles by their names, a
    file through its spatial index (built once, by the first worker that needs it)."""
    if path.is_dir():
        return read_tiles_window(tile_paths(path), bounds, crs)
    with _lock:
        if path not in _indexes:
            _indexes[path] = LayerIndex.open(path, crs)
        index = _indexes[path]
    return index.read(bounds)


def _with_inflows_of(task: DomainTask, terrain: RasterData) -> dict[str, Any]:
    """The parameters with the inflow points this domain owns (the others are its neighbours')."""
    points = np.asarray(task.parameters["inflow_points"], dtype=float).reshape(-1, 2)
    if not len(points):
        return task.parameters
    factor = terrain.shape[0] // task.owned.shape[0]  # fine cells per run cell
    cols, rows = ~terrain.transform @ (points[:, 0], points[:, 1])
    rows, cols = np.floor(rows / factor).astype(int), np.floor(cols / factor).astype(int)
    height, width = task.owned.shape
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    mine = inside & task.owned[np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
    return {**task.parameters, "inflow_points": tuple(map(tuple, points[mine]))}


def _owned_rows(table: Any, inputs: SimulationInputs, slot: str, owned: np.ndarray,
                transform: Affine) -> dict[str, np.ndarray]:
    """The rows of a building or street table whose feature's anchor point lies in an owned cell."""
    if table is None:
        return {}
    data = inputs.layers[slot].data
    shapes = data.footprints if slot == "buildings" else data.geometries
    anchors = [(shapely.point_on_surface(s) if slot == "buildings" else shapely.line_interpolate_point(
        s, 0.5, normalized=True)) if s is not None else shapely.Point() for s in shapes]
    x, y = shapely.get_x(np.array(anchors, dtype=object)), shapely.get_y(np.array(anchors, dtype=object))
    cols, rows = ~transform @ (np.nan_to_num(x, nan=-1e12), np.nan_to_num(y, nan=-1e12))
    rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    inside = (rows >= 0) & (rows < owned.shape[0]) & (cols >= 0) & (cols < owned.shape[1])
    keep = inside.copy()
    keep[inside] = owned[rows[inside], cols[inside]]
    columns = {name: np.asarray(values)[keep] for name, values in table.columns.items()}
    return {**columns, "x": x[keep], "y": y[keep]}


def _cell_updates(summary: dict[str, Any]) -> float:
    rate = summary.get("cell_updates_per_s") or 0.0
    return float(rate) * float(summary["solver_seconds"])


# ----------------------------------------------------------------------------- stitching, on the client

class _Stitcher:
    """City-wide grids written domain by domain (owned cells only) into tiled GeoTIFFs, and the
    tables' rows collected; `finish` turns the grids into COGs and writes the tables."""

    def __init__(self, plan: CityPlan, out: Path) -> None:
        self.plan, self.out = plan, out
        self.drafts = {name: _temporary(out, f"{name}.tif", "draft") for name in FIELDS}
        self.buildings: list[dict[str, np.ndarray]] = []
        self.streets: list[dict[str, np.ndarray]] = []

    def start(self) -> None:
        """Write the empty drafts (under the twin's temporary names: see discard_temporaries)."""
        profile = {"driver": "GTiff", "width": self.plan.grid.shape[1], "height": self.plan.grid.shape[0],
                   "count": 1, "dtype": "float32", "crs": self.plan.grid.crs,
                   "transform": self.plan.grid.transform, "nodata": float("nan"), "tiled": True,
                   "blockxsize": 256, "blockysize": 256, "compress": "deflate", "predictor": 3,
                   "BIGTIFF": "IF_SAFER"}
        for draft in self.drafts.values():
            with rasterio.open(draft, "w", **profile) as target:
                for _, window in target.block_windows(1):
                    target.write(np.full((window.height, window.width), np.nan, np.float32), 1, window=window)

    def discard_temporaries(self) -> None:
        """Remove this run's drafts and unfinished files: all of them once the run ended, however.
        A killed run's are removed by the next run in the folder (remove_stale_temporaries)."""
        mine = f".{os.getpid()}-"
        for path in self.out.iterdir():
            if is_temporary(path.name) and mine in path.name:
                path.unlink(missing_ok=True)

    def add(self, result: DomainResult, task: DomainTask) -> None:
        domain = self.plan.split.domains[result.number - 1]
        window = rasterio.windows.Window(domain.cols.start, domain.rows.start, *domain.shape[::-1])
        for name, draft in self.drafts.items():
            with rasterio.open(draft, "r+") as target:
                values = target.read(1, window=window)
                values[task.owned] = result.fields[name][task.owned]
                target.write(values, 1, window=window)
        self.buildings.append(result.buildings)
        self.streets.append(result.streets)

    def finish(self, results: list[DomainResult]) -> list[Path]:
        written = []
        for name, draft in self.drafts.items():
            written.append(_written_in_place(self.out / f"{name}.tif", lambda partial, draft=draft: (
                rasterio.shutil.copy(draft, partial, driver="COG", compress="DEFLATE",
                                     predictor="FLOATING_POINT", blocksize=512, overview_resampling="average",
                                     overview_count=_overview_levels(self.plan.grid.shape)))))
            draft.unlink()
        written.append(_written_in_place(self.out / "domains.tif", self._write_owner))
        buildings, streets = _stack(self.buildings), _stack(self.streets)
        for name, table in (("buildings", buildings), ("streets", streets),
                            ("quarters", self._quarter_table(buildings, streets))):
            if table:
                written += _write_table(table, self.out / name)
        return written

    def _write_owner(self, path: Path) -> None:
        owner = self.plan.split.owner.astype(np.int32)
        profile = {"driver": "COG", "width": owner.shape[1], "height": owner.shape[0], "count": 1,
                   "dtype": "int32", "crs": self.plan.grid.crs, "transform": self.plan.grid.transform,
                   "nodata": 0, "compress": "DEFLATE", "overview_resampling": "nearest",
                   "overview_count": _overview_levels(owner.shape)}
        with rasterio.open(path, "w", **profile) as target:
            target.write(owner, 1)

    def _quarter_table(self, buildings: dict[str, np.ndarray], streets: dict[str, np.ndarray]) -> dict:
        """Per quarter: its flooded area (over the building threshold), deepest and mean flooded
        depth, affected buildings and flooded street length, from the stitched grid and tables."""
        rows = []
        threshold = self.plan.parameters["building_threshold_m"]
        with rasterio.open(self.out / "max_depth.tif") as source:
            for quarter in self.plan.quarters:
                rows.append(_quarter_row(quarter, source, threshold, buildings, streets))
        return {key: np.array([row[key] for row in rows]) for key in rows[0]} if rows else {}


def _overview_levels(shape: tuple[int, int]) -> int:
    """Halvings until the grid fits a 256-cell view (at least one, so even a small grid has one)."""
    return max(1, math.ceil(math.log2(max(shape) / 256))) if max(shape) > 256 else 1


def _quarter_row(quarter: Quarter, source: Any, threshold: float, buildings: dict, streets: dict) -> dict:
    window = rasterio.windows.from_bounds(*quarter.polygon.bounds, transform=source.transform)
    window = window.round_offsets().round_lengths().intersection(
        rasterio.windows.Window(0, 0, source.width, source.height))
    depth = source.read(1, window=window, masked=True).filled(np.nan)
    inside = rasterio.features.geometry_mask([quarter.polygon], depth.shape,
                                             source.window_transform(window), invert=True)
    depth = np.where(inside, depth, np.nan)
    flooded = depth > threshold
    cell_area = abs(source.transform.a * source.transform.e)
    in_quarter = _points_in(quarter, buildings), _points_in(quarter, streets)
    return {"quarter": quarter.name, "flooded_area_m2": float(flooded.sum() * cell_area),
            "max_depth_m": float(np.nanmax(depth)) if np.isfinite(depth).any() else float("nan"),
            "mean_flooded_depth_m": float(depth[flooded].mean()) if flooded.any() else 0.0,
            "buildings_affected": int(buildings["affected"][in_quarter[0]].sum()) if buildings else 0,
            "flooded_street_length_m": float(streets["flooded_length"][in_quarter[1]].sum())
            if streets else 0.0}


def _points_in(quarter: Quarter, table: dict[str, np.ndarray]) -> np.ndarray:
    if not table:
        return np.zeros(0, dtype=bool)
    return shapely.contains_xy(quarter.polygon, table["x"], table["y"])


def _stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [part for part in parts if part]
    if not parts:
        return {}
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _write_table(table: dict[str, np.ndarray], stem: Path) -> list[Path]:
    arrow = pa.table({name: pa.array(values.tolist()) for name, values in table.items()})
    return [_written_in_place(stem.with_suffix(".parquet"), lambda partial: pq.write_table(arrow, partial)),
            _written_in_place(stem.with_suffix(".csv"), lambda partial: pa_csv.write_csv(arrow, partial))]


def _temporary(out: Path, name: str, role: str) -> Path:
    """A name for this process's unfinished file in `out`, in the twin's form for temporaries
    (twin/core/atomic.py), so that the next run removes it once this process is gone."""
    return out / f".{name}.{os.getpid()}-{role}.twin-tmp"


def _written_in_place(target: Path, write: Callable[[Path], Any]) -> Path:
    """`target` written whole or not at all: `write` fills a temporary that then takes its place."""
    partial = _temporary(target.parent, target.name, "partial")
    write(partial)
    os.replace(partial, target)
    return target


def _summary(plan: CityPlan, results: list[DomainResult], seconds: float) -> dict[str, Any]:
    updates = sum(result.cell_updates for result in results)
    solver = sum(result.solver_seconds for result in results)
    cells = int(np.isfinite(plan.grid.values).sum())
    return {
        "scenario": plan.scenario.name, "cell_size_m": abs(plan.grid.transform.a),
        "cells": cells, "area_km2": cells * abs(plan.grid.transform.a * plan.grid.transform.e) / 1e6,
        "catchments": plan.split.catchments, "merged_by_flats": plan.split.merged_by_flats,
        "domains": len(plan.split.domains),
        "domain_cells": int(sum(np.prod(d.shape) for d in plan.split.domains)),
        "failed": {str(r.number): r.error for r in results if r.error},
        "wall_seconds": round(seconds, 2), "solver_seconds": round(solver, 2),
        "cell_updates": updates, "cell_updates_per_solver_s": updates / solver if solver > 0 else None,
    }


# ----------------------------------------------------------------------------- the plan's pieces

def _domain_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """A domain runs on its window as given: no cropping, no hydrographs, one depth snapshot."""
    return {**parameters, "crop_to_quarters": False, "hydrograph_points": (),
            "snapshot_interval_min": min(600.0, max(parameters["duration_min"], 0.5))}


def _terrain_tiles(path: Path) -> tuple[Path, ...]:
    return tuple(tile_paths(path)) if path.is_dir() else (path,)


def _factor(mosaic: TerrainMosaic, cell_size_m: float) -> int:
    own = mosaic.cell[0]
    if cell_size_m <= 0:
        return 1
    factor = round(cell_size_m / own)
    if factor < 1 or abs(factor * own - cell_size_m) > 1e-6 * own:
        raise ScenarioError(None, f"cell_size_m must be a whole multiple of the terrain's {own:g} m cells, "
                                  f"got {cell_size_m:g} m")
    return factor


def _window_bounds(transform: Affine, rows: slice, cols: slice) -> Bounds:
    west, north = transform @ (cols.start, rows.start)
    east, south = transform @ (cols.stop, rows.stop)
    return float(west), float(south), float(east), float(north)


# ----------------------------------------------------------------------------- against one domain

def run_single_domain(plan: CityPlan) -> tuple[np.ndarray, dict[str, Any]]:
    """The same flood on the whole terrain as one domain: its maximum depth on the run grid and
    its summary (for the tiling error, tiling_error)."""
    rows, cols = slice(0, plan.grid.shape[0]), slice(0, plan.grid.shape[1])
    task = DomainTask(0, _window_bounds(plan.grid.transform, rows, cols), np.isfinite(plan.grid.values),
                      plan.parameters, plan.inputs)
    inputs = _domain_inputs(task)
    report = run_simulation(FloodSimulation(), inputs, _with_inflows_of(task, inputs.layers["terrain"].data),
                            seed=0)
    if not report.ok or report.output is None:
        raise CitywideError(f"the single-domain run failed: {report.error}")
    depth = next(r for r in report.output.results if r.name == "max_depth").values
    return depth, report.output.summary


def tiling_error(tiled: np.ndarray, single: np.ndarray, cell_area: float,
                 flooded_m: float = 0.1) -> dict[str, float]:
    """How far a tiled maximum depth is from the single domain's: depth differences and the
    flooded area (deeper than `flooded_m`) of each."""
    both = np.isfinite(tiled) & np.isfinite(single)
    difference = np.abs(tiled[both] - single[both])
    single_area = float((single[both] > flooded_m).sum() * cell_area)
    tiled_area = float((tiled[both] > flooded_m).sum() * cell_area)
    return {
        "max_abs_depth_difference_m": float(difference.max()) if difference.size else 0.0,
        "p99_abs_depth_difference_m": float(np.percentile(difference, 99)) if difference.size else 0.0,
        "mean_abs_depth_difference_m": float(difference.mean()) if difference.size else 0.0,
        "flooded_area_single_m2": single_area, "flooded_area_tiled_m2": tiled_area,
        "flooded_area_difference_pct": 100.0 * (tiled_area - single_area) / single_area
        if single_area else 0.0,
        "cells_compared": int(both.sum()),
    }


def read_grid(path: Path) -> np.ndarray:
    """A stitched grid's values (NaN where no domain wrote)."""
    with rasterio.open(path) as source:
        return source.read(1, masked=True).astype(np.float32).filled(np.nan)


def cell_area_of(plan: CityPlan) -> float:
    return abs(plan.grid.transform.a * plan.grid.transform.e)


def whole_city_hours(area_km2: float, cell_m: float, steps: float, cell_updates_per_s: float,
                     workers: int, buffer_share: float = 0.0) -> float:
    """Hours the whole city would take: its cells (plus the buffers' share of them) times the
    time steps of a run, at the measured cell-update rate of one worker, over `workers` (the
    domains are many and small enough to keep every worker busy)."""
    cells = area_km2 * 1e6 / (cell_m * cell_m) * (1.0 + buffer_share)
    return cells * steps / (cell_updates_per_s * workers) / 3600.0
