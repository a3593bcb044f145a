"""The UI thread never waits: a 100-image import plus a sync, with a heartbeat timer."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from ocr_desk.app import AppContext
from ocr_desk.ui import build_window

from .test_capture import drop, make_receipt


class Heartbeat:
    """A QTimer on the UI thread; the largest gap between two ticks is how long it froze."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.largest = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.largest = max(self.largest, now - self._last)
        self._last = now
        self.ticks += 1

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


def test_hundred_image_import_and_sync_keep_the_ui_thread_free(qtbot, tmp_path: Path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(100):
        make_receipt(folder / f"receipt-{i:03d}.jpg", i, size=(600, 1000))
    with AppContext.open(tmp_path / "data") as ctx:
        # OCR workers off: this measures capture and upload, not the server's OCR.
        window = build_window(ctx, sync=True, serve_args=["--ocr-workers", "0"])
        qtbot.addWidget(window)
        try:
            with qtbot.waitSignal(window.model.sig_loaded, timeout=10000):
                window.show()
                window.start()
            # the local server is up once the engine reports its first state
            qtbot.waitUntil(lambda: window.status_panel.state is not None, timeout=60000)
            beat = Heartbeat()
            beat.start()
            with qtbot.waitSignal(window.capture.sig_batch_done, timeout=120000) as done:
                drop(window.capture, [folder])
            assert done.args[0].captured == 100
            qtbot.waitUntil(lambda: window.model.rowCount() == 100, timeout=10000)
            qtbot.waitUntil(
                lambda: window.status_panel.counts.get("waiting_upload") == 0, timeout=120000
            )
            beat.stop()
            assert beat.ticks > 50
            assert beat.largest < 0.100, f"the UI thread froze for {beat.largest * 1000:.0f} ms"
        finally:
            window.close()
            window.runner.shutdown()
