"""What a capture reports: per-file results, progress and the batch summary (frozen values).

Safe to hand to other threads and to carry in Qt signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ocr_desk.store import Job, MediaAsset

__all__ = [
    "BatchResult",
    "CaptureProgress",
    "CaptureResult",
    "CaptureStatus",
    "ProgressCallback",
]


class CaptureStatus(StrEnum):
    CAPTURED = "captured"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """What happened to one file. ``forced``: a duplicate that got a new job anyway."""

    source: str
    status: CaptureStatus
    asset: MediaAsset | None = None
    job: Job | None = None
    error_code: str | None = None
    message: str | None = None
    forced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status.value,
            "media_asset_id": self.asset.id if self.asset else None,
            "job_id": self.job.id if self.job else None,
            "sha256": self.asset.sha256 if self.asset else None,
            "pages": self.asset.page_count if self.asset else None,
            "forced": self.forced,
            "error": (
                {"code": self.error_code, "message": self.message} if self.error_code else None
            ),
        }


@dataclass(frozen=True, slots=True)
class CaptureProgress:
    """Sent after each file: ``done`` of ``total`` files are finished."""

    done: int
    total: int
    result: CaptureResult


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every file's result, in the order the files were given; ``cancelled`` if stopped early."""

    results: tuple[CaptureResult, ...]
    cancelled: bool = False

    def with_status(self, status: CaptureStatus) -> list[CaptureResult]:
        return [r for r in self.results if r.status is status]

    @property
    def captured(self) -> list[CaptureResult]:
        return self.with_status(CaptureStatus.CAPTURED)

    @property
    def duplicates(self) -> list[CaptureResult]:
        return self.with_status(CaptureStatus.DUPLICATE)

    @property
    def rejected(self) -> list[CaptureResult]:
        return self.with_status(CaptureStatus.REJECTED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "captured": len(self.captured),
            "duplicates": len(self.duplicates),
            "rejected": len(self.rejected),
            "cancelled": self.cancelled,
            "results": [r.to_dict() for r in self.results],
        }


ProgressCallback = Callable[[CaptureProgress], None]
