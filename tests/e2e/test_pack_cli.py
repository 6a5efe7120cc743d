"""`python main.py pack PROJECT.toml DEST`: a project and its data in one folder or zip, as a user runs it."""

from __future__ import annotations

import shutil
import zipfile

from tests.e2e.test_cli import main_py, one_sentence
from twin.core.project import LayerEntry, Project
from twin.io.project import open_project


def test_pack_writes_a_folder_or_zip_that_opens_elsewhere_and_never_replaces_silently(tmp_path, dtm_file):
    Project("field work", layers=[LayerEntry(dtm_file, "terrain")]).save(tmp_path / "project" / "field.toml")
    done = main_py("pack", tmp_path / "project" / "field.toml", tmp_path / "pack")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "pack" / "field.toml")
    shutil.move(tmp_path / "pack", tmp_path / "elsewhere")
    assert open_project(Project.load(tmp_path / "elsewhere" / "field.toml")).problems == []

    zipped = main_py("pack", tmp_path / "project" / "field.toml", tmp_path / "field.zip")
    assert zipped.returncode == 0, zipped.stderr
    assert "field/field.toml" in zipfile.ZipFile(tmp_path / "field.zip").namelist()

    again = main_py("pack", tmp_path / "project" / "field.toml", tmp_path / "elsewhere")
    assert again.returncode == 2
    assert one_sentence(again.stderr) == (f"error: {tmp_path / 'elsewhere'}: already exists; choose another "
                                          f"name or allow replacing it")
    replaced = main_py("pack", tmp_path / "project" / "field.toml", tmp_path / "elsewhere", "--replace")
    assert replaced.returncode == 0, replaced.stderr
