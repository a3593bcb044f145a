"""Capture: a file (or bytes) becomes a stored media asset and a queued OCR job.

Per file, in order: read and check it, hash it (the SHA-256 of the original is the
idempotency key), decode it once and encode every version, write the files durably,
then in ONE transaction insert the media asset, its file rows, the ``upload_media``
outbox row, the job and its ``create_job`` outbox row. A failure anywhere before the
commit removes the files it wrote: no orphan file or row.

Batches (:meth:`CaptureService.capture_batch`) decode and write files in a pool of
threads (Pillow, hashlib and file I/O release the GIL, so both cores work) while the
calling thread is the one database writer; it reports each file through a progress
callback and stops when the ``cancel`` event is set. The GUI runs it in a worker
(QRunnable) with its own store, relaying the callback as signals.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ocr_desk.core import (
    Clock,
    DataDirError,
    JobType,
    OcrDeskError,
    StoreError,
    SystemClock,
    format_ts,
)
from ocr_desk.media import (
    CaptureLimits,
    MediaLibrary,
    Prepared,
    Source,
    check_source,
    read_source,
    render,
)
from ocr_desk.store import MediaAsset, OutboxOp, OutboxRepository

from .capture_results import (
    BatchResult,
    CaptureProgress,
    CaptureResult,
    CaptureStatus,
    ProgressCallback,
)
from .jobs import JobService

__all__ = [
    "BatchResult",
    "CaptureProgress",
    "CaptureResult",
    "CaptureService",
    "CaptureStatus",
    "expand_paths",
]


@dataclass(frozen=True, slots=True)
class _Known:
    """A file whose hash is already stored: nothing to decode."""

    source: Source


@dataclass(frozen=True, slots=True)
class _Ready:
    """A decoded file whose files are on disk (``written``: created by this capture)."""

    prepared: Prepared
    written: tuple[str, ...]


class CaptureService:
    """Captures files for one company into the library and the job queue."""

    def __init__(
        self,
        *,
        library: MediaLibrary,
        jobs: JobService,
        limits: CaptureLimits | None = None,
        clock: Clock | None = None,
        workers: int | None = None,
    ) -> None:
        self.library = library
        self.jobs = jobs
        self.store = library.store
        self.limits = limits or CaptureLimits()
        self.clock: Clock = clock or SystemClock()
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        self.outbox = OutboxRepository(self.store, company_id=library.company_id)

    # -- one file ------------------------------------------------------------------

    def capture(
        self,
        source: Path | str | bytes,
        *,
        job_type: JobType | str = JobType.RECEIPT,
        metadata: Mapping[str, Any] | None = None,
        force: bool = False,
        name: str | None = None,
        captured_at: datetime | None = None,
    ) -> CaptureResult:
        """Capture one file or bytes; returns ``captured`` or ``duplicate``.

        Raises :class:`CaptureError` for bad input (nothing is stored then).
        ``force`` gives a duplicate a new job for its existing asset.
        """
        job_type = JobType(job_type)
        if isinstance(source, bytes):
            label = name or "the image"
            checked = check_source(source, name=label, limits=self.limits)
        else:
            label = str(source)
            checked = read_source(Path(source), limits=self.limits)
            if name:
                checked = Source(
                    data=checked.data, name=name, sha256=checked.sha256, mime_type=checked.mime_type
                )
        existing = self.library.assets.find_by_sha256(checked.sha256)
        item: _Known | _Ready
        if existing is not None and existing.files_deleted_at is None:
            item = _Known(checked)
        else:
            item = self._prepare_checked(checked)
        return self._commit(
            item,
            label=label,
            job_type=job_type,
            metadata=metadata,
            force=force,
            captured_at=captured_at,
        )

    # -- batches ---------------------------------------------------------------------

    def capture_batch(
        self,
        paths: Iterable[Path | str],
        *,
        job_type: JobType | str = JobType.RECEIPT,
        metadata: Mapping[str, Any] | None = None,
        force: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> BatchResult:
        """Capture files and folders (recursively); one bad file never stops the others.

        ``progress`` is called on this thread after each file. Setting ``cancel``
        stops the batch after the files in flight; what was committed stays, the
        rest is reported ``cancelled``.
        """
        job_type = JobType(job_type)
        cancel = cancel or threading.Event()
        files = expand_paths(paths, skip=self.library.files.root)
        total = len(files)
        results: list[CaptureResult | None] = [None] * total
        known = self._known_hashes()
        done = 0

        def report(index: int, result: CaptureResult) -> None:
            nonlocal done
            results[index] = result
            done += 1
            if progress is not None:
                progress(CaptureProgress(done=done, total=total, result=result))

        pending: dict[Future[_Known | _Ready], int] = {}
        queue = iter(enumerate(files))
        exhausted = False
        with ThreadPoolExecutor(self.workers, thread_name_prefix="capture") as pool:
            try:
                while True:
                    while not exhausted and not cancel.is_set() and len(pending) < 2 * self.workers:
                        step = next(queue, None)
                        if step is None:
                            exhausted = True
                            break
                        index, path = step
                        pending[pool.submit(self._prepare_path, path, known)] = index
                    if not pending:
                        break
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = pending.pop(future)
                        label = str(files[index])
                        if cancel.is_set():
                            self._discard(future)
                            continue
                        report(
                            index,
                            self._finish(
                                future,
                                label=label,
                                job_type=job_type,
                                metadata=metadata,
                                force=force,
                            ),
                        )
            except BaseException:
                cancel.set()
                for future in pending:
                    future.cancel()
                for future in pending:
                    if not future.cancelled():
                        self._discard(future)
                raise
        final = tuple(
            r
            if r is not None
            else CaptureResult(
                source=str(files[i]),
                status=CaptureStatus.CANCELLED,
                message="not captured: the batch was cancelled",
            )
            for i, r in enumerate(results)
        )
        return BatchResult(results=final, cancelled=cancel.is_set() and done < total)

    # -- steps -------------------------------------------------------------------------

    def _known_hashes(self) -> frozenset[str]:
        rows = self.store.conn.execute(
            "SELECT sha256 FROM media_assets WHERE company_id = ? AND files_deleted_at IS NULL",
            (self.library.company_id,),
        )
        return frozenset(r[0] for r in rows)

    def _prepare_path(self, path: Path, known: frozenset[str]) -> _Known | _Ready:
        """Worker thread: read, check, hash, decode, encode, write files. No database."""
        source = read_source(path, limits=self.limits)
        if source.sha256 in known:
            return _Known(source)
        return self._prepare_checked(source)

    def _prepare_checked(self, source: Source) -> _Ready:
        prepared = render(source, limits=self.limits)
        written = self.library.files.put_many((r.relpath, r.data) for r in prepared.renditions)
        return _Ready(prepared, tuple(written))

    def _finish(
        self,
        future: Future[_Known | _Ready],
        *,
        label: str,
        job_type: JobType,
        metadata: Mapping[str, Any] | None,
        force: bool,
    ) -> CaptureResult:
        try:
            item = future.result()
            return self._commit(
                item, label=label, job_type=job_type, metadata=metadata, force=force
            )
        except Exception as exc:  # one bad file must not stop the batch
            return _rejected(label, exc)

    def _discard(self, future: Future[_Known | _Ready]) -> None:
        try:
            item = future.result()
        except BaseException:
            return
        if isinstance(item, _Ready):
            self.library.discard_unreferenced(item.written)

    def _commit(
        self,
        item: _Known | _Ready,
        *,
        label: str,
        job_type: JobType,
        metadata: Mapping[str, Any] | None,
        force: bool,
        captured_at: datetime | None = None,
    ) -> CaptureResult:
        """The single writer: asset, file rows, job and outbox rows in one transaction."""
        if isinstance(item, _Known):
            existing = self.library.assets.find_by_sha256(item.source.sha256)
            if existing is None:  # deleted since the batch started: capture it after all
                item = self._prepare_checked(item.source)
            else:
                return self._duplicate(existing, label, job_type, metadata, force, None)
        written = item.written
        try:
            prepared = item.prepared
            source = prepared.source
            now = self.clock.now()
            with self.store.write():
                existing = self.library.assets.find_by_sha256(source.sha256)
                if existing is not None:
                    result = self._duplicate(existing, label, job_type, metadata, force, prepared)
                else:
                    asset = self.library.assets.insert(
                        sha256=source.sha256,
                        document_type=job_type,
                        captured_at=captured_at or now,
                        created_at=now,
                        size_bytes=len(source.data),
                        mime_type=source.mime_type,
                        original_name=os.path.basename(source.name) or source.name,
                        width=prepared.width,
                        height=prepared.height,
                        page_count=prepared.page_count,
                    )
                    self.library.record_files(asset.id, prepared.renditions)
                    upload = self.outbox.add(
                        OutboxOp.UPLOAD_MEDIA,
                        at=now,
                        media_asset_id=asset.id,
                        payload=_upload_payload(asset, self.library.upload_version(asset)),
                    )
                    job = self.jobs.create_job(
                        media_asset_id=asset.id, job_type=job_type, metadata=metadata
                    )
                    # The upload row belongs to the job too, so the relay sends (and fails)
                    # the job's rows in order: upload_media, then create_job.
                    self.store.conn.execute(
                        "UPDATE outbox SET job_id = ? WHERE id = ?", (job.id, upload.id)
                    )
                    result = CaptureResult(
                        source=label, status=CaptureStatus.CAPTURED, asset=asset, job=job
                    )
        except BaseException:
            self.library.discard_unreferenced(written)
            raise
        if result.status is CaptureStatus.DUPLICATE:
            self.library.discard_unreferenced(written)
        return result

    def _duplicate(
        self,
        existing: MediaAsset,
        label: str,
        job_type: JobType,
        metadata: Mapping[str, Any] | None,
        force: bool,
        prepared: Prepared | None,
    ) -> CaptureResult:
        jobs = self.jobs.jobs.for_media(existing.id)
        if not force and jobs:
            return CaptureResult(
                source=label,
                status=CaptureStatus.DUPLICATE,
                asset=existing,
                job=jobs[-1],
                message="already captured",
            )
        with self.store.write():
            if prepared is not None and existing.files_deleted_at is not None:
                # The same image again after its files were deleted: keep it again.
                self.library.record_files(existing.id, prepared.renditions)
                self.library.assets.update(existing.id, files_deleted_at=None)
                existing = self.library.assets.get(existing.id)
            job = self.jobs.create_job(  # force: a new OCR, not the file's earlier job
                media_asset_id=existing.id, job_type=job_type, metadata=metadata, force=bool(jobs)
            )
        return CaptureResult(
            source=label,
            status=CaptureStatus.DUPLICATE,
            asset=existing,
            job=job,
            forced=True,
            message="already captured; queued again" if jobs else "already captured",
        )


def expand_paths(paths: Iterable[Path | str], *, skip: Path | None = None) -> list[Path]:
    """Files as given, folders expanded recursively (sorted; hidden entries inside skipped).

    A path that does not exist is kept, so its capture reports it as not found.
    Folders at or under ``skip`` (OCR Desk's own media folder) are not searched.
    """
    skipped = skip.resolve() if skip is not None else None
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            out.append(path)
            continue
        for folder, dirnames, filenames in os.walk(path):
            if skipped is not None and Path(folder).resolve().is_relative_to(skipped):
                dirnames[:] = []
                continue
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            out.extend(Path(folder) / f for f in sorted(filenames) if not f.startswith("."))
    return out


def _upload_payload(asset: MediaAsset, version: str) -> dict[str, Any]:
    return {
        "version": version,  # the file to send, fixed now: a resend must be the same bytes
        "sha256": asset.sha256,
        "mime_type": asset.mime_type,
        "document_type": asset.document_type.value,
        "captured_at": format_ts(asset.captured_at),
        "original_name": asset.original_name,
        "page_count": asset.page_count,
        "size_bytes": asset.size_bytes,
    }


def _rejected(label: str, exc: BaseException) -> CaptureResult:
    if isinstance(exc, OcrDeskError):
        return CaptureResult(
            source=label, status=CaptureStatus.REJECTED, error_code=exc.code, message=exc.message
        )
    if isinstance(exc, sqlite3.Error):
        code, what = StoreError.code, "the local database failed"
    elif isinstance(exc, OSError):
        code, what = DataDirError.code, "the disk refused"
    else:
        code, what = "CAPTURE_FAILED", "an unexpected error"
    return CaptureResult(
        source=label,
        status=CaptureStatus.REJECTED,
        error_code=code,
        message=f"{label} was not captured: {what} ({type(exc).__name__}: {exc}). "
        "Nothing of it was kept; add it again.",
    )
