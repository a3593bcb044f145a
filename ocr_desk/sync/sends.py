"""The HTTP side of one outbox send, as run by the relay's pool threads.

Each builder returns a plain callable over the :class:`ApiClient` (no store access:
only the relay's own thread touches SQLite); :func:`guarded` turns every failure
into an :class:`Outcome` carrying the mapped sync error, so a pool thread never dies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_desk.core import SyncError, TransientSyncError, format_ts
from ocr_desk.store import MediaAsset, OutboxEntry

from .client import ApiClient, RemoteJob, RemoteMedia

__all__ = ["Outcome", "capture_call", "create_call", "failure", "guarded", "upload_call"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What sending one row gave: the server's objects, or the error."""

    entry: OutboxEntry
    media: RemoteMedia | None = None
    job: RemoteJob | None = None
    error: SyncError | None = None


def guarded(entry: OutboxEntry, call: Callable[[], Outcome]) -> Callable[[], Outcome]:
    def run() -> Outcome:
        try:
            return call()
        except Exception as exc:
            return failure(entry, exc)

    return run


def failure(entry: OutboxEntry, exc: Exception) -> Outcome:
    """The outcome of a send that raised: a sync error as it is, anything else (a bug)
    logged and retried like a transient error, so a pool thread never dies of it."""
    if isinstance(exc, SyncError):
        return Outcome(entry=entry, error=exc)
    log.error("sending outbox row %s failed", entry.id, exc_info=exc)
    return Outcome(
        entry=entry,
        error=TransientSyncError(f"unexpected error: {exc!r}", code="CLIENT_ERROR"),
    )


def upload_call(
    client: ApiClient, asset: MediaAsset, path: Path, mime: str, *, key: str
) -> Callable[[], RemoteMedia]:
    """``POST /v1/media`` of ``path`` (the asset's processed file) with ``key``."""

    def upload() -> RemoteMedia:
        media, _ = client.upload_media(
            path,
            mime_type=mime,
            sha256=None,  # the asset's hash is the original's; the server hashes what it gets
            document_type=asset.document_type.value,
            captured_at=format_ts(asset.captured_at),
            original_name=asset.original_name,
            idempotency_key=key,
        )
        return media

    return upload


def create_call(
    client: ApiClient,
    entry: OutboxEntry,
    *,
    job_type: str,
    metadata: Mapping[str, Any] | None,
    force: bool,
    remote_media: str | None,
    upload_first: Callable[[], RemoteMedia] | None,
) -> Callable[[], Outcome]:
    """The job's ``POST /v1/jobs`` with the row's key, for the media ``remote_media``, or
    the one ``upload_first`` answers with (the server has not got the file yet)."""

    def create() -> Outcome:
        media = None
        media_id = remote_media
        if upload_first is not None:
            media = upload_first()
            media_id = media.id
        assert media_id is not None
        remote, replayed = client.create_job(
            media_id=media_id,
            job_type=job_type,
            metadata=metadata,
            idempotency_key=entry.id,
            force=force,
        )
        if replayed:  # the first answer is old news: ask for the job as it is now
            remote = client.get_job(remote.id)
        return Outcome(entry=entry, media=media, job=remote)

    return create


def capture_call(
    client: ApiClient,
    upload: OutboxEntry,
    create: OutboxEntry,
    asset: MediaAsset,
    path: Path,
    mime: str,
    *,
    job_type: str,
    metadata: Mapping[str, Any] | None,
    force: bool,
) -> Callable[[], list[Outcome]]:
    """``POST /v1/captures``: the asset's file (``path``) and its job in one request, keyed
    by the ``create`` row. Answers both rows; a failure is reported on ``upload`` (the
    group's head, which then waits out the backoff)."""

    def send() -> list[Outcome]:
        media, job, replayed = client.create_capture(
            path,
            mime_type=mime,
            document_type=asset.document_type.value,
            captured_at=format_ts(asset.captured_at),
            original_name=asset.original_name,
            job_type=job_type,
            metadata=metadata,
            force=force,
            idempotency_key=create.id,
        )
        if replayed:
            job = client.get_job(job.id)
        return [Outcome(entry=upload, media=media), Outcome(entry=create, job=job)]

    def run() -> list[Outcome]:
        try:
            return send()
        except Exception as exc:
            return [failure(upload, exc)]

    return run
