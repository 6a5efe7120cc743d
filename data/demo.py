"""The embedded demo city: Dresden's model quarters and the layers generated for them.

Generated files are cached under data/cache/ (not shipped); they are written on first use
and again whenever the generator's seed or version changes.
"""

from __future__ import annotations

from pathlib import Path

from data.generator.terrain import write_dtms
from twin.core.quarter import Quarter
from twin.core.scene import Scene
from twin.io.formats import read_layer
from twin.io.quarters import read_quarters

DATA_DIR = Path(__file__).resolve().parent
SEED = 2026
GENERATOR_VERSION = 1


def demo_files(cache: Path | None = None) -> list[Path]:
    """The generated demo files, generating them when the cache lacks them."""
    return _generated(_quarters(), cache)


def demo_scene(cache: Path | None = None) -> Scene:
    """A scene in EPSG:25833 with the three model quarters and the demo layers."""
    scene = Scene("EPSG:25833")
    quarters = _quarters()
    scene.set_quarters(quarters)
    for quarter, path in zip(quarters, _generated(quarters, cache), strict=True):
        scene.add_layer(read_layer(path, name=f"{quarter.name} terrain (DTM 1 m)"))
    return scene


def _quarters() -> list[Quarter]:
    return read_quarters(DATA_DIR / "quarters.geojson")[0]


def _generated(quarters: list[Quarter], cache: Path | None) -> list[Path]:
    cache = cache or DATA_DIR / "cache" / f"v{GENERATOR_VERSION}-seed{SEED}"
    expected = [cache / f"{quarter.name.lower()}_dtm1.tif" for quarter in quarters]
    if not all(path.exists() for path in expected):
        return write_dtms(quarters, cache, SEED)
    return expected

