"""Terrain and other single-band grids: GeoTIFF and ASCII grid through rasterio."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from twin.core.crs import normalize_crs
from twin.core.data import RasterData, ResultRaster
from twin.core.errors import CRSError
from twin.io.errors import TwinIOError


def read_raster(path: Path, crs: str | None = None) -> RasterData:
    """Band 1 of a raster as float with NaN for no-data; `crs` is used where the file has none."""
    with _open(path) as source:
        _check_layout(path, source)
        _check_fits_memory(path, source)
        try:
            band = source.read(1, masked=True)
        except RasterioError:
            raise TwinIOError(path, "the raster's cells cannot be read: the file is truncated or "
                                    "damaged") from None
        dtype = np.float64 if band.dtype == np.float64 else np.float32
        values = band.astype(dtype).filled(np.nan)
        return RasterData(values=values, transform=source.transform,
                          crs=_crs_of(path, source, crs), nodata=source.nodata)


def raster_info(path: Path, crs: str | None = None) -> dict[str, Any]:
    """The `info` summary of a raster, read from its header only."""
    with _open(path) as source:
        _check_layout(path, source)
        bounds = source.bounds
        return {
            "format": source.driver,
            "version": None,
            "crs": _crs_of(path, source, crs),
            "bounds": [bounds.left, bounds.bottom, bounds.right, bounds.top],
            "width": source.width,
            "height": source.height,
            "bands": source.count,
            "dtype": source.dtypes[0],
            "resolution": list(source.res),
            # JSON has no NaN: a NaN (or infinite) nodata value is named as text, "nan"
            "nodata": source.nodata if source.nodata is None or np.isfinite(source.nodata)
            else str(source.nodata),
        }


def write_geotiff(path: Path, raster: RasterData | ResultRaster, nodata: float = -9999.0) -> None:
    """Write a grid (or a time stack, one band per time) as a tiled, compressed GeoTIFF."""
    values = raster.values if raster.values.ndim == 3 else raster.values[np.newaxis]
    bands = np.where(np.isnan(values), nodata, values).astype(np.float32)
    profile = {"driver": "GTiff", "width": bands.shape[2], "height": bands.shape[1],
               "count": bands.shape[0], "dtype": "float32", "crs": raster.crs,
               "transform": raster.transform, "nodata": nodata, "compress": "deflate",
               "predictor": 3}
    if bands.shape[1] >= 256 and bands.shape[2] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    times = getattr(raster, "times", None)
    try:
        with rasterio.open(path, "w", **profile) as target:
            target.write(bands)
            if times is not None:
                for band, seconds in enumerate(times, start=1):
                    target.set_band_description(band, f"t={float(seconds):g}s")
    except RasterioError as error:
        raise TwinIOError(path, f"cannot write the GeoTIFF: {error}") from None


def _open(path: Path) -> rasterio.DatasetReader:
    try:
        with warnings.catch_warnings():  # a grid without georeferencing is refused in one sentence
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioError as error:
        raise TwinIOError(path, f"not a raster the twin can read ({_first_line(error)})") from None


def _check_layout(path: Path, source: rasterio.DatasetReader) -> None:
    if source.count < 1:
        raise TwinIOError(path, "the raster has no bands")
    transform = source.transform
    if transform.b != 0 or transform.d != 0:
        raise TwinIOError(path, "the raster is rotated; warp it north-up first")
    if transform.is_identity:
        raise TwinIOError(path, "the raster has no georeferencing (no geotransform)")


def _check_fits_memory(path: Path, source: rasterio.DatasetReader) -> None:
    """Refuse a grid whose header announces more cells than memory holds, before allocating it.

    A damaged or hostile header may announce billions of cells in a file of a few bytes; reading
    them takes the band (at most 8 bytes a cell), its mask (1) and the float copy (at most 8) at once.
    """
    needed = source.width * source.height * (8 + 1 + 8)
    if needed > _memory_bytes() // 2:
        raise TwinIOError(path, f"the raster has {source.width:,} x {source.height:,} cells (about "
                                f"{needed / 1e9:.0f} GB to read), more than half of this machine's "
                                "memory; cut a smaller tile out of it first")


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _crs_of(path: Path, source: rasterio.DatasetReader, given: str | None) -> str | None:
    try:
        return normalize_crs(source.crs.to_wkt()) if source.crs else normalize_crs(given)
    except CRSError as error:
        raise TwinIOError(path, str(error)) from None


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
