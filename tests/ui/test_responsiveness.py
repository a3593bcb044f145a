"""The UI thread never does the slow work: during a 100-image import plus a sync, every
image decode and encode, every read and write of the local store, every sync step and
every request to the server runs on another thread, and the UI thread keeps serving
its event loop.

How long the UI thread waited is a speed figure: benchmarks/bench_gui.py measures it
(the largest gap between two ticks of a 5 ms timer). Here only the mechanism is checked,
so the test does not depend on how loaded the machine is.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from ocr_desk.app import AppContext
from ocr_desk.services.capture import CaptureService
from ocr_desk.store import DB_FILENAME
from ocr_desk.store.database import Store, Transaction
from ocr_desk.sync.client import ApiClient
from ocr_desk.sync.engine import SyncEngine
from ocr_desk.ui import build_window, settle_memory

from .test_capture import drop, make_receipt

WATCHED: list[tuple[type, str, str]] = [
    (CaptureService, "_prepare_path", "image decode and encode"),
    (Transaction, "__enter__", "a write to the local store"),
    (Store, "query", "a read of the local store"),
    (SyncEngine, "step", "a sync step"),
    (ApiClient, "request", "a request to the server"),
]
"""The slow work: (class, method, what it is)."""


class ThreadWatch:
    """Counts the calls of the watched methods, by whether the UI thread made them."""

    def __init__(self) -> None:
        self.on_ui: Counter[str] = Counter()
        self.elsewhere: Counter[str] = Counter()
        self.recording = False
        self._lock = threading.Lock()  # the pool threads count at once

    def wrap(self, what: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def watched(*args: Any, **kwargs: Any) -> Any:
            if self.recording:
                ui = threading.current_thread() is threading.main_thread()
                with self._lock:
                    (self.on_ui if ui else self.elsewhere)[what] += 1
            return method(*args, **kwargs)

        return watched


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> ThreadWatch:
    found = ThreadWatch()
    for cls, name, what in WATCHED:
        monkeypatch.setattr(cls, name, found.wrap(what, getattr(cls, name)))
    return found


def synced(ctx: AppContext) -> int:
    with contextlib.closing(sqlite3.connect(ctx.data_dir / DB_FILENAME)) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM ocr_jobs WHERE remote_id IS NOT NULL").fetchone()[0]
        )


def test_hundred_image_import_and_sync_leave_the_ui_thread_free(
    qtbot, tmp_path: Path, watch: ThreadWatch
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(100):
        make_receipt(folder / f"receipt-{i:03d}.jpg", i, size=(600, 1000))
    with AppContext.open(tmp_path / "data") as ctx:
        # OCR workers off: this is about capture and upload, not the server's OCR.
        window = build_window(ctx, sync=True, serve_args=["--ocr-workers", "0"])
        qtbot.addWidget(window)
        try:
            with qtbot.waitSignal(window.model.sig_loaded, timeout=10000):
                window.show()
                window.start()
            # the local server is up once the engine reports its first state
            qtbot.waitUntil(lambda: window.status_panel.state is not None, timeout=60000)
            settle_memory()  # as run_gui does once the window is up
            ticks = [0]
            heartbeat = QTimer()
            heartbeat.setInterval(5)
            heartbeat.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
            heartbeat.start()
            watch.recording = True
            with qtbot.waitSignal(window.capture.sig_batch_done, timeout=120000) as done:
                drop(window.capture, [folder])
            assert done.args[0].captured == 100
            qtbot.waitUntil(lambda: window.model.rowCount() == 100, timeout=10000)
            # every job has its server id (read past the watched Store: this is the test)
            qtbot.waitUntil(lambda: synced(ctx) == 100, timeout=120000)
            watch.recording = False
            heartbeat.stop()
        finally:
            gc.unfreeze()
            window.close()
            window.runner.shutdown()
    # the work happened, all of it off the UI thread, while the UI thread's timer ran
    assert watch.elsewhere["image decode and encode"] == 100
    assert watch.elsewhere["a write to the local store"] >= 100
    assert watch.elsewhere["a sync step"] >= 1
    assert watch.elsewhere["a request to the server"] >= 100
    assert dict(watch.on_ui) == {}
    assert ticks[0] > 0
