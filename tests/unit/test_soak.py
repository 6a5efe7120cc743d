"""Long use: the demo city's layers opened and closed and a street-decay run made 50 times in one process.

Resident memory after the last cycle must stay within 10 % of memory after the first: a layer,
a scene or a run that is never freed grows it cycle by cycle. One cycle opens the Prohlis
quarter's layers of the demo project (terrain, LiDAR, buildings, streets) and the sensors with the
twin's project opener, removes them from the scene, runs the shipped Prohlis street-decay
scenario and writes its results into the same folder. The process caps its allocator arenas
first, as `main.py` does at start-up (twin/core/memory.py says why).
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import pytest

from data.demo import demo_project
from tests.conftest import PROJECT_ROOT
from twin.core.memory import limit_allocator_arenas
from twin.core.project import Project
from twin.core.scenario import Scenario
from twin.io.project import open_project
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario, write_run

CYCLES = int(os.environ.get("SOAK_CYCLES", 50))
SCENARIO = PROJECT_ROOT / "scenarios" / "street_decay_prohlis.toml"


def resident_mib() -> float:
    """Resident set size of this process (psutil where installed, else /proc/self/statm)."""
    try:
        import psutil
    except ImportError:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return psutil.Process().memory_info().rss / 2**20


def quarter_project() -> Project:
    project = Project.load(demo_project())
    project.layers = [entry for entry in project.layers
                      if entry.name.startswith(("Prohlis", "Sensors"))]
    return project


def one_cycle(project: Project, registry: SimulationRegistry, out: Path) -> None:
    opened = open_project(project)
    assert opened.problems == [] and len(opened.scene.layers) == len(project.layers)
    while opened.scene.layers:
        opened.scene.layers.pop()
    scene, report = run_scenario(Scenario.load(SCENARIO), registry)
    assert report.ok, report.error
    write_run(report, out)
    del opened, scene, report
    gc.collect()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads memory from /proc")
def test_fifty_cycles_of_opening_closing_and_running_keep_memory_flat(tmp_path):
    limit_allocator_arenas()
    project, registry = quarter_project(), SimulationRegistry.discover()
    started = time.perf_counter()
    memory = []
    for _ in range(CYCLES):
        one_cycle(project, registry, tmp_path / "out")
        memory.append(resident_mib())
    seconds = time.perf_counter() - started
    print(f"\nsoak: {CYCLES} cycles in {seconds:.1f} s; resident memory after the first "
          f"{memory[0]:.1f} MiB, after the last {memory[-1]:.1f} MiB "
          f"({(memory[-1] / memory[0] - 1) * 100:+.1f} %), highest {max(memory):.1f} MiB")
    print("after every tenth cycle:", [round(value) for value in memory[::10]], "MiB")
    assert memory[-1] <= memory[0] * 1.10
