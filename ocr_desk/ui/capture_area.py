"""The capture area: drop files and folders, add files, paste, choose the document type,
watch a folder, and follow a batch with a progress bar and a summary."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ocr_desk.app import AppContext
from ocr_desk.core import JobType
from ocr_desk.services.watch import WatchedFolder
from ocr_desk.store import Store

from . import backend
from .tasks import TaskRunner

__all__ = ["CaptureArea"]


class CaptureArea(QFrame):
    """Takes receipts in every way a laptop offers and runs each batch off the UI thread."""

    sig_batch_started = Signal(int)
    sig_progress = Signal(object)  # tuple[backend.BatchProgress, ...] since the last update
    sig_batch_done = Signal(object)  # backend.BatchSummary
    sig_failed = Signal(str)

    def __init__(self, *, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx = ctx
        self._runner = runner
        self._cancel: threading.Event | None = None
        self._queue: list[list[Path]] = []
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_folder_changed)
        self._watch_timer = QTimer(self)
        self._watch_timer.setSingleShot(True)
        self._watch_timer.setInterval(1500)
        self._watch_timer.timeout.connect(self.scan_watched)
        self._watched: str | None = None
        self._progress_items: list[backend.BatchProgress] = []
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(100)
        self._progress_timer.timeout.connect(self._flush_progress)

        self.setObjectName("captureArea")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Capture area: drop receipt files or folders here")
        self.setStyleSheet(
            "#captureArea { border: 2px dashed #8aa4c8; border-radius: 8px; background: #f5f8fc; }"
        )

        self.hint = QLabel("<b>Drop receipts or folders here</b>, or", self)
        self.hint.setAccessibleName("Drop receipts or folders here")
        self.add_button = QPushButton("&Add files…", self)
        self.add_button.setAccessibleName("Add files")
        self.add_button.setToolTip("Add receipt files (Ctrl+O)")
        self.add_button.clicked.connect(self.choose_files)
        self.type_box = QComboBox(self)
        for kind in JobType:
            self.type_box.addItem(kind.value.capitalize(), kind.value)
        self.type_box.setCurrentIndex(max(0, self.type_box.findData(ctx.settings.default_job_type)))
        self.type_box.setAccessibleName("Document type")
        self.type_box.setToolTip("Document type of the next captures")
        type_label = QLabel("&Type:", self)
        type_label.setBuddy(self.type_box)
        self.watch_label = QLabel("", self)
        self.watch_label.setAccessibleName("Watched folder")

        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Capture progress")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Stop", self)
        self.cancel_button.setAccessibleName("Stop the capture batch")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Capture summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(self.hint)
        top.addWidget(self.add_button)
        top.addStretch(1)
        top.addWidget(type_label)
        top.addWidget(self.type_box)
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.watch_label)
        layout.addLayout(bar)
        layout.addWidget(self.summary)

    # -- ways in ----------------------------------------------------------------------

    @property
    def job_type(self) -> str:
        return str(self.type_box.currentData())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            self.capture(paths)
        elif mime.hasImage():
            self.capture_image(QImage(mime.imageData()))
        event.acceptProposedAction()

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self,
            "Add receipts",
            "",
            "Receipts (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.heic *.heif *.pdf);;All files (*)",
        )
        if names:
            self.capture([Path(n) for n in names])

    def paste(self, mime: Any) -> bool:
        """Capture what the clipboard holds: files, or an image. Returns whether it took any."""
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            self.capture(paths)
            return True
        if mime.hasImage():
            self.capture_image(QImage(mime.imageData()))
            return True
        return False

    def capture_image(self, image: QImage) -> None:
        """Save a pasted image under the data dir (off the UI thread), then capture it."""
        if image.isNull():
            self.sig_failed.emit("The clipboard holds no image to capture.")
            return
        inbox = self._ctx.data_dir / "pasted"

        def save(_store: Store, _progress: Any) -> Path:
            from datetime import datetime

            inbox.mkdir(parents=True, exist_ok=True)
            path = inbox / f"pasted-{datetime.now():%Y%m%d-%H%M%S-%f}.png"
            if not image.save(str(path), "PNG"):
                raise OSError(f"cannot write {path}")
            return path

        self._runner.run(
            save,
            on_done=lambda path: self.capture([path]),
            on_failed=lambda exc: self.sig_failed.emit(f"Pasting failed: {exc}"),
            heavy=True,
        )

    # -- batches ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    def capture(self, paths: Sequence[Path]) -> None:
        """Capture files and folders as one batch (queued behind a running one)."""
        batch = list(paths)
        if not batch:
            return
        if self._cancel is not None:
            self._queue.append(batch)
            return
        cancel = threading.Event()
        self._cancel = cancel
        ctx = self._ctx
        job_type = self.job_type
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.summary.setText(f"Capturing {len(batch)} item(s)…")
        self.sig_batch_started.emit(len(batch))

        def work(store: Store, progress: Any) -> backend.BatchSummary:
            return backend.capture_paths(
                ctx, store, batch, job_type=job_type, progress=progress, cancel=cancel
            )

        self._runner.run(
            work,
            on_done=self._on_done,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
            heavy=True,
        )

    def cancel_batch(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._queue.clear()

    def _on_progress(self, item: backend.BatchProgress) -> None:
        # Only remember it here: the bar and the list follow at most ten times a second,
        # so a fast batch costs the UI thread a few calls, not a few per file.
        self._progress_items.append(item)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _flush_progress(self) -> None:
        items, self._progress_items = self._progress_items, []
        if not items:
            return
        last = items[-1]
        if self._cancel is not None:
            self.progress.setRange(0, max(1, last.total))
            self.progress.setValue(last.done)
            self.progress.setFormat(f"%v of %m — {last.name}")
        self.sig_progress.emit(tuple(items))

    def _on_done(self, summary: backend.BatchSummary) -> None:
        self._flush_progress()
        self._finish()
        text = f"Captured {summary.captured}, duplicates {summary.duplicates}"
        text += f", rejected {len(summary.rejected)}"
        if summary.cancelled:
            text += " (stopped)"
        if summary.rejected:
            text += ":<br>" + "<br>".join(
                f"• {Path(name).name}: {reason}" for name, reason in summary.rejected[:20]
            )
            if len(summary.rejected) > 20:
                text += f"<br>… and {len(summary.rejected) - 20} more"
        self.summary.setText(text)
        self.sig_batch_done.emit(summary)
        self._next()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        message = getattr(exc, "message", None) or str(exc)
        self.summary.setText(f"Capture failed: {message}")
        self.sig_failed.emit(message)
        self._next()

    def _finish(self) -> None:
        self._cancel = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def _next(self) -> None:
        if self._queue:
            self.capture(self._queue.pop(0))

    # -- watched folder ---------------------------------------------------------------

    @property
    def watched_folder(self) -> str | None:
        return self._watched

    def set_watched_folder(self, folder: str | None) -> None:
        if self._watched:
            self._watcher.removePath(self._watched)
        self._watched = folder
        if folder:
            self._watcher.addPath(folder)
            self.watch_label.setText(f"Watching {folder}: new files there are captured once.")
            self.scan_watched()
        else:
            self.watch_label.setText("")

    def _on_folder_changed(self, _path: str) -> None:
        self._watch_timer.start()  # let a scanner finish writing; one scan per burst

    def scan_watched(self) -> None:
        folder = self._watched
        if not folder:
            return
        ledger = WatchedFolder(folder=Path(folder), state_dir=self._ctx.data_dir)

        def scan(_store: Store, _progress: Any) -> tuple[list[Path], bool]:
            return ledger.new_files()

        def done(value: tuple[list[Path], bool]) -> None:
            files, settling = value
            if files:
                self.capture(files)
            if settling:
                self._watch_timer.start()

        self._runner.run(scan, on_done=done, heavy=True)
