"""Readers and writers: files in, plain data out. Every failure is a TwinIOError."""

from twin.io.errors import MissingCRSError, TwinIOError
from twin.io.formats import file_info, format_for, read_layer
from twin.io.quarters import read_quarters, read_quarters_in
from twin.io.raster import read_raster, write_geotiff
from twin.io.tables import write_table_csv

__all__ = [
    "MissingCRSError",
    "TwinIOError",
    "file_info",
    "format_for",
    "read_layer",
    "read_quarters",
    "read_quarters_in",
    "read_raster",
    "write_geotiff",
    "write_table_csv",
]
