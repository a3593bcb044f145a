"""The server job service: the queue, every status change, quotas, and the change feed.

Every change goes through :func:`ocr_desk.core.check_transition`, is written as a
job event, and takes the next number of the company's change feed (the company
row's ``change_seq``, bumped in the same transaction, so feed order is commit
order even with several processes on PostgreSQL). The worker side (claim,
heartbeat, complete/fail, automatic retries, reclaim of dead workers' jobs) is
here too; :mod:`.worker` drives it.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ocr_desk.core import (
    MAX_RETRIES,
    STALE_AFTER,
    Clock,
    JobNotFoundError,
    JobStatus,
    JobType,
    check_transition,
    format_ts,
    retry_delay,
)

from .config import ServerConfig
from .database import Database, Tx
from .errors import NotFound, QuotaExceeded, ValidationFailed
from .records import ChangePage, JobPage, JobRecord, QueueCounts, job_from_row, month_start

__all__ = ["ChangePage", "JobPage", "JobService", "month_start"]

_S = JobStatus


class JobService:
    """Jobs of every company; each API call passes the caller's company id."""

    def __init__(self, db: Database, *, config: ServerConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    # -- helpers -------------------------------------------------------------------
    def _now(self) -> str:
        return format_ts(self.clock.now())

    def _load(self, tx: Tx, company_id: str, job_id: str, *, lock: bool = False) -> JobRecord:
        row = tx.one(
            "SELECT * FROM jobs WHERE id = ? AND company_id = ?" + (tx.for_update if lock else ""),
            (job_id, company_id),
        )
        if row is None:
            raise JobNotFoundError(
                f"no job {job_id}; check the id (it may belong to no job of yours)"
            )
        return job_from_row(row)

    def _transition(
        self,
        tx: Tx,
        job: JobRecord,
        target: JobStatus,
        *,
        reason: str,
        changes: dict[str, Any] | None = None,
        worker_id: str | None = None,
    ) -> JobRecord:
        check_transition(job.status, target)
        now = self._now()
        cursor = tx.scalar(
            "UPDATE companies SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq",
            (job.company_id,),
        )
        values: dict[str, Any] = {"status": target.value, "updated_at": now, "cursor": cursor}
        values.update(changes or {})
        assignments = ", ".join(f"{name} = ?" for name in values)
        tx.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ?",  # names are ours, never input
            (*values.values(), job.id),
        )
        tx.execute(
            "INSERT INTO job_events (job_id, company_id, from_status, to_status, at, reason, "
            "worker_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (job.id, job.company_id, job.status.value, target.value, now, reason, worker_id),
        )
        tx.announce(job.company_id)
        return self._load(tx, job.company_id, job.id)

    # -- API side ----------------------------------------------------------------------
    def get(self, company_id: str, job_id: str) -> JobRecord:
        return self._load(self.db.read(), company_id, job_id)

    def jobs_used_this_month(self, tx: Tx, company_id: str) -> int:
        start = format_ts(month_start(self.clock.now()))
        return int(
            tx.scalar(
                "SELECT COUNT(*) FROM jobs WHERE company_id = ? AND created_at >= ?",
                (company_id, start),
            )
        )

    def _check_quota(self, tx: Tx, company_id: str, plan_name: str) -> None:
        plan = self.config.plan(plan_name)
        limit = plan.jobs_per_month
        if limit is not None and self.jobs_used_this_month(tx, company_id) >= limit:
            raise QuotaExceeded(
                f"the {plan.name} plan allows {limit} jobs a month and "
                "they are used up; wait for next month or ask for a bigger plan"
            )

    def admit(self, company_id: str, *, plan: str, sha256: str, force: bool = False) -> None:
        """Raise the 402 that :meth:`create_job` would raise for a file not stored yet.

        A capture calls it before keeping its file, so a full quota leaves no file behind.
        In the caller's transaction it takes the same lock as ``create_job``, held until
        the job is made. A file whose stored media has a live job passes (its job is
        answered again, no quota used). ``plan`` is the caller's as authenticated: an
        unlimited plan needs no query (``create_job`` checks again, under the lock)."""
        if self.config.plan(plan).jobs_per_month is None:
            return
        with self.db.transaction() as tx:
            company = tx.one(
                "SELECT id, plan FROM companies WHERE id = ?" + tx.for_update, (company_id,)
            )
            if company is None:
                raise NotFound("no such company", code="NOT_FOUND")
            if self.config.plan(company["plan"]).jobs_per_month is None:
                return
            if not force and tx.one(  # deleted media too: storing it again revives it
                "SELECT 1 FROM jobs j JOIN media m ON m.id = j.media_id "
                "WHERE m.company_id = ? AND m.sha256 = ? "
                "AND j.status NOT IN ('cancelled', 'failed') LIMIT 1",
                (company_id, sha256),
            ):
                return
            self._check_quota(tx, company_id, company["plan"])

    def create_job(
        self,
        company_id: str,
        *,
        media_id: str,
        job_type: JobType | str = JobType.RECEIPT,
        metadata: dict[str, Any] | None = None,
        force: bool = False,
    ) -> tuple[JobRecord, bool]:
        """A queued job for a stored media, or the media's live job; ``(job, created)``.

        The monthly quota is checked first (402), under the company row's lock so two
        processes cannot both take the last job of the month.
        """
        job_type = JobType(job_type)
        with self.db.transaction() as tx:
            company = tx.one(
                "SELECT id, plan FROM companies WHERE id = ?" + tx.for_update, (company_id,)
            )
            if company is None:
                raise NotFound("no such company", code="NOT_FOUND")
            media = tx.one(
                "SELECT id FROM media WHERE id = ? AND company_id = ? AND deleted_at IS NULL",
                (media_id, company_id),
            )
            if media is None:
                raise NotFound(
                    f"no media {media_id}; upload the file with POST /v1/media first",
                    code="MEDIA_NOT_FOUND",
                )
            if not force:
                live = tx.one(
                    "SELECT * FROM jobs WHERE company_id = ? AND media_id = ? "
                    "AND status NOT IN ('cancelled', 'failed') ORDER BY created_at DESC LIMIT 1",
                    (company_id, media_id),
                )
                if live is not None:
                    return job_from_row(live), False
            self._check_quota(tx, company_id, company["plan"])
            now = self._now()
            job_id = str(uuid.uuid4())
            cursor = tx.scalar(
                "UPDATE companies SET change_seq = change_seq + 1 WHERE id = ? "
                "RETURNING change_seq",
                (company_id,),
            )
            row = tx.one(
                "INSERT INTO jobs (id, company_id, media_id, job_type, status, metadata, "
                "created_at, updated_at, cursor) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?) "
                "RETURNING *",
                (
                    job_id,
                    company_id,
                    media_id,
                    job_type.value,
                    json.dumps(metadata or {}),
                    now,
                    now,
                    cursor,
                ),
            )
            tx.execute(
                "INSERT INTO job_events (job_id, company_id, from_status, to_status, at, reason)"
                " VALUES (?, ?, NULL, 'queued', ?, 'accepted')",
                (job_id, company_id, now),
            )
            tx.announce(company_id)
            assert row is not None
            return job_from_row(row), True

    def cancel(
        self, company_id: str, job_id: str, *, reason: str = "cancelled by the user"
    ) -> JobRecord:
        with self.db.transaction() as tx:
            job = self._load(tx, company_id, job_id, lock=True)
            if job.status is _S.CANCELLED:
                return job
            return self._transition(
                tx,
                job,
                _S.CANCELLED,
                reason=reason,
                changes={"cancelled_at": self._now(), "worker_id": None, "retryable": 0},
            )

    def retry(self, company_id: str, job_id: str) -> JobRecord:
        """A failed job back to the queue with a fresh retry budget."""
        with self.db.transaction() as tx:
            job = self._load(tx, company_id, job_id, lock=True)
            if job.status in (_S.QUEUED, _S.PROCESSING):
                return job
            return self._transition(
                tx,
                job,
                _S.QUEUED,
                reason="retry asked",
                changes={
                    "retry_count": 0,
                    "retryable": 0,
                    "next_retry_at": None,
                    "worker_id": None,
                },
            )

    def list_jobs(
        self,
        company_id: str,
        *,
        status: JobStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> JobPage:
        """Newest first; ``cursor`` is the ``next_cursor`` of the previous page."""
        where, params = ["company_id = ?"], [company_id]
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        if cursor:
            created, sep, last_id = cursor.partition("~")
            if not sep or len(created) != 27 or not last_id:
                raise ValidationFailed("cursor is not one this server gave out; start without it")
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [created, created, last_id]
        rows = self.db.read().execute(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (*params, limit + 1),
        )
        jobs = [job_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        next_cursor = f"{format_ts(jobs[-1].created_at)}~{jobs[-1].id}" if more and jobs else None
        return JobPage(jobs, next_cursor)

    def changes(
        self, company_id: str, *, since: int, status: JobStatus | None = None, limit: int = 100
    ) -> ChangePage:
        """Jobs whose latest change comes after cursor ``since``, oldest change first."""
        where, params = ["company_id = ?", "cursor > ?"], [company_id, since]
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        rows = self.db.read().execute(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY cursor LIMIT ?",
            (*params, limit + 1),
        )
        jobs = [job_from_row(r) for r in rows[:limit]]
        return ChangePage(jobs, jobs[-1].cursor if jobs else since, len(rows) > limit)

    def queue_status(self, company_id: str) -> QueueCounts:
        since = format_ts(self.clock.now() - timedelta(hours=24))
        rows = self.db.read().execute(
            "SELECT status, COUNT(*) AS n FROM jobs WHERE company_id = ? "
            "AND status IN ('queued', 'processing', 'failed') GROUP BY status",
            (company_id,),
        )
        counts = {r["status"]: int(r["n"]) for r in rows}
        done = self.db.read().scalar(
            "SELECT COUNT(*) FROM jobs WHERE company_id = ? AND status = 'completed' "
            "AND completed_at >= ?",
            (company_id, since),
        )
        return QueueCounts(
            queued=counts.get("queued", 0),
            processing=counts.get("processing", 0),
            failed=counts.get("failed", 0),
            completed24h=int(done or 0),
        )

    def monthly_cost(self, company_id: str) -> Decimal:
        rows = self.db.read().execute(
            "SELECT amount FROM cost_entries WHERE company_id = ? AND at >= ?",
            (company_id, format_ts(month_start(self.clock.now()))),
        )
        return sum((Decimal(r["amount"]) for r in rows), Decimal("0")).quantize(Decimal("0.0001"))

    # -- worker side ------------------------------------------------------------------
    def claim(self, worker_id: str) -> JobRecord | None:
        """Take the oldest queued job (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
        now = self._now()
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT * FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1"
                + tx.skip_locked
            )
            if row is None:
                return None
            return self._transition(
                tx,
                job_from_row(row),
                _S.PROCESSING,
                reason="claimed",
                worker_id=worker_id,
                changes={"started_at": now, "worker_id": worker_id, "heartbeat_at": now},
            )

    def heartbeat(self, job: JobRecord, worker_id: str) -> bool:
        """Tell the queue the worker is alive; False when the job is no longer ours."""
        with self.db.transaction() as tx:
            done = tx.execute(
                "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'processing' "
                "AND worker_id = ? RETURNING id",
                (self._now(), job.id, worker_id),
            )
        return bool(done)

    def _own(self, tx: Tx, job: JobRecord, worker_id: str) -> JobRecord | None:
        row = tx.one("SELECT * FROM jobs WHERE id = ?" + tx.for_update, (job.id,))
        if row is None or row["status"] != "processing" or row["worker_id"] != worker_id:
            return None  # cancelled or reclaimed meanwhile: our result is not wanted
        return job_from_row(row)

    def complete(
        self,
        job: JobRecord,
        worker_id: str,
        *,
        result: dict[str, Any],
        confidence: float | None,
        processing_ms: int,
        pages: int,
        engine_seconds: float,
        engine_cost: Decimal | None = None,
    ) -> JobRecord | None:
        """Store the result and the job's cost record; None if the job is no longer ours."""
        with self.db.transaction() as tx:
            current = self._own(tx, job, worker_id)
            if current is None:
                return None
            plan_name = tx.scalar("SELECT plan FROM companies WHERE id = ?", (job.company_id,))
            plan = self.config.plan(plan_name)
            amount = (plan.price_per_page * pages + (engine_cost or 0)).quantize(Decimal("0.0001"))
            seconds = Decimal(str(engine_seconds)).quantize(Decimal("0.001"))
            cost = {
                "amount": str(amount),
                "currency": plan.currency,
                "pages": pages,
                "engine_seconds": str(seconds),
            }
            now = self._now()
            tx.execute(
                "INSERT INTO cost_entries (job_id, company_id, at, amount, currency, pages, "
                "engine_seconds) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
                (job.id, job.company_id, now, str(amount), plan.currency, pages, str(seconds)),
            )
            return self._transition(
                tx,
                current,
                _S.COMPLETED,
                reason="completed",
                worker_id=worker_id,
                changes={
                    "completed_at": now,
                    "result": json.dumps(result),
                    "confidence": confidence,
                    "processing_ms": processing_ms,
                    "cost": json.dumps(cost),
                    "error_code": None,
                    "error_message": None,
                    "worker_id": None,
                    "retryable": 0,
                },
            )

    def fail(
        self, job: JobRecord, worker_id: str, *, code: str, message: str, transient: bool
    ) -> JobRecord | None:
        """Fail the job; a transient failure with retries left is retried after 1, 5, 15 s."""
        with self.db.transaction() as tx:
            current = self._own(tx, job, worker_id)
            if current is None:
                return None
            delay = retry_delay(current.retry_count) if transient else None
            if transient and delay is None:
                message = (
                    f"{message} (gave up after {MAX_RETRIES} automatic retries; retry by hand)"
                )
            now = self.clock.now()
            return self._transition(
                tx,
                current,
                _S.FAILED,
                reason=message,
                worker_id=worker_id,
                changes={
                    "failed_at": format_ts(now),
                    "error_code": code,
                    "error_message": message,
                    "worker_id": None,
                    "retryable": int(delay is not None),
                    "next_retry_at": None if delay is None else format_ts(now + delay),
                },
            )

    def retry_failed(self) -> int:
        """Queue again every transient failure whose backoff has passed; how many."""
        return self._sweep(
            "SELECT * FROM jobs WHERE status = 'failed' AND retryable = 1 AND next_retry_at <= ?",
            (self._now(),),
            lambda job: (
                _S.QUEUED,
                f"automatic retry {job.retry_count + 1}",
                {"retry_count": job.retry_count + 1, "retryable": 0, "next_retry_at": None},
            ),
        )

    def reclaim(self, *, timeout: float | None = None) -> int:
        """Jobs whose worker stopped heart-beating go back to the queue; how many."""
        limit = timeout if timeout is not None else self.config.heartbeat_timeout
        before = format_ts(self.clock.now() - timedelta(seconds=limit))
        return self._sweep(
            "SELECT * FROM jobs WHERE status = 'processing' AND heartbeat_at < ?",
            (before,),
            lambda job: (
                _S.QUEUED,
                f"worker {job.worker_id} stopped; job reclaimed",
                {"worker_id": None, "heartbeat_at": None},
            ),
        )

    def cancel_stale(self) -> int:
        """Jobs queued or processing 24 h after the server accepted them are cancelled."""
        before = format_ts(self.clock.now() - STALE_AFTER)
        return self._sweep(
            "SELECT * FROM jobs WHERE status IN ('queued', 'processing') AND created_at < ?",
            (before,),
            lambda job: (
                _S.CANCELLED,
                "stale: not done 24 h after it was accepted",
                {"cancelled_at": self._now(), "worker_id": None},
            ),
        )

    def _sweep(self, sql: str, params: tuple[Any, ...], change: Any) -> int:
        done = 0
        with self.db.transaction() as tx:
            for row in tx.execute(sql + " LIMIT 500" + tx.skip_locked, params):
                job = job_from_row(row)
                target, reason, changes = change(job)
                self._transition(tx, job, target, reason=reason, changes=changes)
                done += 1
        return done

    def events_of(self, company_id: str, job_id: str) -> list[dict[str, Any]]:
        """The recorded status changes of one job, oldest first."""
        self.get(company_id, job_id)
        return self.db.read().execute(
            "SELECT from_status, to_status, at, reason, worker_id FROM job_events "
            "WHERE job_id = ? ORDER BY id",
            (job_id,),
        )
