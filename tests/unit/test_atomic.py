import os

import pytest

from twin.core.atomic import write_atomic


def test_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "project.toml"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert os.listdir(tmp_path) == ["project.toml"]


def test_a_failure_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "project.toml"
    path.write_text("old")

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["project.toml"]
