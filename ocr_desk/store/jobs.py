"""OCR jobs and their event history, scoped to one company.

Every status change goes through :meth:`JobRepository.transition`, which asks the
core transition table, updates the row only if nobody changed its status meanwhile,
and records the change as a job event, all in the caller's transaction.
"""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ocr_desk.core import (
    InvalidStatusError,
    JobNotFoundError,
    JobStatus,
    JobType,
    ReceiptResult,
    check_transition,
    format_ts,
    utc,
)

from .database import Store
from .records import Job, JobEvent, QueueStatus, new_id, to_json

__all__ = ["JOB_COLUMNS", "JobRepository", "result_columns"]

JOB_COLUMNS = frozenset(
    {
        "metadata",
        "submitted_at",
        "started_at",
        "completed_at",
        "failed_at",
        "cancelled_at",
        "retry_count",
        "retryable",
        "error_code",
        "last_error",
        "remote_id",
        "result",
        "merchant",
        "receipt_date",
        "total",
        "tax",
        "currency",
        "confidence",
        "cost_amount",
        "cost_currency",
    }
)
"""Columns a caller may set besides ``status`` (which only :meth:`transition` changes)."""


class JobRepository:
    """Reads and writes ``ocr_jobs`` and ``job_events`` rows of one company only."""

    def __init__(self, store: Store, *, company_id: str) -> None:
        self._store = store
        self.company_id = company_id

    # -- reads -----------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        rows = self._store.query(
            "SELECT * FROM ocr_jobs WHERE id = ? AND company_id = ?", (job_id, self.company_id)
        )
        if not rows:
            raise JobNotFoundError(f"no job {job_id} here; `ocr-desk jobs` lists the jobs")
        return Job.from_row(rows[0])

    def find(self, job_id: str) -> Job | None:
        try:
            return self.get(job_id)
        except JobNotFoundError:
            return None

    def find_by_remote_id(self, remote_id: str) -> Job | None:
        rows = self._store.query(
            "SELECT * FROM ocr_jobs WHERE company_id = ? AND remote_id = ?",
            (self.company_id, remote_id),
        )
        return Job.from_row(rows[0]) if rows else None

    def for_media(self, media_asset_id: str) -> builtins.list[Job]:
        rows = self._store.query(
            "SELECT * FROM ocr_jobs WHERE company_id = ? AND media_asset_id = ? "
            "ORDER BY created_at",
            (self.company_id, media_asset_id),
        )
        return [Job.from_row(r) for r in rows]

    def list(
        self,
        *,
        status: JobStatus | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[Job]:
        """Jobs newest first, optionally of one status."""
        sql = "SELECT * FROM ocr_jobs WHERE company_id = ?"
        params: list[Any] = [self.company_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(JobStatus(status).value)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [Job.from_row(r) for r in self._store.query(sql, params)]

    def by_prefix(self, ref: str) -> Job:
        """The job whose id is ``ref`` or starts with it (as :meth:`short_ids` shows them)."""
        prefix = ref.strip().lower()
        rows = (
            self._store.query(
                "SELECT id FROM ocr_jobs WHERE company_id = ? AND id >= ? AND id < ? "
                "ORDER BY id LIMIT 2",
                (self.company_id, prefix, prefix + "~"),  # "~" sorts after hex digits and "-"
            )
            if prefix
            else []
        )
        if not rows:
            raise JobNotFoundError(f"no job {ref!r} here; `ocr-desk jobs` lists the jobs")
        if len(rows) > 1 and rows[0]["id"] != prefix:
            raise JobNotFoundError(
                f"{ref!r} is the start of several job ids; give more of the id",
                code="AMBIGUOUS_JOB_ID",
            )
        return self.get(rows[0]["id"])

    def short_ids(self, job_ids: Iterable[str], *, min_length: int = 8) -> dict[str, str]:
        """The shortest start of each id (at least ``min_length`` characters) that no
        other job of this company shares, for lists a person reads and types from.

        Ids are time-ordered, so jobs captured in the same minute share their first
        characters; only an id's neighbours in sorted order can share a longer start,
        so two index lookups per id are enough, however many jobs there are.
        """
        shown: dict[str, str] = {}
        for job_id in job_ids:
            longest = 0
            for op, order in (("<", "DESC"), (">", "ASC")):
                row = self._store.conn.execute(
                    f"SELECT id FROM ocr_jobs WHERE company_id = ? AND id {op} ? "
                    f"ORDER BY id {order} LIMIT 1",
                    (self.company_id, job_id),
                ).fetchone()
                if row is not None:
                    longest = max(longest, len(os.path.commonprefix([job_id, row[0]])))
            length = max(min_length, longest + 1)
            if job_id[length - 1 : length] == "-":
                length += 1  # never end on a separator
            shown[job_id] = job_id[:length]
        return shown

    def with_status(self, *statuses: JobStatus) -> builtins.list[Job]:
        marks = ", ".join("?" for _ in statuses)
        rows = self._store.query(
            f"SELECT * FROM ocr_jobs WHERE company_id = ? AND status IN ({marks}) "
            "ORDER BY created_at",
            [self.company_id, *(s.value for s in statuses)],
        )
        return [Job.from_row(r) for r in rows]

    def events(self, job_id: str) -> builtins.list[JobEvent]:
        rows = self._store.query(
            "SELECT * FROM job_events WHERE job_id = ? AND company_id = ? ORDER BY id",
            (job_id, self.company_id),
        )
        return [JobEvent.from_row(r) for r in rows]

    def counts(self, *, now: datetime) -> QueueStatus:
        """The status panel's counts, each one short range of the status index."""
        since = format_ts(now - timedelta(hours=24))
        row = self._store.conn.execute(
            """
            SELECT
              (SELECT COUNT(*) FROM ocr_jobs WHERE company_id = :c AND status = 'queued'),
              (SELECT COUNT(*) FROM ocr_jobs WHERE company_id = :c AND status = 'processing'),
              (SELECT COUNT(*) FROM ocr_jobs WHERE company_id = :c AND status = 'failed'),
              (SELECT COUNT(*) FROM ocr_jobs
                 WHERE company_id = :c AND status = 'completed' AND completed_at >= :since),
              (SELECT COUNT(DISTINCT job_id) FROM outbox
                 WHERE company_id = :c AND job_id IS NOT NULL)
            """,
            {"c": self.company_id, "since": since},
        ).fetchone()
        return QueueStatus(*row)

    # -- writes (call inside Store.write()) ------------------------------------

    def insert(
        self,
        *,
        media_asset_id: str,
        job_type: JobType | str,
        metadata: Mapping[str, Any] | None,
        at: datetime,
        reason: str = "created",
        job_id: str | None = None,
    ) -> Job:
        """Insert a ``queued`` job and its first event."""
        job_id = job_id or new_id()
        at = utc(at)
        ts = format_ts(at)
        meta = dict(metadata or {})
        kind = JobType(job_type)
        conn = self._store.conn
        conn.execute(
            "INSERT INTO ocr_jobs (id, company_id, media_asset_id, job_type, status, metadata,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
            (job_id, self.company_id, media_asset_id, kind.value, to_json(meta), ts, ts),
        )
        conn.execute(
            "INSERT INTO job_events (job_id, id, company_id, at, from_status, to_status, reason)"
            " VALUES (?, 1, ?, ?, NULL, 'queued', ?)",  # a new job's first event
            (job_id, self.company_id, ts, reason),
        )
        # the stored text keeps microseconds, so utc(at) is what reading the row gives back
        return Job(
            id=job_id,
            company_id=self.company_id,
            media_asset_id=media_asset_id,
            job_type=kind,
            status=JobStatus.QUEUED,
            metadata=meta,
            created_at=at,
            updated_at=at,
        )

    def transition(
        self,
        job_id: str,
        target: JobStatus,
        *,
        at: datetime,
        reason: str,
        changes: Mapping[str, Any] | None = None,
    ) -> Job:
        """Move a job to ``target`` if the transition table allows it, with an event.

        ``changes`` sets other columns in the same statement. Raises
        :class:`InvalidStatusError` (nothing changed) or :class:`JobNotFoundError`.
        """
        job = self.get(job_id)
        check_transition(job.status, target)
        ts = format_ts(at)
        updates = {"status": target.value, "updated_at": ts, **self._columns(changes)}
        sets = ", ".join(f"{name} = :{name}" for name in updates)
        rows = self._store.query(
            f"UPDATE ocr_jobs SET {sets} WHERE id = :_id AND company_id = :_c AND status = :_s "
            "RETURNING *",
            {**updates, "_id": job_id, "_c": self.company_id, "_s": job.status.value},
        )
        if len(rows) != 1:
            raise InvalidStatusError(
                f"job {job_id} changed status while it was being updated; try again"
            )
        self._event(job_id, job.status, target, ts, reason)
        return Job.from_row(rows[0])

    def update(self, job_id: str, *, at: datetime, changes: Mapping[str, Any]) -> Job:
        """Set non-status columns of a job (results, remote id, submission time...)."""
        updates = {"updated_at": format_ts(at), **self._columns(changes)}
        sets = ", ".join(f"{name} = :{name}" for name in updates)
        rows = self._store.query(
            f"UPDATE ocr_jobs SET {sets} WHERE id = :_id AND company_id = :_c RETURNING *",
            {**updates, "_id": job_id, "_c": self.company_id},
        )
        if not rows:
            raise JobNotFoundError(f"no job {job_id} here; `ocr-desk jobs` lists the jobs")
        return Job.from_row(rows[0])

    def delete(self, job_id: str) -> None:
        self.get(job_id)
        self._store.conn.execute(
            "DELETE FROM ocr_jobs WHERE id = ? AND company_id = ?", (job_id, self.company_id)
        )

    # -- helpers ---------------------------------------------------------------

    def _event(
        self,
        job_id: str,
        src: JobStatus | None,
        dst: JobStatus,
        ts: str,
        reason: str,
    ) -> None:
        self._store.conn.execute(
            "INSERT INTO job_events (job_id, id, company_id, at, from_status, to_status, reason)"
            " VALUES (:job, (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events WHERE job_id = :job),"
            " :company, :at, :src, :dst, :reason)",
            {
                "job": job_id,
                "company": self.company_id,
                "at": ts,
                "src": src.value if src else None,
                "dst": dst.value,
                "reason": reason,
            },
        )

    @staticmethod
    def _columns(changes: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in (changes or {}).items():
            if name not in JOB_COLUMNS:
                raise ValueError(f"ocr_jobs has no settable column {name!r}")
            out[name] = _to_sql(value)
        return out


def _to_sql(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def result_columns(result: ReceiptResult) -> dict[str, Any]:
    """The job columns the export and the table read, from an extraction result."""

    def text(name: str) -> str | None:
        value = result.value(name)
        return None if value is None else str(value)

    return {
        "result": result.to_dict(),
        "merchant": text("merchant"),
        "receipt_date": text("date"),
        "total": result.value("total"),
        "tax": result.value("tax"),
        "currency": text("currency"),
    }
