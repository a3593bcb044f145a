"""The desktop app (PySide6): the only package that imports Qt.

``run_gui()`` is what ``ocr-desk`` with no command runs. :func:`build_window` is
the composition the tests and the benchmark use: an :class:`AppContext` in, a
main window with its task runner and sync thread out; nothing global.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from ocr_desk.app import AppContext

__all__ = ["build_window", "run_gui", "settle_memory"]


def settle_memory() -> None:
    """Collect once and freeze what survived (the start-up's modules, widgets, caches).

    Later collections then skip those objects, so a full collection on the UI thread
    stays short while a batch is imported and synced. ``run_gui`` calls it once the
    first page is on screen, and keeps the collector off until then: the start-up
    allocates much and frees little, and some thirty collections would only find
    nothing to free before the first paint. This turns the collector back on.
    """
    gc.collect()
    gc.freeze()
    gc.enable()


def build_window(  # type: ignore[no-untyped-def]
    ctx: AppContext, *, sync: bool = True, serve_args: Sequence[str] = ()
):
    """The main window for ``ctx``; ``sync=False`` leaves the sync thread out.

    ``serve_args`` are extra options of the local server's ``serve`` (local mode only).
    """
    # Hand the GIL over every millisecond (default 5 ms): with capture, upload and
    # feed threads busy, the UI thread then never waits long to run its slots.
    sys.setswitchinterval(0.001)
    from . import backend
    from .main_window import MainWindow
    from .sync_worker import SyncController
    from .tasks import TaskRunner

    runner = TaskRunner(ctx)
    controller = (
        SyncController(
            backend.engine_factory(ctx, serve_args=serve_args), paused=ctx.settings.sync_paused
        )
        if sync
        else None
    )
    return MainWindow(ctx=ctx, runner=runner, sync=controller)


def run_gui(data_dir: Path | str | None = None) -> int:
    """Open the main window on ``data_dir`` (default: the user data folder) until it closes."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("OCR Desk")
    app.setOrganizationName("OCR Desk")
    app.setQuitOnLastWindowClosed(True)
    gc.disable()  # until the first page is on screen (settle_memory)
    try:
        with AppContext.open(data_dir) as ctx:
            window = build_window(ctx)
            window.sig_first_page_shown.connect(settle_memory)
            window.show()
            window.start()
            try:
                return int(app.exec())
            finally:
                window.runner.shutdown()
    finally:
        gc.enable()
