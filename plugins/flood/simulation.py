"""Heavy-rain flood simulation: the contract class that turns layers and parameters into a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from plugins.flood import analysis, grid, kernels, kostra, measures, presentation, rain, rasterise
from plugins.flood.solver import Domain, FloodResult, Losses, PointInflow, Settings, simulate
from twin.core.data import BuildingData, RasterData, ResultRaster, ResultTable, SensorData, StreetData
from twin.sim import (
    Feedback,
    InputSpec,
    ParameterError,
    ParameterSpec,
    Simulation,
    SimulationInputError,
    SimulationInputs,
    SimulationOutput,
)
from twin.sim.contract import QuickEstimator

MM_PER_HOUR = rain.MM_PER_HOUR
CROP_MARGIN_M = 50.0  # terrain kept around the quarters, so water from just outside still arrives
# Sections of the parameter form.
GRID, ROUGHNESS, INFLOWS = "Grid and land cover", "Surface roughness (Manning's n)", "Inflows and hydrographs"
WATER_LEVEL_WORDS = ("water level", "water_level", "waterlevel", "water depth", "water_depth", "stage")


class FloodSimulation(Simulation):
    name = "flood"
    title = "Heavy-rain flood"
    description = ("2-D rain-on-grid surface flow over the terrain (local inertial scheme): where "
                   "water collects, how deep and how fast, which buildings and streets it reaches.")
    inputs = (
        InputSpec("terrain", "raster", "a terrain model (DTM), heights in metres, square cells"),
        InputSpec("buildings", "buildings", "buildings whose footprints block the flow", required=False),
        InputSpec("streets", "streets", "street segments (sealed, smooth; width_m where known)",
                  required=False),
        InputSpec("sensors", "sensors", "rain gauges (precipitation) and water-level sensors",
                  required=False),
    )
    outputs = presentation.OUTPUTS
    charts = staticmethod(presentation.charts)
    proposal_kinds = (*measures.KINDS, *measures.NOT_MODELLED)
    parameters = (
        ParameterSpec("rain", str, "euler2", "the rain event: a block rain, an Euler type II design "
                      "storm from the depth-duration table, or a rain gauge's record",
                      choices=("block", "euler2", "gauge"), choice_labels={
                          "block": "block rain", "euler2": "Euler type II design storm",
                          "gauge": "rain gauge record"},
                      label="rain event", group="Rain"),
        ParameterSpec("block_depth_mm", float, 100.0, "block rain: total depth ('extreme': 100 mm in 1 h)",
                      units="mm", minimum=0.0, maximum=1000.0,
                      label="block rain depth", group="Rain",
                      applies_when={"rain": ("block",)}),
        ParameterSpec("rain_duration_min", float, 60.0, "block or design storm duration", units="min",
                      minimum=5.0, maximum=1440.0,
                      label="rain duration", group="Rain",
                      applies_when={"rain": ("block", "euler2")}),
        ParameterSpec("kostra_file", str, "", "design storm: a KOSTRA-DWD table export (CSV) of the "
                      "site's grid cell, durations in rows and return periods in columns (absolute path, "
                      "or relative to the working folder); empty: the rain table below",
                      label="KOSTRA table file (CSV)", group="Rain",
                      applies_when={"rain": ("euler2",)}),
        ParameterSpec("return_period_a", float, 100.0, "design storm: return period taken from the table "
                      "(between its columns: linear in ln T)", units="a", minimum=1.0, maximum=100.0,
                      label="return period", group="Rain",
                      applies_when={"rain": ("euler2",)}),
        ParameterSpec("rain_table", tuple, tuple((d, 100.0, h) for d, h in rain.DRESDEN_100_YEAR_TABLE),
                      "design storm without a KOSTRA file: depth-duration rows (log-log between "
                      "durations). The default is an illustrative Dresden 100-year table, NOT KOSTRA: "
                      "the demo's, to be replaced by the site's official values",
                      columns=("duration (min)", "return period (a)", "depth (mm)"), minimum=0.0,
                      label="depth-duration table", group="Rain", advanced=True,
                      applies_when={"rain": ("euler2",)}),
        ParameterSpec("rain_gauge", str, "", "gauge: station id of the rain gauge in the sensors layer",
                      label="rain gauge (station id)", group="Rain",
                      applies_when={"rain": ("gauge",)}),
        ParameterSpec("gauge_start_utc", str, "", "gauge: start of the replayed event (ISO 8601, UTC); "
                      "empty: the wet spell around the gauge's wettest hour",
                      label="start of the replayed event (UTC)", group="Rain",
                      applies_when={"rain": ("gauge",)}),
        ParameterSpec("duration_min", float, 120.0, "simulated time from the start of the rain",
                      units="min", minimum=1.0, maximum=2880.0,
                      label="simulated time", group="Rain"),
        ParameterSpec("cell_size_m", float, 0.0, "grid cell size: a whole multiple of the terrain's "
                      "cells, averaged over blocks (2 m runs a 1 m quarter about 8x faster); 0 keeps the "
                      "terrain's", units="m", minimum=0.0, maximum=50.0,
                      label="cell size", group=GRID),
        ParameterSpec("street_channels", str, "keep", "coarsening: keep the street channels and kerbs "
                      "(street blocks at their lowest street cell, blocks beside the street at their "
                      "highest: a 2 m mean halves a 15 cm kerb and lets street water spill into gardens) "
                      "or average every block", choices=("keep", "average"), choice_labels={
                          "keep": "keep channels and kerbs", "average": "average every block"},
                      label="street channels when coarsening", group=GRID, advanced=True),
        ParameterSpec("kerb_height_m", float, 0.0, "kerbs to burn into a DTM that lacks them: street "
                      "areas are lowered by this height (a segment's kerb_height_m where the street layer "
                      "has one); 0 keeps the DTM's own", units="m", minimum=0.0, maximum=0.5,
                      label="kerb height to burn in", group=GRID, advanced=True),
        ParameterSpec("crop_to_quarters", bool, False, "run only on the terrain around the scenario's "
                      f"quarters ({CROP_MARGIN_M:g} m margin)",
                      label="only around the quarters", group=GRID),
        ParameterSpec("buildings_as", str, "walls", "walls: footprints take no water (roof rain drains "
                      "as 'roof drainage' says); blocks: footprints raised, roof rain runs off",
                      choices=("walls", "blocks"),
                      choice_labels={"walls": "walls (roofs drain by gutters and downpipes)",
                                     "blocks": "raised blocks"},
                      label="buildings as", group=GRID),
        ParameterSpec("roof_drainage", str, "sewer", "walls: where roof rain goes. sewer: the roofs are "
                      "connected to the sewer and share its capacity per m² with sealed ground (so the "
                      "limit holds for the whole connected area), the rest overflows from the downpipes "
                      "onto the cells beside the footprint; downpipes: all of it runs onto those cells",
                      choices=("sewer", "downpipes"), choice_labels={
                          "sewer": "sewer up to its capacity, the rest from the downpipes",
                          "downpipes": "downpipes onto the ground"},
                      label="roof drainage", group="Losses",
                      applies_when={"buildings_as": ("walls",)}),
        ParameterSpec("block_height_m", float, 10.0, "blocks: how far footprints are raised", units="m",
                      minimum=0.5, maximum=200.0,
                      label="block height", group=GRID, advanced=True,
                      applies_when={"buildings_as": ("blocks",)}),
        ParameterSpec("n_street", float, 0.015, "Manning's n of streets", units="s/m^(1/3)",
                      minimum=0.005, maximum=0.3,
                      label="streets", group=ROUGHNESS, advanced=True),
        ParameterSpec("n_sealed", float, 0.020, "Manning's n of other sealed ground and roofs",
                      units="s/m^(1/3)", minimum=0.005, maximum=0.3,
                      label="other sealed ground and roofs", group=ROUGHNESS, advanced=True),
        ParameterSpec("n_green", float, 0.050, "Manning's n of green areas", units="s/m^(1/3)",
                      minimum=0.005, maximum=0.3,
                      label="green areas", group=ROUGHNESS, advanced=True),
        ParameterSpec("open_land", str, "green", "cover of cells that are no street, building or yard",
                      choices=("green", "sealed"),
                      label="open land", group=GRID),
        ParameterSpec("yard_m", float, 5.0, "sealed belt around buildings (pavements, yards)", units="m",
                      minimum=0.0, maximum=50.0,
                      label="sealed belt around buildings", group=GRID, advanced=True),
        ParameterSpec("street_width_m", float, 8.0, "street width where the layer has no width_m",
                      units="m", minimum=1.0, maximum=100.0,
                      label="street width (default)", group=GRID, advanced=True),
        ParameterSpec("infiltration", str, "horton", "infiltration on green cells",
                      choices=("horton", "constant"),
                      choice_labels={"horton": "Horton (decaying)", "constant": "constant rate"},
                      label="infiltration model", group="Losses"),
        ParameterSpec("infiltration_mm_h", float, 10.0, "constant rate, or Horton's final rate",
                      units="mm/h", minimum=0.0, maximum=500.0,
                      label="infiltration rate (final)", group="Losses"),
        ParameterSpec("infiltration_initial_mm_h", float, 60.0, "Horton's initial rate", units="mm/h",
                      minimum=0.0, maximum=1000.0,
                      label="Horton: initial rate", group="Losses",
                      applies_when={"infiltration": ("horton",)}),
        ParameterSpec("horton_decay_per_h", float, 2.0, "Horton's decay constant (cumulative form: the "
                      "capacity falls with the water taken in, not with time)", units="1/h",
                      minimum=0.0, maximum=100.0,
                      label="Horton: decay constant", group="Losses", advanced=True,
                      applies_when={"infiltration": ("horton",)}),
        ParameterSpec("sewer_capacity_mm_h", float, 20.0, "sewer capacity per m² of the connected area: "
                      "sealed cells (inlets) and, with roof drainage 'sewer', roofs",
                      units="mm/h", minimum=0.0, maximum=500.0,
                      label="sewer inlet capacity", group="Losses"),
        ParameterSpec("edges", str, "open", "domain edges: open lets water leave, closed holds it",
                      choices=("open", "closed"),
                      label="domain edges", group=GRID),
        ParameterSpec("inflow_points", tuple, (), "points where water flows in, in the scene CRS",
                      units="m", columns=("x (m)", "y (m)"),
                      label="inflow points", group=INFLOWS, advanced=True),
        ParameterSpec("inflow_hydrograph", tuple, (), "the inflow at each point over time (linear in "
                      "between, none outside)", columns=("minute", "m³/s"),
                      label="inflow hydrograph", group=INFLOWS, advanced=True),
        ParameterSpec("hydrograph_points", tuple, (), "points for depth hydrographs, in the scene CRS",
                      units="m", columns=("x (m)", "y (m)"),
                      label="hydrograph points", group=INFLOWS, advanced=True),
        ParameterSpec("hydrograph_interval_min", float, 1.0, "time between hydrograph samples",
                      units="min", minimum=0.1, maximum=60.0,
                      label="hydrograph interval", group=INFLOWS, advanced=True),
        ParameterSpec("snapshot_interval_min", float, 5.0, "time between depth snapshots (animation)",
                      units="min", minimum=0.5, maximum=600.0,
                      label="depth snapshots every", group="Outputs"),
        ParameterSpec("building_threshold_m", float, 0.10, "depth along a footprint that flags a "
                      "building as affected (about a doorstep)", units="m", minimum=0.0, maximum=5.0,
                      label="building affected from", group="Outputs"),
        ParameterSpec("street_threshold_m", float, 0.10, "depth that counts a street as flooded",
                      units="m", minimum=0.0, maximum=5.0,
                      label="street flooded from", group="Outputs"),
        ParameterSpec("wet_depth_m", float, 0.01, "depth that counts as wet for the arrival time",
                      units="m", minimum=0.001, maximum=1.0,
                      label="wet from (arrival time)", group="Outputs", advanced=True),
        ParameterSpec("theta", float, 0.8, "de Almeida's theta (1: Bates 2010)", minimum=0.5, maximum=1.0,
                      label="theta (de Almeida)", group="Solver", advanced=True),
        ParameterSpec("cfl_alpha", float, 0.5, "time step factor of the CFL condition (0.7, Bates 2010, "
                      "sits at the 2-D limit 1/sqrt(2) and lets deep ponds slosh)", minimum=0.1,
                      maximum=0.9,
                      label="CFL factor", group="Solver", advanced=True),
        ParameterSpec("max_step_s", float, 5.0, "longest time step", units="s", minimum=0.1, maximum=60.0,
                      label="longest time step", group="Solver", advanced=True),
        ParameterSpec("froude_limit", str, "drops", "where face discharge is capped at critical flow: at "
                      "drops and wet/dry fronts (the flow passes critical depth at a brink), on every face "
                      "(slows supercritical sheet flow on steep slopes: 1.4x Manning's depth at 3 %), or "
                      "nowhere", choices=("drops", "everywhere", "off"), choice_labels={
                          "drops": "at drops and wet/dry fronts", "everywhere": "on every face",
                          "off": "nowhere"},
                      label="critical-flow limit", group="Solver", advanced=True),
    )

    def check_parameters(self, params: Mapping[str, Any]) -> None:
        try:
            if params["rain"] == "euler2":
                _design_storm(params)
            if params["inflow_points"]:
                _check_hydrograph(_pairs(params["inflow_hydrograph"]))
        except SimulationInputError as error:
            raise ParameterError(str(error)) from None

    def quick_estimator(self) -> QuickEstimator:
        """Again only downstream of the measures, the before run elsewhere (plugins/flood/quick_effect.py)."""
        from plugins.flood.quick_effect import FloodQuickEstimator  # it builds on this module's flood_setup

        return FloodQuickEstimator()

    def run(self, inputs: SimulationInputs, params: Mapping[str, Any], *,
            rng: np.random.Generator, feedback: Feedback) -> SimulationOutput:
        setup = flood_setup(inputs, params, feedback)
        terrain = setup.terrain
        probes, probe_names = _probes(params, setup.sensors, terrain)
        feedback.check()
        if not kernels.loaded():  # the first run after installing compiles them: about half a minute
            feedback.progress(0.02, "loading the solver; first use compiles")
        result = simulate(setup.domain, setup.storm, params["duration_min"] * 60.0, losses=setup.losses,
                          inflows=setup.inflows, settings=setup.settings,
                          snapshot_interval=params["snapshot_interval_min"] * 60.0,
                          probes=tuple(probes), probe_interval=params["hydrograph_interval_min"] * 60.0,
                          progress=lambda fraction, message: feedback.progress(0.02 + 0.93 * fraction,
                                                                                message))
        feedback.progress(0.96, "building, street and quarter figures")
        output = _output(inputs, params, terrain, result, setup.storm, setup.rain_start, setup.rings,
                         setup.buildings, setup.streets, setup.sensors, probe_names)
        if inputs.proposals is not None:
            output.summary["proposals"] = setup.applied.record()
        return output


@dataclass
class FloodSetup:
    """A run's grid and the solver's domain with the proposals applied, its rain, losses and
    inflows, and the layers its figures need."""

    terrain: RasterData
    buildings: BuildingData | None
    streets: StreetData | None
    sensors: SensorData | None
    rings: np.ndarray
    domain: Domain
    storm: rain.RainSeries
    rain_start: np.datetime64 | None
    losses: Losses
    settings: Settings
    inflows: tuple[PointInflow, ...]
    applied: measures.Applied


def flood_setup(inputs: SimulationInputs, params: Mapping[str, Any], feedback: Feedback) -> FloodSetup:
    """Everything a run gives the solver (also plugins/flood/rerun.py, which runs a part of the domain)."""
    applied = measures.start(inputs.proposals)
    streets = _data(inputs, "streets")
    terrain = _grid(inputs.layers["terrain"].data, inputs, params, streets)
    buildings = measures.buildings(_data(inputs, "buildings"), inputs.proposals, applied, terrain)
    sensors = _data(inputs, "sensors")
    feedback.progress(0.01, "rasterising buildings and streets")
    cell_size = _cell_size(terrain)
    labels = rasterise.building_labels(buildings, terrain.transform, terrain.shape)
    rings = rasterise.ring_labels(buildings, labels, terrain.transform)
    on_street = rasterise.street_mask(streets, terrain.transform, terrain.shape, params["street_width_m"])
    walls = params["buildings_as"] == "walls"
    cell_class, manning = rasterise.land_cover(
        terrain.values, labels, on_street, cell_size, buildings_as_walls=walls, yard_m=params["yard_m"],
        open_land_sealed=params["open_land"] == "sealed",
        roughness=rasterise.Roughness(params["n_street"], params["n_sealed"], params["n_green"]))
    cell_class, manning = measures.unsealing(cell_class, manning, terrain.transform, params["n_green"],
                                             inputs.proposals, applied)
    heights = measures.retention(terrain.values.astype(np.float64), cell_class, terrain.transform,
                                 inputs.proposals, applied)
    if not walls:
        heights = heights + np.where(labels > 0, params["block_height_m"], 0.0)
    domain = Domain(heights, cell_size, manning, cell_class, open_edges=params["edges"] == "open")
    storm, rain_start = _rain(params, sensors, params["duration_min"] * 60.0)
    losses = _losses(params)
    measures.green_roofs(domain, labels, buildings, storm, losses, inputs.proposals, applied)
    return FloodSetup(terrain, buildings, streets, sensors, rings, domain, storm, rain_start, losses,
                      _settings(params), _inflows(params, terrain), applied)


def _data(inputs: SimulationInputs, slot: str) -> Any:
    layer = inputs.layers.get(slot)
    return None if layer is None else layer.data


def _cell_size(terrain: RasterData) -> float:
    width, height = terrain.resolution
    if abs(width - height) > 1e-6 * width:
        raise SimulationInputError(f"the terrain needs square cells, got {width:g} m x {height:g} m")
    return float(width)


def _grid(terrain: RasterData, inputs: SimulationInputs, params: Mapping[str, Any],
          streets: StreetData | None) -> RasterData:
    """The terrain cropped, kerbs burnt in where asked, and coarsened keeping street channels."""
    if params["crop_to_quarters"]:
        terrain = grid.crop_to(terrain, inputs.quarters, CROP_MARGIN_M)
    if streets is None:
        return grid.coarsen(terrain, params["cell_size_m"])
    lowered = rasterise.kerb_depths(streets, terrain.transform, terrain.shape, params["street_width_m"],
                                    params["kerb_height_m"])
    if lowered.any():
        terrain = RasterData((terrain.values - lowered).astype(np.float32), terrain.transform, terrain.crs,
                             terrain.nodata, terrain.units)
    keep = params["street_channels"] == "keep"
    on_street = rasterise.street_mask(streets, terrain.transform, terrain.shape, params["street_width_m"]) \
        if keep else None
    return grid.coarsen(terrain, params["cell_size_m"], on_street)


def _rain(params: Mapping[str, Any], sensors: SensorData | None,
          seconds: float) -> tuple[rain.RainSeries, np.datetime64 | None]:
    if params["rain"] == "block":
        return rain.block_rain(params["block_depth_mm"], params["rain_duration_min"]), None
    if params["rain"] == "euler2":
        return _design_storm(params)[0], None
    if sensors is None:
        raise rain.RainError("rain = 'gauge' needs a sensors layer with the rain gauge")
    if not params["rain_gauge"]:
        raise rain.RainError("rain = 'gauge' needs the station id in rain_gauge")
    return rain.gauge_rain(sensors, params["rain_gauge"], _gauge_start(params["gauge_start_utc"]), seconds)


def _design_storm(params: Mapping[str, Any]) -> tuple[rain.RainSeries, str]:
    """The Euler type II storm of the run and the table it came from, in words."""
    table = depth_duration_table(params)
    depths = table.column(params["return_period_a"])
    storm = rain.euler_type2(tuple(table.durations_min), tuple(depths), params["rain_duration_min"])
    return storm, f"{table.source}, T = {params['return_period_a']:g} a"


def depth_duration_table(params: Mapping[str, Any]) -> kostra.DepthDurationTable:
    """The design storms' table: the KOSTRA file, else the scenario's rows (by default the
    illustrative Dresden table)."""
    if params["kostra_file"]:
        return kostra.read_kostra_csv(params["kostra_file"])
    rows = params["rain_table"]
    default = FloodSimulation.parameter("rain_table").default
    source = kostra.ILLUSTRATIVE_LABEL if tuple(rows) == default else \
        f"rain table of the scenario ({len(rows)} rows)"
    return kostra.from_rows(rows, source)


def rain_table_label(params: Mapping[str, Any]) -> str:
    """Which table or record the run's rain came from, as the summary reports it."""
    if params["rain"] == "euler2":
        return _design_storm(params)[1]
    if params["rain"] == "block":
        return "none: block rain"
    return f"none: the record of rain gauge {params['rain_gauge']}"


def _gauge_start(text: str) -> np.datetime64 | None:
    if not text:
        return None
    try:
        return np.datetime64(text.strip().removesuffix("Z"), "s")
    except ValueError:
        raise rain.RainError(f"gauge_start_utc '{text}' is not an ISO 8601 time such as "
                             f"2026-07-10T14:30:00Z") from None


def _losses(params: Mapping[str, Any]) -> Losses:
    final = params["infiltration_mm_h"] * MM_PER_HOUR
    sewer = params["sewer_capacity_mm_h"] * MM_PER_HOUR
    roofs_to_sewer = params["roof_drainage"] == "sewer"
    if params["infiltration"] == "constant":
        return Losses(final, final, 0.0, sewer, roofs_to_sewer)
    return Losses(final, params["infiltration_initial_mm_h"] * MM_PER_HOUR,
                  params["horton_decay_per_h"] / 3600.0, sewer, roofs_to_sewer)


def _settings(params: Mapping[str, Any]) -> Settings:
    return Settings(alpha=params["cfl_alpha"], theta=params["theta"], max_step=params["max_step_s"],
                    wet_depth=params["wet_depth_m"], froude_limit=params["froude_limit"])


def _pairs(rows: tuple[tuple[float, float], ...]) -> np.ndarray:
    return np.asarray(rows, dtype=float).reshape(-1, 2)


def _cells(points: np.ndarray, terrain: RasterData, name: str) -> list[tuple[int, int]]:
    cols, rows = ~terrain.transform @ (points[:, 0], points[:, 1])
    cells = []
    for (x, y), row, col in zip(points, np.floor(rows).astype(int), np.floor(cols).astype(int), strict=True):
        if not (0 <= row < terrain.shape[0] and 0 <= col < terrain.shape[1]) \
                or not np.isfinite(terrain.values[row, col]):
            raise SimulationInputError(f"the {name} point ({x:.1f}, {y:.1f}) lies outside the terrain")
        cells.append((int(row), int(col)))
    return cells


def _inflows(params: Mapping[str, Any], terrain: RasterData) -> tuple[PointInflow, ...]:
    points = _pairs(params["inflow_points"])
    if not len(points):
        return ()
    hydrograph = _check_hydrograph(_pairs(params["inflow_hydrograph"]))
    return tuple(PointInflow(row, col, hydrograph[:, 0] * 60.0, hydrograph[:, 1])
                 for row, col in _cells(points, terrain, "inflow"))


def _check_hydrograph(hydrograph: np.ndarray) -> np.ndarray:
    if len(hydrograph) < 2 or np.any(np.diff(hydrograph[:, 0]) <= 0) or np.any(hydrograph[:, 1] < 0):
        raise SimulationInputError("parameter 'inflow_hydrograph' needs at least two (minute, m³/s) rows "
                                   "with rising minutes and no negative discharge")
    return hydrograph


def _probes(params: Mapping[str, Any], sensors: SensorData | None,
            terrain: RasterData) -> tuple[list[tuple[int, int]], list[str]]:
    points = _pairs(params["hydrograph_points"])
    cells = _cells(points, terrain, "hydrograph")
    names = [f"point {index + 1}" for index in range(len(points))]
    for station in _water_level_stations(sensors):
        row = list(np.asarray(sensors.ids).astype(str)).index(station)
        x, y = sensors.xyz[row, 0], sensors.xyz[row, 1]
        cols, rows = ~terrain.transform @ (x, y)
        if 0 <= rows < terrain.shape[0] and 0 <= cols < terrain.shape[1]:
            cells.append((int(rows), int(cols)))
            names.append(station)
    return cells, names


def _water_level_stations(sensors: SensorData | None) -> list[str]:
    if sensors is None:
        return []
    return sorted({stream.station_id for stream in sensors.datastreams if _is_water_level(stream.quantity)})


def _is_water_level(quantity: str) -> bool:
    return any(word in quantity.lower() for word in WATER_LEVEL_WORDS)


def _output(inputs: SimulationInputs, params: Mapping[str, Any], terrain: RasterData, result: FloodResult,
            storm: rain.RainSeries, rain_start: np.datetime64 | None, rings: np.ndarray,
            buildings: BuildingData | None, streets: StreetData | None, sensors: SensorData | None,
            probe_names: list[str]) -> SimulationOutput:
    transform, crs = terrain.transform, terrain.crs
    outside = ~np.isfinite(terrain.values)
    max_depth = np.where(outside, np.nan, result.max_depth)
    results: list[ResultRaster | ResultTable] = [
        ResultRaster("max_depth", max_depth.astype(np.float32), transform, crs, "m", "deepest water"),
        ResultRaster("max_velocity", np.where(outside, np.nan, result.max_velocity).astype(np.float32),
                     transform, crs, "m/s", "fastest flow"),
        ResultRaster("arrival_time", (result.arrival / 60.0).astype(np.float32), transform, crs, "min",
                     f"first time the depth reached {params['wet_depth_m']} m"),
        ResultRaster("depth", np.where(outside, np.nan, result.snapshots).astype(np.float32), transform,
                     crs, "m", "water depth over time", times=result.snapshot_times),
    ]
    tables, summary, per_quarter = exposure_figures(inputs, params, terrain, result.max_depth, result.depth,
                                                    rings, buildings, streets)
    results.extend(tables)
    if probe_names:
        results.append(_hydrographs(inputs, result, probe_names, sensors, rain_start))
    summary.update({
        "max_velocity_m_s": float(result.max_velocity.max()),
        "rain_depth_mm": storm.depth_mm, "rain_peak_mm_h": storm.peak_mm_h,
        "rain_table": rain_table_label(params),
        "rain_hyetograph": hyetograph(storm),
        "rain_start_utc": None if rain_start is None else str(rain_start),
        "simulated_min": params["duration_min"], "time_steps": result.steps,
        "solver_seconds": result.seconds,
        "cell_updates_per_s": result.cell_updates / result.seconds if result.seconds > 0 else None,
        "volumes": result.balance.as_dict(),
        "mass_balance_relative_error": result.balance.relative_error,
    })
    return SimulationOutput(summary=summary, per_quarter=per_quarter, results=results)


def exposure_figures(inputs: SimulationInputs, params: Mapping[str, Any], terrain: RasterData,
                     max_depth: np.ndarray, final_depth: np.ndarray, rings: np.ndarray,
                     buildings: BuildingData | None, streets: StreetData | None,
                     qualifier: str = "") -> tuple[list[ResultTable], dict[str, Any], dict[str, dict]]:
    """What the deepest water and the depth at the end say (a run's, or a quick estimate's, with
    `qualifier` in the tables' descriptions): each building's and street segment's exposure, and
    the area figures overall and per quarter."""
    tables: list[ResultTable] = []
    building_hit = street_flooded = None
    summary: dict[str, Any] = {}
    if buildings is not None:
        building_depth = analysis.building_max_depth(max_depth, rings, len(buildings))
        building_hit = building_depth > params["building_threshold_m"]
        target = inputs.layers["buildings"].name if "buildings" in inputs.layers else "proposals"
        tables.append(ResultTable("building_flood", target, {
            "building_id": np.asarray(buildings.ids).astype(str), "max_depth": building_depth,
            "affected": building_hit}, {"max_depth": "m"},
            f"deepest water along each footprint{qualifier}; affected above "
            f"{params['building_threshold_m']} m"))
        summary["buildings_affected"] = int(building_hit.sum())
    if streets is not None:
        street_flooded = analysis.street_flooded_length(max_depth, terrain.transform, streets,
                                                        params["street_threshold_m"])
        tables.append(ResultTable("street_flood", inputs.layers["streets"].name, {
            "segment_id": np.asarray(streets.ids).astype(str), "length": streets.lengths(),
            "flooded_length": street_flooded}, {"length": "m", "flooded_length": "m"},
            f"length of each segment under more than {params['street_threshold_m']} m{qualifier}"))
        summary["flooded_street_length_m"] = float(street_flooded.sum())
    footprints = None if buildings is None else buildings.footprints
    per_quarter = {quarter.name: analysis.quarter_figures(quarter, terrain, max_depth, final_depth,
                                                          footprints, building_hit, streets, street_flooded)
                   for quarter in inputs.quarters}
    summary.update(analysis.area_figures(max_depth, final_depth, np.isfinite(terrain.values),
                                         float(np.prod(terrain.resolution))))
    return tables, summary, per_quarter


def hyetograph(storm: rain.RainSeries) -> dict[str, list[float]]:
    """The rain's intensity over time, for the report's chart: start minutes and mm/h."""
    return {"start_min": [float(start) / 60.0 for start in storm.starts], "end_min": storm.end / 60.0,
            "mm_h": [float(value) / MM_PER_HOUR for value in storm.intensities]}


def _hydrographs(inputs: SimulationInputs, result: FloodResult, names: list[str],
                 sensors: SensorData | None, rain_start: np.datetime64 | None) -> ResultTable:
    """One long table: a row per point and sample, with the measured level next to it where known."""
    times = result.probe_times
    count = len(times)
    measured = np.full((len(names), count), np.nan)
    units = ""
    if sensors is not None and rain_start is not None:
        for index, name in enumerate(names):
            streams = [s for s in sensors.datastreams_of(name) if _is_water_level(s.quantity)]
            if streams:
                offsets = (streams[0].series.times.astype("datetime64[s]") - rain_start).astype(float)
                values = streams[0].series.values.astype(float)
                inside = (times >= offsets.min()) & (times <= offsets.max())
                measured[index, inside] = np.interp(times[inside], offsets, values)
                units = streams[0].unit
    target = inputs.layers["sensors"].name if "sensors" in inputs.layers else ""
    return ResultTable("hydrographs", target, {
        "point": np.repeat(np.asarray(names), count),
        "time": np.tile(times / 60.0, len(names)),
        "depth": result.probe_depths.T.ravel(),
        "measured": measured.ravel(),
    }, {"time": "min", "depth": "m", "measured": units},
        "simulated depth at the hydrograph points and water-level sensors; measured where a "
        "replayed gauge event gives the times")
