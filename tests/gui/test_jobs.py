"""Background jobs: results, failures and cancellation arrive on the GUI thread."""

import threading
import time

import pytest

from twin.core.errors import TwinError
from twin.qt.jobs import Job, JobBar

pytestmark = pytest.mark.gui


def _run(qtbot, job: Job) -> None:
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()


def test_a_job_hands_its_result_to_the_gui_thread(qtbot):
    seen = {}

    def work(feedback):
        seen["worker"] = threading.current_thread()
        feedback.progress(0.5, "half")
        return 42

    job = Job("answer", work)
    results = []
    job.succeeded.connect(lambda value: results.append((value, threading.current_thread())))
    _run(qtbot, job)
    assert results == [(42, threading.main_thread())]
    assert seen["worker"] is not threading.main_thread()


def test_a_twin_error_becomes_its_sentence_and_a_bug_names_the_job(qtbot):
    def cut_short(feedback):
        raise TwinError("x.laz: the file is cut short")

    messages = []
    failing = Job("load", cut_short)
    failing.failed.connect(messages.append)
    _run(qtbot, failing)
    buggy = Job("flood", lambda feedback: 1 / 0)
    buggy.failed.connect(messages.append)
    _run(qtbot, buggy)
    assert messages == ["x.laz: the file is cut short", "flood failed: ZeroDivisionError: division by zero"]


def test_cancel_stops_the_work_at_its_next_check(qtbot):
    steps = []

    def work(feedback):
        for step in range(1000):
            steps.append(step)
            feedback.progress(step / 1000, f"step {step}")
            time.sleep(0.002)
        return "finished"

    job = Job("long", work)
    outcome = []
    job.canceled.connect(lambda: outcome.append("canceled"))
    job.succeeded.connect(outcome.append)
    bar = JobBar()
    qtbot.addWidget(bar)
    bar.track(job)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()
        qtbot.waitUntil(lambda: len(steps) > 10)
        bar.cancel_button.click()
    assert outcome == ["canceled"] and len(steps) < 1000
    assert bar.isHidden() and bar.jobs == []


def test_the_bar_shows_the_newest_job_and_its_progress(qtbot):
    release = threading.Event()

    def work(feedback):
        feedback.progress(0.25, "reading")
        release.wait(5)

    bar = JobBar()
    qtbot.addWidget(bar)
    job = Job("points.laz", work)
    bar.track(job)
    job.start()
    qtbot.waitUntil(lambda: bar.bar.value() == 250)
    assert bar.label.text() == "points.laz: reading" and not bar.isHidden()
    release.set()
    qtbot.waitUntil(lambda: bar.isHidden())
    job.wait()


def test_a_jobs_progress_is_painted_by_the_event_loop_not_inside_the_call(qtbot):
    """QProgressBar.setValue paints on the spot, holding the GIL a running simulation needs."""
    from PySide6.QtCore import QEvent, QObject

    from twin.qt.jobs import set_progress

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint:
                Paints.count += 1
            return False

    bar = JobBar()
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    paints = Paints()
    bar.bar.installEventFilter(paints)
    qtbot.wait(50)
    before = Paints.count
    set_progress(bar.bar, 500)
    assert Paints.count == before and bar.bar.value() == 500  # set, not painted inside the call
    qtbot.waitUntil(lambda: Paints.count > before)  # the event loop paints it
