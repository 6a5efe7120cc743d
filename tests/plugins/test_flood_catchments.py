"""Sub-catchments from the terrain (pyflwdir): divides kept apart, flats across a divide merged."""

from __future__ import annotations

import numpy as np
from affine import Affine

from plugins.flood.catchments import catchment_labels, split_into_domains

TRANSFORM = Affine(2.0, 0, 412_000.0, 0, -2.0, 5_654_000.0)


def tilted_halves(flat_middle: bool) -> np.ndarray:
    """Two planes falling 2 % away from a north-south divide to the west and east edges; with
    `flat_middle`, a dead flat 40 m wide plain straddles the divide."""
    cols = np.arange(100)
    distance = np.abs(cols - 49.5) * 2.0
    heights = 100.0 - 0.02 * distance
    if flat_middle:
        heights = np.minimum(heights, 100.0 - 0.02 * 20.0)
    return np.tile(heights, (60, 1)).astype(np.float32)


def test_a_divide_keeps_two_catchments_apart():
    labels = catchment_labels(tilted_halves(False), TRANSFORM)
    west, east = labels[30, 10], labels[30, 90]
    assert west != east
    split = split_into_domains(tilted_halves(False), TRANSFORM, domain_m=1000.0, buffer_m=10.0)
    assert split.merged_by_flats == 0


def test_a_flat_across_a_divide_merges_the_catchments_it_touches():
    split = split_into_domains(tilted_halves(True), TRANSFORM, domain_m=1000.0, buffer_m=10.0)
    assert split.merged_by_flats >= 1
    assert split.owner[30, 10] == split.owner[30, 90] == split.owner[30, 50]


def test_domains_are_windows_around_their_cells_grown_by_the_buffer():
    heights = tilted_halves(False)
    split = split_into_domains(heights, TRANSFORM, domain_m=60.0, buffer_m=10.0)
    assert (split.owner > 0).all()
    for domain in split.domains:
        window = split.owner[domain.rows, domain.cols]
        assert (window == domain.number).sum() == domain.owned_cells == (split.owner == domain.number).sum()
        rows, cols = np.nonzero(split.owner == domain.number)
        assert domain.rows.start == max(0, rows.min() - 5) and domain.cols.stop == min(100, cols.max() + 1 + 5)
