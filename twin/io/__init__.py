"""Readers and writers: files in, plain data out. Every failure is a TwinIOError."""

from twin.io.errors import MissingCRSError, TwinIOError
from twin.io.formats import file_info, format_for, read_layer
from twin.io.quarters import read_quarters
from twin.io.raster import read_raster, write_geotiff
from twin.io.tables import write_table_csv

__all__ = [
    "MissingCRSError",
    "TwinIOError",
    "file_info",
    "format_for",
    "read_layer",
    "read_quarters",
    "read_raster",
    "write_geotiff",
    "write_table_csv",
]
