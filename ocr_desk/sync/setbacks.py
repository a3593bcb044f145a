"""What the relay does when the server refuses a row or cannot be reached: back off
and then fail the job (5xx, 429, no answer from a reachable server), or fail it at once
(other 4xx, or a local file that cannot be read), as DESIGN.md's outbox rules say."""

from __future__ import annotations

from datetime import timedelta

from ocr_desk.core import MAX_RETRIES, RETRY_DELAYS, Clock, JobStatus, OcrDeskError, SyncError
from ocr_desk.store import (
    JobRepository,
    MediaRepository,
    OutboxEntry,
    OutboxOp,
    OutboxRepository,
    Store,
)

from .connectivity import Connectivity
from .events import ConnectionState

__all__ = ["Setbacks"]


_REASONS = {
    "IDEMPOTENCY_KEY_REUSED": (
        "the server holds a different request under this receipt's key, so it cannot be "
        "sent as it is; delete the receipt here and capture it again"
    ),
}
"""What a job's failure says for server codes whose own message is meant for a developer."""


_SENDS = (OutboxOp.UPLOAD_MEDIA.value, OutboxOp.CREATE_JOB.value)


def _refused_for_good(error: OcrDeskError) -> bool:
    """A 4xx the server answered and keeps for the key (not 401/402/429: those pause
    and retry; not a reused key: a new key could then make a second job)."""
    status = getattr(error, "status_code", None)
    return (
        isinstance(error, SyncError)
        and status is not None
        and 400 <= status < 500
        and status not in (401, 402, 429)
        and error.code != "IDEMPOTENCY_KEY_REUSED"
    )


class Setbacks:
    """Records a failed send on its outbox row and, when retries are spent or the
    refusal is final, on its job. Each method returns True when the row is done."""

    def __init__(
        self, *, store: Store, company_id: str, clock: Clock, connectivity: Connectivity
    ) -> None:
        self.store = store
        self.clock = clock
        self.connectivity = connectivity
        self.outbox = OutboxRepository(store, company_id=company_id)
        self.jobs = JobRepository(store, company_id=company_id)
        self.media = MediaRepository(store, company_id=company_id)

    def backoff(self, entry: OutboxEntry, error: SyncError, changed: list[str]) -> bool:
        """Try again after 1 s, 5 s, 15 s (429: after ``Retry-After``); then fail the job."""
        attempts = entry.attempts + 1
        now = self.clock.now()
        if attempts <= MAX_RETRIES:
            delay = RETRY_DELAYS[attempts - 1].total_seconds()
            if error.status_code == 429 and error.retry_after is not None:
                delay = error.retry_after
            due = now + timedelta(seconds=delay)
            with self.store.write():
                self.outbox.record_attempt(entry.id, error=error.message, next_attempt_at=due)
            if error.status_code == 429:
                self.connectivity.set(ConnectionState.RATE_LIMITED, reason=error.message, until=due)
            return False
        with self.store.write():
            self.outbox.record_attempt(entry.id, error=error.message, next_attempt_at=None)
            reason = (
                f"gave up after {MAX_RETRIES} retries: {error.message}. "
                "Press Retry to send it again."
            )
            if not self.fail_job(entry, reason, code=error.code):
                # cancel/delete of a job already final here: keep trying at the slowest pace
                self.outbox.record_attempt(
                    entry.id, error=error.message, next_attempt_at=now + RETRY_DELAYS[-1]
                )
                return False
            if OutboxOp(entry.op) is OutboxOp.RETRY_JOB:
                self.outbox.ack(entry.id)  # the retry button writes a fresh one
        if entry.job_id:
            changed.append(entry.job_id)
        return OutboxOp(entry.op) is OutboxOp.RETRY_JOB

    def reject(self, entry: OutboxEntry, error: OcrDeskError, changed: list[str]) -> bool:
        """A refusal no resend can change: the job fails with the reason; a refused
        cancel, retry or delete is dropped."""
        op = OutboxOp(entry.op)
        reason = _REASONS.get(error.code, error.message)
        with self.store.write():
            self.outbox.record_attempt(entry.id, error=error.message, next_attempt_at=None)
            if op in (OutboxOp.UPLOAD_MEDIA, OutboxOp.CREATE_JOB, OutboxOp.RETRY_JOB):
                self.fail_job(entry, reason, code=error.code)
            if op in (OutboxOp.UPLOAD_MEDIA, OutboxOp.CREATE_JOB) and _refused_for_good(error):
                # The server kept this refusal under the key: the retry button must send a
                # new request, and a job refused for a media the server no longer has
                # uploads the file again first.
                rows = [e for e in self.outbox.for_job(entry.job_id or "") if e.op in _SENDS]
                self.outbox.rekey([e.id for e in rows] or [entry.id])
                if error.code == "MEDIA_NOT_FOUND" and entry.media_asset_id:
                    self.media.update(entry.media_asset_id, remote_id=None)
            if op is not OutboxOp.CREATE_JOB and op is not OutboxOp.UPLOAD_MEDIA:
                self.outbox.ack(entry.id)  # a refused cancel/retry/delete will never pass
                if entry.job_id:
                    changed.append(entry.job_id)
                return True
        if entry.job_id:
            changed.append(entry.job_id)
        return False

    def fail_job(self, entry: OutboxEntry, reason: str, *, code: str) -> bool:
        """Fail the row's job (or its asset's jobs) if still queued or processing."""
        job_ids = [entry.job_id] if entry.job_id else []
        if not job_ids and entry.media_asset_id:
            job_ids = [j.id for j in self.jobs.for_media(entry.media_asset_id)]
        failed = False
        for job_id in job_ids:
            job = self.jobs.find(job_id)
            if job is None or job.status not in (JobStatus.QUEUED, JobStatus.PROCESSING):
                continue
            self.jobs.transition(
                job_id,
                JobStatus.FAILED,
                at=self.clock.now(),
                reason=reason,
                changes={
                    "failed_at": self.clock.now(),
                    "error_code": code,
                    "last_error": reason,
                    "retryable": False,
                },
            )
            failed = True
        return failed
