from __future__ import annotations

import sqlite3

import pytest

from ocr_desk.core import JobNotFoundError, JobStatus, ManualClock
from ocr_desk.services import JobService
from ocr_desk.store import JobRepository, OutboxOp, OutboxRepository, Store

from ..conftest import add_asset


def test_enforces_company_scope(store: Store, clock: ManualClock) -> None:
    acme = JobService(store, company_id="acme", clock=clock)
    globex = JobService(store, company_id="globex", clock=clock)
    acme_job = acme.create_job(media_asset_id=add_asset(store, clock, company_id="acme").id)
    globex.create_job(media_asset_id=add_asset(store, clock, company_id="globex").id)

    assert [j.id for j in acme.list_jobs()] == [acme_job.id]
    assert acme.queue_status().queued == 1
    assert globex.queue_status().queued == 1
    for attempt in (
        lambda: globex.get(acme_job.id),
        lambda: globex.start(acme_job.id),
        lambda: globex.cancel(acme_job.id),
        lambda: globex.fail(acme_job.id, error="x"),
        lambda: globex.events(acme_job.id),
    ):
        with pytest.raises(JobNotFoundError):
            attempt()
    assert acme.get(acme_job.id).status is JobStatus.QUEUED
    assert OutboxRepository(store, company_id="globex").for_job(acme_job.id) == []
    assert len(OutboxRepository(store, company_id="acme").for_job(acme_job.id)) == 1


def test_change_and_outbox_row_commit_together_or_not_at_all(
    store: Store, clock: ManualClock
) -> None:
    asset = add_asset(store, clock)
    jobs = JobRepository(store, company_id="acme")
    outbox = OutboxRepository(store, company_id="acme")

    class Crash(Exception):
        pass

    def change_then_crash() -> None:
        with store.write():
            job = jobs.insert(
                media_asset_id=asset.id, job_type="receipt", metadata=None, at=clock.now()
            )
            outbox.add(OutboxOp.CREATE_JOB, at=clock.now(), job_id=job.id)
            raise Crash

    with pytest.raises(Crash):
        change_then_crash()

    assert jobs.list() == []
    assert outbox.pending() == []
    assert store.query("SELECT COUNT(*) AS n FROM job_events") == [{"n": 0}]


def test_outbox_insert_failure_rolls_back_the_job(store: Store, clock: ManualClock) -> None:
    asset = add_asset(store, clock)
    service = JobService(store, company_id="acme", clock=clock)
    store.conn.execute(
        "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        service.create_job(media_asset_id=asset.id)
    assert service.list_jobs() == []


def test_job_needs_an_existing_media_asset(service: JobService) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        service.create_job(media_asset_id="no-such-asset")
    assert service.list_jobs() == []
    assert service.outbox.pending() == []


def test_outbox_rows_keep_order_and_are_removed_only_on_ack(
    service: JobService, store: Store, clock: ManualClock
) -> None:
    job = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.cancel(job.id)
    rows = service.outbox.for_job(job.id)
    assert [r.op for r in rows] == ["create_job", "cancel_job"]
    assert rows[0].seq < rows[1].seq
    assert rows[0].id != rows[1].id  # each row is its own Idempotency-Key

    with store.write():
        service.outbox.record_attempt(rows[0].id, error="timeout", next_attempt_at=clock.now())
    assert service.outbox.get(rows[0].id) is not None
    assert service.outbox.get(rows[0].id).attempts == 1  # type: ignore[union-attr]
    with store.write():
        assert service.outbox.ack(rows[0].id)
        assert not service.outbox.ack(rows[0].id)  # a second ack is harmless
    assert [r.op for r in service.outbox.pending()] == ["cancel_job"]
