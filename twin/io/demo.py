"""The embedded demo city under data/: Dresden's model quarters and the layers generated for them."""

from __future__ import annotations

from pathlib import Path

from twin.core.scene import Scene
from twin.io.formats import read_layer
from twin.io.quarters import read_quarters

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEMO_LAYERS = DATA_DIR / "demo"


def demo_scene(data_dir: Path = DATA_DIR) -> Scene:
    """A scene in EPSG:25833 with the three model quarters and every demo layer present."""
    scene = Scene("EPSG:25833")
    quarters, _ = read_quarters(data_dir / "quarters.geojson")
    scene.set_quarters(quarters)
    for path in sorted((data_dir / "demo").glob("*.tif")):
        scene.add_layer(read_layer(path))
    return scene
