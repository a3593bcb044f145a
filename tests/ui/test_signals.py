"""Thousands of signals across threads (PySide6 6.12.0 aborted after a few hundred)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from ocr_desk.sync.events import ConnectionState, JobsChanged, QueueChanged, StateChanged
from ocr_desk.ui.sync_worker import SyncWorker


def test_thousands_of_sync_events_reach_the_ui_thread(qtbot):
    worker = SyncWorker(lambda listener: None)
    got = {"jobs": 0, "queue": 0, "state": 0}
    worker.sig_jobs.connect(lambda e: got.__setitem__("jobs", got["jobs"] + 1))
    worker.sig_queue.connect(lambda e: got.__setitem__("queue", got["queue"] + 1))
    worker.sig_state.connect(lambda e: got.__setitem__("state", got["state"] + 1))
    n = 3000
    since = datetime(2026, 3, 10, tzinfo=UTC)

    def emit() -> None:
        for i in range(n):
            worker.listener(JobsChanged(job_ids=(str(i),)))
            worker.listener(QueueChanged(counts={"queued": i}))
            worker.listener(StateChanged(state=ConnectionState.ONLINE, since=since))

    thread = threading.Thread(target=emit)
    thread.start()
    qtbot.waitUntil(lambda: got == {"jobs": n, "queue": n, "state": n}, timeout=30000)
    thread.join()
    for _ in range(2000):  # and direct emits on the UI thread, with bool-typed arguments
        worker.sig_error.emit("x")
    assert got["jobs"] == n
