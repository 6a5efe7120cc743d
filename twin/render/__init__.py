"""Layers to VTK: one merged mesh per layer, kept in step with the layer's events. No Qt."""

from twin.render.meshes import mesh_for_layer
from twin.render.scene_view import SceneView

__all__ = ["SceneView", "mesh_for_layer"]
