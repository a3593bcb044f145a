"""The typed HTTP client of the OCR server's API v1 (``docs/api.md``).

One :class:`ApiClient` holds one pooled :class:`httpx.Client` (keep-alive, timeouts,
TLS verification with an optional company CA bundle). Every failure leaves it as
one of the ``ocr_desk.core`` sync errors, always ``raise ... from exc``::

    SyncError
    ├── TransientSyncError   transport errors (code NETWORK_ERROR), 5xx, 429 (retry_after)
    ├── PermanentSyncError   other 4xx, with the server's code and message
    ├── AuthError            401
    └── QuotaError           402
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from ocr_desk import __version__
from ocr_desk.core import (
    AuthError,
    PermanentSyncError,
    QuotaError,
    SyncError,
    TransientSyncError,
)

from .remote import JobPage, LoginResult, RemoteJob, RemoteMedia, Reply, SseEvent

__all__ = [
    "NETWORK_ERROR",
    "ApiClient",
    "JobPage",
    "LoginResult",
    "RemoteJob",
    "RemoteMedia",
    "SseEvent",
]

NETWORK_ERROR = "NETWORK_ERROR"
"""Code of a :class:`TransientSyncError` that never got an HTTP answer."""

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=60.0, pool=10.0)
STREAM_TIMEOUT = httpx.Timeout(connect=5.0, read=45.0, write=10.0, pool=10.0)
"""The event stream pings every 15 s, so 45 s without a byte means the stream is dead."""


class ApiClient:
    """Typed calls of the API; thread-safe (httpx's pool is), one instance per server."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        ca_bundle: str | Path | None = None,
        verify: bool = True,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 8,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise PermanentSyncError(
                f"the server address {base_url!r} must start with https:// (or http:// for a "
                "server on this machine)",
                code="BAD_SERVER_URL",
            )
        self.base_url = base_url.rstrip("/")
        self._token = token
        tls: Any = verify
        if verify and ca_bundle is not None:
            import ssl

            try:
                tls = ssl.create_default_context(cafile=str(ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                raise PermanentSyncError(
                    f"cannot read the CA bundle {ca_bundle}: {exc}. Fix the ca_bundle setting "
                    "or remove it to use the system's certificates.",
                    code="BAD_CA_BUNDLE",
                ) from exc
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            verify=tls,
            transport=transport,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": f"ocr-desk/{__version__}"},
        )

    # -- plumbing ----------------------------------------------------------------

    @property
    def token(self) -> str | None:
        return self._token

    def set_token(self, token: str | None) -> None:
        self._token = token

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, idempotency_key: str | None = None, auth: bool = True) -> dict[str, str]:
        headers: dict[str, str] = {}
        if auth:
            if not self._token:
                raise AuthError("not signed in: run `ocr-desk login --server URL` first")
            headers["Authorization"] = f"Bearer {self._token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> Reply:
        """Send one request and return its JSON answer, or raise the mapped sync error."""
        headers = {**self._headers(idempotency_key, auth), **kwargs.pop("headers", {})}
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise _network_error(exc, f"{method} {path}") from exc
        raise_for_answer(response)
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError as exc:
                raise TransientSyncError(
                    f"the server's answer to {method} {path} is not JSON; it may be a proxy "
                    "page. It will be tried again.",
                    code="BAD_RESPONSE",
                    status_code=response.status_code,
                ) from exc
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        return Reply(status_code=response.status_code, body=body, replayed=replayed)

    # -- calls -------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: the connectivity probe (no auth)."""
        return dict(self.request("GET", "/healthz", auth=False).body or {})

    def login(self, *, email: str, password: str) -> LoginResult:
        """Exchange email and password for a token (does not keep it: see ``set_token``)."""
        body = self.request(
            "POST", "/v1/auth/token", auth=False, json={"email": email, "password": password}
        ).body
        return LoginResult(
            token=str(body["token"]),
            email=str(body.get("user", {}).get("email", email)),
            company_id=str(body.get("company", {}).get("id", "")),
            company_name=str(body.get("company", {}).get("name", "")),
            plan=str(body.get("company", {}).get("plan", "")),
        )

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/v1/me").body)

    def upload_media(
        self,
        path: Path,
        *,
        mime_type: str,
        sha256: str | None,
        document_type: str,
        captured_at: str | None,
        original_name: str | None,
        idempotency_key: str,
    ) -> tuple[RemoteMedia, bool]:
        """``POST /v1/media`` (multipart, file streamed); returns the media and ``replayed``."""
        fields = _media_fields(sha256, document_type, captured_at, original_name)
        reply = self._post_file("/v1/media", path, mime_type, fields, idempotency_key)
        return RemoteMedia.from_json(reply.body), reply.replayed

    def create_capture(
        self,
        path: Path,
        *,
        mime_type: str,
        document_type: str,
        captured_at: str | None,
        original_name: str | None,
        job_type: str,
        metadata: Mapping[str, Any] | None,
        force: bool,
        idempotency_key: str,
    ) -> tuple[RemoteMedia, RemoteJob, bool]:
        """``POST /v1/captures``: the file and its job in one request; returns the media,
        the job and ``replayed``."""
        fields = _media_fields(None, document_type, captured_at, original_name)
        fields["job_type"] = job_type
        if metadata:
            fields["metadata"] = json.dumps(
                dict(metadata), sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
        if force:
            fields["force"] = "true"
        reply = self._post_file("/v1/captures", path, mime_type, fields, idempotency_key)
        media = RemoteMedia.from_json(reply.body["media"])
        return media, RemoteJob.from_json(reply.body["job"]), reply.replayed

    def _post_file(
        self, url: str, path: Path, mime_type: str, fields: dict[str, str], key: str
    ) -> Reply:
        """A multipart POST streaming ``path``. The boundary is derived from the
        idempotency key so a resend is byte-for-byte the same request."""
        boundary = "ocrdesk" + "".join(c for c in key if c.isalnum())[:60]
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise PermanentSyncError(
                f"cannot read the file to upload {path}: {exc.strerror or exc}",
                code="LOCAL_FILE_MISSING",
            ) from exc
        with handle:
            return self.request(
                "POST",
                url,
                idempotency_key=key,
                data=fields,
                files={"file": (path.name, handle, mime_type)},
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )

    def delete_media(self, media_id: str, *, idempotency_key: str) -> None:
        """``DELETE /v1/media/{id}``; an already deleted media counts as done."""
        try:
            self.request("DELETE", f"/v1/media/{media_id}", idempotency_key=idempotency_key)
        except PermanentSyncError as exc:
            if exc.status_code != 404:
                raise

    def create_job(
        self,
        *,
        media_id: str,
        job_type: str,
        metadata: Mapping[str, Any] | None,
        idempotency_key: str,
        force: bool = False,
    ) -> tuple[RemoteJob, bool]:
        """``POST /v1/jobs``; returns the job and whether the answer was a replay."""
        reply = self.request(
            "POST",
            "/v1/jobs",
            idempotency_key=idempotency_key,
            json={
                "media_id": media_id,
                "job_type": job_type,
                "metadata": dict(metadata or {}),
                "force": force,
            },
        )
        return RemoteJob.from_json(reply.body), reply.replayed

    def get_job(self, job_id: str) -> RemoteJob:
        return RemoteJob.from_json(self.request("GET", f"/v1/jobs/{job_id}").body)

    def cancel_job(self, job_id: str, *, idempotency_key: str) -> RemoteJob:
        body = self.request("POST", f"/v1/jobs/{job_id}/cancel", idempotency_key=idempotency_key)
        return RemoteJob.from_json(body.body)

    def retry_job(self, job_id: str, *, idempotency_key: str) -> RemoteJob:
        body = self.request("POST", f"/v1/jobs/{job_id}/retry", idempotency_key=idempotency_key)
        return RemoteJob.from_json(body.body)

    def jobs_since(self, cursor: str, *, limit: int = 100) -> JobPage:
        """``GET /v1/jobs?updated_since=``: the change feed after ``cursor``."""
        body = self.request(
            "GET", "/v1/jobs", params={"updated_since": cursor, "limit": limit}
        ).body
        return JobPage(
            jobs=tuple(RemoteJob.from_json(j) for j in body.get("jobs", [])),
            cursor=str(body.get("cursor", cursor)),
            has_more=bool(body.get("has_more", False)),
        )

    def queue_status(self) -> dict[str, int]:
        return dict(self.request("GET", "/v1/queue-status").body)

    def usage(self) -> dict[str, Any]:
        return dict(self.request("GET", "/v1/usage").body)

    def events(
        self,
        *,
        last_event_id: str | None,
        on_open: Callable[[Callable[[], None]], None] | None = None,
    ) -> Iterator[SseEvent]:
        """``GET /v1/events``: yields events until the stream ends (then returns).

        Comment lines (pings) are skipped. Raises the mapped sync error when the
        stream cannot be opened or breaks. ``on_open(cancel)`` is called once the
        stream is open; ``cancel()``, from any thread, ends it at once.
        """
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        # Without a cursor the stream would start at the latest change: ask from the start.
        headers["Last-Event-ID"] = last_event_id or "0"
        try:
            with self._http.stream(
                "GET", "/v1/events", headers=headers, timeout=STREAM_TIMEOUT
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise_for_answer(response)
                if on_open is not None:
                    on_open(_canceller(response))
                yield from parse_sse(response.iter_lines())
        except httpx.TransportError as exc:
            raise _network_error(exc, "GET /v1/events") from exc


def _media_fields(
    sha256: str | None, document_type: str, captured_at: str | None, original_name: str | None
) -> dict[str, str]:
    fields = {"document_type": document_type}
    if sha256:
        fields["sha256"] = sha256
    if captured_at:
        fields["captured_at"] = captured_at
    if original_name:
        fields["original_name"] = original_name
    return fields


def _canceller(response: httpx.Response) -> Callable[[], None]:
    """Ends a stream from another thread: shutting the socket down wakes a blocked read."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None

    def cancel() -> None:
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        else:
            response.close()

    return cancel


def parse_sse(lines: Iterator[str]) -> Iterator[SseEvent]:
    """Server-sent events from text lines (the WHATWG event-stream format, simplified)."""
    event_id: str | None = None
    event = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield SseEvent(id=event_id, event=event, data="\n".join(data))
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event_id = value
        elif name == "event":
            event = value
        elif name == "data":
            data.append(value)


def raise_for_answer(response: httpx.Response) -> None:
    """Map an HTTP error answer to the sync error tree (2xx/3xx pass)."""
    status = response.status_code
    if status < 400:
        return
    code, message = _error_body(response)
    if status == 401:
        raise AuthError(
            f"the server did not accept the sign-in ({message}). Sign in again with "
            "`ocr-desk login`.",
            status_code=status,
        )
    if status == 402:
        raise QuotaError(
            f"the plan's monthly quota is used up ({message}). Uploads wait until it renews "
            "or the plan is raised.",
            code=code or QuotaError.code,
            status_code=status,
        )
    if status == 429 or status >= 500:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        raise TransientSyncError(
            f"the server answered {status} {code or ''}: {message}".replace("  ", " "),
            code=code or ("RATE_LIMIT_EXCEEDED" if status == 429 else "SERVER_ERROR"),
            status_code=status,
            retry_after=retry_after,
        )
    raise PermanentSyncError(
        f"the server refused the request ({status} {code or ''}): {message}".replace("  ", " "),
        code=code or PermanentSyncError.code,
        status_code=status,
    )


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    try:
        error = response.json().get("error") or {}
        return error.get("code"), str(error.get("message") or response.reason_phrase)
    except (ValueError, AttributeError, json.JSONDecodeError):
        text = response.text.strip()[:200]
        return None, text or response.reason_phrase or f"HTTP {response.status_code}"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _network_error(exc: httpx.TransportError, what: str) -> SyncError:
    kind = type(exc).__name__
    return TransientSyncError(
        f"no answer from the server for {what} ({kind}: {exc or 'connection failed'}); "
        "it will be sent again when the network is back",
        code=NETWORK_ERROR,
    )
