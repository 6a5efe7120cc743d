"""The headless model of the twin: scene, layers, quarters, scenarios. No Qt, no VTK."""

from twin.core.errors import CRSError, ScenarioError, TwinError
from twin.core.layers import (
    BuildingsLayer,
    Layer,
    PointCloudLayer,
    RasterLayer,
    ResultLayer,
    ResultRasterLayer,
    ResultTableLayer,
    SensorsLayer,
    StreetsLayer,
    result_layer,
)
from twin.core.quarter import Quarter
from twin.core.scenario import Scenario
from twin.core.scene import Scene

__all__ = [
    "BuildingsLayer",
    "CRSError",
    "Layer",
    "PointCloudLayer",
    "Quarter",
    "RasterLayer",
    "ResultLayer",
    "ResultRasterLayer",
    "ResultTableLayer",
    "Scenario",
    "ScenarioError",
    "Scene",
    "SensorsLayer",
    "StreetsLayer",
    "TwinError",
    "result_layer",
]
