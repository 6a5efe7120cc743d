"""Files and folders a user saves are never half-written: write beside, fsync, rename into place.

A file is written to a temporary file beside it; a folder (a run's results) is filled as a
temporary folder beside it and put in place in one step, so a reader sees either the old
complete version or the new one, never a mix. Temporaries carry the twin's mark and the id of
the process writing them, `.NAME.PID-XXXXXXXX.twin-tmp` (`.twin-old` for a folder on its way
out), so `remove_stale_temporaries` can clear what a killed process left behind without
touching anything of the user's or of a save still in progress.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from twin.core.errors import TwinError

T = TypeVar("T")

_MARK = ".twin-"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[a-z0-9_]+\.twin-(?P<kind>tmp|old)$")
# Written by earlier versions (`.NAME.XXXXXXXX.tmp`); ours only where NAME is there beside it.
_EARLIER_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


class SaveError(TwinError, OSError):
    """A file or folder could not be saved; the message names it and the reason.

    Also an OSError, so code that tolerates a failed write (a cache) keeps tolerating it.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{Path(path)}: {problem}")
        self.path, self.problem = Path(path), problem


def write_atomic(path: Path | str, content: str | bytes) -> None:
    """Replace `path` with `content` so that a crash leaves either the old or the new file.

    Raises SaveError (naming the file) when it cannot be written: the old file stays as it was.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        _write_file(path, data)
    except OSError as error:
        raise SaveError(path, f"cannot be saved: {why_not_written(error)}") from None


def replace_folder(target: Path | str, fill: Callable[[Path], T]) -> T:
    """Let `fill` write a new folder, then put it in `target`'s place in one step.

    Until the new folder is complete the old `target` (if any) stays as it was; a crash at any
    moment leaves either of them whole under `target` (where the file system cannot exchange
    two folders in one step, the old one is back under `target` after remove_stale_temporaries).
    Returns what `fill` returns.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=f"{_MARK}tmp", dir=target.parent))
        os.chmod(partial, _NEW_FOLDER_MODE)  # mkdtemp makes it private; results are for sharing
    except OSError as error:
        raise SaveError(target, f"cannot be saved: {why_not_written(error)}") from None
    try:
        result = fill(partial)
        _sync_tree(partial)
        _put_in_place(partial, target)
    except SaveError:
        raise
    except OSError as error:
        raise SaveError(target, f"cannot be saved: {why_not_written(error)}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)  # the old folder after a swap, or the unfinished new one
    return result


def check_writable_folder(folder: Path | str) -> None:
    """Raise SaveError unless a new file or folder can be created in `folder` (or where it would be made).

    Tried for real (a temporary folder made and removed), because permission bits do not tell:
    a read-only mount refuses even root, and root ignores the bits.
    """
    folder = Path(folder).absolute()
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if not existing.is_dir():
        raise SaveError(existing, "is a file, not a folder, so nothing can be saved in it")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".probe.{os.getpid()}-", suffix=f"{_MARK}tmp", dir=existing))
    except OSError as error:
        raise SaveError(existing, f"nothing can be saved here: {why_not_written(error)}") from None


def remove_stale_temporaries(folder: Path | str) -> list[Path]:
    """Remove what killed saves of the twin left in `folder`; return what was removed or restored.

    Only names with the twin's mark whose process is gone are touched. A folder left on its way
    out (`.twin-old`) whose target is missing is the last complete version: it is put back.
    Best effort: a folder that cannot be listed or written is left as it is.
    """
    folder = Path(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    names = {entry.name for entry in entries}
    handled = []
    for entry in entries:
        if _is_stale(entry.name, names):
            try:
                _clear(Path(entry.path), entry.name, folder)
            except OSError:
                continue  # left for the next time; the save itself reports a folder it cannot write
            handled.append(Path(entry.path))
    return handled


def is_temporary(name: str) -> bool:
    """Whether a name in a folder is one of the twin's temporaries (of any process)."""
    return _TEMPORARY.match(name) is not None


def why_not_written(error: OSError) -> str:
    """The reason a write failed, in words a user can act on."""
    reasons = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
               errno.EFBIG: "the file is larger than this system allows", errno.EROFS:
               "the folder is on a read-only file system", errno.EACCES:
               "there is no permission to write in the folder", errno.EPERM:
               "there is no permission to write in the folder", errno.ENOENT:
               "the folder does not exist", errno.ENOTDIR: "a part of the path is not a folder"}
    return reasons.get(error.errno, error.strerror or str(error))


def _write_file(path: Path, data: bytes) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=_prefix(path), suffix=f"{_MARK}tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would, or the old file's.
        os.chmod(temp_name, path.stat().st_mode & 0o7777 if path.exists() else _NEW_FILE_MODE)
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}-"


def _put_in_place(partial: Path, target: Path) -> None:
    """Move the complete `partial` to `target`; the old target, if any, ends up at `partial`."""
    if not os.path.lexists(target):
        os.rename(partial, target)
    elif not _exchange(partial, target):
        # No atomic exchange on this file system: move the old one aside under a name that
        # remove_stale_temporaries restores should the process die before the new one is in.
        aside = target.parent / f"{_prefix(target)}{secrets.token_hex(4)}{_MARK}old"
        os.rename(target, aside)
        os.rename(partial, target)
        os.rename(aside, partial)
    _sync_folder(target.parent)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _sync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            handle = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)
        _sync_folder(Path(root))


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _is_stale(name: str, names: set[str]) -> bool:
    match = _TEMPORARY.match(name)
    if match is None:
        earlier = _EARLIER_TEMPORARY.match(name)
        return earlier is not None and earlier["name"] in names
    return not _process_alive(int(match["pid"]))


def _clear(path: Path, name: str, folder: Path) -> None:
    match = _TEMPORARY.match(name)
    if match is not None and match["kind"] == "old" and not os.path.lexists(folder / match["name"]):
        os.rename(path, folder / match["name"])
    elif path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but another user's
    return True


def _umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which races with other threads.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_NEW_FILE_MODE, _NEW_FOLDER_MODE = 0o666 & ~_umask(), 0o777 & ~_umask()
_LIBC = ctypes.CDLL(None, use_errno=True) if os.name == "posix" else None
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
