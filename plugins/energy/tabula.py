"""TABULA heating energy need q_h_nd per building type and construction-year class.

The table (see the package docstring for its source) lists, per region (N: Germany, East: East
German prefabricated and post-war stock), type (SFH, TH, MFH, AB) and year class, q_h_nd in
kWh/(m2 a) of the conditioned floor area for the existing state and after usual and advanced
refurbishment. Boundary conditions: 20 C inside, 216 heating days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TABLE_PATH = Path(__file__).with_name("tabula_DE_qhnd.txt")
TYPES = ("SFH", "TH", "MFH", "AB")
STATES = ("existing", "usual", "advanced")
# Hot water need in kWh/(m2 a) (TABULA): single-family and terraced houses 10, flats 15.
HOT_WATER = {"SFH": 10.0, "TH": 10.0, "MFH": 15.0, "AB": 15.0}
# Where a type has no row for a year class (TH and AB lack some), the type that has them all.
_FALLBACK_TYPE = {"AB": "MFH", "TH": "SFH", "MFH": "MFH", "SFH": "SFH"}


@dataclass(frozen=True)
class TabulaRow:
    region: str
    type: str
    year_class: int
    first_year: int
    last_year: int
    reference_area: float
    q_h_nd: tuple[float, float, float]  # existing, usual, advanced refurbishment


def read_table(path: Path = TABLE_PATH) -> list[TabulaRow]:
    """The rows of the extract, as written."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip():
            continue
        head, values = line.split(":")
        region, kind, year_class, years, area = head.split()
        first, last = years.split("-")
        rows.append(TabulaRow(region, kind, int(year_class), int(first), int(last),
                              float(area.removeprefix("A=")),
                              tuple(float(v) for v in values.split("/"))))  # type: ignore[arg-type]
    return rows


class Typology:
    """Look-ups of q_h_nd by type and construction year; East German rows win where they exist."""

    def __init__(self, rows: list[TabulaRow] | None = None) -> None:
        rows = read_table() if rows is None else rows
        self._rows = {(row.region, row.type, row.year_class): row for row in rows}
        classes = sorted({(row.year_class, row.first_year, row.last_year) for row in rows})
        self._class_numbers = np.array([number for number, _, _ in classes])
        self._class_last_years = np.array([last for _, _, last in classes])

    def year_class(self, years: np.ndarray) -> np.ndarray:
        """The TABULA construction-year class number of each year."""
        index = np.searchsorted(self._class_last_years, np.asarray(years, dtype=float), side="left")
        return self._class_numbers[np.minimum(index, len(self._class_numbers) - 1)]

    def row(self, kind: str, year: float) -> TabulaRow:
        """The row for one building type and construction year."""
        year_class = int(self.year_class(np.array([year]))[0])
        for candidate in (kind, _FALLBACK_TYPE[kind]):
            for region in ("East", "N"):
                found = self._rows.get((region, candidate, year_class))
                if found is not None:
                    return found
        raise KeyError(f"no TABULA row for {kind} in year class {year_class}")

    def q_h_nd(self, kinds: np.ndarray, years: np.ndarray) -> np.ndarray:
        """q_h_nd (kWh/(m2 a)) per building: shape (buildings, 3) for existing / usual / advanced."""
        lookup = np.array([[self.row(kind, float(last)).q_h_nd for last in self._class_last_years]
                           for kind in TYPES])
        type_index = np.searchsorted(np.array(sorted(TYPES)), np.asarray(kinds, dtype=str))
        type_index = np.array([TYPES.index(kind) for kind in sorted(TYPES)])[type_index]
        class_index = np.searchsorted(self._class_numbers, self.year_class(years))
        return lookup[type_index, class_index]
