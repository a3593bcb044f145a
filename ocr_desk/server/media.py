"""Uploaded files on the server: streamed to disk, sniffed, inspected, deduplicated.

Files live under ``<data dir>/media/<company>/<sha[:2]>/<sha>``. An upload is
written chunk by chunk to a temporary file next to its final place while its
SHA-256 is computed, so a 50 MB upload never sits whole in memory; only then is
it sniffed (the name and the declared type are ignored), inspected with Pillow or
pypdfium2, and moved into place. The upload rate limit and per-company storage
usage are counted from the media rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from ocr_desk.core import (
    RETENTION,
    SNIFF_BYTES,
    Clock,
    format_ts,
    is_past_retention,
    parse_ts,
    sniff_mime,
)

from .config import ServerConfig
from .database import Database
from .errors import NotFound, PayloadTooLarge, RateLimited, UnsupportedMedia
from .records import MediaRecord, Principal, media_from_row

__all__ = ["MediaService", "PendingUpload", "StorageUsage", "UploadWriter", "UploadsHour"]

CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """A received file in its temporary place, hashed and sniffed, not yet stored."""

    path: Path
    sha256: str
    size_bytes: int
    mime_type: str | None
    shape: tuple[int | None, int | None, int] | None = None
    """Width, height and page count, once :meth:`MediaService.inspect` read them."""

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


@dataclass(frozen=True, slots=True)
class UploadsHour:
    used: int
    limit: int | None
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class StorageUsage:
    company_id: str
    name: str
    files: int
    bytes: int


class UploadWriter:
    """Receives an upload chunk by chunk into its temporary file."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self._digest = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._out: BinaryIO | None = path.open("wb")

    def write(self, chunk: bytes) -> None:
        assert self._out is not None, "the upload is already finished"
        self._size += len(chunk)
        if self._size > self.limit:
            self.abort()
            raise PayloadTooLarge(
                f"the file is larger than {self.limit // 2**20} MB;"
                " send a smaller scan or split the document"
            )
        if len(self._head) < SNIFF_BYTES:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
        self._digest.update(chunk)
        self._out.write(chunk)

    def finish(self) -> PendingUpload:
        assert self._out is not None, "the upload is already finished"
        self._out.close()
        self._out = None
        return PendingUpload(
            self.path, self._digest.hexdigest(), self._size, sniff_mime(self._head)
        )

    def abort(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self.path.unlink(missing_ok=True)


class MediaService:
    def __init__(self, db: Database, *, config: ServerConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    # -- receiving ------------------------------------------------------------------
    def open_upload(self) -> UploadWriter:
        """A temporary file to stream an upload into (hashed and size-checked as it comes)."""
        tmp_dir = self.config.media_dir / "tmp"
        path = tmp_dir / f"{uuid.uuid4().hex}.part"
        try:
            return UploadWriter(path, self.config.max_upload_bytes)
        except FileNotFoundError:  # first upload, or the folder was cleaned away
            tmp_dir.mkdir(parents=True, exist_ok=True)
            return UploadWriter(path, self.config.max_upload_bytes)

    def receive(self, source: BinaryIO | Iterable[bytes]) -> PendingUpload:
        """Copy an upload to a temporary file, hashing it; 413 above the size limit."""
        reader = getattr(source, "read", None)  # files are read in chunks, never by "lines"
        chunks: Iterable[bytes] = source if reader is None else iter(lambda: reader(CHUNK), b"")
        writer = self.open_upload()
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.finish()

    def find(self, company_id: str, media_id: str) -> MediaRecord:
        row = self.db.read().one(
            "SELECT * FROM media WHERE id = ? AND company_id = ? AND deleted_at IS NULL",
            (media_id, company_id),
        )
        if row is None:
            raise NotFound(f"no media {media_id}", code="MEDIA_NOT_FOUND")
        return media_from_row(row)

    def uploads_hour(self, principal: Principal) -> UploadsHour:
        now = self.clock.now()
        rows = self.db.read().execute(
            "SELECT created_at FROM media WHERE uploaded_by = ? AND created_at > ? "
            "ORDER BY created_at",
            (principal.user_id, format_ts(now - timedelta(hours=1))),
        )
        limit = self.config.plan(principal.company.plan).uploads_per_hour
        reset = parse_ts(rows[0]["created_at"]) + timedelta(hours=1) if rows else now
        return UploadsHour(used=len(rows), limit=limit, reset_at=reset)

    def inspect(self, pending: PendingUpload) -> PendingUpload:
        """``pending`` with its width, height and page count read (415 when the content is
        corrupt or not a supported type). Call it before a transaction: decoding a large
        scan or PDF should not hold the database's locks."""
        if pending.shape is not None:
            return pending
        if pending.mime_type is None:
            pending.discard()
            raise UnsupportedMedia(
                "the file is not a JPEG, PNG, TIFF, WebP, HEIC/HEIF or PDF; "
                "scan or export it as one of those"
            )
        return replace(pending, shape=_inspect(pending))

    def store(
        self,
        principal: Principal,
        pending: PendingUpload,
        *,
        document_type: str,
        captured_at: datetime | None,
        original_name: str | None,
    ) -> tuple[MediaRecord, bool]:
        """Keep an upload; ``(media, created)``. The same SHA-256 returns the stored media.

        The file moves into place just before the row commits (so a transaction that
        rolls back, here or in the caller, leaves no file behind), and is removed again
        if that commit fails."""
        company = principal.company_id
        existing = self.db.read().one(
            "SELECT * FROM media WHERE company_id = ? AND sha256 = ?", (company, pending.sha256)
        )
        if existing is not None and existing["deleted_at"] is None:
            pending.discard()
            return media_from_row(existing), False
        pending = self.inspect(pending)
        assert pending.shape is not None
        limited = self.config.plan(principal.company.plan).uploads_per_hour is not None
        hour = self.uploads_hour(principal) if limited else None
        if hour is not None and hour.limit is not None and hour.used >= hour.limit:
            pending.discard()
            wait = max(1, math.ceil((hour.reset_at - self.clock.now()).total_seconds()))
            raise RateLimited(
                f"{hour.limit} uploads an hour are allowed and they are used up; "
                f"try again in {wait} s",
                retry_after=wait,
            )
        width, height, pages = pending.shape
        final = self.config.media_dir / company / pending.sha256[:2] / pending.sha256
        now = self.clock.now()
        values = (
            pending.mime_type,
            pending.size_bytes,
            width,
            height,
            pages,
            document_type,
            format_ts(captured_at or now),
            format_ts(now),
            principal.user_id,
            original_name,
            str(final.relative_to(self.config.media_dir)),
        )
        with self.db.transaction() as tx:
            if existing is not None:  # deleted earlier, uploaded again
                rows = tx.execute(
                    "UPDATE media SET mime_type = ?, size_bytes = ?, width = ?, height = ?, "
                    "page_count = ?, document_type = ?, captured_at = ?, created_at = ?, "
                    "uploaded_by = ?, original_name = ?, path = ?, deleted_at = NULL "
                    "WHERE id = ? RETURNING *",
                    (*values, existing["id"]),
                )
            else:
                media_id = str(uuid.uuid4())
                rows = tx.execute(
                    "INSERT INTO media (mime_type, size_bytes, width, height, page_count, "
                    "document_type, captured_at, created_at, uploaded_by, original_name, path, "
                    "id, company_id, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (company_id, sha256) DO NOTHING RETURNING *",
                    (*values, media_id, company, pending.sha256),
                )
                if not rows:  # a concurrent upload of the same file won
                    row = tx.one(
                        "SELECT * FROM media WHERE company_id = ? AND sha256 = ?",
                        (company, pending.sha256),
                    )
                    assert row is not None
                    return media_from_row(row), False
            tx.before_commit(
                lambda: _place(pending.path, final),
                undo=lambda: self._forget_file(company, pending.sha256, final),
            )
        return media_from_row(rows[0]), True

    def _forget_file(self, company_id: str, sha256: str, path: Path) -> None:
        """Remove ``path`` unless a stored media of the company still has that content."""
        live = self.db.read().one(
            "SELECT id FROM media WHERE company_id = ? AND sha256 = ? AND deleted_at IS NULL",
            (company_id, sha256),
        )
        if live is None:
            path.unlink(missing_ok=True)

    def file_path(self, media: MediaRecord) -> Path:
        if media.path is None:
            raise NotFound(f"the file of media {media.id} was deleted", code="MEDIA_NOT_FOUND")
        return self.config.media_dir / media.path

    def delete(self, company_id: str, media_id: str) -> None:
        media = self.find(company_id, media_id)
        self._drop(media)

    def _drop(self, media: MediaRecord) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE media SET deleted_at = ?, path = NULL WHERE id = ?",
                (format_ts(self.clock.now()), media.id),
            )
        if media.path is not None:
            (self.config.media_dir / media.path).unlink(missing_ok=True)

    # -- maintenance ------------------------------------------------------------
    def storage_usage(self, company_id: str | None = None) -> list[StorageUsage]:
        sql = (
            "SELECT c.id, c.name, COUNT(m.id) AS files, COALESCE(SUM(m.size_bytes), 0) AS total "
            "FROM companies c LEFT JOIN media m ON m.company_id = c.id AND m.deleted_at IS NULL "
        )
        params: tuple[str, ...] = ()
        if company_id is not None:
            sql += "WHERE c.id = ? "
            params = (company_id,)
        rows = self.db.read().execute(sql + "GROUP BY c.id, c.name ORDER BY c.name", params)
        return [StorageUsage(r["id"], r["name"], int(r["files"]), int(r["total"])) for r in rows]

    def apply_retention(self, retention: timedelta = RETENTION) -> int:
        """Delete the files of media captured more than ``retention`` ago; how many."""
        now = self.clock.now()
        rows = self.db.read().execute(
            "SELECT * FROM media WHERE deleted_at IS NULL AND captured_at < ?",
            (format_ts(now - retention),),
        )
        dropped = 0
        for row in rows:
            media = media_from_row(row)
            if is_past_retention(media.captured_at, now, retention):
                self._drop(media)
                dropped += 1
        tmp = self.config.media_dir / "tmp"
        if tmp.exists():
            for part in tmp.glob("*.part"):
                if now.timestamp() - part.stat().st_mtime > 3600:
                    part.unlink(missing_ok=True)
        return dropped


def _place(source: Path, final: Path) -> None:
    try:
        os.replace(source, final)
    except FileNotFoundError:  # the first file of this company and prefix
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, final)


def _inspect(pending: PendingUpload) -> tuple[int | None, int | None, int]:
    """Width, height and page count; 415 when the content is corrupt."""
    try:
        if pending.mime_type == "application/pdf":
            import pypdfium2

            pdf = pypdfium2.PdfDocument(str(pending.path))
            try:
                count = len(pdf)
                w, h = pdf[0].get_size() if count else (0.0, 0.0)
            finally:
                pdf.close()
            return round(w), round(h), count
        from PIL import Image

        if pending.mime_type in {"image/heic", "image/heif"}:
            import pillow_heif

            pillow_heif.register_heif_opener()
        with Image.open(pending.path) as img:
            size = img.size
            frames = int(getattr(img, "n_frames", 1))
            img.verify()
        return size[0], size[1], frames
    except Exception as exc:
        pending.discard()
        raise UnsupportedMedia(
            f"the file looks like {pending.mime_type} but cannot be read ({exc}); "
            "it may be truncated or corrupt: capture it again"
        ) from exc
