"""The installed Qt binding survives what the app does: processEvents() beside a worker thread.

PySide6 6.12.0 drops a reference to None on each processEvents() made while another Python
thread runs, until the interpreter aborts. The app's jobs and pytest-qt's waits do exactly this,
so the check runs in a child process (an abort there fails this test, not the whole session).
"""

import os
import subprocess
import sys
import textwrap

CHURN_WITH_A_WORKER = textwrap.dedent("""
    import sys, threading, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    stop = time.monotonic() + 1.5
    def work():
        while time.monotonic() < stop:
            junk = [None] * 100
            del junk
    worker = threading.Thread(target=work)
    before = sys.getrefcount(None)
    worker.start()
    while worker.is_alive():
        app.processEvents()
    worker.join()
    print(sys.getrefcount(None) - before)
""")


def test_process_events_beside_a_worker_thread_keeps_none_alive():
    done = subprocess.run([sys.executable, "-c", CHURN_WITH_A_WORKER], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-500:]
    assert abs(int(done.stdout.strip())) < 100
