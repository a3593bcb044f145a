"""Pydantic shapes of docs/api.md, for validation of requests and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocr_desk.core import JobType

__all__ = [
    "CaptureOut",
    "ChangeList",
    "ErrorBody",
    "Health",
    "JobCreate",
    "JobList",
    "JobOut",
    "MediaOut",
    "Me",
    "QueueStatusOut",
    "TokenOut",
    "TokenRequest",
    "UsageOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Out):
    code: str
    message: str


class ErrorBody(_Out):
    error: ErrorDetail


class Health(_Out):
    status: str
    version: str


class TokenRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class UserOut(_Out):
    email: str


class CompanyOut(_Out):
    id: str
    name: str
    plan: str


class Me(_Out):
    user: UserOut
    company: CompanyOut


class TokenOut(Me):
    token: str


class MediaOut(_Out):
    id: str
    sha256: str
    mime_type: str
    size_bytes: int
    width: int | None
    height: int | None
    page_count: int | None
    document_type: str
    captured_at: str
    created_at: str
    duplicate: bool


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    media_id: str = Field(max_length=100)
    job_type: JobType = JobType.RECEIPT
    metadata: dict[str, Any] = Field(default_factory=dict)
    force: bool = False


class JobError(_Out):
    code: str
    message: str


class Cost(_Out):
    amount: str
    currency: str
    pages: int
    engine_seconds: str


class JobOut(_Out):
    id: str
    media_id: str
    job_type: str
    status: str
    metadata: dict[str, Any]
    created_at: str
    updated_at: str
    submitted_at: str
    started_at: str | None
    completed_at: str | None
    failed_at: str | None
    cancelled_at: str | None
    retry_count: int
    error: JobError | None
    result: dict[str, Any] | None
    confidence: float | None
    processing_ms: int | None
    cost: Cost | None
    cursor: str


class CaptureOut(_Out):
    media: MediaOut
    job: JobOut


class JobList(_Out):
    jobs: list[JobOut]
    next_cursor: str | None


class ChangeList(_Out):
    jobs: list[JobOut]
    cursor: str
    has_more: bool


class QueueStatusOut(_Out):
    queued: int
    processing: int
    failed: int
    completed24h: int


class JobsUsage(_Out):
    used: int
    limit: int | None
    left: int | None


class UploadsUsage(_Out):
    used: int
    limit: int | None
    reset_at: str


class Money(_Out):
    amount: str
    currency: str


class StorageOut(_Out):
    files: int
    bytes: int


class UsageOut(_Out):
    plan: str
    month: str
    jobs: JobsUsage
    uploads_hour: UploadsUsage
    cost_month: Money
    storage: StorageOut
