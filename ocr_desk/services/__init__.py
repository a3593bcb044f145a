"""Use cases the UI and the CLI call: capture, jobs, cost, maintenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .capture import (
        BatchResult,
        CaptureProgress,
        CaptureResult,
        CaptureService,
        CaptureStatus,
        expand_paths,
    )
    from .jobs import JobService
else:  # names load on first use (see ocr_desk._lazy)
    from ocr_desk._lazy import lazy_exports

    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "capture_results": (
                "BatchResult",
                "CaptureProgress",
                "CaptureResult",
                "CaptureStatus",
            ),
            "capture": (
                "CaptureService",
                "expand_paths",
            ),
            "jobs": ("JobService",),
        },
    )

__all__ = [
    "BatchResult",
    "CaptureProgress",
    "CaptureResult",
    "CaptureService",
    "CaptureStatus",
    "JobService",
    "expand_paths",
]
