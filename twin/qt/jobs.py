"""Background jobs: long work (a load, a simulation) in a worker thread that reports to the GUI.

The work is a function of a Feedback. It runs in a QThread; progress, the result or the error
arrive on the GUI thread as Qt signals (queued across threads), so VTK and widgets are touched
only there. Cancel sets the Feedback; the work stops at its next `feedback.check()`.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from twin.core.errors import TwinError
from twin.core.feedback import Canceled, Feedback

Work = Callable[[Feedback], Any]
PROGRESS_INTERVAL_S = 0.05  # a worker may report thousands of steps; the GUI needs ~20 a second


class Job(QObject):
    """One piece of work in its own thread. Exactly one of succeeded, failed, canceled follows start."""

    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    canceled = Signal()
    finished = Signal()

    def __init__(self, title: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.feedback = Feedback(self._report)
        self.error: Exception | None = None  # what failed, for callers that act on its kind
        self._work = work
        self._thread: QThread | None = None
        self._last_report = 0.0

    def start(self) -> None:
        self._thread = _WorkerThread(self._run)
        self._thread.finished.connect(self.finished.emit)
        self._thread.start()

    def cancel(self) -> None:
        self.feedback.cancel()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, milliseconds: int = -1) -> bool:
        """Block until the thread has ended (for tests and for closing the app)."""
        if self._thread is None:
            return True
        return self._thread.wait() if milliseconds < 0 else self._thread.wait(milliseconds)

    def _run(self) -> None:
        try:
            result = self._work(self.feedback)
            self.feedback.check()
        except Canceled:
            self.canceled.emit()
        except TwinError as error:
            self.error = error
            self.failed.emit(str(error))
        except Exception as error:  # any failure of the work is reported; the app stays up
            self.error = error
            traceback.print_exc(file=sys.stderr)
            self.failed.emit(f"{self.title} failed: {type(error).__name__}: {error}")
        else:
            self.succeeded.emit(result)

    def _report(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_report < PROGRESS_INTERVAL_S:
            return
        self._last_report = now
        self.progressed.emit(fraction, message)


def set_progress(bar: QProgressBar, value: int) -> None:
    """Set a progress bar's value for the event loop to paint. QProgressBar.setValue paints at once,
    inside the call and so holding Python's GIL: with the window's OpenGL view composed in software
    and a busy X server a tick took ~0.15 s, and a simulation's thread waited for the GIL through
    every one (a flood from the window ran twice as long as headless: benchmarks/bench_idle.py)."""
    if bar.value() == value:
        return
    bar.setUpdatesEnabled(False)  # no paint inside setValue...
    try:
        bar.setValue(value)
    finally:
        bar.setUpdatesEnabled(True)  # ...but one asked for: it comes with the event loop, without the GIL


class _WorkerThread(QThread):
    def __init__(self, body: Callable[[], None]) -> None:
        super().__init__()
        self._body = body

    def run(self) -> None:
        self._body()


class JobBar(QWidget):
    """The status-bar strip for running jobs: what runs, how far it is, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_newest)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button):
            layout.addWidget(widget)
        self.jobs: list[Job] = []
        self.hide()

    def track(self, job: Job) -> None:
        """Show the job while it runs; the newest job is the one shown and cancelled."""
        self.jobs.append(job)
        job.progressed.connect(lambda fraction, message: self._show(job, fraction, message))
        job.finished.connect(lambda: self._forget(job))
        self._show(job, 0.0, "starting")

    def _show(self, job: Job, fraction: float, message: str) -> None:
        if job is not self.jobs[-1]:
            return
        others = f" (+{len(self.jobs) - 1} more)" if len(self.jobs) > 1 else ""
        self.label.setText(f"{job.title}: {message}{others}")
        set_progress(self.bar, round(fraction * 1000))
        self.show()

    def _forget(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        if self.jobs:
            newest = self.jobs[-1]
            self._show(newest, newest.feedback.fraction, newest.feedback.message)
        else:
            self.hide()

    def _cancel_newest(self) -> None:
        if self.jobs:
            self.jobs[-1].cancel()
            self.label.setText(f"{self.jobs[-1].title}: cancelling...")
