"""The generated city of one model quarter: LoD2 buildings (CityGML) and a LiDAR point cloud (LAZ).

Deterministic: the seed and the quarter's name give the random streams, so the same seed
writes the same CityGML bytes and the same points.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.generator.buildings import write_citygml
from data.generator.layout import QuarterPlan, plan_quarter
from data.generator.lidar import write_laz
from twin.core.quarter import Quarter
from twin.io.raster import read_raster


@dataclass(frozen=True)
class CityFiles:
    buildings: Path  # <quarter>_lod2.gml
    lidar: Path  # <quarter>_lidar.laz
    plan: QuarterPlan  # streets, buildings and trees the files were made from


def quarter_streams(quarter: Quarter, seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent random streams for the plan and the LiDAR survey of a quarter.

    Keyed by the quarter's name, so a quarter's city does not depend on which others are made.
    """
    plan_stream, survey_stream = np.random.default_rng([seed, zlib.crc32(quarter.name.encode())]).spawn(2)
    return plan_stream, survey_stream


def write_quarter_city(quarter: Quarter, dtm_path: Path, out_dir: Path, seed: int,
                       density: float = 5.0) -> CityFiles:
    """Plan the quarter on its DTM and write `<quarter>_lod2.gml` and `<quarter>_lidar.laz`."""
    plan_stream, survey_stream = quarter_streams(quarter, seed)
    plan = plan_quarter(quarter, plan_stream)
    dtm = read_raster(dtm_path)
    stem = file_stem(quarter)
    buildings = write_citygml(plan, dtm, out_dir / f"{stem}_lod2.gml")
    lidar = write_laz(plan, dtm, out_dir / f"{stem}_lidar.laz", survey_stream, density)
    return CityFiles(buildings, lidar, plan)


def file_stem(quarter: Quarter) -> str:
    """The quarter's name as it starts its generated files' names."""
    return quarter.name.lower().replace(" ", "_").replace("/", "_")
