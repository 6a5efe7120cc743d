"""Which reader takes which file, and the `info` summary every reader provides.

`file_info` returns one JSON-ready dict per file with at least:
    path, kind (pointcloud | buildings | raster | streets | sensors), format, version,
    crs ("EPSG:NNNN" or null), bounds ([minx, miny, minz, maxx, maxy, maxz], or 2-D
    [minx, miny, maxx, maxy] for rasters and lines; null on an axis without data)
and the counts of its kind:
    pointcloud: points, classes {"2": n, ...}
    buildings:  buildings, buildings_without_geometry, building_parts, surfaces {"roof": n, ...},
                triangles, skipped_polygons
    raster:     width, height, resolution [x, y], nodata (an .xyz grid also: points, missing_cells)
and, where there is something to say, `notes`: sentences such as heights in another vertical
reference than DHHN2016. A folder of tiles gives the summary of their mosaic, with `tiles`.
    streets:    features
    sensors:    stations, datastreams, observations
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from twin.core.data import RasterData
from twin.core.errors import CRSError
from twin.core.feedback import Feedback
from twin.core.layers import BuildingsLayer, Layer, PointCloudLayer, RasterLayer, SensorsLayer, StreetsLayer
from twin.io.archive import is_zip, readable_members, unpacked
from twin.io.citygml import citygml_info, read_citygml
from twin.io.cityjson import cityjson_info, is_cityjson, read_cityjson
from twin.io.errors import MissingCRSError, TwinIOError
from twin.io.isolated import read_isolated
from twin.io.lidar import point_cloud_info, read_point_cloud
from twin.io.raster import raster_info, read_raster
from twin.io.reproject import to_crs
from twin.io.sensors import csv_partner_name, is_sensorthings, read_sensors, sensors_info
from twin.io.streets import is_geojson, read_streets, streets_info
from twin.io.vertical import vertical_note
from twin.io.xyz import read_xyz, xyz_info

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileFormat:
    """A family of files one reader takes."""

    kind: str
    suffixes: tuple[str, ...]
    read: Callable[[Path, str | None], Any]
    info: Callable[[Path, str | None], dict[str, Any]]
    layer_type: type[Layer]
    # Where formats share a suffix (.json: CityJSON, GeoJSON, SensorThings), the first bytes decide.
    sniff: Callable[[bytes], bool] | None = None
    # Readers of files that can be large take a `feedback` keyword: progress, and Cancel mid-read.
    reports_progress: bool = False
    # A decoder in native code that can still take its process down (twin/io/isolated.py).
    native_decoder: bool = False

    def takes(self, name: str, head: Callable[[], bytes]) -> bool:
        return name.endswith(self.suffixes) and (self.sniff is None or self.sniff(head()))


# One line per reader; a .zip holding one file of these kinds (or one sensor CSV pair) is read
# through the same line.
FORMATS: tuple[FileFormat, ...] = (
    FileFormat("raster", (".tif", ".tiff", ".asc"), read_raster, raster_info, RasterLayer),
    FileFormat("raster", (".xyz",), read_xyz, xyz_info, RasterLayer, reports_progress=True),
    FileFormat("pointcloud", (".las", ".laz"), read_point_cloud, point_cloud_info, PointCloudLayer,
               reports_progress=True, native_decoder=True),
    FileFormat("buildings", (".gml", ".xml", ".citygml"), read_citygml, citygml_info, BuildingsLayer,
               reports_progress=True),
    FileFormat("buildings", (".city.json", ".cityjson", ".json"), read_cityjson, cityjson_info,
               BuildingsLayer, sniff=is_cityjson),
    FileFormat("streets", (".geojson", ".gpkg"), read_streets, streets_info, StreetsLayer),
    FileFormat("streets", (".json",), read_streets, streets_info, StreetsLayer, sniff=is_geojson),
    FileFormat("sensors", (".json",), read_sensors, sensors_info, SensorsLayer, sniff=is_sensorthings),
    FileFormat("sensors", (".csv",), read_sensors, sensors_info, SensorsLayer),
)


def format_for(path: Path) -> FileFormat:
    """The format whose suffix the file has, or a TwinIOError listing what the twin reads."""
    name = path.name.lower()
    head = cache(lambda: _head(path))
    for file_format in FORMATS:
        if file_format.takes(name, head):
            return file_format
    readable = ", ".join(suffix for f in FORMATS for suffix in f.suffixes)
    raise TwinIOError(path, f"the twin has no reader for this kind of file (it reads {readable}, "
                            "or a .zip holding one of them)")


def file_info(path: Path | str, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a file (see the module doc for its keys)."""
    if Path(path).is_dir():
        from twin.io.mosaic import tiles_info  # the mosaic reads its tiles through this module

        return _json_ready(tiles_info(Path(path), crs))
    path = _existing(path)
    with _readable_file(path) as (readable, member):
        file_format = format_for(readable)
        info = file_format.info(readable, crs)
        note = vertical_note(readable, file_format.kind)
    extra = {"member": member} if member else {}
    notes = {"notes": [note]} if note else {}
    return _json_ready({"path": str(path), **extra, "kind": file_format.kind, **info, **notes})


def _json_ready(value: Any) -> Any:
    """The summary with null for every NaN or infinite number (no data on that axis): JSON has
    no NaN, and a summary must never pass one on as a figure."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_layer(path: Path | str, crs: str | None = None, name: str | None = None,
               to: str | None = None, feedback: Feedback | None = None,
               notes: list[str] | None = None, isolate: bool = False) -> Layer:
    """Read a file into a layer of its kind, named after the file unless a name is given.

    `crs` is assumed where the file names none; `to` is the scene CRS the data is brought into.
    `feedback` hears the reading progress and may cancel it (raising Canceled). A folder opens
    as one layer of its tiles (twin/io/mosaic.py). What the user should know about the data
    (heights in another vertical reference, a raster warped into the scene's CRS) is appended
    to `notes`. With `isolate`, a format whose decoder can crash is read in a child process
    (twin/io/isolated.py): what the desktop app does, as it holds unsaved work.
    """
    notes = [] if notes is None else notes
    if Path(path).is_dir():
        from twin.io.mosaic import read_tiles_layer, tile_paths  # the mosaic reads tiles through here

        return read_tiles_layer(tile_paths(Path(path)), crs=crs, name=name or Path(path).name, to=to,
                                feedback=feedback, notes=notes, source=Path(path))
    path = _existing(path)
    file_format, data = read_data(path, crs, feedback or Feedback(), notes, isolate)
    if to is not None:
        data = in_scene_crs(path, data, to, notes)
    return file_format.layer_type(data, name or path.stem, source=path)


def read_data(path: Path, crs: str | None, feedback: Feedback, notes: list[str],
              isolate: bool = False) -> tuple[FileFormat, Any]:
    """A file's format and its data in the file's own CRS (`crs` where it names none)."""
    with _readable_file(path) as (readable, _member):
        file_format = format_for(readable)
        if isolate and file_format.native_decoder:
            data = read_isolated(file_format.read, readable, crs, feedback)
        elif file_format.reports_progress:
            data = file_format.read(readable, crs, feedback=feedback)
        else:
            data = file_format.read(readable, crs)
        note = vertical_note(readable, file_format.kind)
    feedback.check()
    if note:
        notes.append(note)
    return file_format, data


def in_scene_crs(path: Path, data: Any, scene_crs: str, notes: list[str]) -> Any:
    """The data in the scene's CRS; a note says so where it had to be moved (and for a raster,
    that its cells were resampled)."""
    if data.crs is None:
        raise MissingCRSError(path, f"the file names no coordinate reference system; give one "
                                    f"(the scene uses {scene_crs})")
    try:
        moved = to_crs(data, scene_crs)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None
    if moved is not data:
        notes.append(reprojection_note(path, data, moved))
    return moved


def reprojection_note(path: Path, data: Any, moved: Any) -> str:
    """One sentence on how data came into the scene's CRS."""
    if not isinstance(data, RasterData):
        return f"{path.name} was reprojected from {data.crs} into the scene's {moved.crs}"
    (rows, cols), (rows_now, cols_now) = data.shape, moved.shape
    return (f"{path.name} was warped from {data.crs} into the scene's {moved.crs}: its {cols} x {rows} "
            f"cells of {data.resolution[0]:g} m were resampled (bilinear) into {cols_now} x {rows_now} "
            f"cells of {moved.resolution[0]:.4g} m")


@contextmanager
def _readable_file(path: Path) -> Iterator[tuple[Path, str | None]]:
    """The file itself, or the one readable member of a zip unpacked for the time of reading."""
    if not is_zip(path):
        yield path, None
        return
    suffixes = tuple(suffix for f in FORMATS for suffix in f.suffixes)
    members = readable_members(path, suffixes, partner=csv_partner_name)
    member = members[0]
    with unpacked(path, members) as member_path:
        try:
            yield member_path, member
        except TwinIOError as error:
            raise TwinIOError(path, f"{member} in the zip: {error.problem}") from None


def _head(path: Path) -> bytes:
    """The first bytes of a file, enough for a sniffer to tell formats apart."""
    try:
        with path.open("rb") as stream:
            return stream.read(SNIFF_BYTES)
    except OSError as error:
        raise TwinIOError(path, f"the file cannot be opened ({error.strerror})") from None


def _existing(path: Path | str) -> Path:
    path = Path(path)
    if not path.exists():
        raise TwinIOError(path, "the file does not exist")
    if path.is_dir():
        raise TwinIOError(path, "this is a folder, not a file")
    return path
