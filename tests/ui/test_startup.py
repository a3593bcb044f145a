"""Start-up: the window shows its first page before the heavy parts load or start.

What the first frame needs is Qt, the store and the job list's reads. The sync stack
(httpx, keyring, cryptography), Pillow (capture, media) and the local server wait:
they load on the threads that use them, and the sync thread starts only once the
first page has been painted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ocr_desk.app import AppContext
from ocr_desk.services.local_server import free_port

from .conftest import add_jobs

CODE = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ocr_desk.app import AppContext
from ocr_desk.ui import build_window
ctx = AppContext.open(sys.argv[1])
window = build_window(ctx)  # with its sync controller; the engine is built on its thread
window.show()
loaded = [m for m in ("ocr_desk.sync", "httpx", "keyring") if m in sys.modules]
window.runner.shutdown()
ctx.close()
sys.exit(f"loaded before the window showed: {loaded}" if loaded else 0)
"""

HEAVY = (
    "PIL",
    "httpx",
    "keyring",
    "cryptography",
    "ocr_desk.sync.client",
    "ocr_desk.sync.engine",
    "ocr_desk.media.library",
    "ocr_desk.services.capture",
    "ocr_desk.services.local_server",
)

# `ocr-desk --data-dir DIR` as the console script runs it, watched from inside: at
# the first paint of the job list with rows, and once the window says the first page
# is shown; then the window is closed the way a user closes it.
ENTRY = """
import json, sys
from ocr_desk.cli import main
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QTableView

HEAVY = HEAVY_NAMES
seen = {}

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "paint" not in seen:
            view = obj.parent()
            if isinstance(view, QTableView) and obj is view.viewport() and view.model().rowCount():
                window = view.window()
                seen["paint"] = {
                    "rows": view.model().rowCount(),
                    "heavy": [m for m in HEAVY if m in sys.modules],
                    "sync_running": window.sync.thread.isRunning(),
                }
                window.sig_first_page_shown.connect(lambda: after(window))
        return False

def after(window):
    seen["shown"] = {"sync_running": window.sync.thread.isRunning()}
    QTimer.singleShot(0, window.close)

app = QApplication(sys.argv[:1])
watch = Watch()
app.installEventFilter(watch)
code = main(["--data-dir", sys.argv[1]])
print(json.dumps(seen))
sys.exit(code)
""".replace("HEAVY_NAMES", repr(HEAVY))


def test_window_shows_before_the_sync_stack_is_imported(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_first_page_is_painted_before_heavy_modules_load_and_sync_starts(
    tmp_path: Path, monkeypatch
) -> None:
    data = tmp_path / "data"
    with AppContext.open(data) as ctx:
        add_jobs(ctx, 30)
        # a server that is out of reach, with a token from the environment: the sync
        # thread starts, finds it offline, and no local server is started
        ctx.save_settings(ctx.settings.with_changes(server_url=f"http://127.0.0.1:{free_port()}"))
    monkeypatch.setenv("OCR_DESK_TOKEN", "ocd_not_a_real_token")
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, str(data)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["paint"]["rows"] == 30
    assert seen["paint"]["heavy"] == [], "loaded before the first page was painted"
    assert seen["paint"]["sync_running"] is False
    assert seen["shown"]["sync_running"] is True


def test_pause_pressed_before_the_sync_thread_starts_is_kept(
    tmp_path: Path, qtbot, monkeypatch
) -> None:
    from ocr_desk.sync.events import ConnectionState
    from ocr_desk.ui import build_window

    monkeypatch.setenv("OCR_DESK_TOKEN", "ocd_not_a_real_token")
    with AppContext.open(tmp_path / "data") as ctx:
        ctx.settings = ctx.settings.with_changes(server_url=f"http://127.0.0.1:{free_port()}")
        window = build_window(ctx, sync=True)
        qtbot.addWidget(window)
        try:
            window.show()
            window.start()
            window.acts.pause.trigger()  # the first page is not on screen yet
            assert window.sync is not None
            assert not window.sync.thread.isRunning()
            qtbot.waitUntil(
                lambda: (
                    window.status_panel.state is not None
                    and window.status_panel.state.state is ConnectionState.PAUSED
                ),
                timeout=20000,
            )
            assert ctx.settings.sync_paused
        finally:
            window.close()
            window.runner.shutdown()
