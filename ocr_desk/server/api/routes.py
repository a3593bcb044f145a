"""The v1 endpoints of docs/api.md, but uploads (``media_routes``). Handlers are plain
functions run in the thread pool."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ocr_desk import __version__
from ocr_desk.core import JobStatus, format_ts

from ..errors import ValidationFailed
from ..records import Principal, month_start
from .deps import Creds, IdemKey, ctx, error_responses, principal
from .events import Broadcaster, event_stream, latest_cursor
from .idempotency import run_idempotent
from .schemas import (
    ChangeList,
    ErrorBody,
    Health,
    JobCreate,
    JobList,
    JobOut,
    Me,
    QueueStatusOut,
    TokenOut,
    TokenRequest,
    UsageOut,
)

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", response_model=Health, responses={500: {"model": ErrorBody}})
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.post(
    "/v1/auth/token",
    response_model=TokenOut,
    responses=error_responses(413),
    summary="Exchange email + password for an API token",
)
def auth_token(request: Request, body: TokenRequest, idempotency_key: IdemKey = None) -> Any:
    # Idempotency-Key is accepted and ignored: tokens are stored hashed only, so the first
    # answer cannot be replayed; a resend simply issues another valid token.
    token, who = ctx(request).accounts.login(body.email, body.password)
    return {"token": token, "user": {"email": who.email}, "company": who.company.to_dict()}


@router.get("/v1/me", response_model=Me, responses=error_responses())
def me(request: Request, creds: Creds) -> Any:
    caller = principal(request, creds)
    return {"user": {"email": caller.email}, "company": caller.company.to_dict()}


@router.post(
    "/v1/jobs",
    response_model=JobOut,
    status_code=201,
    responses={
        200: {"model": JobOut, "description": "the media's existing job"},
        **error_responses(400, 402, 404, 413),
    },
)
def create_job(
    request: Request, creds: Creds, body: JobCreate, idempotency_key: IdemKey = None
) -> Response:
    caller = principal(request, creds)
    c = ctx(request)

    def action() -> tuple[int, Any]:
        job, created = c.jobs.create_job(
            caller.company_id,
            media_id=body.media_id,
            job_type=body.job_type,
            metadata=body.metadata,
            force=body.force,
        )
        return (201 if created else 200), job.to_dict()

    return run_idempotent(
        c.db,
        c.clock,
        caller,
        idempotency_key,
        method="POST",
        path="/v1/jobs",
        content=body.model_dump(mode="json"),
        action=action,
    )


@router.get("/v1/jobs/{job_id}", response_model=JobOut, responses=error_responses(404))
def get_job(request: Request, creds: Creds, job_id: str) -> Response:
    caller = principal(request, creds)
    return JSONResponse(ctx(request).jobs.get(caller.company_id, job_id).to_dict())


@router.get("/v1/jobs", response_model=JobList | ChangeList, responses=error_responses(400))
def list_jobs(
    request: Request,
    creds: Creds,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    updated_since: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    caller = principal(request, creds)
    jobs = ctx(request).jobs
    if updated_since is not None:
        if cursor is not None:
            raise ValidationFailed(
                "give either cursor (paging) or updated_since (changes), not both"
            )
        since = _parse_cursor(updated_since, "updated_since")
        page = jobs.changes(caller.company_id, since=since, status=status, limit=limit)
        return JSONResponse(
            {
                "jobs": [j.to_dict() for j in page.jobs],
                "cursor": str(page.cursor),
                "has_more": page.has_more,
            }
        )
    listing = jobs.list_jobs(caller.company_id, status=status, limit=limit, cursor=cursor)
    return JSONResponse(
        {"jobs": [j.to_dict() for j in listing.jobs], "next_cursor": listing.next_cursor}
    )


def _status_change(
    request: Request, caller: Principal, job_id: str, key: str | None, verb: str
) -> Response:
    c = ctx(request)

    def action() -> tuple[int, Any]:
        change = c.jobs.cancel if verb == "cancel" else c.jobs.retry
        return 200, change(caller.company_id, job_id).to_dict()

    return run_idempotent(
        c.db,
        c.clock,
        caller,
        key,
        method="POST",
        path=f"/v1/jobs/{job_id}/{verb}",
        content=None,
        action=action,
    )


@router.post(
    "/v1/jobs/{job_id}/cancel", response_model=JobOut, responses=error_responses(404, 409, 413)
)
def cancel_job(
    request: Request, creds: Creds, job_id: str, idempotency_key: IdemKey = None
) -> Response:
    caller = principal(request, creds)
    return _status_change(request, caller, job_id, idempotency_key, "cancel")


@router.post(
    "/v1/jobs/{job_id}/retry", response_model=JobOut, responses=error_responses(404, 409, 413)
)
def retry_job(
    request: Request, creds: Creds, job_id: str, idempotency_key: IdemKey = None
) -> Response:
    caller = principal(request, creds)
    return _status_change(request, caller, job_id, idempotency_key, "retry")


@router.get("/v1/queue-status", response_model=QueueStatusOut, responses=error_responses())
def queue_status(request: Request, creds: Creds) -> Response:
    caller = principal(request, creds)
    return JSONResponse(ctx(request).jobs.queue_status(caller.company_id).to_dict())


@router.get("/v1/usage", response_model=UsageOut, responses=error_responses())
def usage(request: Request, creds: Creds) -> Response:
    caller = principal(request, creds)
    c = ctx(request)
    plan = c.config.plan(caller.company.plan)
    used = c.jobs.jobs_used_this_month(c.db.read(), caller.company_id)
    hour = c.media.uploads_hour(caller)
    storage = c.media.storage_usage(caller.company_id)
    left = None if plan.jobs_per_month is None else max(plan.jobs_per_month - used, 0)
    return JSONResponse(
        {
            "plan": plan.name,
            "month": month_start(c.clock.now()).strftime("%Y-%m"),
            "jobs": {"used": used, "limit": plan.jobs_per_month, "left": left},
            "uploads_hour": {
                "used": hour.used,
                "limit": hour.limit,
                "reset_at": format_ts(hour.reset_at),
            },
            "cost_month": {
                "amount": str(c.jobs.monthly_cost(caller.company_id)),
                "currency": plan.currency,
            },
            "storage": {
                "files": storage[0].files if storage else 0,
                "bytes": storage[0].bytes if storage else 0,
            },
        }
    )


@router.get(
    "/v1/events",
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "job changes as server-sent events",
        },
        **error_responses(400),
    },
)
def events(
    request: Request,
    creds: Creds,
    since: Annotated[str | None, Query(max_length=30)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=30)] = None,
) -> StreamingResponse:
    caller = principal(request, creds)
    c = ctx(request)
    start = last_event_id if last_event_id is not None else since
    if start is None:
        cursor = latest_cursor(c.jobs, caller.company_id)  # now, before the response starts
    else:
        cursor = _parse_cursor(start, "Last-Event-ID")
    broadcaster: Broadcaster = request.app.state.broadcaster
    stream = event_stream(
        c.jobs,
        broadcaster,
        caller.company_id,
        since=cursor,
        poll_interval=c.config.poll_interval,
        ping_interval=c.config.ping_interval,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _parse_cursor(text: str, name: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise ValidationFailed(f"{name} must be a cursor this server gave out (digits), or 0")
    return int(digits)
