"""Zipped files, as GeoSN delivers its tiles: find the one member the twin reads and unpack it.

Readers never see a zip: `unpacked` hands them a plain file in a temporary folder that is
removed when the reader is done.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from twin.io.errors import TwinIOError

# A member that inflates more than this is refused before a byte is written (zip bombs).
MAX_UNPACKED_BYTES = 32 * 1024**3
MAX_COMPRESSION_RATIO = 1000


def is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def readable_member(path: Path, suffixes: tuple[str, ...]) -> str:
    """The name of the one member of the zip whose suffix is among `suffixes`."""
    members = [name for name in _member_names(path) if name.lower().endswith(suffixes)]
    if not members:
        raise TwinIOError(path, "the zip holds no file the twin reads "
                                f"(it looks for {', '.join(suffixes)})")
    if len(members) > 1:
        listed = ", ".join(members[:4]) + (" ..." if len(members) > 4 else "")
        raise TwinIOError(path, f"the zip holds {len(members)} readable files ({listed}); "
                                "unpack it and open them one by one")
    return members[0]


@contextmanager
def unpacked(path: Path, member: str) -> Iterator[Path]:
    """The member unpacked into a temporary folder, removed again on exit."""
    folder = Path(tempfile.mkdtemp(prefix="twin-unzip-"))
    try:
        target = folder / PurePosixPath(member).name
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            _refuse_bomb(path, info)
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, length=1024 * 1024)
        yield target
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise TwinIOError(path, f"the zip cannot be unpacked ({error})") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _member_names(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [info.filename for info in archive.infolist()
                    if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError) as error:
        raise TwinIOError(path, f"not a readable zip file ({error})") from None


def _refuse_bomb(path: Path, info: zipfile.ZipInfo) -> None:
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MAX_UNPACKED_BYTES or ratio > MAX_COMPRESSION_RATIO:
        raise TwinIOError(path, f"the zip member {info.filename} would unpack to "
                                f"{info.file_size / 1e9:.1f} GB; refusing a likely zip bomb")
