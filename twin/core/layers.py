"""Layers: plain data plus display state, evented.

A setter validates, stores and emits on `layer.events`; views subscribe, the model never
calls a view (the napari pattern, with psygnal so the core stays free of Qt).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from psygnal import Signal, SignalGroup

from twin.core.data import (
    Bounds,
    BuildingData,
    PointCloudData,
    RasterData,
    ResultRaster,
    ResultTable,
    SensorData,
    StreetData,
)


class LayerEvents(SignalGroup):
    name = Signal(str)
    visible = Signal(bool)
    opacity = Signal(float)
    data = Signal()
    style = Signal()
    time_index = Signal(int)


class Layer:
    """Base of every layer kind. Subclasses set `kind` and the data class they hold."""

    kind: ClassVar[str] = ""
    data_types: ClassVar[tuple[type, ...]] = (object,)

    def __init__(
        self,
        data: Any,
        name: str,
        *,
        source: Path | str | None = None,
        visible: bool = True,
        opacity: float = 1.0,
    ) -> None:
        self.events = LayerEvents()
        self._check_data(data)
        self._data = data
        self._name = self._valid_name(name)
        self._visible = bool(visible)
        self._opacity = self._valid_opacity(opacity)
        self.source = Path(source) if source is not None else None
        self._color_by: str | None = None
        self._colormap = "viridis"
        self._color_range: tuple[float, float] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"

    @property
    def data(self) -> Any:
        return self._data

    @data.setter
    def data(self, data: Any) -> None:
        self._check_data(data)
        self._data = data
        self.events.data.emit()

    @property
    def crs(self) -> str | None:
        return self._data.crs

    @property
    def bounds(self) -> Bounds:
        return self._data.bounds

    @property
    def georeferenced(self) -> bool:
        """False for layers that borrow their place from another layer (result tables)."""
        return True

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self._name = self._valid_name(name)
        self.events.name.emit(self._name)

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, visible: bool) -> None:
        if bool(visible) != self._visible:
            self._visible = bool(visible)
            self.events.visible.emit(self._visible)

    @property
    def opacity(self) -> float:
        return self._opacity

    @opacity.setter
    def opacity(self, opacity: float) -> None:
        opacity = self._valid_opacity(opacity)
        if opacity != self._opacity:
            self._opacity = opacity
            self.events.opacity.emit(opacity)

    @property
    def color_by(self) -> str | None:
        """The attribute the layer is coloured by, or None for its plain colour."""
        return self._color_by

    @property
    def colormap(self) -> str:
        return self._colormap

    @property
    def color_range(self) -> tuple[float, float] | None:
        """The (low, high) values the colour map spans; None for the data's own range."""
        return self._color_range

    def set_style(
        self,
        color_by: str | None = None,
        colormap: str | None = None,
        color_range: tuple[float, float] | None = None,
    ) -> None:
        """Colour by an attribute the layer offers, with a colour map and a value range."""
        if color_by is not None and color_by not in self.color_attributes():
            raise ValueError(f"layer '{self.name}' has no attribute '{color_by}' to colour by; "
                             f"it offers {', '.join(self.color_attributes()) or 'none'}")
        if color_range is not None and not color_range[0] < color_range[1]:
            raise ValueError(f"a colour range needs low < high, got {color_range}")
        self._color_by = color_by
        self._colormap = colormap or self._colormap
        self._color_range = color_range
        self.events.style.emit()

    def color_attributes(self) -> list[str]:
        """Names of the attributes this layer can be coloured by."""
        return []

    # Facts about an attribute, for the panel's ranges and labels and the legends' titles.

    def attribute_values(self, attribute: str) -> np.ndarray:
        """Every value of an attribute (of a result over time: of all its time steps)."""
        return self.data.attributes[attribute]

    def attribute_unit(self, attribute: str) -> str:
        """The unit the data gives for an attribute; "" where it gives none."""
        return ""

    def attribute_label(self, attribute: str) -> str:
        """An attribute as a reader names it, with its unit: 'elevation (m)'."""
        unit = self.attribute_unit(attribute)
        words = self._attribute_words(attribute)
        return f"{words} ({unit})" if unit else words

    def value_range(self, attribute: str) -> tuple[float, float] | None:
        """Lowest and highest finite value of an attribute; None where it has none."""
        values = np.asarray(self.attribute_values(attribute))
        if values.dtype.kind == "f":
            values = values[np.isfinite(values)]
        if values.size == 0 or values.dtype.kind not in "biuf":
            return None
        return float(values.min()), float(values.max())

    def _attribute_words(self, attribute: str) -> str:
        return attribute.replace("_", " ")

    def _check_data(self, data: Any) -> None:
        if not isinstance(data, self.data_types):
            expected = " or ".join(kind.__name__ for kind in self.data_types)
            raise TypeError(f"a {self.kind} layer holds {expected}, not {type(data).__name__}")

    @staticmethod
    def _valid_name(name: str) -> str:
        name = str(name).strip()
        if not name:
            raise ValueError("a layer needs a name")
        return name

    @staticmethod
    def _valid_opacity(opacity: float) -> float:
        opacity = float(opacity)
        if not (0.0 <= opacity <= 1.0) or math.isnan(opacity):
            raise ValueError(f"opacity must lie between 0 and 1, got {opacity}")
        return opacity


def _numeric_columns(columns: dict) -> list[str]:
    return [name for name, values in columns.items() if values.dtype.kind in "biuf"]


class PointCloudLayer(Layer):
    kind = "pointcloud"
    data_types = (PointCloudData,)

    def color_attributes(self) -> list[str]:
        return ["elevation", *_numeric_columns(self.data.attributes)]

    def attribute_values(self, attribute: str) -> np.ndarray:
        return self.data.xyz[:, 2] if attribute == "elevation" else self.data.attributes[attribute]

    def attribute_unit(self, attribute: str) -> str:
        # heights are a coordinate: metres in every projected CRS the twin accepts
        return "m" if attribute == "elevation" else ""


class BuildingsLayer(Layer):
    kind = "buildings"
    data_types = (BuildingData,)

    def color_attributes(self) -> list[str]:
        return _numeric_columns(self.data.attributes)


class RasterLayer(Layer):
    kind = "raster"
    data_types = (RasterData,)

    def color_attributes(self) -> list[str]:
        return ["elevation"]

    def attribute_values(self, attribute: str) -> np.ndarray:
        return self.data.values

    def attribute_unit(self, attribute: str) -> str:
        return self.data.units


class StreetsLayer(Layer):
    kind = "streets"
    data_types = (StreetData,)

    def color_attributes(self) -> list[str]:
        return _numeric_columns(self.data.attributes)


class SensorsLayer(Layer):
    kind = "sensors"
    data_types = (SensorData,)

    def color_attributes(self) -> list[str]:
        return _numeric_columns(self.data.attributes)


class ResultLayer(Layer):
    """Base of simulation results: the run that made them and the time step shown.

    Results over time are grids with `times` (depth snapshots) or tables with one column per
    year of a series (`condition_2026`, `condition_2027`...); `time_index` picks the step shown.
    Build one with `result_layer`, which picks the class for the data.
    """

    kind = "result"
    data_types: ClassVar[tuple[type, ...]] = ()

    def __init__(self, data: ResultRaster | ResultTable, name: str, *, run_id: str = "",
                 **kwargs: Any) -> None:
        super().__init__(data, name, **kwargs)
        self.run_id = run_id
        self._time_index = 0

    def _check_data(self, data: Any) -> None:
        if type(self) is ResultLayer:
            raise TypeError("ResultLayer is the base of ResultRasterLayer and ResultTableLayer: "
                            "make a result layer with result_layer(data, name)")
        super()._check_data(data)

    @property
    def time_labels(self) -> list[str]:
        """One label per time step ("15 min", "2031"); empty for a result without time steps."""
        return []

    @property
    def time_steps(self) -> int:
        return len(self.time_labels) or 1

    @property
    def time_index(self) -> int:
        return self._time_index

    @time_index.setter
    def time_index(self, index: int) -> None:
        if not 0 <= index < self.time_steps:
            raise ValueError(f"time step {index} outside 0..{self.time_steps - 1}")
        if index != self._time_index:
            self._time_index = index
            self.events.time_index.emit(index)

    def default_color_by(self) -> str | None:
        """The attribute that shows what the result is about, drawn while the user has chosen none."""
        attributes = self.color_attributes()
        return attributes[0] if attributes else None


class ResultRasterLayer(ResultLayer):
    """A simulated grid, or a stack of grids over time (flood depth snapshots)."""

    data_types = (ResultRaster,)

    @property
    def time_labels(self) -> list[str]:
        if self.data.times is None:
            return []
        return [f"{seconds / 60:g} min" for seconds in np.round(np.asarray(self.data.times, dtype=float))]

    def color_attributes(self) -> list[str]:
        return [self.data.name]

    def attribute_values(self, attribute: str) -> np.ndarray:
        return self.data.values  # every step: one colour range keeps steps comparable

    def attribute_unit(self, attribute: str) -> str:
        return self.data.units

    def _attribute_words(self, attribute: str) -> str:
        return self.data.label or super()._attribute_words(attribute)


class ResultTableLayer(ResultLayer):
    """Simulated values per feature of another layer (buildings, street segments, stations),
    optionally a series of one column per year, drawn on that layer's features."""

    data_types = (ResultTable,)

    @property
    def crs(self) -> str | None:
        return None

    @property
    def bounds(self) -> Bounds:
        return (float("nan"),) * 4

    @property
    def georeferenced(self) -> bool:
        return False

    @property
    def time_labels(self) -> list[str]:
        return [str(year) for year in year_series(self.data.columns)[0]]

    def color_attributes(self) -> list[str]:
        """Its year series (shown at the current step), then its other numbers."""
        _years, series = year_series(self.data.columns)
        in_series = {column for columns in series.values() for column in columns}
        return [*series, *(name for name in _numeric_columns(self.data.columns) if name not in in_series)]

    def default_color_by(self) -> str | None:
        """The table's declared headline; without one, its last float column."""
        attributes = self.color_attributes()
        if self.data.headline in attributes:
            return self.data.headline
        columns = self.data.columns
        floats = [name for name in attributes if name in columns and columns[name].dtype.kind == "f"]
        return floats[-1] if floats else super().default_color_by()

    def values_of(self, attribute: str, step: int | None = None) -> np.ndarray:
        """A column, or a year series' column at a time step (default: the current one)."""
        series = self._series(attribute)
        if series:
            return self.data.columns[series[self._time_index if step is None else step]]
        return self.data.columns[attribute]

    def attribute_values(self, attribute: str) -> np.ndarray:
        series = self._series(attribute)
        if series:
            return np.concatenate([self.data.columns[column] for column in series])
        return self.data.columns[attribute]

    def attribute_unit(self, attribute: str) -> str:
        """The declared unit of a column (of a year series: of its columns)."""
        series = self._series(attribute)
        return self.data.units.get(attribute) or (self.data.units.get(series[0], "") if series else "")

    def _attribute_words(self, attribute: str) -> str:
        return self.data.labels.get(attribute) or super()._attribute_words(attribute)

    def _series(self, attribute: str) -> list[str]:
        """The columns of a year series in year order; [] for a plain column."""
        if attribute in self.data.columns:
            return []
        return year_series(self.data.columns)[1].get(attribute, [])


RESULT_LAYER_TYPES: dict[type, type[ResultLayer]] = {ResultRaster: ResultRasterLayer,
                                                      ResultTable: ResultTableLayer}


def result_layer(data: ResultRaster | ResultTable, name: str, **kwargs: Any) -> ResultLayer:
    """The result layer class for the data: a grid layer or a table layer."""
    layer_type = RESULT_LAYER_TYPES.get(type(data))
    if layer_type is None:
        raise TypeError(f"a result layer holds a ResultRaster or a ResultTable, not {type(data).__name__}")
    return layer_type(data, name, **kwargs)


_YEAR_COLUMN = re.compile(r"^(?P<series>.+)_(?P<year>\d{4})$")


def year_series(columns: dict[str, np.ndarray]) -> tuple[list[int], dict[str, list[str]]]:
    """Columns holding one value per year: (the years, {series name: its columns in year order}).

    A series counts when it has a column for every year of the longest one (`class_2026` ...).
    """
    by_series: dict[str, dict[int, str]] = {}
    for name in columns:
        match = _YEAR_COLUMN.match(name)
        if match and columns[name].dtype.kind in "biuf":
            by_series.setdefault(match["series"], {})[int(match["year"])] = name
    longest = max(by_series.values(), key=len, default={})
    if len(longest) < 2:
        return [], {}
    years = sorted(longest)
    series = {name: [columns_by_year[year] for year in years] for name, columns_by_year in by_series.items()
              if set(years) <= set(columns_by_year)}
    return years, series
