"""Which files a scenario or project may name, and reading such a TOML file within bounds.

The rule (README, Scenarios): a path in a scenario or project is relative to that file and may
leave its folder (the shipped scenarios name `../data/...`, a project may name data on another
drive), but what it names must be a regular file (a folder where a folder is expected: the runs
of a project), never a device, FIFO or socket, and never inside the system's own folders
(/dev, /proc, /sys, /etc, /boot, /run), where no data for the twin lives. So a scenario passed
around cannot make the twin read `/dev/zero`, hang on a FIFO or show lines of `/etc/shadow` in
an error message. A path that does not exist is not judged here: a scenario refuses it, a
project reports it when the layer opens.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from twin.core.errors import TwinError

SYSTEM_FOLDERS = tuple(Path(folder) for folder in ("/dev", "/proc", "/sys", "/etc", "/boot", "/run"))
MAX_TOML_BYTES = 16 * 1024 * 1024  # a scenario or project is a few kilobytes; this bounds a hostile one


class UnsuitablePath(TwinError):
    """A path a scenario or project names that the twin refuses; `problem` says why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def named_path(base: Path, text: str, folder_expected: bool = False) -> Path:
    """The absolute path `text` names relative to `base`, if the rule above allows it.

    Raises UnsuitablePath otherwise; a path that does not exist is returned as it is.
    """
    if "\x00" in text:
        raise UnsuitablePath(f"{text!r} holds a NUL character, which no file name has")
    try:
        path = (base / text).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        raise UnsuitablePath(f"{text} cannot be followed (a loop of symbolic links?)") from None
    system = next((folder for folder in SYSTEM_FOLDERS if path.is_relative_to(folder)), None)
    if system is not None:
        raise UnsuitablePath(f"{path} lies in the system folder {system}, which holds no data for the twin")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise UnsuitablePath(f"{path} cannot be examined ({error.strerror})") from None
    if folder_expected and not stat.S_ISDIR(mode):
        raise UnsuitablePath(f"{path} is not a folder")
    if not folder_expected and not stat.S_ISREG(mode):
        raise UnsuitablePath(f"{path} {_not_a_file(mode)}")
    return path


def read_toml_text(path: Path, limit: int = MAX_TOML_BYTES) -> str:
    """The text of a scenario or project file: a regular file of at most `limit` bytes.

    Raises FileNotFoundError when it is missing, UnicodeDecodeError when it is not UTF-8 and
    UnsuitablePath for a folder, device, FIFO, unreadable or oversized file (its problem starts
    with "it", the caller names the file).
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise UnsuitablePath(f"it {_not_a_file(mode)}")
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise UnsuitablePath(f"it cannot be read ({error.strerror})") from None
    if len(data) > limit:
        raise UnsuitablePath(f"it is larger than {limit // (1024 * 1024)} MB, far more than a "
                             f"scenario or project holds")
    return data.decode("utf-8")


def _not_a_file(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    return f"is a {_kind(mode)}, not a data file"


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    return "socket" if stat.S_ISSOCK(mode) else "special file"
