"""Pure numpy steps of the self-test: seeded noise on a grid, then neighbour smoothing."""

from __future__ import annotations

import numpy as np


def add_noise(values: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of the given standard deviation; no-data cells stay NaN."""
    return values + rng.normal(0.0, amplitude, size=values.shape).astype(values.dtype)


def smooth(values: np.ndarray) -> np.ndarray:
    """Mean of each cell and its four neighbours that hold data; no-data cells stay NaN."""
    valid = ~np.isnan(values)
    total = _five_point_sum(np.pad(np.where(valid, values, 0.0), 1))
    count = _five_point_sum(np.pad(valid.astype(values.dtype), 1))
    return np.where(valid, total / np.maximum(count, 1), np.nan)


def _five_point_sum(padded: np.ndarray) -> np.ndarray:
    """Sum of each inner cell of a 1-padded grid and its four edge neighbours."""
    return (padded[1:-1, 1:-1] + padded[:-2, 1:-1] + padded[2:, 1:-1]
            + padded[1:-1, :-2] + padded[1:-1, 2:])
