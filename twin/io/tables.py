"""Result tables (values per building, segment or station) as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from twin.core.atomic import write_atomic
from twin.core.data import ResultTable


def write_table_csv(path: Path, table: ResultTable) -> None:
    """One row per feature; column headers carry their units, e.g. 'max_depth [m]'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(table.columns)
    writer.writerow([f"{name} [{table.units[name]}]" if table.units.get(name) else name
                     for name in names])
    columns = [np.asarray(table.columns[name]).tolist() for name in names]
    writer.writerows(zip(*columns, strict=True))
    write_atomic(path, buffer.getvalue())
