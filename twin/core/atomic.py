"""Files a user saves are never half-written: temp file, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, content: str | bytes) -> None:
    """Replace `path` with `content` so that a crash leaves either the old or the new file."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _new_file_mode() -> int:
    # Read once at import: os.umask can only be read by setting it, which races with other threads.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


_NEW_FILE_MODE = _new_file_mode()
