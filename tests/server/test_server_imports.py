"""The server imports only ``ocr_desk.core`` of the package, and never Qt."""

from __future__ import annotations

import subprocess
import sys


def test_server_imports_only_core_of_the_package() -> None:
    code = (
        "import sys, ocr_desk.server.api, ocr_desk.server.cli, ocr_desk.server.worker; "
        "bad = [m for m in sys.modules if m.startswith('ocr_desk.') and not "
        "m.startswith(('ocr_desk.core', 'ocr_desk.server'))]; "
        "bad += [m for m in sys.modules if m.startswith('PySide6')]; "
        "print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
