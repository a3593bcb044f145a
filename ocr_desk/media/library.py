"""The media of one company: its stored files and rows together, kept consistent.

Files are written durably before the rows that point at them (see ``filestore``); a
file leaves the disk only after the transaction that removed its last reference
committed. Storage usage is the sum of the company's ``media_files`` rows, so it is
exact by construction after every capture and deletion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ocr_desk.core import Clock, JobStatus, OcrDeskError, SystemClock
from ocr_desk.store import (
    JobRepository,
    MediaAsset,
    MediaFile,
    MediaFileRepository,
    MediaRepository,
    OutboxOp,
    Store,
)

from .filestore import FileStore, Trash
from .pipeline import Rendition, VersionKind

__all__ = [
    "CleanupReport",
    "MediaFileMissingError",
    "MediaLibrary",
    "NotYetProcessedError",
    "StorageUsage",
]


_PENDING_OPS = (
    OutboxOp.UPLOAD_MEDIA.value,
    OutboxOp.CREATE_JOB.value,
    OutboxOp.CANCEL_JOB.value,
    OutboxOp.RETRY_JOB.value,
)


class MediaFileMissingError(OcrDeskError):
    """The asked-for file of an asset is not stored (deleted after OCR, or never made)."""

    code = "MEDIA_FILE_MISSING"


class NotYetProcessedError(OcrDeskError):
    """Deleting the images of a capture whose OCR has not completed would lose it."""

    code = "NOT_YET_PROCESSED"


@dataclass(frozen=True, slots=True)
class StorageUsage:
    """Bytes and files one company's media take, per version kind."""

    by_version: dict[str, tuple[int, int]]
    """``{version: (files, bytes)}``."""

    @property
    def total_bytes(self) -> int:
        return sum(b for _n, b in self.by_version.values())

    @property
    def total_files(self) -> int:
        return sum(n for n, _b in self.by_version.values())

    def bytes_of(self, version: VersionKind | str) -> int:
        return self.by_version.get(str(version), (0, 0))[1]

    def to_dict(self) -> dict[str, object]:
        return {
            "total_bytes": self.total_bytes,
            "total_files": self.total_files,
            "by_version": {
                v: {"files": n, "bytes": b} for v, (n, b) in sorted(self.by_version.items())
            },
        }


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What a retention run removed."""

    assets_deleted: int
    files_deleted: int
    bytes_freed: int
    orphans_removed: int
    retention_days: int | None

    def to_dict(self) -> dict[str, int | None]:
        return {
            "assets_deleted": self.assets_deleted,
            "files_deleted": self.files_deleted,
            "bytes_freed": self.bytes_freed,
            "orphans_removed": self.orphans_removed,
            "retention_days": self.retention_days,
        }


class MediaLibrary:
    """Stored files and rows of one company's media assets.

    ``prefer_original`` (the ``upload_original`` setting) makes :meth:`upload_file`
    send the original of single-page images too.
    """

    def __init__(
        self,
        store: Store,
        *,
        company_id: str,
        root: Path,
        clock: Clock | None = None,
        prefer_original: bool = False,
    ) -> None:
        self.store = store
        self.company_id = company_id
        self.files = FileStore(root)
        self.clock: Clock = clock or SystemClock()
        self.prefer_original = prefer_original
        self.assets = MediaRepository(store, company_id=company_id)
        self.rows = MediaFileRepository(store, company_id=company_id)
        self._jobs = JobRepository(store, company_id=company_id)

    # -- paths -------------------------------------------------------------------

    def file(self, asset_id: str, version: VersionKind | str, page: int = 0) -> MediaFile:
        """The row of one version of an asset; :class:`MediaFileMissingError` if there is none."""
        row = self.rows.get(asset_id, str(version), page)
        if row is None:
            asset = self.assets.get(asset_id)  # MediaNotFoundError for a wrong id
            why = (
                "its image files were deleted after OCR (the setting 'delete after OCR')"
                if asset.files_deleted_at is not None
                and str(version) in (VersionKind.ORIGINAL, VersionKind.PROCESSED)
                else "it was never stored"
            )
            raise MediaFileMissingError(
                f"the {version} version (page {page + 1}) of {asset.original_name or asset_id} "
                f"is not available: {why}. Capture the image again if you need it."
            )
        return row

    def path(self, asset_id: str, version: VersionKind | str, page: int = 0) -> Path:
        return self.files.path(self.file(asset_id, version, page).relpath)

    def thumbnail_path(self, asset_id: str) -> Path:
        """The 150x150 JPEG thumbnail (first page), for lists."""
        return self.path(asset_id, VersionKind.THUMBNAIL)

    def display_path(self, asset_id: str, page: int = 0) -> Path:
        """The WebP display version of a page (long side 800-1600 px), for viewers."""
        return self.path(asset_id, VersionKind.DISPLAY, page)

    def upload_version(self, asset: MediaAsset) -> VersionKind:
        """Which file of ``asset`` the sync uploads for OCR: the processed JPEG for a
        single-page image; the original for multi-page documents (PDF, TIFF), and for
        every asset when ``prefer_original`` is set."""
        if asset.page_count > 1 or self.prefer_original:
            return VersionKind.ORIGINAL
        return VersionKind.PROCESSED

    def upload_file(self, asset_id: str, version: str | None = None) -> tuple[Path, str]:
        """``(path, mime_type)`` of the file to upload for OCR: ``version`` when given
        (the capture's outbox row keeps the one chosen when it was made, so a resend
        is the same file whatever the setting is now), else :meth:`upload_version`.
        The file name's stem is the file's SHA-256 (content-addressed).
        """
        kind = VersionKind(version) if version else None
        if kind is VersionKind.PROCESSED:  # the usual resend: no need to read the asset
            return self.files.path(self.file(asset_id, kind).relpath), "image/jpeg"
        asset = self.assets.get(asset_id)
        kind = kind or self.upload_version(asset)
        row = self.file(asset_id, kind)
        if kind is VersionKind.ORIGINAL:
            return self.files.path(row.relpath), asset.mime_type or "application/octet-stream"
        return self.files.path(row.relpath), "image/jpeg"

    # -- writes ------------------------------------------------------------------

    def record_files(self, asset_id: str, renditions: Iterable[Rendition]) -> None:
        """Insert the file rows of an asset, inside the caller's transaction.

        Re-checks under the write lock that each file is on disk (a concurrent
        deletion may have removed identical content meanwhile) and rewrites it if not.
        """
        renditions = list(renditions)
        missing = [
            (r.relpath, r.data) for r in renditions if not self.files.exists(r.relpath, len(r.data))
        ]
        if missing:
            self.files.put_many(missing)
        for r in renditions:
            self.rows.insert(
                asset_id=asset_id,
                version=r.version.value,
                page=r.page,
                sha256=r.sha256,
                relpath=r.relpath,
                size_bytes=len(r.data),
                width=r.width,
                height=r.height,
            )

    def discard_unreferenced(self, relpaths: Iterable[str]) -> None:
        """Remove files this process wrote for a capture that did not commit."""
        relpaths = list(relpaths)
        if relpaths:
            referenced = self.rows.referenced(relpaths)
            self.files.remove(r for r in relpaths if r not in referenced)

    def delete_assets(self, asset_ids: Iterable[str]) -> tuple[int, int]:
        """Delete assets with all their rows (jobs, events, pending outbox rows) and files.

        Returns ``(files removed from disk, their bytes)``; a file another row still
        uses stays and is not counted.
        """
        with self._deleting() as doomed:
            for asset_id in asset_ids:
                doomed.update((f.relpath, f.size_bytes) for f in self.rows.for_asset(asset_id))
                self.store.conn.execute(
                    "DELETE FROM outbox WHERE company_id = ? AND media_asset_id = ?"
                    f" AND op IN ({', '.join('?' for _ in _PENDING_OPS)})",
                    (self.company_id, asset_id, *_PENDING_OPS),
                )
                self.assets.delete(asset_id)
        return len(doomed), sum(doomed.values())

    def delete_after_ocr(self, asset_id: str) -> int:
        """Delete the original and processed files of an OCR'd asset; returns bytes freed on disk.

        Keeps the thumbnail, the WebP display version and the results. Refuses
        (:class:`NotYetProcessedError`) while no job of the asset has completed, so
        the only copy of an unprocessed receipt is never lost. Idempotent.
        """
        asset = self.assets.get(asset_id)
        if not any(j.status is JobStatus.COMPLETED for j in self._jobs.for_media(asset_id)):
            raise NotYetProcessedError(
                f"{asset.original_name or asset_id} has no completed OCR yet; its images are "
                "kept until the OCR result is in."
            )
        with self._deleting() as doomed:
            gone = self.rows.delete(asset_id, (VersionKind.ORIGINAL, VersionKind.PROCESSED))
            doomed.update((f.relpath, f.size_bytes) for f in gone)
            if asset.files_deleted_at is None:
                self.assets.update(asset_id, files_deleted_at=self.clock.now())
        return sum(doomed.values())

    def cleanup_expired(self, *, retention_days: int | None, batch: int = 200) -> CleanupReport:
        """Delete assets captured more than ``retention_days`` ago (None: keep everything).

        Counted from capture time. Also sweeps files a crash left without rows.
        """
        assets_deleted = files = freed = 0
        if retention_days is not None:
            cutoff = self.clock.now() - timedelta(days=retention_days)
            while True:
                expired = self.assets.captured_before(cutoff)[:batch]
                if not expired:
                    break
                n_files, n_bytes = self.delete_assets(a.id for a in expired)
                assets_deleted += len(expired)
                files += n_files
                freed += n_bytes
        orphans = self.sweep()
        return CleanupReport(
            assets_deleted=assets_deleted,
            files_deleted=files,
            bytes_freed=freed,
            orphans_removed=orphans,
            retention_days=retention_days,
        )

    def sweep(self) -> int:
        """Remove stored files no row points at (left by a crash); returns how many."""
        with self.store.write():
            referenced = self.rows.all_relpaths()
            return self.files.sweep(referenced.__contains__)

    # -- reads -------------------------------------------------------------------

    def storage_usage(self) -> StorageUsage:
        """This company's stored bytes per version kind (exact: the sum of its file rows)."""
        return StorageUsage(by_version=self.rows.usage())

    def expired(
        self, *, retention_days: int | None, now: datetime | None = None
    ) -> list[MediaAsset]:
        if retention_days is None:
            return []
        cutoff = (now or self.clock.now()) - timedelta(days=retention_days)
        return self.assets.captured_before(cutoff)

    # -- helpers -----------------------------------------------------------------

    @contextmanager
    def _deleting(self) -> Iterator[dict[str, int]]:
        """A write transaction whose collected files leave the disk only if it commits.

        The body adds ``{relpath: size}`` of files whose rows it deleted; afterwards the
        dict holds only the files no row references any more (those removed).
        """
        doomed: dict[str, int] = {}
        trash: Trash | None = None
        # Inside a caller's transaction our "commit" is only a savepoint: leave the files
        # in the trash then; the next sweep purges them, or restores them if still referenced.
        nested = self.store.conn.in_transaction
        try:
            with self.store.write():
                yield doomed
                still = self.rows.referenced(doomed)
                for rel in still:
                    del doomed[rel]
                trash = self.files.trash(sorted(doomed))
        except BaseException:
            if trash is not None:
                trash.restore()
            raise
        if trash is not None and not nested:
            trash.purge()
