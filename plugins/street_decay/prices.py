"""Unit costs at the run's price level: the construction price index table and the factor from it.

The unit costs (treatments.py) are in the prices of one year (the parameter cost_price_year):
to compare them with a budget of the forecast's start year they are scaled by the ratio of the
road-building price index of the two years. The index is an editable table next to this module
(price_index.csv: its source, licence and state are written in its head).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from twin.io.errors import TwinIOError

PRICE_INDEX_FILE = Path(__file__).with_name("price_index.csv")


def read_price_index(path: Path = PRICE_INDEX_FILE) -> dict[int, float]:
    """The index by year from a 'year,index' table ('#' lines are notes); TwinIOError on a bad line."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as error:
        raise TwinIOError(path, f"cannot be read as a price index table ({error})") from None
    rows = list(csv.reader(lines))
    if not rows or [cell.strip() for cell in rows[0]] != ["year", "index"]:
        raise TwinIOError(path, "needs the heading 'year,index' before its rows")
    table: dict[int, float] = {}
    for number, row in enumerate(rows[1:], start=2):
        try:
            year, index = int(row[0]), float(row[1])
        except (ValueError, IndexError):
            raise TwinIOError(path, f"row {number} of the table is not a year and an index: {row}") from None
        if not index > 0:
            raise TwinIOError(path, f"the index of {year} must be a positive number, not {row[1]}")
        table[year] = index
    return table


def cost_factor(table: dict[int, float], price_year: int, run_year: int) -> tuple[float, dict[str, Any]]:
    """The factor from prices of `price_year` to those of `run_year`, and what it rests on.

    A run year past the table's last year takes the last year's index (said in the note); a
    price year the table lacks leaves the costs unindexed (factor 1), said so too.
    """
    basis: dict[str, Any] = {"price_year": price_year, "indexed_to": None, "index_factor": 1.0}
    if price_year not in table:
        basis["note"] = (f"unit costs in {price_year} prices, not indexed: the price index table has no "
                         f"value for {price_year} ({PRICE_INDEX_FILE.name})")
        return 1.0, basis
    known = [year for year in table if year <= run_year]
    if not known:
        basis["note"] = f"unit costs in {price_year} prices, not indexed: the table starts after {run_year}"
        return 1.0, basis
    latest = max(known)
    factor = table[latest] / table[price_year]
    basis.update(indexed_to=latest, index_factor=round(factor, 4))
    if latest < run_year:
        basis["note"] = f"indexed to {latest}, the table's latest year before {run_year}"
    return factor, basis
