"""Media capture: the Pillow ingest pipeline, the content-addressed file store, retention.

What other parts use (names stable):

- :class:`MediaLibrary` (build it with ``AppContext.media_library(store)``; one per
  thread, like the store it is given):

  - ``upload_file(asset_id) -> (Path, mime_type)``: the file the sync uploads for OCR.
    The processed JPEG (upright, long side <= 3508 px: the original's own bytes less
    its metadata when it is an upright JPEG within bounds, else a quality-80 encode)
    for a single-page image; the original for a multi-page document (PDF, TIFF), and for every asset
    when the ``upload_original`` setting is on. The path's stem is the file's SHA-256
    (send it as the ``sha256`` form field). Raises ``MediaFileMissingError`` after
    ``delete_after_ocr``, ``MediaNotFoundError`` for an unknown asset.
  - ``delete_after_ocr(asset_id) -> bytes freed``: call after a job of the asset
    completed when ``settings.delete_after_ocr`` is on. Removes the original and the
    processed pages, keeps the thumbnail, the WebP display version and the results;
    refuses (``NotYetProcessedError``) while no job of the asset has completed.
  - ``thumbnail_path(asset_id)`` (150x150 JPEG, letterboxed on white) and
    ``display_path(asset_id, page=0)`` (WebP, long side 800-1600 px) for the GUI.
  - ``storage_usage() -> StorageUsage`` (exact bytes per version kind) and
    ``cleanup_expired(retention_days=...) -> CleanupReport`` (retention, 90 days by
    default, counted from capture time; None keeps everything).

- Batch capture with progress and cancel lives one layer up, in
  ``ocr_desk.services.capture.CaptureService.capture_batch(paths, job_type=, metadata=,
  force=, progress=callback(CaptureProgress(done, total, result)), cancel=threading.Event)``
  (``AppContext.capture_service(store)``); the callback runs on the calling thread.

- Each capture writes, in one transaction with the asset and its job, an
  ``upload_media`` outbox row (``job_id`` and ``media_asset_id`` set; payload
  ``sha256`` of the original, ``mime_type``, ``document_type``, ``captured_at``,
  ``original_name``, ``page_count``, ``size_bytes``) followed by the job's
  ``create_job`` row. A forced duplicate adds only a ``create_job`` row.

Stored files: ``<data dir>/media/<sha[:2]>/<sha><ext>``, rows in ``media_files``
(version ``original`` | ``processed`` | ``display`` | ``thumbnail``, one row per page
for processed and display).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .decode import MAX_OCR_LONG_SIDE, MIN_OCR_LONG_SIDE, plan_reduction
    from .filestore import MEDIA_DIRNAME, FileStore, relpath_for
    from .library import (
        CleanupReport,
        MediaFileMissingError,
        MediaLibrary,
        NotYetProcessedError,
        StorageUsage,
    )
    from .pipeline import (
        DISPLAY_LONG_SIDE,
        JPEG_QUALITY,
        THUMBNAIL_SIZE,
        CaptureLimits,
        Prepared,
        Rendition,
        Source,
        VersionKind,
        check_source,
        read_source,
        render,
    )
else:  # names load on first use (see ocr_desk._lazy)
    from ocr_desk._lazy import lazy_exports

    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "decode": (
                "MAX_OCR_LONG_SIDE",
                "MIN_OCR_LONG_SIDE",
                "plan_reduction",
            ),
            "filestore": (
                "MEDIA_DIRNAME",
                "FileStore",
                "relpath_for",
            ),
            "library": (
                "CleanupReport",
                "MediaFileMissingError",
                "MediaLibrary",
                "NotYetProcessedError",
                "StorageUsage",
            ),
            "pipeline": (
                "DISPLAY_LONG_SIDE",
                "JPEG_QUALITY",
                "THUMBNAIL_SIZE",
                "CaptureLimits",
                "Prepared",
                "Rendition",
                "Source",
                "VersionKind",
                "check_source",
                "read_source",
                "render",
            ),
        },
    )

__all__ = [
    "DISPLAY_LONG_SIDE",
    "JPEG_QUALITY",
    "MAX_OCR_LONG_SIDE",
    "MEDIA_DIRNAME",
    "MIN_OCR_LONG_SIDE",
    "THUMBNAIL_SIZE",
    "CaptureLimits",
    "CleanupReport",
    "FileStore",
    "MediaFileMissingError",
    "MediaLibrary",
    "NotYetProcessedError",
    "Prepared",
    "Rendition",
    "Source",
    "StorageUsage",
    "VersionKind",
    "check_source",
    "plan_reduction",
    "read_source",
    "relpath_for",
    "render",
]
