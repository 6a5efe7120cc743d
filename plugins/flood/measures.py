"""Proposed measures applied to the flood's inputs before the solver runs (docs/proposals.md).

- retention area: the terrain inside the polygon (cells whose centre lies in it, roofs left out)
  is lowered by the depth; a volume is turned into the depth that stores it on those cells, so
  the grid holds exactly the volume asked for.
- unsealing: the cells inside become green ground (class UNSEALED: they infiltrate with the run's
  infiltration law, the solver's one law for all green cells) with the measure's Manning's n or
  the run's n_green; roofs stay roofs.
- green roof: each roof holds its first retention_mm of rain. The solver pours one spill per
  roof cell per step through the downpipes, so a green roof's share of the downpipes is scaled by
  the part of its event spill that still runs off: the spill volume over the event is exact, its
  timing is spread over the event instead of being cut from its start (this overstates the
  effect at the peak where the early rain alone would fill the roof). The held water is booked
  as leaving the domain (the solver's balance counts it under 'sewer').
- new building / demolition: the building layer changes before rasterising (see
  twin/sim/proposal_inputs.py), so a new footprint is a wall and a demolished one is ground.
- trees: not applied: the solver has no interception (a crown holds about 1-2 mm of a storm of
  tens of millimetres, under the solver's resolution of the losses). Listed as not applied.
- street works: not a flood input; listed as not applied.
- comment pins: remarks, not measures; listed as not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from rasterio.features import rasterize
from scipy import ndimage

from plugins.flood.kernels import OUTSIDE, ROOF, SEALED, UNSEALED
from plugins.flood.rain import RainSeries
from plugins.flood.solver import Domain, Losses, roof_block_outlets
from twin.core.data import BuildingData, RasterData
from twin.core.proposals import COMMENT, COMMENT_NOT_APPLIED, Measure, ProposalSet
from twin.sim.proposal_inputs import building_rows, buildings_with_measures

KINDS = ("retention_area", "unsealing", "green_roof", "new_building", "demolition")
NOT_MODELLED = {
    "trees": "the flood solver has no interception by tree crowns",
    "street_works": "street works change no flood input",
    COMMENT: COMMENT_NOT_APPLIED,
}


@dataclass
class Applied:
    """What the measures did to the grid, for the run's summary."""

    applied: list[str] = field(default_factory=list)
    not_applied: dict[str, str] = field(default_factory=dict)
    retention_volume_m3: float = 0.0
    unsealed_area_m2: float = 0.0
    green_roof_area_m2: float = 0.0
    green_roof_held_m3: float = 0.0

    def record(self) -> dict[str, object]:
        return {"applied": self.applied, "not_applied": self.not_applied,
                "retention_volume_m3": self.retention_volume_m3, "unsealed_area_m2": self.unsealed_area_m2,
                "green_roof_area_m2": self.green_roof_area_m2, "green_roof_held_m3": self.green_roof_held_m3}


def start(proposals: ProposalSet | None) -> Applied:
    """The record of a run: measures of kinds the flood does not model are listed with the reason."""
    applied = Applied()
    for measure in proposals or ():
        if measure.kind in NOT_MODELLED:
            applied.not_applied[measure.id] = NOT_MODELLED[measure.kind]
    return applied


def buildings(data: BuildingData | None, proposals: ProposalSet | None, applied: Applied,
              terrain: RasterData | None = None) -> BuildingData | None:
    """The building layer with demolitions and new buildings applied."""
    changed = buildings_with_measures(data, proposals, terrain)
    for kind in ("demolition", "new_building"):
        applied.applied.extend(m.id for m in (proposals.of_kind(kind) if proposals else ()))
    return changed


def cells_inside(geometry: shapely.Geometry, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Cells whose centre lies in the polygon."""
    return rasterize([(geometry, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8") > 0


def retention(heights: np.ndarray, cell_class: np.ndarray, transform: Affine,
              proposals: ProposalSet | None, applied: Applied) -> np.ndarray:
    """The terrain with each retention area lowered so that it stores its depth (or volume)."""
    lowered = heights.copy()
    cell_area = abs(transform.a * transform.e)
    for measure in proposals.of_kind("retention_area") if proposals else ():
        cells = cells_inside(measure.geometry, transform, heights.shape) & (cell_class != ROOF) \
            & (cell_class != OUTSIDE)
        if not cells.any():
            applied.not_applied[measure.id] = "the retention area covers no open cell of the grid"
            continue
        depth = _retention_depth(measure, int(cells.sum()) * cell_area)
        lowered[cells] -= depth
        applied.retention_volume_m3 += depth * int(cells.sum()) * cell_area
        applied.applied.append(measure.id)
    return lowered


def _retention_depth(measure: Measure, grid_area: float) -> float:
    if "volume_m3" in measure.parameters:
        return float(measure.parameters["volume_m3"]) / grid_area
    return float(measure.parameters["depth_m"])


def unsealing(cell_class: np.ndarray, manning: np.ndarray, transform: Affine, n_green: float,
              proposals: ProposalSet | None, applied: Applied) -> tuple[np.ndarray, np.ndarray]:
    """Cell classes and roughness with the unsealed areas green (roofs and outside cells kept)."""
    cell_class, manning = cell_class.copy(), manning.copy()
    cell_area = abs(transform.a * transform.e)
    for measure in proposals.of_kind("unsealing") if proposals else ():
        cells = cells_inside(measure.geometry, transform, cell_class.shape) \
            & ((cell_class == SEALED) | (cell_class == UNSEALED))
        cell_class[cells] = UNSEALED
        manning[cells] = measure.parameters.get("roughness_n", n_green)
        applied.unsealed_area_m2 += int(cells.sum()) * cell_area
        applied.applied.append(measure.id)
    return cell_class, manning


def green_roofs(domain: Domain, labels: np.ndarray, buildings: BuildingData | None, storm: RainSeries,
                losses: Losses, proposals: ProposalSet | None, applied: Applied) -> None:
    """Scale the downpipes of green roofs by the share of their event spill that still runs off."""
    measures = proposals.of_kind("green_roof") if proposals else ()
    if not measures:
        return
    kept = np.ones(domain.shape)
    roofs = domain.cell_class == ROOF
    sewer = losses.sewer if losses.roofs_to_sewer else 0.0
    for measure in measures:
        rows = building_rows(measure, buildings)
        cells = np.isin(labels, rows + 1) & roofs
        if not cells.any():
            applied.not_applied[measure.id] = ("its buildings have no roof cells on the grid (buildings as "
                                               "raised blocks, or outside the grid)")
            continue
        spill = roof_spill(storm, sewer, 0.0)
        spill_green = roof_spill(storm, sewer, measure.parameters["retention_mm"] / 1000.0)
        kept[cells] = spill_green / spill if spill > 0 else 1.0
        applied.green_roof_area_m2 += int(cells.sum()) * domain.cell_area
        applied.green_roof_held_m3 += (spill - spill_green) * int(cells.sum()) * domain.cell_area
        applied.applied.append(measure.id)
    cells, shares, held_cells = weighted_downpipes(domain.cell_class, kept)
    if not np.array_equal(cells, domain.downpipe_cells):
        raise RuntimeError("the green roofs' downpipes differ from the solver's")
    domain.downpipe_shares = shares
    # the spill the green roofs hold leaves the domain, as the spill of roofs without downpipes does
    domain.unrouted_roof_cells = domain.unrouted_roof_cells + held_cells


def roof_spill(storm: RainSeries, sewer: float, held: float) -> float:
    """Spill per m² of roof over the event (m): the rain above the sewer's rate, once the roof
    has held its first `held` metres of rain."""
    ends = np.append(storm.starts[1:], storm.end)
    before = np.concatenate([[0.0], np.cumsum(storm.intensities * (ends - storm.starts))])[:-1]
    total = 0.0
    for start_time, end_time, rate, fallen in zip(storm.starts, ends, storm.intensities, before, strict=True):
        if rate <= 0.0:
            continue
        full_at = start_time + max(held - fallen, 0.0) / rate  # the roof is full from then on
        total += max(rate - sewer, 0.0) * max(end_time - max(start_time, full_at), 0.0)
    return total


def weighted_downpipes(cell_class: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The solver's downpipes (plugins/flood/solver.py downpipes: each block of touching roofs
    pours evenly onto the open cells beside it), each roof cell counting `kept` of a cell; and
    the roof cells' worth of spill held on roofs that have downpipes."""
    roofs = cell_class == ROOF
    blocks, count = ndimage.label(roofs)
    cell_block = roof_block_outlets(cell_class, blocks)
    roof_weight = np.bincount(blocks.ravel(), weights=np.where(roofs, kept, 0.0).ravel(), minlength=count + 1)
    outlet_count = np.bincount(cell_block[:, 1], minlength=count + 1)
    shares = roof_weight[cell_block[:, 1]] / outlet_count[cell_block[:, 1]]
    cells, position = np.unique(cell_block[:, 0], return_inverse=True)
    roof_count = np.bincount(blocks.ravel(), minlength=count + 1)
    held = float((roof_count - roof_weight)[1:][outlet_count[1:] > 0].sum())
    return cells.astype(np.intp), np.bincount(position, weights=shares), held
