import threading

import pytest

from twin.core.feedback import Canceled, Feedback


def test_progress_is_monotonic_clamped_and_reaches_listeners():
    seen = []
    feedback = Feedback(lambda fraction, message: seen.append((fraction, message)))
    feedback.progress(0.5, "half")
    feedback.progress(0.3)  # a step back is shown as no progress, not a regression
    feedback.progress(2.0, "over")
    assert seen == [(0.5, "half"), (0.5, "half"), (1.0, "over")]


def test_check_raises_only_after_cancel():
    feedback = Feedback()
    feedback.check()
    feedback.cancel()
    assert feedback.canceled
    with pytest.raises(Canceled):
        feedback.check()
    with pytest.raises(Canceled):
        feedback.progress(0.1)


def test_span_maps_into_the_parent_range_and_cancels_with_it():
    seen = []
    parent = Feedback(lambda fraction, message: seen.append(fraction))
    step = parent.span(0.5, 0.7)
    step.progress(0.5)
    assert seen == [pytest.approx(0.6)]
    parent.cancel()
    with pytest.raises(Canceled):
        step.check()


def test_listeners_from_many_threads_see_every_report():
    count = []
    feedback = Feedback(lambda fraction, message: count.append(1))
    threads = [threading.Thread(target=lambda: [feedback.progress(0.1) for _ in range(100)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(count) == 400
