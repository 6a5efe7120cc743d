"""Zipped files, as GeoSN delivers its tiles: find the one member the twin reads and unpack it.

Readers never see a zip: `unpacked` hands them a plain file in a temporary folder that is
removed when the reader is done. A format read as a pair of files (the sensor CSV's
NAME_stations.csv and NAME_observations.csv) is unpacked as a pair into one folder.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from twin.io.errors import TwinIOError

# A member that inflates more than this is refused before a byte is written (zip bombs).
MAX_UNPACKED_BYTES = 32 * 1024**3
MAX_COMPRESSION_RATIO = 1000


def is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def readable_members(path: Path, suffixes: tuple[str, ...],
                     partner: Callable[[str], str | None] = lambda name: None) -> list[str]:
    """The one member of the zip whose suffix is among `suffixes`, followed by its partner file
    where `partner` names one (the member to open comes first)."""
    members = [name for name in _member_names(path) if name.lower().endswith(suffixes)]
    if len(members) == 2:
        for first, second in (members, members[::-1]):
            if (partner(first) or "").lower() == PurePosixPath(second).name.lower():
                return [first, second]
    if not members:
        raise TwinIOError(path, "the zip holds no file the twin reads "
                                f"(it looks for {', '.join(suffixes)})")
    if len(members) > 1:
        listed = ", ".join(members[:4]) + (" ..." if len(members) > 4 else "")
        raise TwinIOError(path, f"the zip holds {len(members)} readable files ({listed}); "
                                "unpack it and open them one by one")
    return members


@contextmanager
def unpacked(path: Path, members: list[str]) -> Iterator[Path]:
    """The members unpacked side by side into a temporary folder, removed again on exit; the
    path of the first."""
    folder = Path(tempfile.mkdtemp(prefix="twin-unzip-"))
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                info = archive.getinfo(member)
                _refuse_bomb(path, info)
                with archive.open(info) as source, (folder / PurePosixPath(member).name).open("wb") as sink:
                    shutil.copyfileobj(source, sink, length=1024 * 1024)
        yield folder / PurePosixPath(members[0]).name
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as error:
        # NotImplementedError: a compression method or zip version Python does not unpack
        raise TwinIOError(path, f"the zip cannot be unpacked ({error})") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _member_names(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [info.filename for info in archive.infolist()
                    if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, NotImplementedError) as error:  # NotImplemented: a newer zip version
        raise TwinIOError(path, f"not a readable zip file ({error})") from None


def _refuse_bomb(path: Path, info: zipfile.ZipInfo) -> None:
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MAX_UNPACKED_BYTES or ratio > MAX_COMPRESSION_RATIO:
        raise TwinIOError(path, f"the zip member {info.filename} would unpack to "
                                f"{info.file_size / 1e9:.1f} GB; refusing a likely zip bomb")
