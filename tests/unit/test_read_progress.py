"""read_layer reports reading progress, can be cancelled mid-read, and names a missing CRS."""

import shutil

import numpy as np
import pytest

from tests.conftest import REFERENCE, write_dtm
from twin.core.feedback import Canceled, Feedback
from twin.io import MissingCRSError, read_layer

CITYGML = REFERENCE / "citygml" / "citygml4j_lod2_100bldg_synthetic_citygml3.gml"


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "cache"))


def test_citygml_reading_reports_growing_progress(tmp_path, fresh_cache):
    seen = []
    layer = read_layer(shutil.copy(CITYGML, tmp_path), feedback=Feedback(lambda f, m: seen.append(f)))
    assert len(layer.data) == 100
    assert len(seen) >= 2 and seen == sorted(seen) and 0 < seen[0] < 1


def test_cancelling_stops_a_citygml_read(tmp_path, fresh_cache):
    feedback = Feedback()
    feedback.add_listener(lambda fraction, message: feedback.cancel())
    with pytest.raises(Canceled):
        read_layer(shutil.copy(CITYGML, tmp_path), feedback=feedback)


def test_a_file_without_crs_asks_for_one_and_takes_it(tmp_path):
    path = write_dtm(tmp_path / "no_crs.tif", np.ones((4, 4)), crs=None)
    with pytest.raises(MissingCRSError, match="no_crs.tif: the file names no coordinate reference system"):
        read_layer(path, to="EPSG:25833")
    assert read_layer(path, crs="EPSG:25833", to="EPSG:25833").crs == "EPSG:25833"
