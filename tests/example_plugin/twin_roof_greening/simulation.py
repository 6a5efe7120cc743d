"""Roof greening potential: flat roof area per building, and which buildings suit a green roof.

A roof triangle counts as flat when its normal is within `max_tilt_deg` of vertical. A building
suits a green roof when most of its roof is flat and the flat part is large enough to be worth it;
it partly suits when some of it is. The twin knows nothing of this plugin: its report, charts,
legend and colouring come from what it declares here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from twin.core.charts import BarChartData, BarSeries, ChartData
from twin.core.data import BuildingData, ResultTable, SurfaceKind
from twin.core.report_tables import figure_values
from twin.core.scene import RunRecord
from twin.sim import (
    Category,
    DType,
    Feedback,
    FieldSpec,
    InputSpec,
    Location,
    ParameterError,
    ParameterSpec,
    Simulation,
    SimulationInputs,
    SimulationOutput,
)

SUITABILITY = (Category(0, "unsuited", "#BBBBBB"), Category(1, "partly suited", "#9AD29B"),
               Category(2, "suited", "#117733"))


class RoofGreening(Simulation):
    name = "roof_greening"
    title = "Roof greening"
    description = "Flat roof area per building and which buildings suit a green roof."
    inputs = (InputSpec("buildings", "buildings", "LoD2 buildings with roof surfaces"),)
    outputs = (
        FieldSpec("building_id", Location.BUILDING, "", "the building", "building", DType.TEXT, "roofs"),
        FieldSpec("flat_roof_area", Location.BUILDING, "m²", "roof area flatter than the limit",
                  "flat roof area", result="roofs"),
        FieldSpec("suitability", Location.BUILDING, "", "whether a green roof suits", "green roof suitability",
                  DType.CLASS, "roofs", categories=SUITABILITY, headline=True),
        FieldSpec("green_roof_area_m2", Location.QUARTER, "m²", "flat roof area of suited buildings",
                  "green roof potential"),
        FieldSpec("buildings_suited", Location.QUARTER, "", "buildings that suit a green roof",
                  "buildings suited", DType.INTEGER),
    )
    parameters = (
        ParameterSpec("max_tilt_deg", float, 5.0, "roof faces tilted less than this are flat", units="deg",
                      minimum=0.0, maximum=30.0, label="flat below"),
        ParameterSpec("min_area_m2", float, 50.0, "smallest flat roof worth greening", units="m²",
                      minimum=0.0, label="smallest flat roof"),
        ParameterSpec("min_share", float, 0.5, "share of the roof that must be flat to suit", minimum=0.0,
                      maximum=1.0, label="flat share to suit"),
        ParameterSpec("partly_share", float, 0.2, "share of the roof that must be flat to partly suit",
                      minimum=0.0, maximum=1.0, label="flat share to partly suit"),
    )

    def check_parameters(self, params: Mapping[str, Any]) -> None:
        if params["partly_share"] > params["min_share"]:
            raise ParameterError("parameter 'partly_share' must not exceed 'min_share'")

    def run(self, inputs: SimulationInputs, params: Mapping[str, Any], *,
            rng: np.random.Generator, feedback: Feedback) -> SimulationOutput:
        buildings: BuildingData = inputs.layers["buildings"].data
        flat, roof = _roof_areas(buildings, params["max_tilt_deg"])
        feedback.progress(0.6, "suitability")
        share = np.divide(flat, roof, out=np.zeros_like(flat), where=roof > 0)
        large = flat >= params["min_area_m2"]
        suitability = np.where(large & (share >= params["min_share"]), 2,
                               np.where(large & (share >= params["partly_share"]), 1, 0))
        table = ResultTable("roofs", inputs.layers["buildings"].name, {
            "building_id": np.asarray(buildings.ids).astype(str), "flat_roof_area": flat,
            "suitability": suitability})
        per_quarter = {quarter.name: _figures(flat, suitability, quarter.select_features(buildings.footprints))
                       for quarter in inputs.quarters}
        summary = _figures(flat, suitability, np.ones(len(buildings), dtype=bool))
        return SimulationOutput(summary, per_quarter, [table])

    @classmethod
    def charts(cls, run: RunRecord, tables: Mapping[str, ResultTable], quarter: str | None) -> list[ChartData]:
        places = [quarter] if quarter is not None else list(run.per_quarter)
        return [BarChartData("Green roof potential", "flat roof area (m²)", places,
                             [BarSeries("suited buildings", figure_values(run, places, "green_roof_area_m2"),
                                        SUITABILITY[2].colour)])]


def _roof_areas(buildings: BuildingData, max_tilt_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Flat and total roof area of each building, from its roof triangles."""
    corners = buildings.vertices[buildings.triangles]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    area = 0.5 * np.linalg.norm(normal, axis=1)
    upright = np.abs(normal[:, 2]) / np.maximum(2.0 * area, 1e-12)
    is_roof = buildings.triangle_surface == SurfaceKind.ROOF
    is_flat = is_roof & (upright >= np.cos(np.radians(max_tilt_deg)))
    count = len(buildings)
    return (np.bincount(buildings.triangle_building, weights=area * is_flat, minlength=count),
            np.bincount(buildings.triangle_building, weights=area * is_roof, minlength=count))


def _figures(flat: np.ndarray, suitability: np.ndarray, inside: np.ndarray) -> dict[str, Any]:
    suited = inside & (suitability == 2)
    return {"green_roof_area_m2": float(flat[suited].sum()), "buildings_suited": int(suited.sum())}
