"""Start-up: the window shows before the sync stack (httpx, keyring, cryptography) loads."""

from __future__ import annotations

import subprocess
import sys

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


def test_window_shows_before_the_sync_stack_is_imported(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
