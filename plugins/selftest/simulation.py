"""Self-test simulation: noisy, smoothed terrain, reported per quarter. Not a physical model."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from plugins.selftest.model import add_noise, smooth
from twin.core.data import RasterData, ResultRaster
from twin.sim import (
    DType,
    Feedback,
    FieldSpec,
    InputSpec,
    Location,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)


class TerrainNoiseSelfTest(Simulation):
    name = "selftest"
    title = "Self-test"
    description = ("Adds seeded noise to a terrain raster and smooths it in steps. It checks "
                   "the simulation contract end to end; it models nothing real.")
    hidden = True
    inputs = (InputSpec("terrain", "raster", "a terrain model (DTM), heights in metres"),)
    outputs = (
        FieldSpec("smoothed_terrain", Location.CELL, "m", "the terrain after noise and smoothing",
                  "smoothed terrain"),
        FieldSpec("change", Location.CELL, "m", "smoothed minus original height", "height change"),
        FieldSpec("cells", Location.QUARTER, "", "grid cells inside", "grid cells", DType.INTEGER),
        FieldSpec("mean_height_m", Location.QUARTER, "m", "mean height", "mean height"),
        FieldSpec("max_height_m", Location.QUARTER, "m", "highest height", "highest height"),
        FieldSpec("mean_abs_change_m", Location.QUARTER, "m", "mean absolute height change",
                  "mean absolute height change"),
    )
    parameters = (
        ParameterSpec("noise", float, 0.5, "standard deviation of the added noise", units="m",
                      minimum=0.0, maximum=10.0),
        ParameterSpec("passes", int, 5, "smoothing passes, one progress step each",
                      minimum=1, maximum=1000),
        ParameterSpec("pause", float, 0.0, "wait after each pass, to try progress and Cancel",
                      units="s", minimum=0.0, maximum=5.0),
    )

    def run(self, inputs: SimulationInputs, params: Mapping[str, Any], *,
            rng: np.random.Generator, feedback: Feedback) -> SimulationOutput:
        terrain: RasterData = inputs.layers["terrain"].data
        values = add_noise(terrain.values, params["noise"], rng)
        for done in range(params["passes"]):
            values = smooth(values)
            time.sleep(params["pause"])
            feedback.progress((done + 1) / params["passes"], f"smoothing pass {done + 1}")
        change = values - terrain.values
        per_quarter = {quarter.name: _figures(values, change, quarter.cell_mask(terrain))
                       for quarter in inputs.quarters}
        results = [
            ResultRaster("smoothed_terrain", values, terrain.transform, terrain.crs, "m",
                         "terrain after noise and smoothing"),
            ResultRaster("change", change, terrain.transform, terrain.crs, "m",
                         "smoothed minus original height"),
        ]
        summary = _figures(values, change, np.ones(values.shape, dtype=bool))
        return SimulationOutput(summary=summary, per_quarter=per_quarter, results=results)


def _figures(values: np.ndarray, change: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    inside = mask & ~np.isnan(values)
    if not inside.any():
        return {"cells": 0, "mean_height_m": None, "max_height_m": None,
                "mean_abs_change_m": None}
    return {
        "cells": int(inside.sum()),
        "mean_height_m": float(values[inside].mean()),
        "max_height_m": float(values[inside].max()),
        "mean_abs_change_m": float(np.abs(change[inside]).mean()),
    }
