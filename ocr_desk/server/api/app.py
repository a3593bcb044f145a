"""The FastAPI application: error bodies everywhere, body size limits, lifespan.

``create_app(ctx)`` builds the app on a :class:`ServerContext`; with an engine it
also runs in-process workers (``ocr-desk-server serve`` does by default).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocr_desk import __version__
from ocr_desk.core import OcrDeskError

from ..context import ServerContext
from ..errors import RateLimited, http_status
from ..ocr import OcrEngine
from ..worker import Worker
from .events import Broadcaster
from .media_routes import media_router
from .routes import router
from .uploads import RecentTokens

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA",
    422: "VALIDATION_ERROR",
}
MULTIPART_ENVELOPE = 64 * 1024 + 1024 * 1024  # headers, fields, a capture's metadata


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse bodies above the limit (413) before or while they arrive, never buffering them."""

    def __init__(self, app: ASGIApp, *, upload_limit: int, json_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit + MULTIPART_ENVELOPE
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.upload_limit if multipart else self.json_limit
        message = (
            f"the request body is larger than {limit // 1024} KB; "
            "send a smaller file or split the document"
        )
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _error(413, "PAYLOAD_TOO_LARGE", message)(scope, receive, send)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited() -> Message:
            msg = await receive()
            if msg["type"] == "http.request":
                state["received"] += len(msg.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise _TooLarge
            return msg

        async def guarded(msg: Message) -> None:
            if state["exceeded"]:
                return
            state["started"] = True
            await send(msg)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await _error(413, "PAYLOAD_TOO_LARGE", message)(scope, receive, send)


def create_app(ctx: ServerContext, *, engine: OcrEngine | None = None, workers: int = 0) -> FastAPI:
    """The API on ``ctx``; ``workers`` in-process workers run ``engine`` when given."""
    running: list[tuple[Worker, threading.Thread]] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.db.start_listening()
        if engine is not None:
            for n in range(workers):
                worker = Worker(ctx.db, engine, config=ctx.config, clock=ctx.clock)
                thread = threading.Thread(target=worker.run, name=f"ocr-worker-{n}", daemon=True)
                thread.start()
                running.append((worker, thread))
        try:
            yield
        finally:
            for worker, _ in running:
                worker.stop()
            for _, thread in running:
                thread.join(timeout=30)
            app.state.broadcaster.close()

    app = FastAPI(
        title="OCR Desk server",
        version=__version__,
        lifespan=lifespan,
        description="Receipts and invoices in, extracted fields out. See docs/api.md.",
    )
    app.state.ctx = ctx
    app.state.broadcaster = Broadcaster(ctx.db)
    app.state.recent_tokens = RecentTokens()
    app.include_router(router)
    app.include_router(media_router)

    @app.exception_handler(OcrDeskError)
    async def on_ocr_desk_error(request: Request, exc: OcrDeskError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        status = http_status(exc)
        if status >= 500:
            log.error("internal error on %s: %s", request.url.path, exc)
            return _error(500, "INTERNAL_ERROR", "the server failed; try again later")
        return _error(status, exc.code, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(
            exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "HTTP_ERROR"
        )
        message = str(exc.detail) if exc.detail else "the request cannot be served"
        if exc.status_code == 404:
            message = f"no such endpoint {request.url.path}; see /openapi.json"
        return _error(exc.status_code, code, message, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}"
            for err in exc.errors()[:5]
        )
        return _error(
            422, "VALIDATION_ERROR", f"the request is not valid: {problems}; fix and resend"
        )

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, "INTERNAL_ERROR", "the server failed unexpectedly; try again later")

    app.add_middleware(
        BodyLimit, upload_limit=ctx.config.max_upload_bytes, json_limit=ctx.config.max_json_bytes
    )
    return app
