"""Capture from the window: drop files and folders, paste, the watched folder."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from ocr_desk.core import JobStatus


def make_receipt(path: Path, n: int, *, size: tuple[int, int] = (360, 640)) -> Path:
    """A small receipt-like JPEG, different for each ``n``."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), f"SHOP {n}", fill="black")
    for line in range(8):
        draw.text((20, 60 + 30 * line), f"item {line} .... {n + line}.99", fill="black")
    draw.rectangle((10 + n % 50, 10, 30 + n % 50, 30), fill=(n % 255, 80, 160))
    image.save(path, "JPEG", quality=85)
    return path


def drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)


def test_dropped_files_and_folders_become_rows(ctx, make_window, qtbot, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    files = [make_receipt(folder / f"r{i}.jpg", i) for i in range(4)]
    single = make_receipt(tmp_path / "single.jpg", 99)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a receipt")
    window = make_window()
    assert window.model.rowCount() == 0
    with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000) as done:
        drop(window.capture, [folder, single, junk])
    summary = done.args[0]
    assert summary.captured == 5
    assert len(summary.rejected) == 1
    assert "notes.txt" in summary.rejected[0][0]
    assert "Captured 5" in window.capture.summary.text()
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10000)
    rows = [window.model.job_at(r) for r in range(5)]
    assert {r.status for r in rows} == {JobStatus.QUEUED}
    assert {r.original_name for r in rows} == {p.name for p in [*files, single]}
    qtbot.waitUntil(lambda: window.status_panel.counts.get("queued") == 5, timeout=5000)
    # the thumbnails are decoded off the UI thread and arrive in the cells
    qtbot.waitUntil(
        lambda: (
            window.model.data(window.model.index(0, 0), Qt.ItemDataRole.DecorationRole) is not None
        ),
        timeout=10000,
    )

    with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000) as again:
        drop(window.capture, [single])
    assert again.args[0].duplicates == 1
    assert window.model.rowCount() == 5


def test_pasted_image_is_captured(ctx, make_window, qtbot):
    window = make_window()
    image = QImage(200, 300, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    mime = QMimeData()
    mime.setImageData(image)
    with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000) as done:
        assert window.capture.paste(mime)
    assert done.args[0].captured == 1
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)


def test_watched_folder_captures_each_new_file_once(ctx, make_window, qtbot, tmp_path):
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    make_receipt(inbox / "a.jpg", 1)
    window = make_window()
    import os
    import time

    old = time.time() - 60
    os.utime(inbox / "a.jpg", (old, old))
    with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000) as first:
        window.capture.set_watched_folder(str(inbox))
    assert first.args[0].captured == 1
    make_receipt(inbox / "b.jpg", 2)
    os.utime(inbox / "b.jpg", (old, old))
    with qtbot.waitSignal(window.capture.sig_batch_done, timeout=30000) as second:
        window.capture.scan_watched()
    assert second.args[0].captured == 1  # b only; a is never captured twice
    assert second.args[0].duplicates == 0
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)
