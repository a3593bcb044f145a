"""The job service on the test clock: automatic retries 1/5/15 s, bad images, reclaim of
jobs whose worker stopped heart-beating, stale cancellation, retention and storage usage."""

from __future__ import annotations

from datetime import timedelta

from ocr_desk.core import ManualClock
from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker

from ..engines import FakeEngine
from ..support import LiveServer, add_account
from .helpers import new_job, upload


def _worker(ctx: ServerContext, clock: ManualClock, script: list[str]) -> tuple[Worker, FakeEngine]:
    engine = FakeEngine(script=script)
    return Worker(ctx.db, engine, config=ctx.config, clock=clock, worker_id="w1"), engine


def test_transient_errors_retry_after_1_5_15_seconds_then_give_up(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    worker, engine = _worker(ctx, clock, ["transient"] * 4)
    with live.client(account) as client:
        job_id = new_job(client, 1)["id"]
    for retries, wait in enumerate([1, 5, 15]):
        assert worker.run_once()
        job = ctx.jobs.get(account.company_id, job_id)
        assert (job.status, job.retry_count, job.retryable) == ("failed", retries, True)
        assert job.error_code == "ENGINE_TRANSIENT"
        clock.advance(wait - 0.5)
        assert ctx.jobs.retry_failed() == 0
        clock.advance(0.5)
        assert ctx.jobs.retry_failed() == 1
        assert ctx.jobs.get(account.company_id, job_id).status == "queued"
    assert worker.run_once()
    final = ctx.jobs.get(account.company_id, job_id)
    assert (final.status, final.retry_count, final.retryable) == ("failed", 3, False)
    assert "retry by hand" in (final.error_message or "")
    clock.advance(3600)
    assert ctx.jobs.retry_failed() == 0
    assert engine.calls == 4


def test_a_bad_image_fails_at_once_and_a_transient_error_then_succeeds(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    worker, engine = _worker(ctx, clock, ["bad", "transient"])
    with live.client(account) as client:
        bad = new_job(client, 1)["id"]
        assert worker.run_once()
        good = new_job(client, 2)["id"]
        assert worker.run_once()
    failed = ctx.jobs.get(account.company_id, bad)
    assert (failed.status, failed.retryable, failed.error_code) == (
        "failed",
        False,
        "UNSUPPORTED_MEDIA",
    )
    clock.advance(1)
    assert ctx.jobs.retry_failed() == 1
    assert worker.run_once()
    assert ctx.jobs.get(account.company_id, good).status == "completed"
    assert ctx.jobs.get(account.company_id, good).retry_count == 1
    assert ctx.jobs.get(account.company_id, bad).status == "failed"
    assert engine.calls == 3


def test_a_job_whose_worker_went_silent_is_reclaimed(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    with live.client(account) as client:
        job_id = new_job(client, 1)["id"]
    claimed = ctx.jobs.claim("dead-worker")
    assert claimed is not None
    assert claimed.worker_id == "dead-worker"
    clock.advance(ctx.config.heartbeat_timeout - 1)
    assert ctx.jobs.reclaim() == 0
    assert ctx.jobs.heartbeat(claimed, "dead-worker")
    clock.advance(ctx.config.heartbeat_timeout + 1)
    assert ctx.jobs.reclaim() == 1
    assert ctx.jobs.get(account.company_id, job_id).status == "queued"
    assert not ctx.jobs.heartbeat(claimed, "dead-worker")
    # the dead worker's late answer is dropped; the job is done once, by the next worker
    assert (
        ctx.jobs.complete(
            claimed,
            "dead-worker",
            result={},
            confidence=None,
            processing_ms=1,
            pages=1,
            engine_seconds=0.1,
        )
        is None
    )
    worker, engine = _worker(ctx, clock, [])
    assert worker.run_once()
    assert ctx.jobs.get(account.company_id, job_id).status == "completed"
    assert engine.calls == 1


def test_cancelled_while_processing_keeps_the_result_out(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    with live.client(account) as client:
        job_id = new_job(client, 1)["id"]
        claimed = ctx.jobs.claim("w1")
        assert claimed is not None
        assert client.post(f"/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    assert (
        ctx.jobs.complete(
            claimed, "w1", result={}, confidence=None, processing_ms=1, pages=1, engine_seconds=0.1
        )
        is None
    )
    assert ctx.jobs.monthly_cost(account.company_id) == 0


def test_jobs_waiting_24_hours_after_acceptance_are_cancelled(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    with live.client(account) as client:
        old = new_job(client, 1)["id"]
        clock.advance(timedelta(hours=12))
        young = new_job(client, 2)["id"]
    clock.advance(timedelta(hours=12, seconds=1))
    assert ctx.jobs.cancel_stale() == 1
    assert ctx.jobs.get(account.company_id, old).status == "cancelled"
    assert ctx.jobs.get(account.company_id, young).status == "queued"


def test_retention_deletes_files_captured_90_days_ago_and_storage_follows(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    account = add_account(ctx)
    with live.client(account) as client:
        old = upload(client, 1, captured_at="2025-12-01T08:00:00Z").json()
        new = upload(client, 2).json()
    assert ctx.media.storage_usage(account.company_id)[0].files == 2
    assert ctx.media.apply_retention() == 1
    usage = ctx.media.storage_usage(account.company_id)[0]
    assert (usage.files, usage.bytes) == (1, new["size_bytes"])
    stored = list((ctx.config.media_dir / account.company_id).rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [new["sha256"]]
    assert old["sha256"] not in {p.name for p in stored}
