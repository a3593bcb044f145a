"""Use cases the UI and the CLI call: capture, jobs, cost, maintenance."""

from __future__ import annotations

from .capture import (
    BatchResult,
    CaptureProgress,
    CaptureResult,
    CaptureService,
    CaptureStatus,
    expand_paths,
)
from .jobs import JobService

__all__ = [
    "BatchResult",
    "CaptureProgress",
    "CaptureResult",
    "CaptureService",
    "CaptureStatus",
    "JobService",
    "expand_paths",
]
