"""The one error every reader raises: which file, and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

from twin.core.errors import TwinError


class TwinIOError(TwinError):
    """A file cannot be read (or written). The message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        # One sentence on one line, whatever the file's text quoted in it holds (line breaks in
        # a CSV cell, in the XML a parser error quotes).
        self.problem = " ".join(problem.splitlines())
        super().__init__(f"{self.path}: {self.problem}")

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        # so that it crosses from a reading process (twin/io/isolated.py) as itself
        return type(self), (self.path, self.problem)


class MissingCRSError(TwinIOError):
    """A file names no coordinate reference system and none was given: the user must pick one."""
