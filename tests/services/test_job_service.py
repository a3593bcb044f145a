from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ocr_desk.core import (
    ExtractedField,
    InvalidStatusError,
    JobStatus,
    ManualClock,
    ReceiptResult,
)
from ocr_desk.services import JobService
from ocr_desk.store import MediaAsset, Store

from ..conftest import add_asset


def test_creates_job_with_initial_status(service: JobService, asset: MediaAsset) -> None:
    job = service.create_job(media_asset_id=asset.id, job_type="invoice", metadata={"note": "taxi"})
    assert job.status is JobStatus.QUEUED
    assert job.media_asset_id == asset.id
    assert job.job_type == "invoice"
    assert job.metadata == {"note": "taxi"}
    assert job.submitted_at is None
    assert [e.to_status for e in service.events(job.id)] == [JobStatus.QUEUED]


def test_transitions_status_correctly(
    service: JobService, asset: MediaAsset, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    clock.advance(2)
    started = service.start(job.id)
    assert started.status is JobStatus.PROCESSING
    assert started.started_at == clock.now()

    clock.advance(3)
    result = ReceiptResult(
        fields={
            "merchant": ExtractedField("ACME", 0.9),
            "total": ExtractedField(Decimal("9.99"), 0.95),
            "date": ExtractedField("2026-03-09", 0.9),
        }
    )
    done = service.complete(job.id, result=result, confidence=0.9)
    assert done.status is JobStatus.COMPLETED
    assert done.completed_at == clock.now()
    assert done.merchant == "ACME"
    assert done.total == Decimal("9.99")
    assert done.result == result

    events = service.events(job.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, JobStatus.QUEUED),
        (JobStatus.QUEUED, JobStatus.PROCESSING),
        (JobStatus.PROCESSING, JobStatus.COMPLETED),
    ]
    with pytest.raises(InvalidStatusError):
        service.start(job.id)
    assert service.get(job.id).status is JobStatus.COMPLETED
    assert len(service.events(job.id)) == 3  # the refused change recorded nothing


def test_fail_records_reason_and_time(
    service: JobService, asset: MediaAsset, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    service.start(job.id)
    failed = service.fail(job.id, error="engine crashed", code="ENGINE_ERROR")
    assert failed.status is JobStatus.FAILED
    assert failed.failed_at == clock.now()
    assert failed.last_error == "engine crashed"
    assert failed.error_code == "ENGINE_ERROR"
    assert service.events(job.id)[-1].reason == "engine crashed"


def test_implements_retry_backoff(
    service: JobService, asset: MediaAsset, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    for attempt, delay in enumerate((1, 5, 15), start=1):
        service.start(job.id)
        service.fail(job.id, error=f"timeout {attempt}")
        clock.advance(delay - 0.5)
        assert service.retry_failed() == 0, f"retry {attempt} came before its {delay} s"
        clock.advance(0.5)
        assert service.retry_failed() == 1
        requeued = service.get(job.id)
        assert requeued.status is JobStatus.QUEUED
        assert requeued.retry_count == attempt

    service.start(job.id)
    service.fail(job.id, error="timeout 4")
    clock.advance(3600)
    assert service.retry_failed() == 0
    gave_up = service.get(job.id)
    assert gave_up.status is JobStatus.FAILED
    assert gave_up.error_code == "MAX_RETRIES_EXCEEDED"
    assert "timeout 4" in (gave_up.last_error or "")
    assert service.retry_failed() == 0

    manual = service.retry(job.id)
    assert manual.status is JobStatus.QUEUED
    assert manual.retry_count == 0


def test_not_retryable_failures_wait_for_the_button(
    service: JobService, asset: MediaAsset, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    service.start(job.id)
    service.fail(job.id, error="not an image", code="UNSUPPORTED_MEDIA", retryable=False)
    clock.advance(60)
    assert service.retry_failed() == 0
    assert service.retry_all_failed() == 1
    assert service.get(job.id).status is JobStatus.QUEUED


def test_manual_retry_of_a_submitted_job_tells_the_server(
    service: JobService, asset: MediaAsset
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    service.mark_submitted(job.id, remote_id="srv-1")
    service.start(job.id)
    service.fail(job.id, error="bad scan")
    service.retry(job.id)
    assert [r.op for r in service.outbox.for_job(job.id)] == ["create_job", "retry_job"]


def test_cancels_stale_jobs(service: JobService, store: Store, clock: ManualClock) -> None:
    submitted = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.mark_submitted(submitted.id, remote_id="r1")
    processing = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.mark_submitted(processing.id, remote_id="r2")
    service.start(processing.id)
    offline = service.create_job(media_asset_id=add_asset(store, clock).id)  # captured, never sent

    clock.advance(timedelta(hours=25))
    fresh = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.mark_submitted(fresh.id, remote_id="r3")

    assert service.cancel_stale() == 2
    assert service.get(submitted.id).status is JobStatus.CANCELLED
    assert service.get(processing.id).status is JobStatus.CANCELLED
    assert service.get(offline.id).status is JobStatus.QUEUED
    assert service.get(fresh.id).status is JobStatus.QUEUED
    assert "stale" in service.events(submitted.id)[-1].reason
    assert service.cancel_stale() == 0


def test_queues_operations_offline(service: JobService, asset: MediaAsset) -> None:
    job = service.create_job(media_asset_id=asset.id, job_type="receipt")
    [row] = service.outbox.for_job(job.id)
    assert row.op == "create_job"
    assert row.media_asset_id == asset.id
    assert row.payload["job_type"] == "receipt"
    assert row.attempts == 0
    assert service.queue_status().waiting_upload == 1


def test_finds_jobs_by_status(service: JobService, store: Store, clock: ManualClock) -> None:
    jobs = [service.create_job(media_asset_id=add_asset(store, clock).id) for _ in range(4)]
    service.start(jobs[0].id)
    service.start(jobs[1].id)
    service.fail(jobs[1].id, error="x")
    service.cancel(jobs[2].id)
    assert [j.id for j in service.find_by_status("processing")] == [jobs[0].id]
    assert [j.id for j in service.find_by_status(JobStatus.FAILED)] == [jobs[1].id]
    assert [j.id for j in service.find_by_status("cancelled")] == [jobs[2].id]
    assert [j.id for j in service.find_by_status("queued")] == [jobs[3].id]


def test_queue_status_counts(service: JobService, store: Store, clock: ManualClock) -> None:
    old = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.start(old.id)
    service.complete(old.id)
    clock.advance(timedelta(hours=25))
    recent = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.start(recent.id)
    service.complete(recent.id)
    service.create_job(media_asset_id=add_asset(store, clock).id)
    failing = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.start(failing.id)
    service.fail(failing.id, error="x")

    status = service.queue_status()
    assert status.to_dict() == {
        "queued": 1,
        "processing": 0,
        "failed": 1,
        "completed24h": 1,
        "waiting_upload": 4,
    }


def test_cost_entries_and_monthly_totals(
    service: JobService, store: Store, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.record_cost(
        job.id, amount=Decimal("0.05"), currency="usd", units=Decimal(1), unit_kind="pages"
    )
    service.record_cost(
        job.id,
        amount=Decimal("0.012"),
        currency="USD",
        units=Decimal("1.7"),
        unit_kind="engine_seconds",
        source_key="job-1-engine",
    )
    # the same cost reported twice (a resent update) is kept once
    assert (
        service.record_cost(
            job.id,
            amount=Decimal("0.012"),
            currency="USD",
            units=Decimal("1.7"),
            unit_kind="engine_seconds",
            source_key="job-1-engine",
        )
        is None
    )
    clock.advance(timedelta(days=31))
    other = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.record_cost(
        other.id, amount=Decimal("0.10"), currency="USD", units=Decimal(2), unit_kind="pages"
    )

    assert service.get(job.id).cost_amount == Decimal("0.062")
    totals = service.monthly_costs()
    assert [(t.month, t.amount, t.entries) for t in totals] == [
        ("2026-04", Decimal("0.10"), 1),
        ("2026-03", Decimal("0.062"), 2),
    ]
    assert totals[1].units == {"pages": Decimal(1), "engine_seconds": Decimal("1.7")}
    with pytest.raises(TypeError):
        service.record_cost(job.id, amount=0.1, currency="USD", units=Decimal(1), unit_kind="x")  # type: ignore[arg-type]


def test_cancel_writes_outbox_row_and_final_status_refuses_more(
    service: JobService, asset: MediaAsset
) -> None:
    job = service.create_job(media_asset_id=asset.id)
    cancelled = service.cancel(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    with pytest.raises(InvalidStatusError):
        service.retry(job.id)
    with pytest.raises(InvalidStatusError):
        service.cancel(job.id)
    assert [r.op for r in service.outbox.for_job(job.id)] == ["create_job", "cancel_job"]
