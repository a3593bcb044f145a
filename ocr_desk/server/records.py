"""Frozen records the server store hands out, and their API shapes (docs/api.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ocr_desk.core import JobStatus, JobType, format_ts, parse_ts

__all__ = [
    "ChangePage",
    "Company",
    "JobPage",
    "JobRecord",
    "MediaRecord",
    "Principal",
    "QueueCounts",
    "job_from_row",
    "media_from_row",
    "month_start",
]


def _ts(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


def _out(when: datetime | None) -> str | None:
    return None if when is None else format_ts(when)


@dataclass(frozen=True, slots=True, kw_only=True)
class Company:
    id: str
    name: str
    plan: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "plan": self.plan}


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who is calling: the token's user and company."""

    user_id: str
    email: str
    company: Company

    @property
    def company_id(self) -> str:
        return self.company.id


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaRecord:
    id: str
    company_id: str
    sha256: str
    mime_type: str
    size_bytes: int
    width: int | None
    height: int | None
    page_count: int | None
    document_type: str
    captured_at: datetime
    created_at: datetime
    path: str | None
    deleted_at: datetime | None = None
    original_name: str | None = None

    def to_dict(self, *, duplicate: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "sha256": self.sha256,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "width": self.width,
            "height": self.height,
            "page_count": self.page_count,
            "document_type": self.document_type,
            "captured_at": format_ts(self.captured_at),
            "created_at": format_ts(self.created_at),
            "duplicate": duplicate,
        }


def media_from_row(row: dict[str, Any]) -> MediaRecord:
    return MediaRecord(
        id=row["id"],
        company_id=row["company_id"],
        sha256=row["sha256"],
        mime_type=row["mime_type"],
        size_bytes=int(row["size_bytes"]),
        width=row["width"],
        height=row["height"],
        page_count=row["page_count"],
        document_type=row["document_type"],
        captured_at=parse_ts(row["captured_at"]),
        created_at=parse_ts(row["created_at"]),
        path=row["path"],
        deleted_at=_ts(row["deleted_at"]),
        original_name=row["original_name"],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRecord:
    id: str
    company_id: str
    media_id: str
    job_type: JobType
    status: JobStatus
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    cancelled_at: datetime | None = None
    retry_count: int = 0
    retryable: bool = False
    next_retry_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    result: dict[str, Any] | None = None
    confidence: float | None = None
    processing_ms: int | None = None
    cost: dict[str, Any] | None = None
    cursor: int = 0
    worker_id: str | None = None
    heartbeat_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``Job`` object of the API."""
        error = None
        if self.error_code is not None:
            error = {"code": self.error_code, "message": self.error_message or ""}
        return {
            "id": self.id,
            "media_id": self.media_id,
            "job_type": self.job_type.value,
            "status": self.status.value,
            "metadata": self.metadata,
            "created_at": format_ts(self.created_at),
            "updated_at": format_ts(self.updated_at),
            "submitted_at": format_ts(self.created_at),
            "started_at": _out(self.started_at),
            "completed_at": _out(self.completed_at),
            "failed_at": _out(self.failed_at),
            "cancelled_at": _out(self.cancelled_at),
            "retry_count": self.retry_count,
            "error": error,
            "result": self.result,
            "confidence": self.confidence,
            "processing_ms": self.processing_ms,
            "cost": self.cost,
            "cursor": str(self.cursor),
        }


def job_from_row(row: dict[str, Any]) -> JobRecord:
    return JobRecord(
        id=row["id"],
        company_id=row["company_id"],
        media_id=row["media_id"],
        job_type=JobType(row["job_type"]),
        status=JobStatus(row["status"]),
        metadata=json.loads(row["metadata"] or "{}"),
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
        started_at=_ts(row["started_at"]),
        completed_at=_ts(row["completed_at"]),
        failed_at=_ts(row["failed_at"]),
        cancelled_at=_ts(row["cancelled_at"]),
        retry_count=int(row["retry_count"]),
        retryable=bool(row["retryable"]),
        next_retry_at=_ts(row["next_retry_at"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        result=None if row["result"] is None else json.loads(row["result"]),
        confidence=row["confidence"],
        processing_ms=row["processing_ms"],
        cost=None if row["cost"] is None else json.loads(row["cost"]),
        cursor=int(row["cursor"]),
        worker_id=row["worker_id"],
        heartbeat_at=_ts(row["heartbeat_at"]),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCounts:
    queued: int
    processing: int
    failed: int
    completed24h: int

    def to_dict(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "processing": self.processing,
            "failed": self.failed,
            "completed24h": self.completed24h,
        }


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of a company's jobs, newest first, and where the next page starts."""

    jobs: list[JobRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Jobs changed after a cursor, oldest change first, and the cursor reached."""

    jobs: list[JobRecord]
    cursor: int
    has_more: bool


def month_start(now: datetime) -> datetime:
    """The first instant of ``now``'s month: quotas and costs count from it."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
