"""GUI benchmark: start-up with 10,000 jobs, and the UI thread's largest gap during an import.

1. Time from process start to the first paint of the job list with its first page of
   rows, through the real entry (``ocr-desk --data-dir DIR``: CLI, GUI, sync thread),
   on a data dir holding 10,000 jobs, beside a bare PySide6 window with an empty
   QTableView timed the same way in the same run (ratio; target <= 2x).
2. The largest gap between two ticks of a 5 ms QTimer on the UI thread while 100
   generated receipts are imported through the window, beside the largest gap of
   the same timer on the same window left idle for as long (ratio).

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [startup|import]`` (any
platform works; both parts by default).
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
RUNS = 5

# Both programs run the same probe: an application-wide event filter that waits for
# the first paint of a table's viewport (for OCR Desk: with rows in it), prints "shown"
# and leaves at once. The time is taken when that line arrives, so neither side pays
# for its interpreter's teardown, which no user waits for.
PROBE = """
import os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QTableView

class FirstPaint(QObject):
    def __init__(self, need_rows):
        super().__init__()
        self.need_rows = need_rows

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            view = obj.parent()
            if isinstance(view, QTableView) and obj is view.viewport():
                rows = view.model().rowCount()
                if rows or not self.need_rows:
                    print("shown", rows, flush=True)
                    os._exit(0)
        return False

app = QApplication(sys.argv[:1])
probe = FirstPaint(need_rows=NEED_ROWS)
app.installEventFilter(probe)
"""

BARE_WINDOW = """
from PySide6.QtWidgets import QMainWindow
from PySide6.QtGui import QStandardItemModel
w = QMainWindow(); t = QTableView(); t.setModel(QStandardItemModel(0, 9)); w.setCentralWidget(t)
w.resize(1280, 800); w.show()
app.exec()
"""

# What `ocr-desk --data-dir DIR` runs (the console script is ocr_desk.cli:main): the
# CLI entry (imported first, as the console script does), the GUI with its sync thread
# (local mode: no server is set), the real first page of the 10,000 jobs.
BARE = PROBE.replace("NEED_ROWS", "False") + BARE_WINDOW
APP = (
    "from ocr_desk.cli import main\n"
    + PROBE.replace("NEED_ROWS", "True")
    + 'sys.exit(main(["--data-dir", sys.argv[1]]))\n'
)


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


def child_env(pycache: Path) -> dict[str, str]:
    """The children's environment: this tree first on the path, and compiled bytecode.

    An installed OCR Desk (wheel or bundle) starts from compiled ``.pyc`` files, as
    PySide6 does from site-packages; with PYTHONDONTWRITEBYTECODE set, a run from the
    source tree would compile every module of ours on every start instead. So the
    children keep their bytecode under ``pycache`` (both programs alike) and one
    untimed run of each writes it first.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_start(code: str, *args: str, env: dict[str, str]) -> float:
    """Seconds from starting a fresh interpreter to its "shown" line."""
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        _, err = proc.communicate(timeout=60)
    if not line.startswith("shown") or (args and line.split()[1] == "0"):
        raise SystemExit(f"the window never showed its rows: {line!r} {err}")
    return elapsed


def startup(data_dir: Path, pycache: Path) -> None:
    env = child_env(pycache)
    time_start(BARE, env=env)  # untimed: writes the bytecode, warms the file cache
    time_start(APP, str(data_dir), env=env)
    bare: list[float] = []
    app: list[float] = []
    for _ in range(RUNS):  # interleaved, so both see the same load
        bare.append(time_start(BARE, env=env))
        app.append(time_start(APP, str(data_dir), env=env))
    b, a = statistics.median(bare), statistics.median(app)
    print(
        f"start-up, bare PySide6 window with an empty table: {b * 1000:.0f} ms (median of {RUNS})"
    )
    print(f"start-up, OCR Desk with 10,000 jobs, first page painted: {a * 1000:.0f} ms")
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
    """``bench_gui.py [startup|import]``: both parts by default, or just one."""
    parts = sys.argv[1:] or ["startup", "import"]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "startup" in parts:
            t0 = time.perf_counter()
            make_store(tmp / "data", 10_000)
            print(f"(made 10,000 jobs in {time.perf_counter() - t0:.1f} s)")
            startup(tmp / "data", tmp / "pycache")
        if "import" in parts:
            import_gap(tmp)


if __name__ == "__main__":
    main()
