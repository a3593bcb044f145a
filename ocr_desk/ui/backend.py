"""The GUI's doors to the other packages: capture, sync, credentials, export.

Every function here runs on a worker thread (never the UI thread) and takes that
thread's own :class:`Store`. Keeping the calls into ``ocr_desk.services.capture``,
``ocr_desk.media`` and ``ocr_desk.sync`` in one module keeps the widgets free of
their details.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocr_desk.app import AppContext
from ocr_desk.core import AuthError
from ocr_desk.services.joblist import storage_bytes
from ocr_desk.settings import Settings
from ocr_desk.store import Store

if TYPE_CHECKING:
    from ocr_desk.sync.events import SyncEvent

__all__ = [
    "BatchProgress",
    "BatchSummary",
    "capture_paths",
    "has_token",
    "make_engine",
    "sign_in",
    "sign_out",
    "status_snapshot",
]


# -- capture ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchProgress:
    done: int
    total: int
    name: str
    outcome: str
    """captured, duplicate or rejected"""
    job_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class BatchSummary:
    captured: int
    duplicates: int
    rejected: tuple[tuple[str, str], ...] = ()
    """(file name, reason) of each rejected file."""
    job_ids: tuple[str, ...] = ()
    cancelled: bool = False
    errors: tuple[str, ...] = field(default=())


def capture_paths(
    ctx: AppContext,
    store: Store,
    paths: Sequence[Path],
    *,
    job_type: str,
    progress: Callable[[BatchProgress], None],
    cancel: threading.Event,
) -> BatchSummary:
    """Capture files and folders through the media capture service (issue 3)."""
    service = ctx.capture_service(store)
    result = service.capture_batch(
        list(paths),
        job_type=job_type,
        progress=lambda item: progress(_progress(item)),
        cancel=cancel,
    )
    return BatchSummary(
        captured=len(result.captured),
        duplicates=len(result.duplicates),
        rejected=tuple((r.source, r.message or r.error_code or "") for r in result.rejected),
        job_ids=tuple(r.job.id for r in result.results if r.job is not None),
        cancelled=result.cancelled,
    )


def _progress(item: Any) -> BatchProgress:
    result = item.result
    return BatchProgress(
        done=int(item.done),
        total=int(item.total),
        name=Path(str(result.source)).name,
        outcome=str(result.status.value),
        job_id=result.job.id if result.job is not None else None,
        reason=str(result.message or ""),
    )


# -- status -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    counts: dict[str, int]
    storage_bytes: int


def status_snapshot(ctx: AppContext, store: Store) -> StatusSnapshot:
    """The panel's counts and storage, read once after a local change (not a polling loop)."""
    counts = ctx.job_service(store).queue_status().to_dict()
    return StatusSnapshot(
        counts=counts, storage_bytes=storage_bytes(store, company_id=ctx.company_id)
    )


# -- sync and sign-in ---------------------------------------------------------------


def _credentials() -> Any:
    from ocr_desk.sync import CredentialStore

    return CredentialStore()


def has_token(server_url: str) -> bool:
    return bool(_credentials().token(server_url))


def sign_in(*, server_url: str, email: str, password: str) -> str:
    """Exchange email and password for a token and keep it in the keyring; returns the email."""
    from ocr_desk.sync import ApiClient

    with ApiClient(base_url=server_url) as client:
        result = client.login(email=email, password=password)
    _credentials().save(server_url, result.token)
    return str(result.email)


def sign_out(server_url: str) -> bool:
    return bool(_credentials().forget(server_url))


def make_engine(
    ctx: AppContext,
    *,
    settings: Settings,
    server_url: str,
    token: str | None,
    listener: Callable[[SyncEvent], None],
) -> Any:
    """A ``SyncEngine`` on a new connection of this (the sync) thread."""
    from ocr_desk.sync import ApiClient, EngineOptions, SyncEngine

    if token is None:
        token = _credentials().token(server_url)
    if not token:
        raise AuthError(f"not signed in to {server_url}: sign in from Settings")
    store = ctx.open_thread_store()
    client = ApiClient(base_url=server_url, token=token, ca_bundle=settings.ca_bundle)
    media = ctx.media_library(store)
    engine = SyncEngine(
        store=store,
        company_id=ctx.company_id,
        client=client,
        clock=ctx.clock,
        listener=listener,
        upload_file=media.upload_file,
        delete_after_ocr=media.delete_after_ocr,
        options=EngineOptions(delete_after_ocr=settings.delete_after_ocr),
    )
    return EngineHandle(engine=engine, client=client, store=store)


class EngineHandle:
    """A SyncEngine with what it was built on: ``stop`` closes the engine, its HTTP
    connection pool and its SQLite connection."""

    def __init__(self, *, engine: Any, client: Any, store: Store) -> None:
        self.engine = engine
        self._client = client
        self._store = store

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        try:
            self.engine.close()
        finally:
            self._client.close()
            self._store.close()

    def pause(self) -> None:
        self.engine.pause()

    def resume(self) -> None:
        self.engine.resume()

    def sync_now(self) -> None:
        self.engine.sync_now()

    def snapshot(self) -> Any:
        return self.engine.connectivity.snapshot()


# -- export -------------------------------------------------------------------------

# -- local mode ---------------------------------------------------------------------


class LocalModeEngine:
    """The embedded server (a child process) plus a sync engine pointed at it."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        listener: Callable[[SyncEvent], None],
        serve_args: Sequence[str] = (),
    ) -> None:
        from ocr_desk.services.local_server import LocalServer

        self.server = LocalServer(data_dir=ctx.data_dir / "local-server", serve_args=serve_args)
        self._ctx = ctx
        self._listener = listener
        self.engine: Any = None

    def start(self) -> None:
        url, token = self.server.start()
        self.engine = make_engine(
            self._ctx,
            settings=self._ctx.settings,
            server_url=url,
            token=token,
            listener=self._listener,
        )
        self.engine.start()

    def snapshot(self) -> Any:
        return None if self.engine is None else self.engine.snapshot()

    def stop(self) -> None:
        try:
            if self.engine is not None:
                self.engine.stop()
        finally:
            self.server.stop()

    def pause(self) -> None:
        if self.engine is not None:
            self.engine.pause()

    def resume(self) -> None:
        if self.engine is not None:
            self.engine.resume()

    def sync_now(self) -> None:
        if self.engine is not None:
            self.engine.sync_now()


def engine_factory(
    ctx: AppContext, *, serve_args: Sequence[str] = ()
) -> Callable[[Callable[[SyncEvent], None]], Any]:
    """The sync thread's engine: the configured server's, or local mode's when none is set.

    ``serve_args`` go to the local server's ``serve`` (tests pick the OCR workers there).
    """
    settings = ctx.settings

    def build(listener: Callable[[SyncEvent], None]) -> Any:
        if settings.server_url:
            engine: EngineHandle = make_engine(
                ctx,
                settings=settings,
                server_url=settings.server_url,
                token=None,
                listener=listener,
            )
            return engine
        return LocalModeEngine(ctx, listener=listener, serve_args=serve_args)

    return build
