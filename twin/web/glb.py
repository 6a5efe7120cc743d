"""Meshes as binary glTF 2.0 (GLB), written with pygltflib.

Each published layer is one GLB holding one mesh: positions in the site's local frame (glTF's
y up, metres from the site's origin), vertex colours, and for layers with features (buildings,
street segments) the feature of each vertex as `_FEATURE_ID_0`, declared with the
EXT_mesh_features extension that 3D Tiles 1.1 uses. The viewer reads the attribute to know
which feature a click hit; any glTF reader finds the feature count in the extension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygltflib

TRIANGLES, LINES = pygltflib.TRIANGLES, pygltflib.LINES
FEATURE_ID_ATTRIBUTE = "_FEATURE_ID_0"
FEATURES_EXTENSION = "EXT_mesh_features"


@dataclass
class MeshPart:
    """One mesh in the local frame: `positions` (n, 3) and `colours` (n, 3) in 0-255 per vertex;
    `indices` into them (None: every run of 3 or 2 vertices is one triangle or line);
    `feature_ids` the feature row of each vertex, with `feature_count` features in all."""

    positions: np.ndarray
    colours: np.ndarray
    mode: int = TRIANGLES
    indices: np.ndarray | None = None
    feature_ids: np.ndarray | None = None
    feature_count: int = 0

    @property
    def empty(self) -> bool:
        return len(self.positions) == 0


class _Blob:
    """The binary chunk being filled, with the buffer views and accessors that describe it."""

    def __init__(self, document: pygltflib.GLTF2) -> None:
        self.document, self.chunks, self.length = document, [], 0

    def accessor(self, array: np.ndarray, component: int, kind: str, target: int | None,
                 normalized: bool = False, with_bounds: bool = False) -> int:
        data = np.ascontiguousarray(array).tobytes()
        padding = (-self.length) % 4  # glTF wants every view aligned to its component size
        self.chunks.append(b"\0" * padding)
        self.length += padding
        self.document.bufferViews.append(pygltflib.BufferView(buffer=0, byteOffset=self.length,
                                                              byteLength=len(data), target=target))
        self.chunks.append(data)
        self.length += len(data)
        count = len(array)
        bounds = {}
        if with_bounds and count:
            bounds = {"min": array.min(axis=0).tolist(), "max": array.max(axis=0).tolist()}
        self.document.accessors.append(pygltflib.Accessor(
            bufferView=len(self.document.bufferViews) - 1, componentType=component, count=count,
            type=kind, normalized=normalized or None, **bounds))
        return len(self.document.accessors) - 1

    def bytes(self) -> bytes:
        return b"".join(self.chunks)


def linear_colours(srgb: np.ndarray) -> np.ndarray:
    """sRGB colours (0-255) as glTF wants vertex colours: linear light, here in 16 bits (8 would
    band the dark tones)."""
    channel = np.asarray(srgb, dtype=np.float64) / 255.0
    linear = np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return np.round(linear * 65535).astype(np.uint16)


def glb_bytes(part: MeshPart, name: str, extras: dict | None = None) -> bytes:
    """The GLB file of one mesh named `name`; `extras` goes onto its node as plain JSON."""
    document = pygltflib.GLTF2(asset=pygltflib.Asset(version="2.0", generator="Dresden urban twin"))
    blob = _Blob(document)
    attributes = pygltflib.Attributes(
        POSITION=blob.accessor(part.positions.astype(np.float32), pygltflib.FLOAT, pygltflib.VEC3,
                               pygltflib.ARRAY_BUFFER, with_bounds=True),
        COLOR_0=blob.accessor(linear_colours(part.colours), pygltflib.UNSIGNED_SHORT, pygltflib.VEC3,
                              pygltflib.ARRAY_BUFFER, normalized=True))
    primitive = pygltflib.Primitive(attributes=attributes, mode=part.mode, material=0)
    if part.indices is not None:
        primitive.indices = blob.accessor(part.indices.astype(np.uint32).ravel(), pygltflib.UNSIGNED_INT,
                                          pygltflib.SCALAR, pygltflib.ELEMENT_ARRAY_BUFFER)
    if part.feature_ids is not None:
        setattr(attributes, FEATURE_ID_ATTRIBUTE, blob.accessor(
            part.feature_ids.astype(np.float32), pygltflib.FLOAT, pygltflib.SCALAR, pygltflib.ARRAY_BUFFER))
        primitive.extensions = {FEATURES_EXTENSION: {"featureIds": [
            {"featureCount": int(part.feature_count), "attribute": 0}]}}
        document.extensionsUsed = [FEATURES_EXTENSION]
    # Double-sided: a building's rings are not always wound outwards, and the terrain is seen from below
    # when the camera dips under it.
    document.materials = [pygltflib.Material(name="vertex colours", doubleSided=True,
                                             pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                                                 metallicFactor=0.0, roughnessFactor=0.9))]
    document.meshes = [pygltflib.Mesh(name=name, primitives=[primitive])]
    document.nodes = [pygltflib.Node(name=name, mesh=0, extras=extras or {})]
    document.scenes = [pygltflib.Scene(nodes=[0])]
    document.scene = 0
    data = blob.bytes()
    document.buffers = [pygltflib.Buffer(byteLength=len(data))]
    document.set_binary_blob(data)
    return b"".join(document.save_to_bytes())
