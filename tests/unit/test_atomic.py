import os
import subprocess

import pytest

from tests.folders import read_only_folder
from twin.core import atomic
from twin.core.atomic import (
    SaveError,
    check_writable_folder,
    is_temporary,
    remove_stale_temporaries,
    replace_folder,
    write_atomic,
)


def a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "project.toml"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert os.listdir(tmp_path) == ["project.toml"]


def test_writing_into_a_read_only_folder_names_the_file_and_keeps_the_old_one(tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "project.toml").write_text("old")
    with read_only_folder(tmp_path / "ro") as folder:
        with pytest.raises(SaveError, match=r"project\.toml: cannot be saved: .*(read-only|permission)"):
            write_atomic(folder / "project.toml", "new")
        assert (folder / "project.toml").read_text() == "old"
        assert os.listdir(folder) == ["project.toml"]


def test_a_new_file_gets_the_usual_mode_and_a_replaced_one_keeps_its_own(tmp_path):
    fresh = tmp_path / "fresh.toml"
    write_atomic(fresh, "x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    kept = tmp_path / "kept.toml"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomic(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_a_folder_is_replaced_whole_and_only_when_complete(tmp_path):
    target = tmp_path / "out"
    replace_folder(target, lambda folder: (folder / "a.txt").write_text("first"))
    assert os.listdir(target) == ["a.txt"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask  # as mkdir makes it, not private
    replace_folder(target, lambda folder: (folder / "b.txt").write_text("second"))
    assert os.listdir(target) == ["b.txt"]  # nothing of the earlier folder is left in it

    def half_then_fail(folder):
        (folder / "c.txt").write_text("half")
        raise ValueError("the run broke while writing")
    with pytest.raises(ValueError, match="broke"):
        replace_folder(target, half_then_fail)
    assert os.listdir(target) == ["b.txt"] and (target / "b.txt").read_text() == "second"
    assert os.listdir(tmp_path) == ["out"]


def test_a_folder_that_cannot_be_made_is_a_save_error(tmp_path):
    with read_only_folder(tmp_path / "ro") as folder:
        with pytest.raises(SaveError, match=r"ro/out: cannot be saved"):
            replace_folder(folder / "out", lambda partial: None)
        with pytest.raises(SaveError, match="nothing can be saved here"):
            check_writable_folder(folder / "out" / "deeper")
    check_writable_folder(tmp_path / "ro" / "out" / "deeper")  # writable again, and nothing made
    assert not (tmp_path / "ro" / "out").exists()


def test_stale_temporaries_of_dead_processes_go_and_nothing_else(tmp_path):
    dead, alive = a_dead_pid(), os.getpid()
    stale_file = tmp_path / f".project.toml.{dead}-k2j4h5g6.twin-tmp"
    stale_folder = tmp_path / f".out.{dead}-ab12cd34.twin-tmp"
    in_progress = tmp_path / f".project.toml.{alive}-q1w2e3r4.twin-tmp"
    earlier_version = tmp_path / ".project.toml.x7y8z9w0.tmp"
    users = [tmp_path / name for name in ("project.toml", ".notes.tmp", "a.twin-tmp.txt",
                                           ".other.toml.x7y8z9w0.tmp")]
    for path in [stale_file, in_progress, earlier_version, *users]:
        path.write_text("x")
    stale_folder.mkdir()
    (stale_folder / "depth.tif").write_text("half")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_folder, earlier_version])
    assert sorted(tmp_path.iterdir()) == sorted([in_progress, *users])
    assert all(is_temporary(path.name) for path in (stale_file, stale_folder, in_progress))
    assert not any(is_temporary(path.name) for path in users)


def test_a_folder_moved_aside_by_a_killed_process_is_put_back(tmp_path):
    # Where the file system cannot exchange two folders in one step, the old one is moved aside
    # first; a process killed right then leaves no folder under the name: the old one comes back.
    aside = tmp_path / f".out.{a_dead_pid()}-0badc0de.twin-old"
    aside.mkdir()
    (aside / "summary.json").write_text("old run")
    remove_stale_temporaries(tmp_path)
    assert os.listdir(tmp_path) == ["out"] and (tmp_path / "out" / "summary.json").read_text() == "old run"


def test_without_an_atomic_exchange_the_folder_is_still_replaced_whole(tmp_path, monkeypatch):
    # File systems without renameat2(RENAME_EXCHANGE) (some network shares) take the move-aside way.
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    target = tmp_path / "out"
    replace_folder(target, lambda folder: (folder / "a.txt").write_text("first"))
    replace_folder(target, lambda folder: (folder / "b.txt").write_text("second"))
    assert os.listdir(target) == ["b.txt"] and os.listdir(tmp_path) == ["out"]
