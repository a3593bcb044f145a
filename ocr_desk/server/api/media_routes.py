"""Uploads: ``POST /v1/media``, ``POST /v1/captures`` (a file and its job in one
request) and ``DELETE /v1/media/{id}`` (docs/api.md).

The body is parsed on the event loop as it arrives (no thread hop per chunk, see
``uploads``); the database work then takes one hop to the thread pool, where the
token is checked again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ocr_desk.core import JobType, parse_ts

from ..errors import ValidationFailed
from ..media import MediaService, PendingUpload
from ..records import MediaRecord, Principal
from .deps import Creds, IdemKey, ctx, error_responses, principal, recent_tokens
from .idempotency import run_idempotent
from .schemas import CaptureOut, MediaOut
from .uploads import CAPTURE_FIELDS, FORM_FIELDS, ReceivedForm, read_upload

__all__ = ["media_router"]

media_router = APIRouter()

_TYPES = [t.value for t in JobType]
_MEDIA_FIELDS: dict[str, Any] = {
    "file": {
        "type": "string",
        "format": "binary",
        "description": "the image or PDF; its content is sniffed",
    },
    "sha256": {"type": "string", "maxLength": 64},
    "document_type": {"type": "string", "default": "receipt", "enum": _TYPES},
    "captured_at": {"type": "string", "maxLength": 40},
    "original_name": {"type": "string", "maxLength": 500},
}
_JOB_FIELDS: dict[str, Any] = {
    "job_type": {
        "type": "string",
        "enum": _TYPES,
        "description": "default: the document_type",
    },
    "metadata": {
        "type": "string",
        "description": "a JSON object, kept with the job (at most 1 MiB as UTF-8)",
    },
    "force": {"type": "string", "enum": ["true", "false"], "default": "false"},
}


def _form_body(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "required": ["file"], "properties": properties}
    content = {"multipart/form-data": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


@dataclass(frozen=True, slots=True)
class _MediaFields:
    """An upload's checked fields, and what its Idempotency-Key fingerprint covers."""

    document_type: JobType
    captured_at: datetime | None
    original_name: str | None
    fingerprint: dict[str, Any]

    def store(
        self, media: MediaService, caller: Principal, pending: PendingUpload
    ) -> tuple[MediaRecord, bool]:
        """Keep the upload with these fields: ``(media, created)``."""
        return media.store(
            caller,
            pending,
            document_type=self.document_type.value,
            captured_at=self.captured_at,
            original_name=self.original_name,
        )


def _media_fields(form: ReceivedForm) -> _MediaFields:
    pending = form.pending
    assert pending is not None  # read_upload refuses a form without a file
    fields = form.fields
    document_type = _job_type(fields.get("document_type"), "document_type", JobType.RECEIPT)
    captured_at = fields.get("captured_at")
    sha256 = fields.get("sha256")
    if sha256 is not None and sha256.strip().lower() != pending.sha256:
        raise ValidationFailed(
            f"the file's SHA-256 is {pending.sha256}, not {sha256}; "
            "the upload was damaged: send it again"
        )
    original_name = fields.get("original_name")
    return _MediaFields(
        document_type=document_type,
        captured_at=_parse_time(captured_at, "captured_at"),
        original_name=original_name,
        fingerprint={
            "sha256": pending.sha256,
            "document_type": document_type.value,
            "captured_at": captured_at,
            "original_name": original_name,
        },
    )


async def _receive(
    request: Request,
    creds: Creds,
    fields: dict[str, int],
    store: Callable[[Principal, ReceivedForm], Response],
) -> Response:
    """Read the multipart body, then run ``store(caller, form)`` in the thread pool; an
    unknown token is refused before the body is read, so a stranger's file never lands."""
    if creds is None or not recent_tokens(request).seen(creds.credentials):
        await run_in_threadpool(principal, request, creds)
    c = ctx(request)
    content_type = request.headers.get("content-type", "")
    form = await read_upload(content_type, request.stream(), c.media, fields)

    def run() -> Response:
        return store(principal(request, creds), form)

    try:
        return await run_in_threadpool(run)
    finally:
        if form.pending is not None:
            form.pending.discard()  # already moved into place unless the request failed


@media_router.post(
    "/v1/media",
    response_model=MediaOut,
    status_code=201,
    responses={
        200: {"model": MediaOut, "description": "already stored (duplicate)"},
        **error_responses(400, 413, 415, 429),
    },
    openapi_extra=_form_body(_MEDIA_FIELDS),
)
async def upload_media(request: Request, creds: Creds, idempotency_key: IdemKey = None) -> Response:
    c = ctx(request)

    def store(caller: Principal, form: ReceivedForm) -> Response:
        assert form.pending is not None
        media_fields = _media_fields(form)
        pending = c.media.inspect(form.pending)  # before any lock is taken

        def action() -> tuple[int, Any]:
            media, created = media_fields.store(c.media, caller, pending)
            return (201 if created else 200), media.to_dict(duplicate=not created)

        return run_idempotent(
            c.db,
            c.clock,
            caller,
            idempotency_key,
            method="POST",
            path="/v1/media",
            content=media_fields.fingerprint,
            action=action,
        )

    return await _receive(request, creds, FORM_FIELDS, store)


@media_router.post(
    "/v1/captures",
    response_model=CaptureOut,
    status_code=201,
    responses={
        200: {"model": CaptureOut, "description": "the file's existing job"},
        **error_responses(400, 402, 413, 415, 429),
    },
    openapi_extra=_form_body({**_MEDIA_FIELDS, **_JOB_FIELDS}),
)
async def capture(request: Request, creds: Creds, idempotency_key: IdemKey = None) -> Response:
    """A file and its job in one request: ``POST /v1/media`` then ``POST /v1/jobs``, in
    one transaction, for one round trip per capture."""
    c = ctx(request)

    def store(caller: Principal, form: ReceivedForm) -> Response:
        assert form.pending is not None
        media_fields = _media_fields(form)
        job_type = _job_type(form.fields.get("job_type"), "job_type", media_fields.document_type)
        metadata = _metadata(form.fields.get("metadata"))
        force = _flag(form.fields.get("force"), "force")
        pending = c.media.inspect(form.pending)  # before any lock is taken

        def action() -> tuple[int, Any]:
            with c.db.transaction():  # nothing stays of a capture whose job is refused
                c.jobs.admit(
                    caller.company_id,
                    plan=caller.company.plan,
                    sha256=pending.sha256,
                    force=force,
                )
                media, media_created = media_fields.store(c.media, caller, pending)
                job, created = c.jobs.create_job(
                    caller.company_id,
                    media_id=media.id,
                    job_type=job_type,
                    metadata=metadata,
                    force=force,
                )
            body = {"media": media.to_dict(duplicate=not media_created), "job": job.to_dict()}
            return (201 if created else 200), body

        content = {
            **media_fields.fingerprint,
            "job_type": job_type.value,
            "metadata": metadata,
            "force": force,
        }
        return run_idempotent(
            c.db,
            c.clock,
            caller,
            idempotency_key,
            method="POST",
            path="/v1/captures",
            content=content,
            action=action,
        )

    return await _receive(request, creds, CAPTURE_FIELDS, store)


@media_router.delete("/v1/media/{media_id}", status_code=204, responses=error_responses(404))
def delete_media(request: Request, creds: Creds, media_id: str) -> Response:
    caller = principal(request, creds)
    ctx(request).media.delete(caller.company_id, media_id)
    return Response(status_code=204)


def _job_type(text: str | None, name: str, default: JobType) -> JobType:
    if not text:
        return default
    try:
        return JobType(text)
    except ValueError as exc:
        raise ValidationFailed(f"{name} must be one of: " + ", ".join(_TYPES)) from exc


def _metadata(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(
            'metadata must be a JSON object such as {"project": "A-12"}'
        ) from exc
    if not isinstance(value, dict):
        raise ValidationFailed('metadata must be a JSON object such as {"project": "A-12"}')
    return value


def _flag(text: str | None, name: str) -> bool:
    value = (text or "false").strip().lower()
    if value not in ("true", "false"):
        raise ValidationFailed(f"{name} must be true or false")
    return value == "true"


def _parse_time(text: str | None, name: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_ts(text.strip())
    except ValueError as exc:
        raise ValidationFailed(
            f"{name} must be an ISO 8601 time such as 2026-03-10T09:00:00Z"
        ) from exc
