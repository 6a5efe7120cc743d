"""Energy scenarios on a quarter of 2,000 LoD2 buildings, one year hourly with home batteries.

1. The full plugin run: buildings read from CityGML through the twin's reader (the three demo
   quarters, plus a second Friedrichstadt written by the demo generator's building writer, cut to
   2,000 buildings), stock and heat, roof faces to PV with pvlib, load profiles, the hourly
   balance of every building with its battery, quarter batteries and the result tables. Timed
   in a fresh process (profiles built, numba kernels loaded from their cache) and once more.
   Baseline in the same run: the same work per building in Python - pvlib once per roof face,
   the battery year as a loop over the hours - measured on a sample and scaled to the quarter.
2. The balance kernel alone against that per-building Python loop over the hours.

CPU time is printed beside wall time: the machine is shared, so wall time can be inflated.
Run: python benchmarks/bench_energy.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from data.demo import QUARTERS_FILE, SEED, default_cache, demo_project
from data.generator.buildings import write_citygml
from data.generator.city import file_stem, quarter_streams
from data.generator.layout import plan_quarter
from plugins.energy import stock
from plugins.energy.balance import Battery, building_balances
from plugins.energy.loads import load_profiles
from plugins.energy.pv import ac_output_per_kwp, sun_and_sky
from plugins.energy.roofs import roof_triangles
from plugins.energy.simulation import EnergySimulation
from plugins.energy.weather import read_reference_year
from twin.core.data import BuildingData
from twin.core.layers import BuildingsLayer
from twin.io import read_layer
from twin.io.quarters import read_quarters
from twin.io.raster import read_raster
from twin.sim import SimulationInputs, run_simulation

BUILDINGS, FACES = 2000, 3
PARAMETERS = {"battery_kwh_per_kwp": 1.0, "flat_mounting": "east-west"}


class Clock:
    """Wall and CPU seconds (all threads of the process) since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def python_loop(demand: np.ndarray, pv: np.ndarray, capacity: float, power: float,
                efficiency: float) -> float:
    """PV used directly plus battery discharge over the year, hour by hour."""
    step, soc, used = efficiency ** 0.5, 0.0, 0.0
    for load, generation in zip(demand.tolist(), pv.tolist(), strict=True):
        direct = min(load, generation)
        deficit, surplus = load - direct, generation - direct
        discharge = min(deficit, power, soc * step)
        soc -= discharge / step
        charge = min(surplus, power, (capacity - soc) / step)
        soc += charge * step
        used += direct + discharge
    return used


# --- the quarter of 2,000 buildings --------------------------------------------------------------

def quarter_of_2000(folder: Path) -> tuple[BuildingData, list]:
    """The demo quarters' LoD2 files and one more Friedrichstadt, read back and cut to 2,000 buildings."""
    demo_project()  # generates the demo city when it is not cached yet
    quarters = read_quarters(QUARTERS_FILE)[0]
    paths = [default_cache() / f"{file_stem(quarter)}_lod2.gml" for quarter in quarters]
    friedrichstadt = next(quarter for quarter in quarters if quarter.name == "Friedrichstadt")
    plan = plan_quarter(friedrichstadt, quarter_streams(friedrichstadt, SEED + 1)[0])
    dtm = read_raster(default_cache() / f"{file_stem(friedrichstadt)}_dtm1.tif")
    paths.append(write_citygml(plan, dtm, folder / "friedrichstadt_second_lod2.gml"))
    parts = [read_layer(path).data for path in paths]
    return first_buildings(parts, BUILDINGS), quarters


def first_buildings(parts: list[BuildingData], count: int) -> BuildingData:
    """The first `count` buildings of several models as one (ids made unique by a file prefix)."""
    ids, footprints, vertices, triangles, owners, surfaces = [], [], [], [], [], []
    attributes: dict[str, list[np.ndarray]] = {name: [] for name in parts[0].attributes}
    rows = vertex_offset = 0
    for number, part in enumerate(parts):
        take = min(len(part), count - rows)
        keep = part.triangle_building < take
        ids.append(np.char.add(f"{number}_", part.ids[:take].astype(str)))
        footprints.append(part.footprints[:take])
        for name in attributes:
            attributes[name].append(np.asarray(part.attributes[name])[:take])
        vertices.append(part.vertices)
        triangles.append(part.triangles[keep] + vertex_offset)
        owners.append(part.triangle_building[keep] + rows)
        surfaces.append(part.triangle_surface[keep])
        rows, vertex_offset = rows + take, vertex_offset + len(part.vertices)
        if rows == count:
            break
    return BuildingData(np.concatenate(ids), {name: np.concatenate(v) for name, v in attributes.items()},
                        np.concatenate(vertices), np.concatenate(triangles), np.concatenate(owners),
                        np.concatenate(surfaces), np.concatenate(footprints), parts[0].crs)


# --- 1. the full run -----------------------------------------------------------------------------

def full_run(buildings: BuildingData, quarters: list, **changes: object) -> tuple[float, float, dict]:
    inputs = SimulationInputs({"buildings": BuildingsLayer(buildings, "buildings")}, quarters, "EPSG:25833")
    clock = Clock()
    report = run_simulation(EnergySimulation(), inputs, {**PARAMETERS, **changes}, seed=1)
    wall, cpu = clock.read()
    assert report.ok, report.traceback
    return wall, cpu, report.output.summary


def python_full_run_per_building(buildings: BuildingData, sample: int) -> tuple[float, float]:
    """Seconds per building (wall, CPU) of the plugin's work done building by building in Python."""
    weather = read_reference_year()
    sky = sun_and_sky(weather)
    households = load_profiles(2023, weather)["H25"]
    houses = stock.classify(buildings, 1970.0, 3.0, 0.8, 65.0)
    roofs = roof_triangles(buildings)
    rows = np.linspace(0, len(buildings) - 1, sample).astype(int)
    clock = Clock()
    for row in rows:
        faces = roofs.building == row
        pv = np.zeros(len(households))
        for tilt, azimuth, area in zip(roofs.tilt[faces], roofs.azimuth[faces], roofs.area[faces],
                                       strict=True):  # pvlib once per roof face
            pv += ac_output_per_kwp(sky, np.array([tilt]), np.array([azimuth]))[0] * area * 0.6 * 0.21
        demand = households * max(houses.dwellings[row], 1.0) * 2500.0
        kwp = pv.max(initial=0.0)
        python_loop(demand, pv, kwp, kwp * 0.5, 0.9)
    wall, cpu = clock.read()
    return wall / sample, cpu / sample


# --- 2. the balance kernel alone -----------------------------------------------------------------

def kernel_against_loop() -> None:
    rng = np.random.default_rng(7)
    weather = read_reference_year()
    profiles = load_profiles(2023, weather)
    yields = ac_output_per_kwp(sun_and_sky(weather), rng.uniform(0, 45, 200), rng.uniform(0, 360, 200))
    stack = np.stack([profiles["H25"], profiles["G25"], profiles["hospital"]])
    profile_of = rng.integers(0, 2, BUILDINGS)
    annual = rng.uniform(2_000, 60_000, BUILDINGS)
    start = np.arange(BUILDINGS + 1) * FACES
    classes, kwp = rng.integers(0, 200, BUILDINGS * FACES), rng.uniform(1, 20, BUILDINGS * FACES)
    capacity = np.bincount(np.repeat(np.arange(BUILDINGS), FACES), weights=kwp)
    battery = Battery(capacity, capacity * 0.5, 0.9)
    groups = rng.integers(0, 3, BUILDINGS)
    building_balances(stack[:, :48], profile_of[:2], annual[:2], yields[:, :48], start[:3], classes, kwp,
                      Battery(capacity[:2], capacity[:2], 0.9), groups[:2], 3)  # compile
    clock = Clock()
    balances = building_balances(stack, profile_of, annual, yields, start, classes, kwp, battery, groups, 3)
    kernel, kernel_cpu = clock.read()
    sample = 20
    clock = Clock()
    for b in range(sample):
        demand = stack[profile_of[b]] * annual[b]
        pv = (yields[classes[start[b]:start[b + 1]]] * kwp[start[b]:start[b + 1], None]).sum(axis=0)
        used = python_loop(demand, pv, capacity[b], capacity[b] * 0.5, 0.9)
        assert abs(used - balances.yearly[b, 0] - balances.yearly[b, 3]) < 1e-6 * max(used, 1.0)
    loop = clock.read()[0] / sample * BUILDINGS
    print(f"balance kernel, {BUILDINGS} buildings x 8760 h with batteries: {kernel:.3f} s "
          f"(CPU {kernel_cpu:.3f} s)")
    print(f"  per-building Python loop over the hours (scaled from {sample}): {loop:.1f} s; "
          f"ratio {loop / kernel:.0f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        buildings, quarters = quarter_of_2000(Path(folder))
    faces = len(roof_triangles(buildings).area)
    print(f"quarter: {len(buildings)} LoD2 buildings, {faces} roof triangles")
    first_wall, first_cpu, summary = full_run(buildings, quarters)
    again_wall, again_cpu, _ = full_run(buildings, quarters)
    print(f"full plugin run, first in this process: {first_wall:.2f} s (CPU {first_cpu:.2f} s)")
    print(f"full plugin run, repeated:              {again_wall:.2f} s (CPU {again_cpu:.2f} s)")
    print(f"  PV {summary['pv_kwp'] / 1000:.1f} MWp, {summary['pv_mwh']:.0f} MWh/a; electricity "
          f"{summary['electricity_mwh']:.0f} MWh/a; self-sufficiency {summary['self_sufficiency']:.1%}; "
          f"coincidence factor {summary['coincidence_factor']:.2f}")
    # What drawing every dwelling's stochastic year costs: the same run on the standard profile.
    standard_wall, standard_cpu, standard = full_run(buildings, quarters, household_loads="standard profile")
    print(f"full plugin run, standard household profile: {standard_wall:.2f} s (CPU {standard_cpu:.2f} s); "
          f"self-sufficiency {standard['self_sufficiency']:.1%}, coincidence factor "
          f"{standard['coincidence_factor']:.2f}")
    sample = 20
    per_wall, per_cpu = python_full_run_per_building(buildings, sample)
    loop_wall, loop_cpu = per_wall * len(buildings), per_cpu * len(buildings)
    print(f"  per-building Python (pvlib per roof face, hourly loop; scaled from {sample}): "
          f"{loop_wall:.0f} s (CPU {loop_cpu:.0f} s); ratio {loop_wall / again_wall:.0f}x "
          f"(CPU {loop_cpu / again_cpu:.0f}x)")
    kernel_against_loop()


if __name__ == "__main__":
    main()
