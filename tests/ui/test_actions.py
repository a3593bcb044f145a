"""The buttons: Retry failed, per-job Retry/Cancel/Delete, Export; and the detail pane."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

from ocr_desk.core import ExtractedField, JobStatus, ReceiptResult
from ocr_desk.settings import Settings

from .conftest import add_jobs


def _select(window, job_ids):
    from PySide6.QtCore import QItemSelectionModel

    sel = window.table.selectionModel()
    sel.clearSelection()
    for job_id in job_ids:
        row = window.model.row_of(job_id)
        sel.select(
            window.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_retry_failed_requeues_every_failed_job(ctx, make_window, qtbot):
    ids = add_jobs(ctx, 6)
    service = ctx.job_service()
    for job_id in ids[:4]:
        service.start(job_id)
        service.fail(job_id, error="server said 500", retryable=False)
    window = make_window()
    qtbot.waitUntil(lambda: window.status_panel.counts.get("failed") == 4)
    with qtbot.waitSignal(window.sig_status_refreshed, timeout=5000) as status:
        window.acts.retry_failed.trigger()
    assert status.args[0].counts["failed"] == 0
    assert status.args[0].counts["queued"] == 6
    assert [service.get(j).status for j in ids] == [JobStatus.QUEUED] * 6
    qtbot.waitUntil(
        lambda: all(window.model.job_at(r).status is JobStatus.QUEUED for r in range(6))
    )
    assert window.status_panel.count_labels["failed"].text() == "0"


def test_retry_cancel_and_delete_the_selected_jobs(ctx, make_window, qtbot):
    ids = add_jobs(ctx, 4)
    service = ctx.job_service()
    service.start(ids[0])
    service.fail(ids[0], error="bad scan")
    window = make_window()

    _select(window, [ids[0]])
    with qtbot.waitSignal(window.sig_action_done, timeout=5000):
        window.acts.retry.trigger()
    assert service.get(ids[0]).status is JobStatus.QUEUED

    _select(window, [ids[1]])
    with qtbot.waitSignal(window.sig_action_done, timeout=5000):
        window.acts.cancel.trigger()
    assert service.get(ids[1]).status is JobStatus.CANCELLED

    _select(window, [ids[2]])
    window.acts.delete.trigger()
    qtbot.waitUntil(lambda: window.model.row_of(ids[2]) is None, timeout=5000)
    assert service.jobs.find(ids[2]) is None
    assert window.model.rowCount() == 3
    assert service.outbox.for_job(ids[2]) == []  # nothing will be uploaded for it


def test_export_csv_and_json(ctx, make_window, qtbot, tmp_path):
    ids = add_jobs(ctx, 2)
    service = ctx.job_service()
    result = ReceiptResult(
        fields={
            "merchant": ExtractedField(value="Corner Café", confidence=0.95),
            "total": ExtractedField(value=Decimal("12.30"), confidence=0.4),
        },
        text="CORNER CAFE\nTOTAL 12.30",
    )
    service.start(ids[0])
    service.complete(ids[0], result=result, confidence=0.9)
    window = make_window()
    with qtbot.waitSignal(window.sig_action_done, timeout=5000):
        window.export_to(tmp_path / "out.csv", "csv")
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["job_id"], r["merchant"], r["total"]) for r in rows] == [
        (ids[0], "Corner Café", "12.30")
    ]
    with qtbot.waitSignal(window.sig_action_done, timeout=5000):
        window.export_to(tmp_path / "out.json", "json")
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert data[0]["total"] == "12.30"


def test_detail_pane_marks_low_confidence_and_shows_history(ctx, make_window, qtbot):
    job_id = add_jobs(ctx, 1)[0]
    service = ctx.job_service()
    service.start(job_id)
    result = ReceiptResult(
        fields={
            "merchant": ExtractedField(value="Corner Café", confidence=0.95),
            "total": ExtractedField(value=Decimal("12.30"), confidence=0.3),
        },
        text="CORNER CAFE\nTOTAL 12.30",
    )
    service.complete(job_id, result=result, confidence=0.6)
    window = make_window()
    with qtbot.waitSignal(window.detail.sig_shown, timeout=5000):
        _select(window, [job_id])
    fields = window.detail.fields
    shown = {fields.item(r, 0).text(): fields.item(r, 2).text() for r in range(fields.rowCount())}
    assert shown["merchant"] == "95%"
    assert "low" in shown["total"]
    assert "TOTAL 12.30" in window.detail.raw.toPlainText()
    changes = [window.detail.history.item(r, 1).text() for r in range(3)]
    assert changes == ["— → queued", "queued → processing", "processing → completed"]


def test_settings_round_trip_through_the_dialog(ctx, make_window, qtbot, tmp_path):
    window = make_window()
    dialog = window.open_settings()
    dialog.server_url.setText("https://ocr.example.com")
    dialog.job_type.setCurrentIndex(dialog.job_type.findData("invoice"))
    dialog.watched.setText(str(tmp_path))
    dialog.delete_after.setChecked(True)
    dialog.retention.setValue(30)
    with qtbot.waitSignal(window.sig_action_done, timeout=5000):
        dialog._on_save()
    saved = Settings.load(ctx.data_dir)
    assert saved.server_url == "https://ocr.example.com"
    assert saved.default_job_type == "invoice"
    assert saved.watched_folder == str(tmp_path)
    assert saved.delete_after_ocr is True
    assert saved.retention_days == 30
    assert "token" not in (ctx.data_dir / "settings.json").read_text()
    again = window.open_settings()
    assert again.server_url.text() == "https://ocr.example.com"
    assert again.retention.value() == 30
    assert again.delete_after.isChecked()
    again.server_url.setText("ftp://nope")
    again._on_save()
    assert "https://" in again.error.text()
    assert Settings.load(ctx.data_dir).server_url == "https://ocr.example.com"
