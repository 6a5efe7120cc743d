"""Before and with proposals: one scenario run twice, without its measures and with them.

    effect = proposal_effect(Scenario.load("effect.toml"), SimulationRegistry.discover())
    effect = effect_of(simulation, inputs, proposals, parameters, seed=1)   # a scene's layers, drawn measures
    effect.differences      # each result of the run with the measures minus the run without
    effect.figures          # {quarter or "all": {figure: {"before", "with", "delta"}}}
    effect.costs            # one row per measure: quantity, unit cost, cost, source
    write_effect(effect, Path("out"))   # before/, with/, difference/, effect.json, figures.csv, costs.csv

The scenario must name a proposals file (`proposals = "..."` in [scenario]). Its inputs are read
once; both runs use the same seed. `effect_of` is the one path for both the command line
(`main.py effect`) and the window's *Compute effect*, which hands it the scene's own layers and the
drawn proposals, so both compute the same thing. (A simulation with a quick estimate, the flood,
answers the window first with twin/sim/quick_effect.py, whose run with the proposals is estimated
from the run before them; `main.py effect --quick` does the same.) Grids are subtracted cell by cell
(twin/sim/difference.py); tables building by building or segment by segment. A feature only one
run has (a new building only in the run with it, a demolished one only before: `added` and
`removed` list them) has none of a quantity in the other run: its columns with a unit (MWh/a, kWp,
m) count as 0 there, so a demolished house's demand shows as its whole demand lost; its columns
without a unit (years, counts, shares) are left empty (NaN).

Measure costs come from a unit-cost table (twin/sim/measure_costs.csv: kind, unit, EUR per unit,
quantity, source; the figures there are marked as estimates), which a user may replace with their
own (`costs_file`, `python main.py effect ... --costs FILE`).
"""

from __future__ import annotations

import csv
import json
import math
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from twin import __version__
from twin.core.atomic import replace_folder
from twin.core.data import BuildingData, ResultRaster, ResultTable
from twin.core.errors import ScenarioError
from twin.core.feedback import Feedback
from twin.core.plain import plain
from twin.core.proposals import KINDS, ProposalSet
from twin.core.scenario import Scenario
from twin.io import write_geotiff, write_table_csv
from twin.io.errors import TwinIOError
from twin.sim.contract import Simulation, SimulationInputs
from twin.sim.difference import ID_COLUMNS, DifferenceError, grid_difference, table_difference
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, run_simulation
from twin.sim.scenario_run import SUMMARY_FILE, check_run_folder, prepare_scene, write_run

UNIT_COSTS = Path(__file__).with_name("measure_costs.csv")
EFFECT_FILE = "effect.json"


@dataclass(frozen=True)
class UnitCost:
    kind: str
    unit: str
    eur_per_unit: float | None  # None: not costed here (the source says why)
    quantity: str
    source: str


@dataclass
class ProposalEffect:
    """Two runs of one scenario, without and with its proposals, and what changed."""

    before: RunReport
    with_proposals: RunReport
    differences: list[ResultRaster | ResultTable]
    figures: dict[str, dict[str, dict[str, Any]]]
    costs: list[dict[str, Any]]
    added: dict[str, list[str]] = field(default_factory=dict)  # table -> ids only in the run with
    removed: dict[str, list[str]] = field(default_factory=dict)  # table -> ids only in the run before
    # the run with the proposals a quick estimate (twin/sim/quick_effect.py): what was computed where;
    # None: both runs in full
    estimate: str | None = None


def proposal_effect(scenario: Scenario, registry: SimulationRegistry, feedback: Feedback | None = None,
                    costs_file: Path | None = None, notes: list[str] | None = None) -> ProposalEffect:
    """Run the scenario before and with its proposals and compare; a run that fails is reported
    in its RunReport (the comparison then holds no differences)."""
    inputs = scenario_inputs(scenario, notes)
    return effect_of(registry.get(scenario.simulation)(), inputs, inputs.proposals, scenario.parameters,
                     seed=scenario.seed, name=scenario.name, feedback=feedback, costs_file=costs_file)


def scenario_inputs(scenario: Scenario, notes: list[str] | None = None) -> SimulationInputs:
    """The inputs of a scenario that names a proposals file, read once for both runs."""
    if scenario.proposals is None:
        raise ScenarioError(scenario.path, "[scenario] names no proposals file, so there is nothing to "
                                           "compare (add proposals = \"measures.geojson\")")
    return prepare_scene(scenario, notes)[1]


def effect_of(simulation: Simulation, inputs: SimulationInputs, proposals: ProposalSet | None,
              parameters: dict[str, Any], *, seed: int | None = None, name: str = "",
              feedback: Feedback | None = None, costs_file: Path | None = None) -> ProposalEffect:
    """Run `inputs` (already read: a scenario's, or the window's layers and quarter) without and with
    `proposals`, compare and cost. The runs are named "<name> before the proposals" and "<name> with
    the proposals"; a run that fails is reported in its RunReport (then nothing is compared)."""
    costs = effect_costs(inputs, proposals, costs_file)
    feedback = feedback or Feedback()
    seed = secrets.randbits(63) if seed is None else seed  # both runs draw the same numbers
    before = run_simulation(simulation, replace(inputs, proposals=None), parameters, seed=seed,
                            feedback=feedback.span(0.0, 0.5), scenario=f"{name} before the proposals".strip())
    after = run_simulation(simulation, replace(inputs, proposals=proposals), parameters, seed=seed,
                           feedback=feedback.span(0.5, 1.0),
                           scenario=f"{name} with the proposals".strip()) if before.ok else before
    return compare(before, after, costs)


def effect_costs(inputs: SimulationInputs, proposals: ProposalSet | None,
                 costs_file: Path | None = None) -> list[dict[str, Any]]:
    """Each measure's cost from the unit-cost table (`costs_file`, else measure_costs.csv)."""
    buildings = inputs.layers["buildings"].data if "buildings" in inputs.layers else None
    return measure_costs(proposals, buildings, read_unit_costs(costs_file or UNIT_COSTS))


def compare(before: RunReport, after: RunReport, costs: list[dict[str, Any]]) -> ProposalEffect:
    """The differences and side-by-side figures of two reports of one scenario."""
    effect = ProposalEffect(before, after, [], {}, costs)
    if not (before.ok and after.ok) or before is after:
        return effect
    results_after = {result.name: result for result in after.output.results}
    names = ("with proposals", "before")
    for result in before.output.results:
        other = results_after.get(result.name)
        if other is None:
            continue
        if isinstance(result, ResultRaster):
            effect.differences.append(grid_difference(result, other, names))
            continue
        joined_before, joined_after, only_before, only_after = _every_row(result, other)
        try:
            effect.differences.append(table_difference(joined_before, joined_after, names))
        except DifferenceError:
            continue  # a table without ids or numbers to subtract (hydrographs over time)
        if len(only_after):
            effect.added[result.name] = only_after
        if len(only_before):
            effect.removed[result.name] = only_before
    effect.figures = side_by_side(before.output.summary, before.output.per_quarter,
                                  after.output.summary, after.output.per_quarter)
    return effect


def side_by_side(summary_a: dict, quarters_a: dict, summary_b: dict, quarters_b: dict) -> dict[str, dict]:
    """{"all" and each quarter: {figure: {"before", "with", "delta"}}} for every number both have
    (a list of numbers, such as a condition per year, element by element)."""
    places = {"all": (summary_a, summary_b)}
    places.update({name: (quarters_a[name], quarters_b.get(name, {})) for name in quarters_a})
    table = {}
    for place, (a, b) in places.items():
        flat_a, flat_b = _numbers(a), _numbers(b)
        table[place] = {key: {"before": flat_a[key], "with": flat_b[key], "delta": flat_b[key] - flat_a[key]}
                        for key in flat_a if key in flat_b}
    return table


def _numbers(figures: dict, prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for name, value in figures.items():
        key = f"{prefix}{name}"
        if name == "proposals":
            continue
        if isinstance(value, dict):
            flat.update(_numbers(value, f"{key}."))
        elif isinstance(value, list | tuple) and value and all(_number(v) for v in value):
            flat.update({f"{key}[{index}]": float(v) for index, v in enumerate(value)})
        elif _number(value):
            flat[key] = float(value)
    return flat


def _number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) and math.isfinite(value)


def _every_row(a: ResultTable, b: ResultTable) -> tuple[ResultTable, ResultTable, list[str], list[str]]:
    """Both tables over the features either has, and the ids only in a and only in b: a feature
    a table lacks joins it with nothing of each quantity (see the module's note)."""
    id_column = next((name for name in ID_COLUMNS if name in a.columns and name in b.columns), None)
    if id_column is None:
        return a, b, [], []
    ids_a, ids_b = np.asarray(a.columns[id_column]).astype(str), np.asarray(b.columns[id_column]).astype(str)
    only_a, only_b = np.setdiff1d(ids_a, ids_b), np.setdiff1d(ids_b, ids_a)
    return (_with_absent(a, only_b, id_column), _with_absent(b, only_a, id_column),
            only_a.tolist(), only_b.tolist())


def _with_absent(table: ResultTable, ids: np.ndarray, id_column: str) -> ResultTable:
    """The table with a row for each of `ids` it lacks: 0 where the column has a unit, else empty."""
    if not len(ids):
        return table
    columns = {name: np.concatenate([column, ids if name == id_column else _absent(table, name, len(ids))])
               for name, column in table.columns.items()}
    return replace(table, columns=columns)


def _absent(table: ResultTable, name: str, count: int) -> np.ndarray:
    dtype = np.asarray(table.columns[name]).dtype
    if dtype.kind in "iuf":
        return np.full(count, 0.0 if table.units.get(name) else np.nan)
    if dtype.kind == "b":
        return np.zeros(count, dtype=bool)
    if dtype.kind == "M":
        return np.full(count, np.datetime64("NaT"), dtype=dtype)
    return np.full(count, "", dtype=object)


def read_unit_costs(path: Path) -> dict[str, UnitCost]:
    """The unit-cost table by kind (see measure_costs.csv); a bad table is one sentence."""
    try:
        with open(path, encoding="utf-8", newline="") as source:
            rows = list(csv.DictReader(source))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise TwinIOError(path, f"the unit-cost table cannot be read ({error})") from None
    costs = {}
    for number, row in enumerate(rows, start=2):
        kind = (row.get("kind") or "").strip()
        if kind not in KINDS:
            raise TwinIOError(path, f"line {number}: '{kind}' is no kind of measure ({', '.join(KINDS)})")
        text = (row.get("eur_per_unit") or "").strip()
        try:
            price = float(text) if text else None
        except ValueError:
            raise TwinIOError(path, f"line {number}: eur_per_unit '{text}' is not a number") from None
        if price is not None and (not math.isfinite(price) or price < 0):
            raise TwinIOError(path, f"line {number}: eur_per_unit must be a number of at least 0")
        costs[kind] = UnitCost(kind, (row.get("unit") or "").strip(), price,
                               (row.get("quantity") or "").strip(), (row.get("source") or "").strip())
    return costs


def measure_costs(proposals: ProposalSet | None, buildings: BuildingData | None,
                  unit_costs: dict[str, UnitCost]) -> list[dict[str, Any]]:
    """Per measure: its quantity in the table's unit, the unit cost, the cost (None where not costed)."""
    rows = []
    for measure in proposals or ():
        unit = unit_costs.get(measure.kind)
        costed = unit is not None and unit.eur_per_unit is not None
        quantity = _quantity(measure, buildings) if costed else None
        quantity = None if quantity is None else round(quantity, 2)
        cost = None if quantity is None else round(quantity * unit.eur_per_unit, 2)
        rows.append({"measure": measure.id, "kind": measure.kind, "title": measure.title,
                     "quantity": quantity, "unit": unit.unit if unit else "",
                     "eur_per_unit": unit.eur_per_unit if unit else None, "cost_eur": cost,
                     "source": unit.source if unit else "no unit cost for this kind in the table"})
    return rows


def _quantity(measure: Any, buildings: BuildingData | None) -> float | None:
    if measure.kind == "retention_area":
        return measure.retention_volume_m3()
    if measure.kind == "unsealing":
        return measure.area_m2()
    if measure.kind == "trees":
        return float(len(measure.tree_points()))
    if measure.kind in ("green_roof", "demolition"):
        return _building_quantity(measure, buildings)
    return None


def _building_quantity(measure: Any, buildings: BuildingData | None) -> float | None:
    """Roof area (footprints) for a green roof, enclosed volume (footprint x height) for a demolition."""
    if buildings is None:
        return None
    ids = np.asarray(buildings.ids).astype(str)
    rows = np.flatnonzero(np.isin(ids, measure.ids()))
    areas = np.array([0.0 if buildings.footprints[row] is None else buildings.footprints[row].area
                      for row in rows])
    if measure.kind == "green_roof":
        return float(areas.sum())
    heights = np.asarray(buildings.attributes.get("measured_height", np.full(len(ids), np.nan)),
                         dtype=float)[rows]
    return float((areas * np.nan_to_num(heights)).sum())


def write_effect(effect: ProposalEffect, directory: Path) -> list[Path]:
    """before/ and with/ (each a run's folder), difference/ (with minus before), effect.json,
    figures.csv and costs.csv; written aside and put in place in one step."""
    check_run_folder(directory)

    def fill(folder: Path) -> list[str]:
        write_run(effect.before, folder / "before")
        write_run(effect.with_proposals, folder / "with")
        (folder / "difference").mkdir()
        for result in effect.differences:
            if isinstance(result, ResultRaster):
                write_geotiff(folder / "difference" / f"{result.name}.tif", result)
            else:
                write_table_csv(folder / "difference" / f"{result.name}.csv", result)
        _write_rows(folder / "figures.csv", ("place", "figure", "before", "with", "delta"),
                    [(place, key, v["before"], v["with"], v["delta"])
                     for place, figures in effect.figures.items() for key, v in figures.items()])
        _write_rows(folder / "costs.csv", ("measure", "kind", "title", "quantity", "unit", "eur_per_unit",
                                           "cost_eur", "source"),
                    [tuple(row.values()) for row in effect.costs])
        names = ["before", "with", "difference", "figures.csv", "costs.csv", EFFECT_FILE]
        (folder / EFFECT_FILE).write_text(json.dumps(plain(_document(effect)), indent=1, ensure_ascii=False),
                                          encoding="utf-8")
        (folder / SUMMARY_FILE).write_text(json.dumps({"twin_version": __version__, "files": names}),
                                           encoding="utf-8")
        return [SUMMARY_FILE, *names]

    return [directory / name for name in replace_folder(directory, fill)]


def _document(effect: ProposalEffect) -> dict[str, Any]:
    after = effect.with_proposals.output
    return {"twin_version": __version__, "simulation": effect.before.simulation,
            "before_seconds": effect.before.seconds, "with_seconds": effect.with_proposals.seconds,
            "proposals": after.summary.get("proposals") if after else None,
            "estimate": effect.estimate,
            "added": effect.added, "removed": effect.removed, "costs": effect.costs,
            "total_cost_eur": sum(row["cost_eur"] or 0.0 for row in effect.costs),
            "figures": effect.figures}


def _write_rows(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if value is None else value for value in row] for row in rows)
