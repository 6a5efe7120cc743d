"""The flood solver against Thacker's parabolic bowl: 2-D, a moving shoreline, an analytic solution.

Thacker (1981), planar surface in a paraboloid, as set up in SWASHES (Delestre et al. 2013,
doi:10.1002/fld.3741, section 4.2.2): bed z = -h0 (1 - r^2 / a^2), no friction; the water is a
disk of radius a whose plane surface tilts round the bowl. Its centre circles the bowl's at
radius eta with omega = sqrt(2 g h0) / a, the velocity is uniform, (u, v) = eta omega (-sin, cos),
and h = h0 / a^2 (a^2 - (x - eta cos wt)^2 - (y - eta sin wt)^2) where positive.

The tolerances are documented in plugins/flood/VALIDATION.md: the local inertial scheme keeps
the phase (the water is where it should be, within 10 degrees round the circle) but damps a
frictionless oscillation, more on coarser grids: after one period the centre's circle has
shrunk from 0.5 m to about 0.25 m at 80 cells across the bowl, to 0.18 m at 40.
"""

from __future__ import annotations

import numpy as np
import pytest

from plugins.flood.solver import UNSEALED, Domain, FlowState, Losses, Settings

GRAVITY = 9.81
RADIUS, DEPTH, ETA, SIDE = 1.0, 0.1, 0.5, 4.0  # a, h0, eta, domain side (m): SWASHES's values
OMEGA = np.sqrt(2 * GRAVITY * DEPTH) / RADIUS
PERIOD = 2 * np.pi / OMEGA  # 4.49 s


def exact_depth(x: np.ndarray, y: np.ndarray, t: float) -> np.ndarray:
    centre_x, centre_y = ETA * np.cos(OMEGA * t), ETA * np.sin(OMEGA * t)
    return np.maximum(DEPTH / RADIUS ** 2 * (RADIUS ** 2 - (x - centre_x) ** 2 - (y - centre_y) ** 2), 0.0)


def oscillate(cells: int) -> list[dict[str, float]]:
    """One period on a cells x cells grid; figures at every eighth of it."""
    dx = SIDE / cells
    centres = (np.arange(cells) + 0.5) * dx - SIDE / 2
    x, y = np.meshgrid(centres, centres)  # x along the columns, y along the rows
    bed = -DEPTH * (1 - (x ** 2 + y ** 2) / RADIUS ** 2)
    domain = Domain(bed, dx, np.zeros_like(bed), np.full(bed.shape, UNSEALED, np.uint8))
    state = FlowState(domain, exact_depth(x, y, 0.0))
    face_x, face_y = np.meshgrid(centres, np.arange(cells + 1) * dx - SIDE / 2)
    state.qy[:] = ETA * OMEGA * exact_depth(face_x, face_y, 0.0)  # at t = 0, u = 0 and v = eta omega
    volume = state.stored_volume()
    settings, t, figures = Settings(), 0.0, []
    for check in np.linspace(0.0, PERIOD, 9)[1:]:
        while t < check - 1e-12:
            dt = min(state.stable_step(settings), check - t)
            state.step(t, dt, 0.0, Losses(), (), settings)
            t += dt
        exact, h = exact_depth(x, y, t), state.h
        either = (h > 1e-3) | (exact > 1e-3)
        centre_x, centre_y = (x * h).sum() / h.sum(), (y * h).sum() / h.sum()
        figures.append({
            "surface_error": float(np.sqrt(np.mean((h[either] - exact[either]) ** 2)) / DEPTH),
            "radius": float(np.hypot(centre_x, centre_y)),
            "phase_error_deg": float((np.degrees(np.arctan2(centre_y, centre_x) - OMEGA * t) + 180) % 360 - 180),
            "volume_error": abs(state.stored_volume() - volume) / volume,
        })
    return figures


@pytest.fixture(scope="module")
def fine() -> list[dict[str, float]]:
    return oscillate(80)


def test_the_water_circles_thackers_bowl_in_phase_with_the_analytic_solution(fine):
    assert all(abs(figure["phase_error_deg"]) < 10.0 for figure in fine)
    assert all(figure["volume_error"] < 1e-12 for figure in fine)
    quarter = fine[1]
    assert quarter["surface_error"] < 0.15  # RMS depth error over the wet area, in h0, at T/4
    assert quarter["radius"] > 0.8 * ETA
    assert max(figure["surface_error"] for figure in fine) < 0.25


def test_the_scheme_damps_the_frictionless_oscillation_less_on_a_finer_grid(fine):
    """The damping is numerical: the circle shrinks every eighth of a period, and a grid half as
    fine loses about a third more of it."""
    radii = [figure["radius"] for figure in fine]
    assert all(later < earlier for earlier, later in zip(radii, radii[1:], strict=False))
    assert radii[-1] > 0.2
    coarse_radius = oscillate(40)[-1]["radius"]
    assert (ETA - coarse_radius) > 1.2 * (ETA - radii[-1])
