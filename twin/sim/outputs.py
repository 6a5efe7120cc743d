"""A run's output held against its simulation's declared outputs.

`check_output` refuses a figure, grid or column the simulation did not declare (or of another
type); `annotate` writes the declared units, labels, headline and classes onto the results, so
that layers, legends and reports read them from the data instead of guessing from names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from twin.core.data import ResultRaster, ResultTable
from twin.core.errors import TwinError
from twin.core.fields import (
    DType,
    FieldSpec,
    Location,
    OutputCatalogue,
    OutputError,
    by_code,
    check_column,
    check_figure,
    flatten_figures,
)
from twin.sim.contract import Simulation, SimulationOutput


class SimulationOutputError(TwinError):
    """A plugin produced an output it did not declare: a fault of the plugin, not of the input."""


def check_output(simulation: type[Simulation] | Simulation, output: SimulationOutput) -> None:
    """Raise SimulationOutputError naming the plugin and the first output that breaks its declarations."""
    catalogue = simulation.catalogue()
    try:
        _check_figures(catalogue, output.summary, "the summary")
        for quarter, figures in output.per_quarter.items():
            _check_figures(catalogue, figures, f"the figures of quarter '{quarter}'", per_quarter=True)
        for result in output.results:
            _check_result(catalogue, result)
    except OutputError as error:
        raise SimulationOutputError(f"simulation '{simulation.name}' broke its declared outputs: "
                                    f"{error}") from None


def annotate(simulation: type[Simulation] | Simulation,
             results: Iterable[ResultRaster | ResultTable]) -> None:
    """Fill units, labels, headline and classes of each result from the declarations."""
    catalogue = simulation.catalogue()
    for result in results:
        if isinstance(result, ResultRaster):
            spec = catalogue.grid(result.name)
            if spec is not None:
                result.units, result.label = spec.units, spec.quantity(result.name).label
                result.palette = spec.palette
        else:
            _annotate_table(catalogue, result)


def _check_figures(catalogue: OutputCatalogue, figures: Mapping[str, Any], where: str,
                   per_quarter: bool = False) -> None:
    flat = flatten_figures(catalogue, figures)
    years = _years(flat)
    for key, (spec, value) in flat.items():
        if spec is None:
            raise OutputError(f"{where} hold the undeclared figure '{key}'")
        if per_quarter and spec.location is not Location.QUARTER:
            raise OutputError(f"{where} hold '{key}', declared for the {spec.location.value}, not a quarter")
        check_figure(spec, key, value, years)


def _years(flat: Mapping[str, tuple[FieldSpec | None, Any]]) -> int | None:
    """The length of the figures' year axis, which every series follows; None without one."""
    axes = [value for spec, value in flat.values() if spec is not None and spec.dtype is DType.AXIS]
    return len(axes[0]) if axes and isinstance(axes[0], list | tuple) else None


def _check_result(catalogue: OutputCatalogue, result: ResultRaster | ResultTable) -> None:
    if isinstance(result, ResultRaster):
        if catalogue.grid(result.name) is None:
            raise OutputError(f"the grid '{result.name}' is undeclared")
        return
    for name, values in result.columns.items():
        spec = catalogue.column(result.name, name)
        if spec is None:
            raise OutputError(f"the table '{result.name}' has the undeclared column '{name}'")
        check_column(spec, f"{result.name}.{name}", values)


def _annotate_table(catalogue: OutputCatalogue, table: ResultTable) -> None:
    for name in table.columns:
        spec = catalogue.column(table.name, name)
        if spec is None:
            continue
        quantity = spec.quantity(name)
        table.labels[name] = quantity.label
        if spec.units:
            table.units[name] = spec.units
        series = spec.series_name()
        if series is not None:  # the series as the time slider shows it: 'condition class', not '... 2031'
            table.labels[series] = " ".join(spec.label.replace("{year}", "").split()) or series
            if spec.units:
                table.units[series] = spec.units
        if spec.categories:
            codes = spec.dtype is DType.CLASS
            table.categories[series or name] = by_code(spec.categories) if codes else spec.categories
        if spec.headline and table.headline is None:
            table.headline = series or name
