"""The main window: capture area, job list, status panel, detail pane and the actions.

It receives everything from the :class:`AppContext` and the controllers it is
given; it opens no database itself (every read and write is a task on the
runner, every sync call a queued call to the sync thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ocr_desk.app import AppContext
from ocr_desk.core import JobStatus
from ocr_desk.settings import Settings
from ocr_desk.store import Store

from . import actions, backend
from .capture_area import CaptureArea
from .detail_pane import DetailPane
from .job_model import Column, JobTableModel
from .status_panel import StatusPanel
from .sync_worker import SyncController
from .tasks import TaskRunner
from .thumbnails import ThumbnailCache
from .window_actions import install_actions

if TYPE_CHECKING:  # the sync package loads on the sync thread, not before the window shows
    from ocr_desk.sync.events import JobsChanged, QueueChanged, StateChanged

    from .settings_dialog import SettingsDialog  # loaded when first opened

__all__ = ["FIRST_PAINT_WAIT_MS", "MainWindow"]

FIRST_PAINT_WAIT_MS = 3000
"""Start the background work this long after :meth:`MainWindow.start` at the latest
(a window that never paints: minimized, on a screen that is off)."""


class MainWindow(QMainWindow):
    sig_status_refreshed = Signal(object)  # backend.StatusSnapshot
    sig_action_done = Signal(str, object)  # action name, result
    sig_notified = Signal(str, str)  # title, message
    sig_first_page_shown = Signal()
    """The first page of the job list is on screen: what can wait starts now."""

    def __init__(
        self,
        *,
        ctx: AppContext,
        runner: TaskRunner,
        sync: SyncController | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.runner = runner
        self.sync = sync
        self.setWindowTitle("OCR Desk")
        self.setAccessibleName("OCR Desk main window")
        self.resize(1280, 800)
        root = ctx.media_root

        self.thumbnails = ThumbnailCache(runner=runner, media_root=root)
        self.model = JobTableModel(
            runner=runner, company_id=ctx.company_id, thumbnails=self.thumbnails, parent=self
        )
        # The first page is read on the database thread while the widgets are built.
        self.model.reload()
        self.capture = CaptureArea(ctx=ctx, runner=runner, parent=self)
        self.status_panel = StatusPanel(self)
        self.detail = DetailPane(runner=runner, company_id=ctx.company_id, media_root=root)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Jobs")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            Column.CAPTURED_AT, Qt.SortOrder.DescendingOrder
        )
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vheader = self.table.verticalHeader()
        vheader.setVisible(False)
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(52)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in (
            (Column.THUMBNAIL, 56),
            (Column.CAPTURED_AT, 130),
            (Column.TYPE, 90),
            (Column.STATUS, 120),
            (Column.MERCHANT, 170),
            (Column.DATE, 95),
            (Column.TOTAL, 95),
            (Column.COST, 90),
        ):
            header.resizeSection(col, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.filter_box = QComboBox(self)
        self.filter_box.addItem("All statuses", None)
        for status in JobStatus:
            self.filter_box.addItem(status.value.capitalize(), status.value)
        self.filter_box.setAccessibleName("Filter by status")
        self.filter_box.currentIndexChanged.connect(self._on_filter)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search merchant, file, total, error…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search jobs")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(lambda: self.model.set_query(search=self.search.text()))
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        # The sync's queue events carry counts, not the bytes on disk, which change too
        # (captures by `ocr-desk add` in another process, files deleted after OCR):
        # read them again once the events quieten down.
        self._storage_timer = QTimer(self)
        self._storage_timer.setSingleShot(True)
        self._storage_timer.setInterval(1000)
        self._storage_timer.timeout.connect(self.refresh_status)
        self.count_label = QLabel("", self)
        self.count_label.setAccessibleName("Number of jobs shown")
        self.model.sig_total.connect(self._on_count)
        self.model.sig_rows_updated.connect(self._on_count)

        filters = QHBoxLayout()
        show_label = QLabel("&Show:", self)
        show_label.setBuddy(self.filter_box)
        filters.addWidget(show_label)
        filters.addWidget(self.filter_box)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count_label)

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.capture)
        lv.addLayout(filters)
        lv.addWidget(self.table, 1)
        right = QWidget(self)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.status_panel)
        rv.addWidget(self.detail, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([800, 480])
        central = QWidget(self)
        cv = QVBoxLayout(central)
        cv.setContentsMargins(8, 8, 8, 8)
        cv.addWidget(self.splitter)
        self.setCentralWidget(central)

        self.acts = install_actions(self)
        self.tray: QSystemTrayIcon | None = None  # made after the first page shows
        self._background_started = False
        self._background_timer = QTimer(self)
        self._background_timer.setSingleShot(True)
        self._background_timer.timeout.connect(self._start_background)

        self.capture.sig_batch_done.connect(self._on_batch_done)
        self.capture.sig_progress.connect(self._on_capture_progress)
        self.capture.sig_failed.connect(self.show_message)
        self._last_counts: dict[str, int] = {}
        self._pending_rows: list[str] = []
        self._rows_timer = QTimer(self)
        self._rows_timer.setSingleShot(True)
        self._rows_timer.setInterval(200)  # rows of a running batch appear in small groups
        self._rows_timer.timeout.connect(self._flush_rows)
        if sync is not None:
            sync.worker.sig_state.connect(self.on_state)
            sync.worker.sig_jobs.connect(self.on_jobs_changed)
            sync.worker.sig_queue.connect(self.on_queue)
            # bound methods, never lambdas: a lambda would run on the sync thread
            sync.worker.sig_error.connect(self.show_message)
        self.acts.pause.setChecked(ctx.settings.sync_paused)

    # -- actions ----------------------------------------------------------------------

    def start(self) -> None:
        """Load the first page and the counts now; the rest once that page is on screen.

        The sync thread (and with it the local server's child process and the sync
        stack's imports), the watched folder's first scan and the tray icon wait for
        the first paint of the loaded list (:attr:`sig_first_page_shown`), so they do
        not compete with it for the CPU.
        """
        if not self.model.requested:
            self.model.reload()
        self.refresh_status()
        if self.sync is not None:
            if not self.ctx.settings.server_url:
                self.status_panel.set_quota(None, note="local server")
        else:
            from ocr_desk.sync.events import ConnectionState, StateChanged

            self.on_state(
                StateChanged(
                    state=ConnectionState.OFFLINE,
                    since=self.ctx.clock.now(),
                    reason="sync is not running",
                )
            )
        self.table.viewport().installEventFilter(self)
        self._background_timer.start(FIRST_PAINT_WAIT_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            event.type() == QEvent.Type.Paint
            and watched is self.table.viewport()
            and self.model.loaded
        ):
            watched.removeEventFilter(self)
            self._background_timer.start(0)  # once this paint is done
        return super().eventFilter(watched, event)

    def _start_background(self) -> None:
        if self._background_started:
            return
        self._background_started = True
        self.table.viewport().removeEventFilter(self)
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.setToolTip("OCR Desk")
            self.tray.show()
        if self.capture.watched_folder is None:  # unless one was set in the meantime
            self.capture.set_watched_folder(self.ctx.settings.watched_folder)
        if self.sync is not None:
            self.sync.start()
        self.sig_first_page_shown.emit()

    def paste(self) -> None:
        if self.search.hasFocus():
            self.search.paste()
            return
        if not self.capture.paste(QGuiApplication.clipboard().mimeData()):
            self.statusBar().showMessage("The clipboard holds no image or file to capture.", 8000)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [job.id for r in rows if (job := self.model.job_at(r)) is not None]

    def retry_failed(self) -> None:
        self._run_action("retry_failed", [])

    def act_on_selection(self, name: str) -> None:
        ids = self.selected_ids()
        if not ids:
            self.statusBar().showMessage("Select one or more jobs first.", 6000)
            return
        if name == "delete" and not self._confirm_delete(len(ids)):
            return
        self._run_action(name, ids)

    def _confirm_delete(self, n: int) -> bool:
        if QGuiApplication.platformName() == "offscreen":
            return True  # tests; no one to answer
        answer = QMessageBox.question(self, "Delete jobs", f"Delete {n} job(s) from this computer?")
        return answer == QMessageBox.StandardButton.Yes

    def _run_action(self, name: str, ids: list[str]) -> None:
        ctx = self.ctx

        def work(store: Store, _progress: Any) -> actions.ActionResult:
            return actions.run(ctx, store, name, ids)

        def done(result: actions.ActionResult) -> None:
            if result.message:
                self.statusBar().showMessage(result.message, 10000)
            self.model.refresh_ids(result.job_ids)
            self.refresh_status()
            if result.job_ids and self.sync is not None:
                self.sync.sync_now()
            self.sig_action_done.emit(name, result)

        def failed(exc: BaseException) -> None:
            self.statusBar().showMessage(getattr(exc, "message", None) or str(exc), 10000)

        self.runner.run(work, on_done=done, on_failed=failed)

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.sync_now()
            self.statusBar().showMessage("Syncing…", 3000)

    def toggle_pause(self, paused: bool) -> None:
        if self.sync is not None:
            (self.sync.pause if paused else self.sync.resume)()
        self.save_settings(self.ctx.settings.with_changes(sync_paused=paused))

    def export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.upper()}", f"receipts.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        ctx = self.ctx

        def work(store: Store, _progress: Any) -> int:
            from ocr_desk.services.export import export_to_file

            return export_to_file(store, company_id=ctx.company_id, path=path, fmt=fmt)

        self.runner.run(
            work,
            on_done=lambda n: self._exported(path, n),
            on_failed=lambda e: self.statusBar().showMessage(f"Export failed: {e}", 10000),
        )

    def _exported(self, path: Path, n: int) -> None:
        self.statusBar().showMessage(f"Exported {n} receipt(s) to {path}", 10000)
        self.sig_action_done.emit("export", n)

    # -- settings ---------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            settings=self.ctx.settings, runner=self.runner, save=self.save_settings, parent=self
        )
        dialog.sig_saved.connect(self._on_settings_saved)
        dialog.open()
        return dialog

    def save_settings(self, settings: Settings) -> None:
        """Keep the new settings now; write settings.json off the UI thread."""
        ctx = self.ctx
        ctx.settings = settings

        def work(_store: Store, _progress: Any) -> Settings:
            ctx.save_settings(settings)
            return settings

        self.runner.run(
            work,
            on_done=lambda s: self.sig_action_done.emit("settings", s),
            on_failed=lambda e: self.statusBar().showMessage(f"Settings not saved: {e}", 10000),
        )

    def _on_settings_saved(self, settings: Settings) -> None:
        self.capture.set_watched_folder(settings.watched_folder)
        index = self.capture.type_box.findData(settings.default_job_type)
        self.capture.type_box.setCurrentIndex(max(0, index))
        self.statusBar().showMessage(
            "Settings saved. A new server address is used from the next start.", 8000
        )

    # -- events -----------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Read the counts once after a local change (the sync engine reports the rest)."""
        ctx = self.ctx

        def work(store: Store, _progress: Any) -> backend.StatusSnapshot:
            return backend.status_snapshot(ctx, store)

        def done(snap: backend.StatusSnapshot) -> None:
            self._apply_counts(snap.counts)
            self.status_panel.set_storage(snap.storage_bytes)
            self.sig_status_refreshed.emit(snap)

        self.runner.run(work, on_done=done)

    def on_state(self, event: StateChanged) -> None:
        self.status_panel.set_state(event)
        if event.state == "signed_out":
            self.notify("Signed out", "Sign in again from Settings; captures keep queueing.")

    def on_jobs_changed(self, event: JobsChanged) -> None:
        # job changes come from the server's answers: that is a successful sync
        self.status_panel.set_last_sync(self.ctx.clock.now())
        self.model.refresh_ids(event.job_ids)
        if self.detail.job_id in event.job_ids:
            self.detail.refresh()

    def on_queue(self, event: QueueChanged) -> None:
        self._apply_counts(event.counts)
        if event.quota_left is not None:
            self.status_panel.set_quota(event.quota_left)
        if event.storage_bytes is not None:
            self.status_panel.set_storage(event.storage_bytes)
        else:
            self._storage_timer.start()

    def _apply_counts(self, counts: dict[str, int]) -> None:
        before = self._last_counts
        self._last_counts = dict(counts)
        self.status_panel.set_counts(counts)
        if not before:
            return
        failed = counts.get("failed", 0) - before.get("failed", 0)
        if failed > 0:
            self.notify("Jobs failed", f"{failed} job(s) failed. Use Retry failed to try again.")
        open_before = before.get("queued", 0) + before.get("processing", 0)
        open_now = counts.get("queued", 0) + counts.get("processing", 0)
        if open_before and not open_now:
            self.notify("All receipts processed", "Every queued receipt has been processed.")

    def _on_batch_done(self, summary: backend.BatchSummary) -> None:
        self.model.refresh_ids(summary.job_ids)
        self.refresh_status()
        if self.sync is not None and summary.captured:
            self.sync.sync_now()
        rejected = f", {len(summary.rejected)} rejected" if summary.rejected else ""
        self.notify(
            "Capture finished",
            f"{summary.captured} captured, {summary.duplicates} duplicates{rejected}",
        )

    def _on_capture_progress(self, items: tuple[backend.BatchProgress, ...]) -> None:
        self._pending_rows += [i.job_id for i in items if i.job_id and i.outcome == "captured"]
        if self._pending_rows and not self._rows_timer.isActive():
            self._rows_timer.start()

    def _flush_rows(self) -> None:
        ids, self._pending_rows = self._pending_rows, []
        self.model.refresh_ids(ids)

    def notify(self, title: str, message: str) -> None:
        """A tray message where there is a tray, else the status bar."""
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 5000)
        else:
            self.statusBar().showMessage(f"{title}: {message}", 8000)
        self.sig_notified.emit(title, message)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _on_count(self, _value: object = None) -> None:
        self.count_label.setText(f"{self.model.total} job(s)")

    def _on_filter(self, _index: int) -> None:
        value = self.filter_box.currentData()
        self.model.set_query(status=None if value is None else JobStatus(value))

    def _on_selection(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        ids = self.selected_ids()
        self.detail.show_job(ids[0] if ids else None)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self._background_started = True  # closed before it started: it never will
        self._background_timer.stop()
        self.capture.cancel_batch()
        if self.sync is not None:
            for signal in (
                self.sync.worker.sig_state,
                self.sync.worker.sig_jobs,
                self.sync.worker.sig_queue,
                self.sync.worker.sig_error,
            ):
                signal.disconnect()
            self.sync.stop()
        super().closeEvent(event)
