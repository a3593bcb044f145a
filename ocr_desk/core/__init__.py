"""Pure domain of OCR Desk: statuses and transitions, backoff, receipt model, errors, clock.

No I/O, no Qt, nothing else of the package is imported here.
"""

from __future__ import annotations

from .clock import Clock, ManualClock, SystemClock, format_ts, parse_ts, utc
from .errors import (
    AuthError,
    CaptureError,
    CaptureErrorCode,
    DataDirError,
    InvalidStatusError,
    JobNotFoundError,
    MaxRetriesExceededError,
    OcrDeskError,
    PermanentSyncError,
    QuotaError,
    SchemaTooNewError,
    StoreError,
    SyncError,
    TransientSyncError,
)
from .lifecycle import (
    FINAL_STATUSES,
    MAX_RETRIES,
    RETENTION,
    RETRY_DELAYS,
    STALE_AFTER,
    TRANSITIONS,
    JobStatus,
    JobType,
    check_transition,
    is_past_retention,
    is_stale,
    next_retry_at,
    retry_delay,
    transition_path,
)
from .receipt import UNCERTAIN_BELOW, ExtractedField, LineItem, ReceiptResult, parse_amount
from .sniff import SNIFF_BYTES, SUPPORTED_MIME_TYPES, sniff_mime

__all__ = [
    "FINAL_STATUSES",
    "MAX_RETRIES",
    "RETENTION",
    "RETRY_DELAYS",
    "SNIFF_BYTES",
    "STALE_AFTER",
    "SUPPORTED_MIME_TYPES",
    "TRANSITIONS",
    "UNCERTAIN_BELOW",
    "AuthError",
    "CaptureError",
    "CaptureErrorCode",
    "Clock",
    "DataDirError",
    "ExtractedField",
    "InvalidStatusError",
    "JobNotFoundError",
    "JobStatus",
    "JobType",
    "LineItem",
    "ManualClock",
    "MaxRetriesExceededError",
    "OcrDeskError",
    "PermanentSyncError",
    "QuotaError",
    "ReceiptResult",
    "SchemaTooNewError",
    "StoreError",
    "SyncError",
    "SystemClock",
    "TransientSyncError",
    "check_transition",
    "format_ts",
    "is_past_retention",
    "is_stale",
    "next_retry_at",
    "parse_amount",
    "parse_ts",
    "retry_delay",
    "sniff_mime",
    "transition_path",
    "utc",
]
