"""Errors the server answers with, each with its HTTP status and API code.

::

    OcrDeskError (core)
    └── ApiError                      status + code of docs/api.md
        ├── ValidationFailed          400 VALIDATION_ERROR
        ├── Unauthorized              401 UNAUTHORIZED
        ├── QuotaExceeded             402 QUOTA_EXCEEDED
        ├── NotFound                  404 NOT_FOUND / MEDIA_NOT_FOUND / JOB_NOT_FOUND
        ├── PayloadTooLarge           413 PAYLOAD_TOO_LARGE
        ├── UnsupportedMedia          415 UNSUPPORTED_MEDIA
        ├── IdempotencyKeyReused      422 IDEMPOTENCY_KEY_REUSED
        ├── InvalidText               422 VALIDATION_ERROR (a NUL character)
        └── RateLimited               429 RATE_LIMIT_EXCEEDED (+ Retry-After)

The core's InvalidStatusError and MaxRetriesExceededError answer 409, its
JobNotFoundError 404 (see :func:`http_status`).
"""

from __future__ import annotations

from ocr_desk.core import (
    InvalidStatusError,
    JobNotFoundError,
    MaxRetriesExceededError,
    OcrDeskError,
)

__all__ = [
    "AccountError",
    "ApiError",
    "IdempotencyKeyReused",
    "InvalidText",
    "NotFound",
    "PayloadTooLarge",
    "QuotaExceeded",
    "RateLimited",
    "Unauthorized",
    "UnsupportedMedia",
    "ValidationFailed",
    "http_status",
]


class ApiError(OcrDeskError):
    """An error with the HTTP status the API answers it with."""

    status_code = 500
    code = "INTERNAL_ERROR"


class ValidationFailed(ApiError):
    """The request is malformed."""

    status_code = 400
    code = "VALIDATION_ERROR"


class InvalidText(ApiError):
    """Text with a NUL character: no field has a use for one, and PostgreSQL cannot
    store or even compare it, so both databases refuse it the same way."""

    status_code = 422
    code = "VALIDATION_ERROR"


class Unauthorized(ApiError):
    """No, unknown or revoked token, or a wrong password."""

    status_code = 401
    code = "UNAUTHORIZED"


class QuotaExceeded(ApiError):
    """The plan's monthly job quota is used up."""

    status_code = 402
    code = "QUOTA_EXCEEDED"


class NotFound(ApiError):
    """No such row for this company (another company's ids look exactly the same)."""

    status_code = 404
    code = "NOT_FOUND"


class PayloadTooLarge(ApiError):
    """The request body is above the limit."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMedia(ApiError):
    """The upload is not a supported image or document, or is corrupt."""

    status_code = 415
    code = "UNSUPPORTED_MEDIA"


class IdempotencyKeyReused(ApiError):
    """The same Idempotency-Key came with a different request."""

    status_code = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class RateLimited(ApiError):
    """Too many uploads this hour."""

    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountError(OcrDeskError):
    """An admin command cannot do what was asked (unknown company, duplicate email...)."""

    code = "ACCOUNT_ERROR"


def http_status(exc: OcrDeskError) -> int:
    """The HTTP status an error is answered with."""
    if isinstance(exc, ApiError):
        return exc.status_code
    if isinstance(exc, JobNotFoundError):
        return 404
    if isinstance(exc, InvalidStatusError | MaxRetriesExceededError):
        return 409
    if isinstance(exc, AccountError):
        return 400
    return 500
