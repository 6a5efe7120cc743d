"""Errors a user sees as one sentence. Every error of the twin derives from TwinError."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class TwinError(Exception):
    """An error with a message fit to show a user as it is."""


class CRSError(TwinError):
    """A coordinate reference system is missing, unknown or does not match the scene."""


class ScenarioError(TwinError):
    """A scenario file or its contents cannot be used."""

    def __init__(self, path: Path | str | None, problem: str) -> None:
        self.path = Path(path) if path is not None else None
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice to a mistyped word, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
