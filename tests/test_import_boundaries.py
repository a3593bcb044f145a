"""Imports point downwards: the non-UI packages never load Qt, core loads nothing of ours."""

from __future__ import annotations

import subprocess
import sys

import pytest

NON_UI = [
    "ocr_desk.core",
    "ocr_desk.store",
    "ocr_desk.media",
    "ocr_desk.services",
    "ocr_desk.sync",
    "ocr_desk.cli",
    "ocr_desk.app",
]


@pytest.mark.parametrize("module", NON_UI)
def test_module_does_not_import_qt(module: str) -> None:
    code = f"import sys, {module}; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_core_imports_nothing_else_of_the_package() -> None:
    code = (
        "import sys, ocr_desk.core; "
        "bad = [m for m in sys.modules if m.startswith('ocr_desk.') "
        "and not m.startswith('ocr_desk.core')]; print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
