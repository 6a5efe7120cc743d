"""Re-open cache for building models: an unchanged file comes back from an .npz in milliseconds.

An entry is keyed by the file's resolved path and the reader's key (reader version, LoD choice)
and holds the file's size and mtime_ns: a file that changed is read again and its entry
replaced. Entries live in $TWIN_CACHE_DIR, else $XDG_CACHE_HOME/dresden-twin, else
~/.cache/dresden-twin. They are plain arrays (no pickles): text as numpy unicode, footprints as
WKB. The cache is a convenience: an entry that cannot be read or written is ignored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from twin.core.atomic import write_atomic
from twin.core.data import BuildingData

Model = tuple[BuildingData, dict[str, Any]]


def cache_dir() -> Path:
    if os.environ.get("TWIN_CACHE_DIR"):
        return Path(os.environ["TWIN_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "dresden-twin"
    return Path.home() / ".cache" / "dresden-twin"


def cached(path: Path, reader_key: str, read: Callable[[], Model]) -> Model:
    """The model of `path` from the cache where it is current, else `read()` (and cache it)."""
    status = path.stat()
    stamp = f"{status.st_size}|{status.st_mtime_ns}"
    name = hashlib.sha256(f"{path.resolve()}|{reader_key}".encode()).hexdigest()[:40]
    entry = cache_dir() / "models" / f"{name}.npz"
    model = _load(entry, stamp)
    if model is None:
        model = read()
        _store(entry, stamp, *model)
    return model


def write_model(entry: Path, data: BuildingData) -> None:
    """Store a building model in a file of its own (the spatial index's chunks, twin/io/spatial_index.py)."""
    _store(entry, "", data, {})


def read_model(entry: Path) -> BuildingData | None:
    """A model write_model stored; None where the file is missing or cannot be read."""
    model = _load(entry, "")
    return None if model is None else model[0]


def _load(entry: Path, stamp: str) -> Model | None:
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as stored:
            if str(stored["stamp"]) != stamp:
                return None
            return _unpack(stored)
    except Exception:  # noqa: BLE001 - any broken entry is a miss; the file is read again
        return None


def _unpack(stored: Any) -> Model:
    names = [str(name) for name in stored["attribute_names"]]
    offsets = stored["footprint_offsets"]
    blob = stored["footprint_wkb"].tobytes()
    wkb = [blob[a:b] if b > a else None for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    data = BuildingData(
        ids=stored["ids"],
        attributes={name: stored[f"attribute_{i}"] for i, name in enumerate(names)},
        vertices=stored["vertices"],
        triangles=stored["triangles"].astype(np.int64),
        triangle_building=stored["triangle_building"].astype(np.int64),
        triangle_surface=stored["triangle_surface"],
        footprints=np.array(shapely.from_wkb(wkb), dtype=object).reshape(len(wkb)),
        crs=str(stored["crs"]) or None,
        skipped_polygons=int(stored["skipped_polygons"]),
    )
    return data, json.loads(str(stored["summary"]))


def _store(entry: Path, stamp: str, data: BuildingData, summary: dict[str, Any]) -> None:
    wkb = [b"" if shape is None else shapely.to_wkb(shape) for shape in data.footprints]
    arrays = {
        "stamp": np.array(stamp),
        "ids": np.asarray(data.ids, dtype=str),
        "attribute_names": np.array(list(data.attributes), dtype=str),
        "vertices": data.vertices,
        "triangles": data.triangles.astype(np.int32 if len(data.vertices) < 2**31 else np.int64),
        "triangle_building": data.triangle_building.astype(np.int32),
        "triangle_surface": data.triangle_surface,
        "footprint_wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
        "footprint_offsets": np.concatenate(([0], np.cumsum([len(b) for b in wkb]))).astype(np.int64),
        "crs": np.array(data.crs or ""),
        "skipped_polygons": np.array(data.skipped_polygons),
        "summary": np.array(json.dumps(summary)),
    }
    for i, values in enumerate(data.attributes.values()):
        arrays[f"attribute_{i}"] = values
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry, buffer.getvalue())
    except OSError:
        pass  # a read-only or full cache folder only costs speed
