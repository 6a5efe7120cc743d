"""Real folders that refuse writes: read-only, and full.

As a normal user a read-only folder is `chmod 555`; root ignores permission bits, so as root
it is a tmpfs mounted read-only. A full disk is a tiny tmpfs (root only; `full_folder` skips
otherwise, and tests/unit/test_save_failures.py also covers the RLIMIT_FSIZE way, which needs no root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """`folder` (created, with what is in it kept) made read-only for the duration."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    with _tmpfs(folder, "size=4m") as mounted:
        _copy_back(mounted)
        _mount(["-o", "remount,ro", str(mounted)])
        yield mounted


@contextlib.contextmanager
def full_folder(folder: Path, size_kb: int = 64) -> Iterator[Path]:
    """`folder` on a file system of `size_kb` kilobytes (root only; skips the test otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("a small file system can only be mounted as root")
    with _tmpfs(folder, f"size={size_kb}k") as mounted:
        _copy_back(mounted)
        yield mounted


def fill_up(folder: Path) -> None:
    """Write into `folder` until its file system is full."""
    with open(folder / "ballast.bin", "wb", buffering=0) as ballast:  # unbuffered: close cannot fail
        try:
            while True:
                ballast.write(b"\0" * 4096)
        except OSError:
            pass


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    # What the folder held is copied aside and back, so a test can prepare files first.
    aside = folder.with_name(folder.name + ".before-mount")
    shutil.copytree(folder, aside)
    try:
        _mount(["-t", "tmpfs", "-o", options, "tmpfs", str(folder)])
    except OSError as error:
        shutil.rmtree(aside)
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        shutil.rmtree(aside, ignore_errors=True)


def _copy_back(mounted: Path) -> None:
    aside = mounted.with_name(mounted.name + ".before-mount")
    shutil.copytree(aside, mounted, dirs_exist_ok=True)


def _mount(arguments: list[str]) -> None:
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"mount failed with status {done.returncode}")
