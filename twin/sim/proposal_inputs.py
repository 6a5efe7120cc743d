"""The building stock as proposals change it: demolished buildings go, new buildings join.

Shared by the simulations that read buildings (flood walls, energy stock), so both see the same
stock: `buildings_with_measures(buildings, proposals)` returns a new BuildingData (the input is
left as it was) whose new buildings carry the attributes a CityGML reader gives (AdV function,
year of construction, storeys, measured height) and a simple mesh (a flat roof on vertical walls)
so that roof and wall areas follow from the footprint. `checked_ids` refuses ids a layer lacks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import Polygon

from twin.core.data import BuildingData, RasterData, StreetData, SurfaceKind
from twin.core.fields import DType, FieldSpec, Location
from twin.core.proposals import Measure, ProposalSet
from twin.sim.runner import SimulationInputError

# The summary figure of a run given proposals: which measures it applied, which not and why, and
# what they changed (each simulation's own keys); every simulation that takes proposals declares it.
PROPOSALS_FIGURE = FieldSpec("proposals", Location.SCENE, "", "the proposed measures this run applied, "
                             "those it did not (with the reason) and what they changed", "proposals",
                             DType.RECORD)
STOREY_HEIGHT_M = 3.0  # a new building given in storeys: its height (and back) at this storey height
# The AdV building function (BuildingFunctionTypeAdV, 31001_xxxx) of each use a new building may have.
ADV_FUNCTION = {
    "residential": "31001_1000",  # Wohngebäude
    "office": "31001_2020",  # Bürogebäude
    "retail": "31001_2050",  # Geschäftsgebäude
    "school": "31001_3021",  # allgemein bildende Schule
    "kindergarten": "31001_3065",  # Kinderkrippe, Kindergarten, Kita
    "hospital": "31001_3051",  # Krankenhaus
    "hotel": "31001_2071",  # Hotel, Motel, Pension
    "sports": "31001_3211",  # Sport-, Turnhalle
    "parking": "31001_2461",  # Parkhaus
}


def proposals_record(proposals: ProposalSet, applied: Iterable[str], reasons: dict[str, str],
                     simulation: str) -> dict[str, object]:
    """The PROPOSALS_FIGURE of a run: the ids applied, and every other measure with the reason
    (`reasons` by measure id or by kind, else that its kind changes none of this simulation's inputs)."""
    applied = list(applied)
    not_applied = {measure.id: reasons.get(measure.id, reasons.get(
        measure.kind, f"{measure.kind_title} measures change no input of the {simulation} simulation"))
        for measure in proposals if measure.id not in applied}
    return {"applied": applied, "not_applied": not_applied}


def checked_ids(measure: Measure, known: Iterable[str], what: str) -> np.ndarray:
    """Rows of the ids the measure names in a layer's ids; an id the layer lacks is refused."""
    known = np.asarray(list(known)).astype(str)
    position = {value: row for row, value in enumerate(known)}
    missing = [value for value in measure.ids() if value not in position]
    if missing:
        raise SimulationInputError(f"measure '{measure.id}' names {what} '{missing[0]}', which the "
                                   f"{what} layer does not have")
    return np.array([position[value] for value in measure.ids()], dtype=np.intp)


def segment_rows(measure: Measure, streets: StreetData) -> np.ndarray:
    return checked_ids(measure, streets.ids, "street segment")


def building_rows(measure: Measure, buildings: BuildingData | None) -> np.ndarray:
    if buildings is None:
        raise SimulationInputError(f"measure '{measure.id}' names buildings, but the run has no "
                                   f"buildings layer")
    return checked_ids(measure, buildings.ids, "building")


def new_building_height(measure: Measure) -> tuple[float, int]:
    """A new building's height (m) and storeys, the one given and the other from STOREY_HEIGHT_M."""
    parameters = measure.parameters
    if "storeys" in parameters:
        return parameters["storeys"] * STOREY_HEIGHT_M, int(parameters["storeys"])
    return float(parameters["height_m"]), max(1, int(round(parameters["height_m"] / STOREY_HEIGHT_M)))


def buildings_with_measures(buildings: BuildingData | None, proposals: ProposalSet | None,
                            terrain: RasterData | None = None) -> BuildingData | None:
    """The stock without the demolished buildings and with the new ones (standing on the terrain's
    mean height under their footprint where a terrain is given, else at 0 m)."""
    if proposals is None:
        return buildings
    demolished = [row for measure in proposals.of_kind("demolition")
                  for row in building_rows(measure, buildings)]
    new = proposals.of_kind("new_building")
    if not demolished and not new:
        return buildings
    kept = buildings if buildings is not None else _empty(proposals.crs)
    if demolished:
        kept = _without(kept, np.array(demolished, dtype=np.intp))
    for measure in new:
        kept = _with_new(kept, measure, _ground(measure.geometry, terrain))
    return kept


def _empty(crs: str | None) -> BuildingData:
    return BuildingData(np.zeros(0, dtype=str), {}, np.zeros((0, 3)), np.zeros((0, 3), np.int64),
                        np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros(0, dtype=object), crs)


def _without(buildings: BuildingData, rows: np.ndarray) -> BuildingData:
    keep = np.ones(len(buildings), dtype=bool)
    keep[rows] = False
    new_row = np.cumsum(keep) - 1
    triangle_kept = keep[buildings.triangle_building]
    return BuildingData(
        ids=buildings.ids[keep], attributes={k: np.asarray(v)[keep] for k, v in buildings.attributes.items()},
        vertices=buildings.vertices, triangles=buildings.triangles[triangle_kept],
        triangle_building=new_row[buildings.triangle_building[triangle_kept]],
        triangle_surface=buildings.triangle_surface[triangle_kept], footprints=buildings.footprints[keep],
        crs=buildings.crs, skipped_polygons=buildings.skipped_polygons)


def _with_new(buildings: BuildingData, measure: Measure, ground: float) -> BuildingData:
    height, storeys = new_building_height(measure)
    vertices, triangles, surfaces = _extruded(measure.geometry, ground, height)
    row = len(buildings)
    values = {"function": ADV_FUNCTION[measure.parameters["use"]],
              "year_of_construction": float(measure.parameters["construction_year"]),
              "storeys_above_ground": float(storeys), "measured_height": height,
              "name": measure.title, "object_type": "Building"}
    names = list(buildings.attributes) + [name for name in values if name not in buildings.attributes]
    attributes = {name: _appended(buildings.attributes.get(name), row, values.get(name)) for name in names}
    return BuildingData(
        ids=np.append(buildings.ids.astype(object), measure.id).astype(str), attributes=attributes,
        vertices=np.concatenate([buildings.vertices, vertices]),
        triangles=np.concatenate([buildings.triangles, triangles + len(buildings.vertices)]),
        triangle_building=np.concatenate([buildings.triangle_building, np.full(len(triangles), row)]),
        triangle_surface=np.concatenate([buildings.triangle_surface, surfaces]).astype(np.uint8),
        footprints=np.append(buildings.footprints, np.array([measure.geometry], dtype=object)),
        crs=buildings.crs, skipped_polygons=buildings.skipped_polygons)


def _appended(column: np.ndarray | None, rows: int, value: object) -> np.ndarray:
    """A column one row longer: numbers stay numbers (NaN where unknown), anything else text."""
    numeric = isinstance(value, int | float) if column is None else np.asarray(column).dtype.kind in "fiub"
    if numeric:
        before = np.full(rows, np.nan) if column is None else np.asarray(column, dtype=float)
        return np.append(before, np.nan if value is None else float(value))
    before = np.full(rows, "", dtype=object) if column is None else np.asarray(column).astype(str)
    return np.append(before.astype(object), "" if value is None else str(value)).astype(str)


def _extruded(footprint: Polygon, ground: float, height: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat roof (constrained Delaunay triangles of the footprint) on vertical walls."""
    roof = shapely.get_parts(shapely.constrained_delaunay_triangles(footprint))
    roof_corners = np.array([shapely.get_coordinates(t)[:3] for t in roof]).reshape(-1, 2)
    ring = shapely.get_coordinates(footprint.exterior)
    start, end = ring[:-1], ring[1:]
    walls = np.stack([np.column_stack([start, np.full(len(start), ground)]),
                      np.column_stack([end, np.full(len(start), ground)]),
                      np.column_stack([end, np.full(len(start), ground + height)]),
                      np.column_stack([start, np.full(len(start), ground + height)])], axis=1)
    vertices = np.concatenate([np.column_stack([roof_corners, np.full(len(roof_corners), ground + height)]),
                               walls.reshape(-1, 3)])
    roof_triangles = np.arange(len(roof_corners)).reshape(-1, 3)
    quad = len(roof_corners) + 4 * np.arange(len(start))[:, None]
    wall_triangles = np.concatenate([quad + [0, 1, 2], quad + [0, 2, 3]])
    surfaces = np.concatenate([np.full(len(roof_triangles), SurfaceKind.ROOF),
                               np.full(len(wall_triangles), SurfaceKind.WALL)])
    return vertices, np.concatenate([roof_triangles, wall_triangles]).astype(np.int64), surfaces


def _ground(footprint: Polygon, terrain: RasterData | None) -> float:
    if terrain is None:
        return 0.0
    inverse = ~terrain.transform
    x, y = footprint.representative_point().coords[0]
    col, row = inverse @ (x, y)
    row, col = int(np.floor(row)), int(np.floor(col))
    if 0 <= row < terrain.shape[0] and 0 <= col < terrain.shape[1] and np.isfinite(terrain.values[row, col]):
        return float(terrain.values[row, col])
    return 0.0
