"""The error tree of OCR Desk.

Every error the package raises on purpose derives from :class:`OcrDeskError` and
carries a stable ``code`` (the same codes the server puts in ``{"error": {"code"}}``)
and a message that says what happened and what to do next::

    OcrDeskError
    ├── InvalidStatusError          INVALID_STATUS
    ├── JobNotFoundError            JOB_NOT_FOUND
    ├── MaxRetriesExceededError     MAX_RETRIES_EXCEEDED
    ├── StoreError                  STORE_ERROR
    │   ├── SchemaTooNewError       SCHEMA_TOO_NEW
    │   └── DataDirError            DATA_DIR_UNUSABLE
    ├── CaptureError                one code per bad-input kind (see CaptureErrorCode)
    └── SyncError
        ├── TransientSyncError      network, 5xx, 429: try again later
        ├── PermanentSyncError      other 4xx: this request will never succeed
        ├── AuthError               401: sign in again
        └── QuotaError              402: the plan's quota is used up
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AuthError",
    "CaptureError",
    "CaptureErrorCode",
    "DataDirError",
    "InvalidStatusError",
    "JobNotFoundError",
    "MaxRetriesExceededError",
    "OcrDeskError",
    "PermanentSyncError",
    "QuotaError",
    "SchemaTooNewError",
    "StoreError",
    "SyncError",
    "TransientSyncError",
]


class OcrDeskError(Exception):
    """Root of every error OCR Desk raises on purpose."""

    code: str = "OCR_DESK_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        """The ``{"code", "message"}`` body the API and ``--json`` outputs use."""
        return {"code": self.code, "message": self.message}


class InvalidStatusError(OcrDeskError):
    """A status change the transition table does not allow."""

    code = "INVALID_STATUS"


class JobNotFoundError(OcrDeskError):
    """No job with that id exists for this company."""

    code = "JOB_NOT_FOUND"


class MaxRetriesExceededError(OcrDeskError):
    """The automatic retries are spent; only a manual retry sends the job again."""

    code = "MAX_RETRIES_EXCEEDED"


class StoreError(OcrDeskError):
    """The local database cannot be used as asked."""

    code = "STORE_ERROR"


class SchemaTooNewError(StoreError):
    """The database was written by a newer OCR Desk; it is left untouched."""

    code = "SCHEMA_TOO_NEW"


class DataDirError(StoreError):
    """The data directory cannot be created, read, written or locked."""

    code = "DATA_DIR_UNUSABLE"


class CaptureErrorCode(StrEnum):
    """Why a file was not captured."""

    NOT_FOUND = "NOT_FOUND"
    IS_DIRECTORY = "IS_DIRECTORY"
    UNREADABLE = "UNREADABLE"
    EMPTY = "EMPTY_FILE"
    TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED = "UNSUPPORTED_MEDIA"
    CORRUPT = "CORRUPT_IMAGE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"


class CaptureError(OcrDeskError):
    """A file could not be captured; ``code`` tells which kind of bad input it was."""

    def __init__(self, message: str, *, code: CaptureErrorCode, path: str | None = None) -> None:
        super().__init__(message, code=code.value)
        self.capture_code = code
        self.path = path


class SyncError(OcrDeskError):
    """Talking to the OCR server did not work."""

    code = "SYNC_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.retry_after = retry_after


class TransientSyncError(SyncError):
    """No network, a timeout, a 5xx or a 429: the same request may work later."""

    code = "TRANSIENT"


class PermanentSyncError(SyncError):
    """The server refused the request for good (a 4xx other than 401/402/429)."""

    code = "REJECTED"


class AuthError(SyncError):
    """The server does not accept our credentials: sign in again."""

    code = "UNAUTHORIZED"


class QuotaError(SyncError):
    """The plan's monthly quota is used up: uploads pause until it renews or is raised."""

    code = "QUOTA_EXCEEDED"
