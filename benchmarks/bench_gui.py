"""GUI benchmark: start-up with 10,000 jobs, and the UI thread's largest gap during an import.

1. Time from process start to the main window shown with its first page of rows,
   on a data dir holding 10,000 jobs, beside a bare PySide6 window with an empty
   QTableView started the same way in the same run (ratio; target <= 2x).
2. The largest gap between two ticks of a 5 ms QTimer on the UI thread while 100
   generated receipts are imported through the window, beside the largest gap of
   the same timer on the same window left idle for as long (ratio).

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py`` (any platform works).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
from PySide6.QtGui import QStandardItemModel
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
w = QMainWindow(); t = QTableView(); t.setModel(QStandardItemModel(0, 9)); w.setCentralWidget(t)
w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

APP = """
import sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
from ocr_desk.app import AppContext
from ocr_desk.ui import build_window
ctx = AppContext.open(sys.argv[1])
w = build_window(ctx, sync=False)
def loaded(n):
    QTimer.singleShot(0, lambda: (print("shown", w.model.rowCount(), w.model.total, flush=True),
                                  app.quit()))
w.model.sig_loaded.connect(loaded)
w.show(); w.start()
app.exec()
w.runner.shutdown()
"""


def make_store(data_dir: Path, n: int) -> None:
    from ocr_desk.app import AppContext
    from ocr_desk.core import JobType
    from ocr_desk.store import MediaRepository

    with AppContext.open(data_dir) as ctx:
        service = ctx.job_service()
        media = MediaRepository(ctx.store, company_id=ctx.company_id)
        now = ctx.clock.now()
        with ctx.store.write():
            for i in range(n):
                when = now - timedelta(minutes=n - i)
                asset = media.insert(
                    sha256=f"{i:064x}",
                    document_type=JobType.RECEIPT,
                    captured_at=when,
                    created_at=when,
                    size_bytes=100_000,
                    mime_type="image/jpeg",
                    original_name=f"receipt-{i:05d}.jpg",
                )
                service.create_job(media_asset_id=asset.id, job_type=JobType.RECEIPT)


def time_start(code: str, *args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
    )
    elapsed = time.perf_counter() - start
    if "shown" not in out.stdout:
        raise SystemExit(f"the window never showed: {out.stdout} {out.stderr}")
    return elapsed


def startup(data_dir: Path) -> None:
    bare = [time_start(BARE) for _ in range(RUNS)]
    app = [time_start(APP, str(data_dir)) for _ in range(RUNS)]
    b, a = statistics.median(bare), statistics.median(app)
    print(
        f"start-up, bare PySide6 window with an empty table: {b * 1000:.0f} ms (median of {RUNS})"
    )
    print(f"start-up, OCR Desk with 10,000 jobs, first page shown: {a * 1000:.0f} ms")
    print(f"start-up ratio: {a / b:.2f}x (target <= 2x)")


def import_gap(tmp: Path) -> None:
    from PIL import Image, ImageDraw
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ocr_desk.app import AppContext
    from ocr_desk.ui import build_window

    folder = tmp / "batch"
    folder.mkdir()
    for i in range(100):
        image = Image.new("RGB", (1200, 2000), "white")
        draw = ImageDraw.Draw(image)
        for line in range(30):
            draw.text((40, 40 + 60 * line), f"item {line} ..... {i + line}.99", fill="black")
        image.save(folder / f"receipt-{i:03d}.jpg", "JPEG", quality=85)

    app = QApplication.instance() or QApplication([])
    ctx = AppContext.open(tmp / "import-data")
    window = build_window(ctx, sync=False)
    window.show()
    window.start()
    largest = [0.0]
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        largest[0] = max(largest[0], now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(tick)

    def run_for(seconds: float) -> float:
        largest[0] = 0.0
        last[0] = time.perf_counter()
        timer.start()
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        timer.stop()
        return largest[0]

    started = time.perf_counter()
    done: list[object] = []
    window.capture.sig_batch_done.connect(lambda s: (done.append(s), app.quit()))
    largest[0] = 0.0
    last[0] = time.perf_counter()
    timer.start()
    window.capture.capture([folder])
    app.exec()
    timer.stop()
    busy_gap = largest[0]
    duration = time.perf_counter() - started
    idle_gap = run_for(min(duration, 10.0))
    summary = done[0]
    print(
        f"import of 100 receipts (1200x2000) through the window: {duration:.1f} s, "
        f"captured {getattr(summary, 'captured', '?')}"
    )
    print(f"largest UI-thread gap during the import: {busy_gap * 1000:.0f} ms (target < 100 ms)")
    print(f"largest UI-thread gap with the window idle: {idle_gap * 1000:.0f} ms")
    print(f"gap ratio, import vs idle: {busy_gap / max(idle_gap, 1e-3):.1f}x")
    window.close()
    window.runner.shutdown()
    ctx.close()


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        t0 = time.perf_counter()
        make_store(tmp / "data", 10_000)
        print(f"(made 10,000 jobs in {time.perf_counter() - t0:.1f} s)")
        startup(tmp / "data")
        import_gap(tmp)


if __name__ == "__main__":
    main()
