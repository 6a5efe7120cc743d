"""The embedded demo city: Dresden's model quarters and the layers generated for them.

The generated files and a project opening all of them are cached under data/cache/ (not
shipped). They are written on first use, into a temporary folder renamed into place when
complete, so an interrupted generation never leaves a half city; a new seed or generator
version gets a new folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from data.generator.city import file_stem, write_quarter_city
from data.generator.sensors import write_sensors
from data.generator.streets import write_streets
from data.generator.terrain import write_dtms
from twin.core.feedback import Feedback
from twin.core.project import LayerEntry, Project
from twin.core.quarter import Quarter
from twin.core.scene import Scene
from twin.io.project import open_project
from twin.io.quarters import read_quarters

DATA_DIR = Path(__file__).resolve().parent
QUARTERS_FILE = DATA_DIR / "quarters.geojson"
SEED = 2026
GENERATOR_VERSION = 2
PROJECT_FILE = "project.toml"
CRS = "EPSG:25833"


def default_cache() -> Path:
    return DATA_DIR / "cache" / f"v{GENERATOR_VERSION}-seed{SEED}"


def demo_project(cache: Path | None = None, feedback: Feedback | None = None) -> Path:
    """The demo project file, generating the city first when the cache lacks it."""
    cache = cache or default_cache()
    if not (cache / PROJECT_FILE).exists():
        _generate_into(cache, feedback or Feedback())
    return cache / PROJECT_FILE


def demo_scene(cache: Path | None = None) -> Scene:
    """A scene in EPSG:25833 with the three model quarters and every demo layer."""
    return open_project(Project.load(demo_project(cache))).scene


def _generate_into(cache: Path, feedback: Feedback) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    try:
        generate(partial, feedback)
        try:
            os.replace(partial, cache)
        except OSError:  # another process finished first (the folder exists and is not empty)
            if not (cache / PROJECT_FILE).exists():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def generate(folder: Path, feedback: Feedback | None = None) -> Project:
    """Write every demo file and the project opening them into `folder`."""
    feedback = feedback or Feedback()
    quarters = read_quarters(QUARTERS_FILE)[0]
    feedback.progress(0.0, "terrain")
    dtms = write_dtms(quarters, folder, SEED)
    layers: dict[str, list[LayerEntry]] = {"terrain": [], "lidar": [], "buildings": [], "streets": []}
    for index, (quarter, dtm) in enumerate(zip(quarters, dtms, strict=True)):
        feedback.progress(0.1 + 0.8 * index / len(quarters), f"{quarter.name}: buildings, LiDAR, streets")
        for kind, entry in _quarter_files(quarter, index, dtm, folder).items():
            layers[kind].append(entry)
    feedback.progress(0.9, "sensors")
    sensors = [path for path in write_sensors(quarters, folder, SEED) if path.suffix == ".json"]
    project = Project(
        name="Dresden demo city (generated, not surveyed)", crs=CRS, quarters_file=QUARTERS_FILE,
        layers=[*layers["terrain"], *layers["lidar"], *layers["buildings"], *layers["streets"],
                LayerEntry(sensors[0], "Sensors (rain, Elbe level, air)")])
    project.save(folder / PROJECT_FILE)
    feedback.progress(1.0, "demo city ready")
    return project


def _quarter_files(quarter: Quarter, index: int, dtm: Path, folder: Path) -> dict[str, LayerEntry]:
    city = write_quarter_city(quarter, dtm, folder, SEED)
    streets = write_streets(city.plan.streets, quarter.name, folder / f"{file_stem(quarter)}_streets.gpkg",
                            np.random.default_rng([SEED, index, 1]))
    return {
        "terrain": LayerEntry(dtm, f"{quarter.name} terrain (DTM 1 m)"),
        "lidar": LayerEntry(city.lidar, f"{quarter.name} LiDAR", visible=False),
        "buildings": LayerEntry(city.buildings, f"{quarter.name} buildings (LoD2)"),
        "streets": LayerEntry(streets, f"{quarter.name} streets"),
    }
