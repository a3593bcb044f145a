"""The window and the sync engine together, against the real server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ocr_desk.app import AppContext
from ocr_desk.services.local_server import free_port
from ocr_desk.sync.events import ConnectionState
from ocr_desk.ui import build_window

from .test_capture import drop, make_receipt


@pytest.fixture
def live_ctx(tmp_path: Path) -> Iterator[AppContext]:
    """A context on the system clock: the engine's waits and backoffs are real here."""
    with AppContext.open(tmp_path / "live") as opened:
        yield opened


def _window(ctx, qtbot, **kwargs):
    window = build_window(ctx, sync=True, **kwargs)
    qtbot.addWidget(window)
    return window


def _close(window) -> None:
    window.close()  # stops the engine and the local server
    window.runner.shutdown()


def test_offline_server_shows_offline(live_ctx, qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("OCR_DESK_TOKEN", "ocd_not_a_real_token")
    live_ctx.settings = live_ctx.settings.with_changes(server_url=f"http://127.0.0.1:{free_port()}")
    # captured while the server is out of reach
    files = [make_receipt(tmp_path / f"r{i}.jpg", i) for i in range(2)]
    assert len(live_ctx.capture_service().capture_batch(files).captured) == 2
    window = _window(live_ctx, qtbot)
    try:
        window.show()
        window.start()
        qtbot.waitUntil(
            lambda: (
                window.status_panel.state is not None
                and window.status_panel.state.state is ConnectionState.OFFLINE
            ),
            timeout=20000,
        )
        assert window.status_panel.connection.text().startswith("Offline since")
        assert "Offline" in window.status_panel.connection.accessibleName()
        assert window.status_panel.counts["queued"] == 2  # nothing lost, nothing failed
        assert window.status_panel.counts["failed"] == 0
    finally:
        _close(window)


def test_status_counts_follow_a_sync_with_the_local_server(live_ctx, qtbot, tmp_path):
    folder = tmp_path / "receipts"
    folder.mkdir()
    for i in range(3):
        make_receipt(folder / f"r{i}.jpg", i)
    window = _window(live_ctx, qtbot)
    try:
        with qtbot.waitSignal(window.model.sig_loaded, timeout=10000):
            window.show()
            window.start()
        with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000):
            drop(window.capture, [folder])
        qtbot.waitUntil(lambda: window.status_panel.counts.get("queued") == 3, timeout=10000)
        # the local server starts, the receipts go up, OCR runs there, results come back
        qtbot.waitUntil(lambda: window.status_panel.counts.get("completed24h") == 3, timeout=90000)
        assert window.status_panel.counts["queued"] == 0
        assert window.status_panel.counts["failed"] == 0
        qtbot.waitUntil(
            lambda: all(window.model.job_at(r).status.value == "completed" for r in range(3)),
            timeout=10000,
        )
        assert window.status_panel.state is None or window.status_panel.state.state in (
            ConnectionState.ONLINE,
        )
    finally:
        _close(window)


def test_captures_from_another_process_show_in_the_counts_and_the_storage(
    live_ctx, qtbot, tmp_path
):
    """`ocr-desk add` while the window is open: the window's sync sends them, and the
    status panel's local storage follows (the queue events carry no byte counts)."""
    window = _window(live_ctx, qtbot)
    try:
        with qtbot.waitSignal(window.model.sig_loaded, timeout=10000):
            window.show()
            window.start()
        qtbot.waitUntil(lambda: window.status_panel.state is not None, timeout=60000)
        qtbot.waitUntil(lambda: window.status_panel.storage.text() == "0 B", timeout=10000)
        with AppContext.open(live_ctx.data_dir) as cli:  # another connection, as the CLI
            for i in range(2):
                path = tmp_path / f"other-{i}.jpg"
                make_receipt(path, 100 + i)
                cli.capture_service().capture(path)
        window.sync.sync_now()
        qtbot.waitUntil(lambda: window.status_panel.counts.get("completed24h") == 2, timeout=90000)
        qtbot.waitUntil(lambda: window.status_panel.storage.text() != "0 B", timeout=10000)
    finally:
        _close(window)
