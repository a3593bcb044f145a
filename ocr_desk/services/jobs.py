"""The job service: every use case that changes a job, each one transaction with its outbox row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocr_desk.core import (
    MAX_RETRIES,
    Clock,
    InvalidStatusError,
    JobStatus,
    JobType,
    MaxRetriesExceededError,
    ReceiptResult,
    SystemClock,
    is_stale,
    next_retry_at,
)
from ocr_desk.store import (
    CostEntry,
    CostRepository,
    Job,
    JobEvent,
    JobRepository,
    MonthlyCost,
    OutboxOp,
    OutboxRepository,
    QueueStatus,
    Store,
    result_columns,
)

__all__ = ["JobService"]


class JobService:
    """Creates jobs and moves them through their life cycle for one company.

    Every status change goes through the core transition table (via
    :meth:`JobRepository.transition`), is recorded as a job event, and commits in
    one transaction with the outbox row that tells the server about it.
    """

    def __init__(self, store: Store, *, company_id: str, clock: Clock | None = None) -> None:
        self.store = store
        self.company_id = company_id
        self.clock: Clock = clock or SystemClock()
        self.jobs = JobRepository(store, company_id=company_id)
        self.outbox = OutboxRepository(store, company_id=company_id)
        self.costs = CostRepository(store, company_id=company_id)

    # -- creation ----------------------------------------------------------------

    def create_job(
        self,
        *,
        media_asset_id: str,
        job_type: JobType | str = JobType.RECEIPT,
        metadata: Mapping[str, Any] | None = None,
        force: bool = False,
    ) -> Job:
        """A new ``queued`` job for a stored media asset, with its ``create_job`` outbox row.

        ``force``: the server makes a new job even when the file already has one (OCR it
        again); without it the server answers with the file's live job, and this one
        ends as its duplicate."""
        job_type = JobType(job_type)
        now = self.clock.now()
        payload: dict[str, Any] = {"job_type": job_type.value, "metadata": dict(metadata or {})}
        if force:
            payload["force"] = True
        with self.store.write():
            job = self.jobs.insert(
                media_asset_id=media_asset_id, job_type=job_type, metadata=metadata, at=now
            )
            self.outbox.add(
                OutboxOp.CREATE_JOB,
                at=now,
                job_id=job.id,
                media_asset_id=media_asset_id,
                payload=payload,
            )
        return job

    # -- life cycle ----------------------------------------------------------------

    def start(self, job_id: str, *, reason: str = "processing started") -> Job:
        now = self.clock.now()
        with self.store.write():
            return self.jobs.transition(
                job_id, JobStatus.PROCESSING, at=now, reason=reason, changes={"started_at": now}
            )

    def complete(
        self,
        job_id: str,
        *,
        result: ReceiptResult | None = None,
        confidence: float | None = None,
        reason: str = "completed",
    ) -> Job:
        """Mark a job completed, keeping its extracted fields."""
        now = self.clock.now()
        changes: dict[str, Any] = {
            "completed_at": now,
            "error_code": None,
            "last_error": None,
            "confidence": confidence,
        }
        if result is not None:
            changes.update(result_columns(result))
        with self.store.write():
            return self.jobs.transition(
                job_id, JobStatus.COMPLETED, at=now, reason=reason, changes=changes
            )

    def fail(
        self,
        job_id: str,
        *,
        error: str,
        code: str = "OCR_FAILED",
        retryable: bool = True,
    ) -> Job:
        """Mark a job failed with the reason; ``retryable=False`` waits for a manual retry."""
        now = self.clock.now()
        with self.store.write():
            return self.jobs.transition(
                job_id,
                JobStatus.FAILED,
                at=now,
                reason=error,
                changes={
                    "failed_at": now,
                    "error_code": code,
                    "last_error": error,
                    "retryable": retryable,
                },
            )

    def cancel(self, job_id: str, *, reason: str = "cancelled by the user") -> Job:
        """Cancel a queued, processing or failed job and tell the server."""
        now = self.clock.now()
        with self.store.write():
            job = self.jobs.transition(
                job_id, JobStatus.CANCELLED, at=now, reason=reason, changes={"cancelled_at": now}
            )
            self.outbox.add(
                OutboxOp.CANCEL_JOB,
                at=now,
                job_id=job_id,
                media_asset_id=job.media_asset_id,
                payload={"reason": reason},
            )
            return job

    def retry(self, job_id: str, *, reason: str = "manual retry") -> Job:
        """The retry button: a failed job goes back to ``queued`` with a fresh retry budget."""
        now = self.clock.now()
        with self.store.write():
            job = self._requeue(job_id, at=now, reason=reason, retry_count=0)
            return job

    def retry_all_failed(self) -> int:
        """Manual retry of every failed job; returns how many were requeued."""
        failed = self.jobs.with_status(JobStatus.FAILED)
        now = self.clock.now()
        with self.store.write():
            for job in failed:
                self._requeue(job.id, at=now, reason="manual retry", retry_count=0)
        return len(failed)

    def retry_failed(self) -> int:
        """Requeue failed jobs whose backoff (1 s, 5 s, 15 s) has elapsed; returns how many.

        After the third retry a job stays ``failed`` with ``MAX_RETRIES_EXCEEDED``
        until someone presses retry; failures marked not retryable are left alone.
        """
        now = self.clock.now()
        requeued = 0
        with self.store.write():
            for job in self.jobs.with_status(JobStatus.FAILED):
                if not job.retryable or job.failed_at is None:
                    continue
                due = next_retry_at(job.failed_at, job.retry_count)
                if due is None:
                    self.jobs.update(
                        job.id,
                        at=now,
                        changes={
                            "retryable": False,
                            "error_code": MaxRetriesExceededError.code,
                            "last_error": (
                                f"gave up after {MAX_RETRIES} automatic retries: "
                                f"{job.last_error or 'unknown error'}. Press Retry to try again."
                            ),
                        },
                    )
                    continue
                if now < due:
                    continue
                self._requeue(
                    job.id,
                    at=now,
                    reason=f"automatic retry {job.retry_count + 1} of {MAX_RETRIES}",
                    retry_count=job.retry_count + 1,
                )
                requeued += 1
        return requeued

    def cancel_stale(self) -> int:
        """Cancel queued/processing jobs the server accepted more than 24 h ago.

        Counted from submission, never from capture: a receipt that waited offline
        for a week is not stale. Returns how many were cancelled.
        """
        now = self.clock.now()
        stale = [
            job
            for job in self.jobs.with_status(JobStatus.QUEUED, JobStatus.PROCESSING)
            if is_stale(job.status, job.submitted_at, now)
        ]
        with self.store.write():
            for job in stale:
                self.cancel(job.id, reason="stale: not finished within 24 h of submission")
        return len(stale)

    def mark_submitted(self, job_id: str, *, remote_id: str, at: datetime | None = None) -> Job:
        """Record that the server accepted the job (starts the stale clock)."""
        when = at or self.clock.now()
        with self.store.write():
            return self.jobs.update(
                job_id, at=self.clock.now(), changes={"remote_id": remote_id, "submitted_at": when}
            )

    # -- reads -----------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        return self.jobs.get(job_id)

    def list_jobs(
        self, *, status: JobStatus | str | None = None, limit: int | None = None
    ) -> list[Job]:
        return self.jobs.list(status=status, limit=limit)

    def find_by_ref(self, ref: str) -> Job:
        """A job by its id or a start of it that no other job shares."""
        return self.jobs.by_prefix(ref)

    def short_ids(self, job_ids: Iterable[str]) -> dict[str, str]:
        """Each id cut to the shortest start (8 characters or more) that is unique."""
        return self.jobs.short_ids(job_ids)

    def find_by_status(self, status: JobStatus | str) -> list[Job]:
        return self.jobs.list(status=status)

    def events(self, job_id: str) -> list[JobEvent]:
        self.jobs.get(job_id)
        return self.jobs.events(job_id)

    def queue_status(self) -> QueueStatus:
        """Queued, processing, failed, completed in 24 h, and jobs waiting for upload."""
        return self.jobs.counts(now=self.clock.now())

    # -- cost --------------------------------------------------------------------

    def record_cost(
        self,
        job_id: str,
        *,
        amount: Decimal,
        currency: str,
        units: Decimal,
        unit_kind: str,
        description: str = "",
        source_key: str | None = None,
    ) -> CostEntry | None:
        """Add a cost entry for a job and keep the job's running cost total in step."""
        now = self.clock.now()
        with self.store.write():
            job = self.jobs.get(job_id)
            entry = self.costs.add(
                job_id=job_id,
                amount=amount,
                currency=currency,
                units=units,
                unit_kind=unit_kind,
                at=now,
                description=description,
                source_key=source_key,
            )
            if entry is not None:
                self.jobs.update(
                    job_id,
                    at=now,
                    changes={
                        "cost_amount": (job.cost_amount or Decimal(0)) + amount,
                        "cost_currency": entry.currency,
                    },
                )
            return entry

    def monthly_costs(self, *, month: str | None = None) -> list[MonthlyCost]:
        return self.costs.monthly_totals(month=month)

    # -- helpers -----------------------------------------------------------------

    def _requeue(self, job_id: str, *, at: datetime, reason: str, retry_count: int) -> Job:
        current = self.jobs.get(job_id)
        if current.status is not JobStatus.FAILED:
            # processing -> queued exists for reclaiming a dead worker's job, not for retry.
            raise InvalidStatusError(
                f"only failed jobs can be retried; job {job_id} is {current.status}"
            )
        job = self.jobs.transition(
            job_id,
            JobStatus.QUEUED,
            at=at,
            reason=reason,
            changes={
                "retry_count": retry_count,
                "retryable": True,
                "error_code": None,
                "last_error": None,
                "failed_at": None,
                "started_at": None,
            },
        )
        if job.remote_id is not None:
            self.outbox.add(
                OutboxOp.RETRY_JOB,
                at=at,
                job_id=job_id,
                media_asset_id=job.media_asset_id,
                payload={"reason": reason},
            )
        else:
            self.outbox.reset_attempts(job_id=job_id)
        return job
