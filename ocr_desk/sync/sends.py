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

__all__ = ["Outcome", "create_call", "guarded", "upload_call"]

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
        except SyncError as exc:
            return Outcome(entry=entry, error=exc)
        except Exception as exc:  # a bug must not kill the pool thread silently
            log.exception("sending outbox row %s failed", entry.id)
            return Outcome(
                entry=entry,
                error=TransientSyncError(f"unexpected error: {exc!r}", code="CLIENT_ERROR"),
            )

    return run


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
) -> Callable[[str | None], Outcome]:
    """``create(media_id)``: the job's ``POST /v1/jobs`` with the row's key. Without a
    media id it uses ``remote_media``, or runs ``upload_first`` and takes its answer's."""

    def create(media_id: str | None) -> Outcome:
        media = None
        if media_id is None:
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
