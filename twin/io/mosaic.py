"""Tiles of one kind opened as one layer: a folder (or a list) of GeoSN's 2 km tiles.

- Terrain tiles become one grid: each tile is read in its own grid and pasted into the
  mosaic by integer cell offset (the windowed reads of a GDAL VRT, but also for `.xyz` and
  zipped tiles that GDAL cannot mosaic). The tiles must share CRS and cell size and lie on one
  grid; where two overlap, the first tile's cells are kept.
- LiDAR tiles become one point cloud sampled fairly across the tiles: each keeps the same share
  of its points (its budget is the display budget times its share of all the points), so a
  dense tile is not thinned more than a sparse one.
- LoD2 tiles become one building layer; a building that crosses a tile edge is delivered in
  both tiles with the same gml:id and is kept once (the first tile's copy).

Tiles in different CRSs are refused: one delivery comes in one CRS, and a mosaic across two
would warp some tiles' cells.

A city is not read whole: `TerrainMosaic` reads the tiles' headers only and then any box by
window, opening only the tiles the box touches (and writes the same mosaic as a GDAL VRT for
other tools); `read_tiles_window` reads a box of terrain, LiDAR or LoD2 tiles so, each LoD2
building once and only where its footprint meets the box.
"""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import laspy
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.windows import Window

from twin.core.atomic import write_atomic
from twin.core.crs import normalize_crs
from twin.core.data import BuildingData, PointCloudData, RasterData
from twin.core.feedback import Feedback
from twin.core.layers import BuildingsLayer, Layer, PointCloudLayer, RasterLayer
from twin.io.archive import is_zip, readable_members
from twin.io.errors import TwinIOError
from twin.io.formats import FORMATS, _readable_file, file_info, in_scene_crs, read_data
from twin.io.lidar import DEFAULT_BUDGET, read_point_cloud
from twin.io.model_cache import cache_dir
from twin.io.raster import write_geotiff
from twin.io.sensors import csv_partner_name
from twin.io.tiles import tile_of_name
from twin.io.vertical import vertical_note

# Cells of two tiles are on one grid where their origins differ by whole cells, to this share.
ALIGN_TOLERANCE = 1e-3
_LAYER_TYPES: dict[str, type[Layer]] = {"raster": RasterLayer, "pointcloud": PointCloudLayer,
                                        "buildings": BuildingsLayer}
# Counts that add up over tiles in `info`.
_SUMMED = ("points", "buildings", "buildings_without_geometry", "building_parts", "triangles",
           "skipped_polygons", "missing_cells")


def tile_paths(folder: Path) -> list[Path]:
    """The files of a folder the twin reads (zips included), by name; sidecar files are skipped."""
    suffixes = (*(suffix for f in FORMATS for suffix in f.suffixes), ".zip")
    try:
        files = sorted(path for path in folder.iterdir()
                       if path.is_file() and not path.name.startswith(".")
                       and path.name.lower().endswith(suffixes))
    except OSError as error:
        raise TwinIOError(folder, f"the folder cannot be listed ({error.strerror})") from None
    if not files:
        raise TwinIOError(folder, "the folder holds no file the twin reads")
    return files


def read_tiles_layer(paths: list[Path], crs: str | None = None, name: str | None = None,
                     to: str | None = None, feedback: Feedback | None = None,
                     notes: list[str] | None = None, source: Path | None = None,
                     budget: int = DEFAULT_BUDGET) -> Layer:
    """Tiles of one kind as one layer (see the module doc); `source` names them in messages and
    projects (the folder they came from); `budget`: the points LiDAR tiles keep together.
    `crs`, `to`, `feedback` and `notes` as for read_layer."""
    paths = [Path(path) for path in paths]
    if not paths:
        raise ValueError("a mosaic needs at least one tile")
    where = source or paths[0].parent
    feedback = feedback or Feedback()
    notes = [] if notes is None else notes
    kind = _kind_by_name(where, paths)
    if kind == "pointcloud":
        data = _point_cloud(where, paths, crs, feedback, notes, budget)
    else:
        data, kind = _joined(where, paths, crs, feedback, notes)
    if to is not None:
        data = in_scene_crs(where, data, to, notes)
    return _LAYER_TYPES[kind](data, name or where.name, source=where)


# ----------------------------------------------------------------------------- windowed reads

Bounds = tuple[float, float, float, float]
_VRT_NODATA = -9999.0


@dataclass(frozen=True)
class _RasterTile:
    """A terrain tile as GDAL reads it: the tile itself, or its cached GeoTIFF copy (.xyz, zips)."""

    source: Path  # the tile the user gave
    readable: Path  # what rasterio opens
    transform: Affine
    shape: tuple[int, int]
    crs: str | None

    @property
    def bounds(self) -> Bounds:
        west, north = self.transform.c, self.transform.f
        return west, north + self.transform.e * self.shape[0], west + self.transform.a * self.shape[1], north


class TerrainMosaic:
    """Terrain tiles as one virtual grid, read by window: only the tiles a window touches are
    opened, and of each only the cells inside it (a GDAL VRT's reads, here also for `.xyz` and
    zipped tiles: those are converted once into GeoTIFFs in the twin's cache folder). Only the
    tiles' headers are read to set the grid up. `touched` lists the tiles read so far."""

    def __init__(self, paths: Sequence[Path], crs: str | None = None, source: Path | None = None,
                 feedback: Feedback | None = None) -> None:
        paths = [Path(path) for path in paths]
        if not paths:
            raise ValueError("a mosaic needs at least one tile")
        self.source = source or paths[0].parent
        feedback = feedback or Feedback()
        self.tiles = [_raster_tile(path, crs, feedback.span(n / len(paths), (n + 1) / len(paths)))
                      for n, path in enumerate(paths)]
        first = self.tiles[0]
        for tile in self.tiles[1:]:
            _check_same_crs(self.source, (first.source, first), tile.source, tile)
            _check_tile_grid(self.source, first, tile)
        self.crs = first.crs
        self.cell = (first.transform.a, -first.transform.e)
        west = min(tile.bounds[0] for tile in self.tiles)
        north = max(tile.bounds[3] for tile in self.tiles)
        self.transform = Affine(self.cell[0], 0.0, west, 0.0, -self.cell[1], north)
        self.shape = (round((north - min(t.bounds[1] for t in self.tiles)) / self.cell[1]),
                      round((max(t.bounds[2] for t in self.tiles) - west) / self.cell[0]))
        self.touched: list[Path] = []

    @property
    def bounds(self) -> Bounds:
        west, north = self.transform.c, self.transform.f
        return west, north - self.cell[1] * self.shape[0], west + self.cell[0] * self.shape[1], north

    def window_of(self, bounds: Bounds) -> tuple[slice, slice]:
        """The rows and columns of the mosaic's grid a box covers (grown to whole cells, clipped)."""
        inverse = ~self.transform
        cols, rows = zip(inverse @ (bounds[0], bounds[3]), inverse @ (bounds[2], bounds[1]), strict=True)
        row_start, col_start = max(0, math.floor(min(rows) + 1e-9)), max(0, math.floor(min(cols) + 1e-9))
        row_stop = min(self.shape[0], math.ceil(max(rows) - 1e-9))
        col_stop = min(self.shape[1], math.ceil(max(cols) - 1e-9))
        if row_stop <= row_start or col_stop <= col_start:
            raise TwinIOError(self.source, f"the box {_box_text(bounds)} lies outside the tiles "
                                           f"({_box_text(self.bounds)})")
        return slice(row_start, row_stop), slice(col_start, col_stop)

    def read_window(self, bounds: Bounds | None = None, *, factor: int = 1) -> RasterData:
        """The cells of a box (None: all), from the tiles it touches; NaN where no tile is.
        `factor` > 1 reads averages over factor x factor blocks (for an overview of a city)."""
        rows, cols = self.window_of(bounds or self.bounds)
        shape = ((rows.stop - rows.start) // factor, (cols.stop - cols.start) // factor)
        values = np.full(shape, np.nan, dtype=np.float32)
        for tile in self.tiles:
            self._paste(tile, rows, cols, factor, values)
        transform = self.transform @ Affine.translation(cols.start, rows.start) @ Affine.scale(factor)
        return RasterData(values=values, transform=transform, crs=self.crs, nodata=None)

    def read(self) -> RasterData:
        return self.read_window(None)

    def write_vrt(self, path: Path) -> Path:
        """The mosaic as a GDAL VRT file (for QGIS or gdal tools), pointing at the readable tiles."""
        sources = "".join(_vrt_source(tile, self.transform) for tile in self.tiles)
        crs = f"<SRS>{escape(CRS.from_user_input(self.crs).to_wkt())}</SRS>" if self.crs else ""
        geo = ", ".join(f"{value!r}" for value in self.transform.to_gdal())
        text = (f'<VRTDataset rasterXSize="{self.shape[1]}" rasterYSize="{self.shape[0]}">{crs}'
                f"<GeoTransform>{geo}</GeoTransform>"
                f'<VRTRasterBand dataType="Float32" band="1"><NoDataValue>{_VRT_NODATA}</NoDataValue>'
                f"{sources}</VRTRasterBand></VRTDataset>\n")
        write_atomic(path, text)
        return path

    def _paste(self, tile: _RasterTile, rows: slice, cols: slice, factor: int, values: np.ndarray) -> None:
        """Read the part of `tile` inside the window into `values` where nothing is yet."""
        tile_row = round((self.transform.f - tile.transform.f) / self.cell[1])
        tile_col = round((tile.transform.c - self.transform.c) / self.cell[0])
        row_start, row_stop = max(rows.start, tile_row), min(rows.stop, tile_row + tile.shape[0])
        col_start, col_stop = max(cols.start, tile_col), min(cols.stop, tile_col + tile.shape[1])
        # whole output blocks only: a block's cells all come from the window
        out_row0, out_col0 = -(-(row_start - rows.start) // factor), -(-(col_start - cols.start) // factor)
        out_row1, out_col1 = (row_stop - rows.start) // factor, (col_stop - cols.start) // factor
        out_row1, out_col1 = min(out_row1, values.shape[0]), min(out_col1, values.shape[1])
        if out_row1 <= out_row0 or out_col1 <= out_col0:
            return
        window = Window(col_off=cols.start + out_col0 * factor - tile_col,
                        row_off=rows.start + out_row0 * factor - tile_row,
                        width=(out_col1 - out_col0) * factor, height=(out_row1 - out_row0) * factor)
        self.touched.append(tile.source)
        part = _read_tile_window(tile, window, (out_row1 - out_row0, out_col1 - out_col0))
        target = values[out_row0:out_row1, out_col0:out_col1]
        empty = np.isnan(target)  # where tiles overlap, the first one's cells stay
        target[empty] = part[empty]


def read_tiles_window(paths: Sequence[Path], bounds: Bounds, crs: str | None = None,
                      feedback: Feedback | None = None, notes: list[str] | None = None,
                      budget: int = DEFAULT_BUDGET, source: Path | None = None) -> Any:
    """The data of tiles of one kind inside a box, reading only the tiles that reach into it:
    terrain by window (TerrainMosaic), LiDAR tiles whose header bounds meet the box (points
    outside it dropped), LoD2 tiles whose GeoSN name places them at the box (a tile without a
    GeoSN name is read to be sure) with the buildings whose footprint meets the box, each once."""
    paths = [Path(path) for path in paths]
    where = source or paths[0].parent
    return _window_of_tiles(where, paths, bounds, crs, feedback or Feedback(), [] if notes is None else notes,
                            budget)[0]


def read_folder_window(folder: Path, bounds: Bounds, crs: str | None = None, name: str | None = None,
                       to: str | None = None, feedback: Feedback | None = None,
                       notes: list[str] | None = None) -> Layer | None:
    """A folder of tiles as a layer of what meets a box (in the tiles' CRS), reading only the tiles
    that reach into it (read_tiles_window); None where none does. A folder of another kind than
    terrain, LiDAR or LoD2 tiles is read whole. `notes` hears how many of its tiles were read;
    `crs`, `name`, `to` and `feedback` as for read_layer."""
    paths = tile_paths(folder)
    notes = [] if notes is None else notes
    if _kind_by_name(folder, paths) not in ("raster", "pointcloud", "buildings", None):
        return read_tiles_layer(paths, crs, name, to, feedback, notes, folder)
    data, read = _window_of_tiles(folder, paths, bounds, crs, feedback or Feedback(), notes, DEFAULT_BUDGET)
    if data is None:
        return None
    notes.append(f"{folder.name}: {len(read)} of its {len(paths)} tiles read, those reaching "
                 f"{_box_text(bounds)}")
    if to is not None:
        data = in_scene_crs(folder, data, to, notes)
    layer_type = {RasterData: RasterLayer, PointCloudData: PointCloudLayer, BuildingData: BuildingsLayer}
    return layer_type[type(data)](data, name or folder.name, source=folder)


def _window_of_tiles(where: Path, paths: list[Path], bounds: Bounds, crs: str | None, feedback: Feedback,
                     notes: list[str], budget: int) -> tuple[Any, list[Path]]:
    """What read_tiles_window reads, and the tiles it read."""
    kind = _kind_by_name(where, paths)
    if kind == "raster":
        mosaic = TerrainMosaic(paths, crs, where, feedback)
        return mosaic.read_window(bounds), list(dict.fromkeys(mosaic.touched))
    if kind == "pointcloud":
        near = [path for path in paths if _boxes_meet(_las_bounds(path), bounds)]
        cloud = _point_cloud(where, near, crs, feedback, notes, budget) if near else None
        return (None if cloud is None else _points_inside(cloud, bounds)), near
    near = [path for path in paths if _named_box_meets(path, bounds)]
    if not near:
        return None, []
    data, kind = _joined(where, near, crs, feedback, notes)
    if kind != "buildings":
        raise TwinIOError(where, f"holds {kind} files; a window is read only of terrain, LiDAR or "
                                 "building tiles")
    return buildings_in_box(data, bounds), near


def buildings_in_box(data: BuildingData, bounds: Bounds) -> BuildingData:
    """The buildings whose footprint (or, without one, whose geometry's extent) meets the box."""
    box = shapely.box(*bounds)
    with np.errstate(invalid="ignore"):
        meets = np.array([footprint is not None and shapely.intersects(footprint, box)
                          for footprint in data.footprints], dtype=bool)
    without = np.array([footprint is None for footprint in data.footprints], dtype=bool)
    if without.any():
        meets |= without & _vertex_boxes_meet(data, bounds)
    return buildings_subset(data, meets)


def _vertex_boxes_meet(data: BuildingData, bounds: Bounds) -> np.ndarray:
    corners = data.vertices[data.triangles].reshape(-1, 3 * 3)[:, [0, 1, 3, 4, 6, 7]].reshape(-1, 3, 2)
    low, high = np.full((len(data), 2), np.inf), np.full((len(data), 2), -np.inf)
    np.minimum.at(low, data.triangle_building, corners.min(axis=1))
    np.maximum.at(high, data.triangle_building, corners.max(axis=1))
    return ((low[:, 0] <= bounds[2]) & (high[:, 0] >= bounds[0])
            & (low[:, 1] <= bounds[3]) & (high[:, 1] >= bounds[1]))


def _raster_tile(path: Path, crs: str | None, feedback: Feedback) -> _RasterTile:
    readable = path if _gdal_reads_in_place(path) else _cached_geotiff(path, crs, feedback)
    try:
        with rasterio.open(readable) as dataset:
            found = dataset.crs.to_string() if dataset.crs else None
            return _RasterTile(path, readable, dataset.transform, (dataset.height, dataset.width),
                               normalize_crs(found) if found else (normalize_crs(crs) if crs else None))
    except RasterioError as error:
        raise TwinIOError(path, f"not a raster tile ({error})") from None


def _gdal_reads_in_place(path: Path) -> bool:
    return path.suffix.lower() in (".tif", ".tiff", ".vrt", ".asc", ".img") and not is_zip(path)


def _cached_geotiff(path: Path, crs: str | None, feedback: Feedback) -> Path:
    """A GeoTIFF copy of a tile GDAL cannot window (.xyz, zipped), made once per tile version."""
    status = path.stat()
    key = f"{path.resolve()}|{status.st_size}|{status.st_mtime_ns}|{crs}"
    copy = cache_dir() / "tiles" / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.tif"
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        _, data = read_data(path, crs, feedback, [])
        if not isinstance(data, RasterData):
            raise TwinIOError(path, "is not a terrain tile, so it cannot be part of a terrain mosaic")
        partial = copy.with_name(f".{copy.name}.{os.getpid()}.partial.tif")
        write_geotiff(partial, data, nodata=_VRT_NODATA)
        partial.replace(copy)  # whole or not at all: another process may read the same tile
    return copy


def _read_tile_window(tile: _RasterTile, window: Window, shape: tuple[int, int]) -> np.ndarray:
    try:
        with rasterio.open(tile.readable) as dataset:
            band = dataset.read(1, window=window, out_shape=shape, masked=True,
                                resampling=Resampling.average)
    except RasterioError as error:
        raise TwinIOError(tile.source, f"the tile's cells cannot be read ({error})") from None
    return band.astype(np.float32).filled(np.nan)


def _check_tile_grid(where: Path, first: _RasterTile, tile: _RasterTile) -> None:
    first_cell, cell = (first.transform.a, -first.transform.e), (tile.transform.a, -tile.transform.e)
    if not np.allclose(first_cell, cell, rtol=1e-9, atol=0):
        raise TwinIOError(where, f"holds tiles of different cell sizes ({first.source.name}: "
                                 f"{first_cell[0]:g} m, {tile.source.name}: {cell[0]:g} m); "
                                 "a mosaic needs one cell size")
    offsets = (np.array(tile.bounds[:2]) - np.array(first.bounds[:2])) / np.array(first_cell)
    if np.abs(offsets - np.rint(offsets)).max() > ALIGN_TOLERANCE:
        raise TwinIOError(where, f"{tile.source.name} does not lie on the grid of {first.source.name} "
                                 "(its cells are shifted by part of a cell); a mosaic needs one grid")


def _vrt_source(tile: _RasterTile, transform: Affine) -> str:
    col = round((tile.transform.c - transform.c) / transform.a)
    row = round((tile.transform.f - transform.f) / transform.e)
    rows, cols = tile.shape
    return (f'<ComplexSource><SourceFilename relativeToVRT="0">{escape(str(tile.readable.resolve()))}'
            f"</SourceFilename><SourceBand>1</SourceBand>"
            f'<SrcRect xOff="0" yOff="0" xSize="{cols}" ySize="{rows}"/>'
            f'<DstRect xOff="{col}" yOff="{row}" xSize="{cols}" ySize="{rows}"/>'
            f"<NODATA>{_VRT_NODATA}</NODATA></ComplexSource>")


def _las_bounds(path: Path) -> Bounds:
    try:
        with _readable_stream(path) as stream:
            header = laspy.LasHeader.read_from(stream)
    except (laspy.LaspyException, OSError, ValueError, zipfile.BadZipFile) as error:
        raise TwinIOError(path, f"not a LAS/LAZ tile ({error})") from None
    return float(header.mins[0]), float(header.mins[1]), float(header.maxs[0]), float(header.maxs[1])


def _named_box_meets(path: Path, bounds: Bounds) -> bool:
    tile = tile_of_name(path.name)
    return tile is None or _boxes_meet(tile.bounds, bounds)


def _boxes_meet(a: Bounds, b: Bounds) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _points_inside(cloud: PointCloudData, bounds: Bounds) -> PointCloudData:
    x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
    inside = (x >= bounds[0]) & (x <= bounds[2]) & (y >= bounds[1]) & (y <= bounds[3])
    return PointCloudData(xyz=cloud.xyz[inside], crs=cloud.crs,
                          attributes={key: values[inside] for key, values in cloud.attributes.items()},
                          total_points=cloud.total_points)


def _box_text(bounds: Bounds) -> str:
    return ", ".join(f"{value:.1f}" for value in bounds)



def tiles_info(folder: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a folder of tiles: the kind, CRS, bounds and counts of their mosaic."""
    infos = [file_info(path, crs) for path in tile_paths(folder)]
    first = infos[0]
    for info in infos[1:]:
        _same(folder, "kind", first, info, "holds {} and {} files; a mosaic is made of tiles of one kind")
        _same(folder, "crs", first, info, "holds tiles in {} and in {}; a mosaic needs one CRS")
    summary = {"path": str(folder), "kind": first["kind"], "format": first["format"], "version": None,
               "crs": first["crs"], "bounds": _union_bounds(info["bounds"] for info in infos),
               "tiles": len(infos)}
    for key in _SUMMED:
        if all(isinstance(info.get(key), int) for info in infos):
            summary[key] = sum(info[key] for info in infos)
    for key in ("classes", "surfaces"):  # counts by class: added class by class
        if all(isinstance(info.get(key), dict) for info in infos):
            summary[key] = dict(sum((Counter(info[key]) for info in infos), Counter()))
    if first["kind"] == "raster":
        for info in infos[1:]:
            _same(folder, "resolution", first, info, "holds tiles of {} m and of {} m cells; "
                                                      "a mosaic needs one cell size")
        resolution = first["resolution"]
        minx, miny, maxx, maxy = summary["bounds"]
        summary.update(width=round((maxx - minx) / resolution[0]),
                       height=round((maxy - miny) / resolution[1]), resolution=resolution)
    notes = [note for info in infos for note in info.get("notes", [])]
    return {**summary, **({"notes": notes} if notes else {})}


def mosaic_rasters(where: Path, tiles: list[tuple[Path, RasterData]]) -> RasterData:
    """Terrain tiles pasted into one grid by cell offset; a TwinIOError naming the tile that
    differs in CRS or cell size or lies off the first tile's grid."""
    first_path, first = tiles[0]
    for path, tile in tiles[1:]:
        _check_same_grid(where, first_path, first, path, tile)
    dx, dy = first.resolution
    minx = min(tile.bounds[0] for _, tile in tiles)
    maxy = max(tile.bounds[3] for _, tile in tiles)
    width = round((max(tile.bounds[2] for _, tile in tiles) - minx) / dx)
    height = round((maxy - min(tile.bounds[1] for _, tile in tiles)) / dy)
    dtype = np.result_type(*(tile.values.dtype for _, tile in tiles))
    _check_fits_memory(where, width, height, dtype.itemsize)
    values = np.full((height, width), np.nan, dtype=dtype)
    for _, tile in tiles:
        row, col = round((maxy - tile.bounds[3]) / dy), round((tile.bounds[0] - minx) / dx)
        window = values[row:row + tile.shape[0], col:col + tile.shape[1]]
        empty = np.isnan(window)  # where tiles overlap, the first one's cells stay
        window[empty] = tile.values[empty]
    transform = Affine(dx, 0.0, minx, 0.0, -dy, maxy)
    return RasterData(values=values, transform=transform, crs=first.crs, nodata=first.nodata,
                      units=first.units)


def join_buildings(tiles: list[BuildingData]) -> BuildingData:
    """Building tiles as one model, each building (by id) once: the first tile's copy is kept."""
    seen: set[str] = set()
    kept = []
    for tile in tiles:
        rows = np.array([str(ident) not in seen for ident in tile.ids], dtype=bool)
        # a tile's own ids are unique; only the earlier tiles' ids are duplicates
        seen.update(str(ident) for ident in tile.ids)
        kept.append(buildings_subset(tile, rows))
    columns = _joined_columns([tile.attributes for tile in kept], [len(tile) for tile in kept])
    offsets = np.cumsum([0, *(len(tile.vertices) for tile in kept)])
    rows_before = np.cumsum([0, *(len(tile) for tile in kept)])
    return BuildingData(
        ids=np.concatenate([tile.ids for tile in kept]),
        attributes=columns,
        vertices=np.concatenate([tile.vertices for tile in kept]),
        triangles=np.concatenate([tile.triangles + offset
                                  for tile, offset in zip(kept, offsets, strict=False)]),
        triangle_building=np.concatenate([tile.triangle_building + start
                                          for tile, start in zip(kept, rows_before, strict=False)]),
        triangle_surface=np.concatenate([tile.triangle_surface for tile in kept]),
        footprints=np.concatenate([tile.footprints for tile in kept]),
        crs=tiles[0].crs,
        skipped_polygons=sum(tile.skipped_polygons for tile in tiles))


def join_point_clouds(tiles: list[PointCloudData]) -> PointCloudData:
    """Point cloud tiles as one cloud, with the attributes every tile has."""
    shared = set.intersection(*(set(tile.attributes) for tile in tiles))
    totals = [tile.total_points if tile.total_points is not None else len(tile.xyz) for tile in tiles]
    return PointCloudData(
        xyz=np.concatenate([tile.xyz for tile in tiles]), crs=tiles[0].crs,
        attributes={key: np.concatenate([tile.attributes[key] for tile in tiles])
                    for key in tiles[0].attributes if key in shared},
        total_points=sum(totals))


def _kind_by_name(where: Path, paths: list[Path]) -> str | None:
    """The kind the tiles' names give (a zip's by the name of the file it holds; None where only
    the content tells, as for .json), and a TwinIOError where the names give two kinds."""
    kinds: dict[str, Path] = {}
    suffixes = tuple(suffix for file_format in FORMATS for suffix in file_format.suffixes)
    for path in paths:
        name = readable_members(path, suffixes, partner=csv_partner_name)[0] if is_zip(path) else path.name
        kind = next((file_format.kind for file_format in FORMATS
                     if file_format.sniff is None and name.lower().endswith(file_format.suffixes)), None)
        if kind is not None:
            kinds.setdefault(kind, path)
    if len(kinds) > 1:
        (kind, path), (other, other_path) = list(kinds.items())[:2]
        raise TwinIOError(where, f"holds {kind} ({path.name}) and {other} ({other_path.name}) files; "
                                 "a folder opens as one layer of tiles of one kind")
    return next(iter(kinds), None)


def _joined(where: Path, paths: list[Path], crs: str | None, feedback: Feedback,
            notes: list[str]) -> tuple[Any, str]:
    """Terrain or building tiles read one by one and joined; the data and its kind."""
    parts: list[tuple[Path, Any]] = []
    kind = None
    for number, path in enumerate(paths):
        step = feedback.span(number / len(paths), (number + 1) / len(paths))
        step.progress(0.0, f"Reading tile {number + 1} of {len(paths)}: {path.name}")
        file_format, data = read_data(path, crs, step, notes)
        if kind is not None and file_format.kind != kind:
            raise TwinIOError(where, f"holds {kind} ({paths[0].name}) and {file_format.kind} "
                                     f"({path.name}) files; a folder opens as one layer of tiles of one kind")
        kind = file_format.kind
        _check_same_crs(where, parts[0] if parts else None, path, data)
        parts.append((path, data))
    if kind == "raster":
        return mosaic_rasters(where, parts), kind
    if kind == "buildings":
        return join_buildings([data for _, data in parts]), kind
    if len(parts) == 1:
        return parts[0][1], kind
    raise TwinIOError(where, f"holds {kind} files; a folder opens as one layer only for terrain, "
                             "LiDAR or building tiles")


def _point_cloud(where: Path, paths: list[Path], crs: str | None, feedback: Feedback,
                 notes: list[str], budget: int) -> PointCloudData:
    counts = [_point_count(path) for path in paths]
    total = max(sum(counts), 1)
    tiles: list[PointCloudData] = []
    for number, (path, count) in enumerate(zip(paths, counts, strict=True)):
        step = feedback.span(number / len(paths), (number + 1) / len(paths))
        step.progress(0.0, f"Reading tile {number + 1} of {len(paths)}: {path.name}")
        with _readable_file(path) as (readable, _member):
            cloud = read_point_cloud(readable, crs, budget=max(1, int(budget * count / total)), feedback=step)
            note = vertical_note(readable, "pointcloud")
        if note:
            notes.append(note)
        _check_same_crs(where, (paths[0], tiles[0]) if tiles else None, path, cloud)
        tiles.append(cloud)
    return join_point_clouds(tiles)


def _point_count(path: Path) -> int:
    """The points a LAS/LAZ tile's header announces, read without unpacking a zip."""
    try:
        with _readable_stream(path) as stream:
            return int(laspy.LasHeader.read_from(stream).point_count)
    except (laspy.LaspyException, OSError, ValueError, zipfile.BadZipFile) as error:
        raise TwinIOError(path, f"not a LAS/LAZ tile ({error})") from None


@contextmanager
def _readable_stream(path: Path) -> Iterator[IO[bytes]]:
    """The tile's bytes, or those of the LAS/LAZ file in its zip, as a stream."""
    if not is_zip(path):
        with path.open("rb") as stream:
            yield stream
        return
    member = readable_members(path, (".las", ".laz"))[0]
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        yield stream


def _check_same_crs(where: Path, first: tuple[Path, Any] | None, path: Path, data: Any) -> None:
    if first is not None and first[1].crs != data.crs:
        raise TwinIOError(where, f"holds tiles in different CRSs ({first[0].name} is in {first[1].crs}, "
                                 f"{path.name} in {data.crs}); a mosaic needs one CRS")


def _check_same_grid(where: Path, first_path: Path, first: RasterData, path: Path, tile: RasterData) -> None:
    if not np.allclose(first.resolution, tile.resolution, rtol=1e-9, atol=0):
        raise TwinIOError(where, f"holds tiles of different cell sizes ({first_path.name}: "
                                 f"{first.resolution[0]:g} m, {path.name}: {tile.resolution[0]:g} m); "
                                 "a mosaic needs one cell size")
    offsets = (np.array(tile.bounds[:2]) - np.array(first.bounds[:2])) / np.array(first.resolution)
    if np.abs(offsets - np.rint(offsets)).max() > ALIGN_TOLERANCE:
        raise TwinIOError(where, f"{path.name} does not lie on the grid of {first_path.name} (its "
                                 "cells are shifted by part of a cell); a mosaic needs one grid")


def _check_fits_memory(where: Path, width: int, height: int, cell_bytes: int) -> None:
    """Refuse a mosaic of tiles far apart before allocating the grid between them."""
    needed = width * height * cell_bytes
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if needed > memory // 2:
        raise TwinIOError(where, f"the tiles span {width:,} x {height:,} cells (about {needed / 1e9:.0f} "
                                 "GB), more than half of this machine's memory; open fewer or nearer tiles")


def _same(where: Path, key: str, first: dict, info: dict, problem: str) -> None:
    if first.get(key) != info.get(key):
        raise TwinIOError(where, problem.format(first.get(key), info.get(key)))


def _union_bounds(boxes: Any) -> list[float | None] | None:
    boxes = [box for box in boxes if box is not None]
    if not boxes:
        return None
    half = len(boxes[0]) // 2
    table = np.array([[np.nan if value is None else value for value in box] for box in boxes], dtype=float)
    with np.errstate(all="ignore"):
        low, high = np.nanmin(table[:, :half], axis=0), np.nanmax(table[:, half:], axis=0)
    return [float(value) for value in (*low, *high)]


def buildings_subset(tile: BuildingData, rows: np.ndarray) -> BuildingData:
    """The buildings of `rows` (a mask) with their triangles, renumbered."""
    if rows.all():
        return tile
    new_row = np.cumsum(rows) - 1
    triangles_kept = rows[tile.triangle_building]
    triangles = tile.triangles[triangles_kept]
    used = np.unique(triangles)
    new_vertex = np.full(len(tile.vertices), -1, dtype=np.int64)
    new_vertex[used] = np.arange(len(used))
    return BuildingData(
        ids=tile.ids[rows], attributes={key: column[rows] for key, column in tile.attributes.items()},
        vertices=tile.vertices[used], triangles=new_vertex[triangles],
        triangle_building=new_row[tile.triangle_building[triangles_kept]],
        triangle_surface=tile.triangle_surface[triangles_kept], footprints=tile.footprints[rows],
        crs=tile.crs, skipped_polygons=tile.skipped_polygons)


def _joined_columns(tables: list[dict[str, np.ndarray]], lengths: list[int]) -> dict[str, np.ndarray]:
    """Attribute tables stacked; a column a tile lacks is empty there (NaN, '' or 0)."""
    names = list(dict.fromkeys(name for table in tables for name in table))
    joined = {}
    for name in names:
        sample = next(table[name] for table in tables if name in table)
        joined[name] = np.concatenate([table[name] if name in table else _empty(sample, length)
                                       for table, length in zip(tables, lengths, strict=True)])
    return joined


def _empty(sample: np.ndarray, length: int) -> np.ndarray:
    if sample.dtype.kind == "f":
        return np.full(length, np.nan, dtype=sample.dtype)
    if sample.dtype.kind in "US":
        return np.full(length, "", dtype=sample.dtype)
    if sample.dtype.kind == "O":
        return np.full(length, None, dtype=object)
    return np.zeros(length, dtype=sample.dtype)
