"""The detail pane: the receipt image (zoom, fit), its fields with confidences, raw text,
the job's event history and its cost. Everything is read and decoded off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ocr_desk.core import UNCERTAIN_BELOW, JobNotFoundError
from ocr_desk.services.joblist import THUMBNAIL_VERSION, WEBP_VERSION, media_file
from ocr_desk.store import Job, JobEvent, JobRepository, Store

from .tasks import TaskRunner
from .thumbnails import load_image

__all__ = ["DetailPane", "JobDetail"]


@dataclass(frozen=True, slots=True)
class JobDetail:
    job: Job
    events: tuple[JobEvent, ...]
    image: str | None
    """Relative path of the display image (WebP, else the thumbnail)."""


def load_detail(store: Store, *, company_id: str, job_id: str) -> JobDetail | None:
    repo = JobRepository(store, company_id=company_id)
    try:
        job = repo.get(job_id)
    except JobNotFoundError:
        return None
    image = media_file(store, asset_id=job.media_asset_id, version=WEBP_VERSION) or media_file(
        store, asset_id=job.media_asset_id, version=THUMBNAIL_VERSION
    )
    return JobDetail(job=job, events=tuple(repo.events(job_id)), image=image)


class DetailPane(QWidget):
    sig_shown = Signal(str)
    """A job's details are on screen (its id)."""
    sig_image_shown = Signal(str)

    def __init__(
        self,
        *,
        runner: TaskRunner,
        company_id: str,
        media_root: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._company = company_id
        self._root = media_root
        self._job_id: str | None = None
        self._pixmap: QPixmap | None = None
        self._zoom: float | None = None  # None: fit to the pane
        self.setAccessibleName("Job details")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select a job to see its receipt and fields.", self)
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Selected job")
        layout.addWidget(self.title)

        tools = QHBoxLayout()
        self.zoom_in = self._tool("+", "Zoom in", QKeySequence.StandardKey.ZoomIn)
        self.zoom_out = self._tool("−", "Zoom out", QKeySequence.StandardKey.ZoomOut)
        self.fit = self._tool("Fit", "Fit the image to the pane", QKeySequence("Ctrl+0"))
        self.zoom_in.clicked.connect(lambda: self._set_zoom(self._current_zoom() * 1.25))
        self.zoom_out.clicked.connect(lambda: self._set_zoom(self._current_zoom() / 1.25))
        self.fit.clicked.connect(lambda: self._set_zoom(None))
        for button in (self.zoom_in, self.zoom_out, self.fit):
            tools.addWidget(button)
        tools.addStretch(1)
        self.cost = QLabel("", self)
        self.cost.setAccessibleName("Cost")
        tools.addWidget(self.cost)
        layout.addLayout(tools)

        self.image = QLabel("No image", self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setAccessibleName("Receipt image")
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setAccessibleName("Receipt image viewer")

        self.fields = QTableWidget(0, 3, self)
        self.fields.setHorizontalHeaderLabels(["Field", "Value", "Confidence"])
        self.fields.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.fields.verticalHeader().setVisible(False)
        self.fields.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.fields.setAccessibleName("Extracted fields")
        self.raw = QPlainTextEdit(self)
        self.raw.setReadOnly(True)
        self.raw.setAccessibleName("Raw OCR text")
        self.history = QTableWidget(0, 3, self)
        self.history.setHorizontalHeaderLabels(["When", "Change", "Reason"])
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setAccessibleName("Event history")

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Detail sections")
        self.tabs.addTab(self.scroll, "&Image")
        self.tabs.addTab(self.fields, "F&ields")
        self.tabs.addTab(self.raw, "Ra&w text")
        self.tabs.addTab(self.history, "&History")
        layout.addWidget(self.tabs, 1)

    def _tool(
        self, text: str, name: str, key: QKeySequence | QKeySequence.StandardKey
    ) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(name)
        button.setAccessibleName(name)
        button.setShortcut(QKeySequence(key))
        return button

    # -- showing a job ----------------------------------------------------------------

    @property
    def job_id(self) -> str | None:
        return self._job_id

    def show_job(self, job_id: str | None) -> None:
        self._job_id = job_id
        if job_id is None:
            self.title.setText("Select a job to see its receipt and fields.")
            return
        company = self._company

        def load(store: Store, _progress: Any) -> JobDetail | None:
            return load_detail(store, company_id=company, job_id=job_id)

        self._runner.run(load, on_done=lambda d: self._on_detail(job_id, d))

    def refresh(self) -> None:
        if self._job_id is not None:
            self.show_job(self._job_id)

    def _on_detail(self, job_id: str, detail: JobDetail | None) -> None:
        if job_id != self._job_id:
            return
        if detail is None:
            self.title.setText("This job no longer exists.")
            return
        job = detail.job
        name = job.metadata.get("original_name") or job.merchant or job.id
        self.title.setText(f"<b>{name}</b> — {job.job_type.value}, {job.status.value}")
        self.title.setAccessibleName(f"Selected job: {name}, {job.status.value}")
        if job.cost_amount is not None:
            self.cost.setText(f"Cost: {job.cost_amount} {job.cost_currency or ''}".strip())
        else:
            self.cost.setText("Cost: none yet")
        self._fill_fields(job)
        self.raw.setPlainText(job.result.text if job.result else "")
        self.history.setRowCount(len(detail.events))
        for i, ev in enumerate(detail.events):
            change = f"{ev.from_status.value if ev.from_status else '—'} → {ev.to_status.value}"
            when = ev.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            for col, text in enumerate((when, change, ev.reason)):
                self.history.setItem(i, col, QTableWidgetItem(text))
        if detail.image is not None:
            path = self._root / detail.image

            def decode(_store: Store, _progress: Any) -> QImage:
                return load_image(path)

            self._runner.run(
                decode,
                on_done=lambda image: self._on_image(job_id, image),
                on_failed=lambda exc: self.image.setText(f"Image unavailable: {exc}"),
                heavy=True,
            )
        else:
            self._pixmap = None
            self.image.setPixmap(QPixmap())
            self.image.setText("No image stored (deleted after OCR or by retention).")
            self.image.adjustSize()
        self.sig_shown.emit(job_id)

    def _fill_fields(self, job: Job) -> None:
        result = job.result
        rows: list[tuple[str, str, float | None]] = []
        if result is not None:
            for key, field in result.fields.items():
                rows.append((key, str(field.value), field.confidence))
            for item in result.line_items:
                amount = "" if item.amount is None else f" {item.amount}"
                rows.append(("line item", f"{item.description}{amount}", item.confidence))
        elif job.last_error:
            rows.append(("error", job.last_error, None))
        self.fields.setRowCount(len(rows))
        low = QBrush(QColor("#fdecea"))
        for i, (key, value, conf) in enumerate(rows):
            marked = conf is not None and conf < UNCERTAIN_BELOW
            conf_text = "" if conf is None else f"{conf:.0%}" + (" ⚠ low" if marked else "")
            items = [QTableWidgetItem(key), QTableWidgetItem(value), QTableWidgetItem(conf_text)]
            for col, item in enumerate(items):
                if marked:
                    item.setBackground(low)
                    item.setToolTip("Low confidence: check this value against the image")
                self.fields.setItem(i, col, item)

    def _on_image(self, job_id: str, image: QImage) -> None:
        if job_id != self._job_id:
            return
        self._pixmap = QPixmap.fromImage(image)
        self._render()
        self.sig_image_shown.emit(job_id)

    # -- zoom -------------------------------------------------------------------------

    def _current_zoom(self) -> float:
        if self._zoom is not None:
            return self._zoom
        if self._pixmap is None or self._pixmap.isNull():
            return 1.0
        return self._fit_factor()

    def _fit_factor(self) -> float:
        assert self._pixmap is not None
        view = self.scroll.viewport().size()
        return max(
            0.05,
            min(
                view.width() / max(1, self._pixmap.width()),
                view.height() / max(1, self._pixmap.height()),
            ),
        )

    def _set_zoom(self, zoom: float | None) -> None:
        self._zoom = None if zoom is None else max(0.05, min(zoom, 8.0))
        self._render()

    def _render(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        factor = self._current_zoom()
        size = self._pixmap.size() * factor
        self.image.setPixmap(
            self._pixmap.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
        self.image.resize(size)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self._zoom is None:
            self._render()
