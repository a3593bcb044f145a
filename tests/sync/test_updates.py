"""Remote job states reach the local store through the transition table, once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.services import JobService
from ocr_desk.store import Store
from ocr_desk.sync.client import RemoteJob
from ocr_desk.sync.feed import CursorStore
from ocr_desk.sync.updates import JobUpdater

from ..conftest import COMPANY, add_asset


def _remote(status: str, **extra: Any) -> RemoteJob:
    raw = {"id": "r-1", "media_id": "m-1", "status": status, "cursor": "9", **extra}
    return RemoteJob.from_json(raw)


COMPLETED = {
    "completed_at": "2026-03-10T09:05:00.000000Z",
    "confidence": 0.91,
    "result": {
        "fields": {
            "merchant": {"value": "Cafe Nord", "confidence": 0.9},
            "total": {"value": "12.30", "confidence": 0.95},
            "tax": {"value": "1.10", "confidence": 0.8},
            "currency": {"value": "EUR", "confidence": 0.9},
            "date": {"value": "2026-03-09", "confidence": 0.9},
        }
    },
    "cost": {"amount": "0.0100", "currency": "USD", "pages": 1, "engine_seconds": "0.5"},
}


def _submitted(store: Store, clock: ManualClock, service: JobService) -> str:
    job = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.mark_submitted(job.id, remote_id="r-1")
    return job.id


def test_completed_over_queued_walks_the_table_and_records_cost_once(
    store: Store, clock: ManualClock, service: JobService
) -> None:
    job_id = _submitted(store, clock, service)
    updater = JobUpdater(store, company_id=COMPANY, clock=clock)
    applied = updater.apply(_remote("completed", **COMPLETED))
    assert applied is not None
    assert applied.changed
    assert applied.completed_now
    job = service.get(job_id)
    assert job.status is JobStatus.COMPLETED
    assert (job.merchant, job.total, job.tax, job.currency) == (
        "Cafe Nord",
        Decimal("12.30"),
        Decimal("1.10"),
        "EUR",
    )
    assert job.confidence == 0.91
    steps = [(e.from_status, e.to_status) for e in service.events(job_id)]
    assert steps[1:] == [
        (JobStatus.QUEUED, JobStatus.PROCESSING),
        (JobStatus.PROCESSING, JobStatus.COMPLETED),
    ]
    again = updater.apply(_remote("completed", **COMPLETED))
    assert again is not None
    assert not again.changed
    assert service.get(job_id).cost_amount == Decimal("0.0100")
    assert len(service.costs.for_job(job_id)) == 1


def test_failed_keeps_the_server_reason_and_waits_for_the_button(
    store: Store, clock: ManualClock, service: JobService
) -> None:
    job_id = _submitted(store, clock, service)
    updater = JobUpdater(store, company_id=COMPANY, clock=clock)
    error = {"code": "UNSUPPORTED_MEDIA", "message": "not an image"}
    updater.apply(_remote("processing"))
    updater.apply(_remote("failed", error=error))
    job = service.get(job_id)
    assert job.status is JobStatus.FAILED
    assert (job.error_code, job.last_error, job.retryable) == (
        "UNSUPPORTED_MEDIA",
        "not an image",
        False,
    )
    assert service.retry_failed() == 0


def test_unknown_remote_job_and_final_local_job_are_left_alone(
    store: Store, clock: ManualClock, service: JobService
) -> None:
    updater = JobUpdater(store, company_id=COMPANY, clock=clock)
    assert updater.apply(_remote("completed", **COMPLETED)) is None
    job_id = _submitted(store, clock, service)
    service.cancel(job_id)
    applied = updater.apply(_remote("completed", **COMPLETED))
    assert applied is not None
    assert not applied.changed
    assert service.get(job_id).status is JobStatus.CANCELLED


def test_cursor_only_moves_forward(store: Store) -> None:
    cursor = CursorStore(store, company_id=COMPANY, server_url="http://x/")
    assert cursor.get() is None
    assert cursor.advance("10")
    assert not cursor.advance("9")
    assert not cursor.advance(None)
    assert cursor.advance("11")
    assert CursorStore(store, company_id=COMPANY, server_url="http://x").get() == "11"
    assert CursorStore(store, company_id="other", server_url="http://x").get() is None
