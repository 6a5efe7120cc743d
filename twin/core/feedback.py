"""Progress and cancellation shared between a running simulation and whoever watches it.

The simulation calls `progress(fraction, message)` and `check()`; the GUI or CLI listens for
progress and may call `cancel()` from another thread, after which `check()` raises Canceled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

ProgressListener = Callable[[float, str], None]


class Canceled(Exception):
    """Raised inside a simulation by Feedback.check() once the user has cancelled."""


class Feedback:
    """Thread-safe progress reporting and cancellation."""

    def __init__(self, listener: ProgressListener | None = None) -> None:
        self._listeners: list[ProgressListener] = [listener] if listener else []
        self._lock = threading.Lock()
        self._canceled = threading.Event()
        self._fraction = 0.0
        self._message = ""

    def add_listener(self, listener: ProgressListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1]; also a cancellation point."""
        with self._lock:
            self._fraction = min(max(float(fraction), self._fraction), 1.0)
            self._message = message or self._message
            listeners = list(self._listeners)
            fraction, message = self._fraction, self._message
        for listener in listeners:
            listener(fraction, message)
        self.check()

    @property
    def fraction(self) -> float:
        return self._fraction

    @property
    def message(self) -> str:
        return self._message

    def cancel(self) -> None:
        self._canceled.set()

    @property
    def canceled(self) -> bool:
        return self._canceled.is_set()

    def check(self) -> None:
        """Raise Canceled if the user has cancelled."""
        if self._canceled.is_set():
            raise Canceled()

    def span(self, start: float, end: float) -> SpanFeedback:
        """A Feedback whose 0..1 maps to start..end of this one, for a step of a longer run."""
        return SpanFeedback(self, start, end)


class SpanFeedback(Feedback):
    """Progress of one step of a run, scaled into the parent's range; cancels with the parent."""

    def __init__(self, parent: Feedback, start: float, end: float) -> None:
        super().__init__()
        self._parent, self._start, self._end = parent, start, end

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        self._parent.progress(self._start + fraction * (self._end - self._start), message)

    def cancel(self) -> None:
        self._parent.cancel()

    @property
    def canceled(self) -> bool:
        return self._parent.canceled

    def check(self) -> None:
        self._parent.check()
