"""Job statuses, the one transition table, retry backoff and the time limits.

Everything that changes a job's status, on the client and on the server, asks
:func:`check_transition` first::

    queued ──► processing ──► completed
      │  │         │  │
      │  │         │  └────► failed ──(retry)──► queued
      │  └─────────┼───────► failed          (the upload could not be submitted)
      │            └───────► queued          (a worker died; the job is reclaimed)
      └──► cancelled ◄── (queued | processing | failed)

``completed`` and ``cancelled`` are final.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import InvalidStatusError

__all__ = [
    "FINAL_STATUSES",
    "MAX_RETRIES",
    "RETENTION",
    "RETRY_DELAYS",
    "STALE_AFTER",
    "TRANSITIONS",
    "JobStatus",
    "JobType",
    "check_transition",
    "is_stale",
    "is_past_retention",
    "next_retry_at",
    "retry_delay",
    "transition_path",
]


class JobType(StrEnum):
    RECEIPT = "receipt"
    INVOICE = "invoice"
    HANDWRITTEN = "handwritten"


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


_S = JobStatus

TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    _S.QUEUED: frozenset({_S.PROCESSING, _S.FAILED, _S.CANCELLED}),
    _S.PROCESSING: frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.QUEUED}),
    _S.FAILED: frozenset({_S.QUEUED, _S.CANCELLED}),
    _S.COMPLETED: frozenset(),
    _S.CANCELLED: frozenset(),
}
"""Allowed status changes: ``TRANSITIONS[current]`` is the set of statuses it may become."""

FINAL_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=1),
    timedelta(seconds=5),
    timedelta(seconds=15),
)
"""Wait before the 1st, 2nd and 3rd automatic retry."""

MAX_RETRIES = len(RETRY_DELAYS)

STALE_AFTER = timedelta(hours=24)
"""A job queued or processing this long after the server accepted it is cancelled."""

RETENTION = timedelta(days=90)
"""Media captured longer ago than this is deleted (counted from capture time)."""


def check_transition(current: JobStatus | str, target: JobStatus | str) -> JobStatus:
    """Return ``target`` as a status if ``current -> target`` is allowed, else raise.

    Raises :class:`InvalidStatusError` naming both statuses and what is allowed.
    """
    try:
        src = JobStatus(current)
        dst = JobStatus(target)
    except ValueError as exc:
        raise InvalidStatusError(f"unknown job status: {exc}") from exc
    if dst not in TRANSITIONS[src]:
        allowed = ", ".join(sorted(TRANSITIONS[src])) or "nothing (it is final)"
        raise InvalidStatusError(
            f"a {src} job cannot become {dst}; from {src} it can become {allowed}"
        )
    return dst


def transition_path(current: JobStatus | str, target: JobStatus | str) -> list[JobStatus]:
    """The shortest chain of allowed steps from ``current`` to ``target`` (excluding ``current``).

    Used when a remote update skips states the local copy never saw (for example a
    job seen ``queued`` that the server reports ``completed``): every step is still
    one the table allows. Raises :class:`InvalidStatusError` if no chain exists.
    """
    src, dst = JobStatus(current), JobStatus(target)
    if src == dst:
        return []
    seen: dict[JobStatus, JobStatus | None] = {src: None}
    todo = deque([src])
    while todo:
        node = todo.popleft()
        for nxt in sorted(TRANSITIONS[node]):
            if nxt in seen:
                continue
            seen[nxt] = node
            if nxt == dst:
                path = [nxt]
                back: JobStatus | None = node
                while back is not None and back != src:
                    path.append(back)
                    back = seen[back]
                return path[::-1]
            todo.append(nxt)
    check_transition(src, dst)  # raises with the usual message
    raise AssertionError("unreachable")  # pragma: no cover


def retry_delay(retry_count: int) -> timedelta | None:
    """Wait before the next automatic retry after ``retry_count`` retries, or None when spent."""
    if retry_count < 0:
        raise ValueError("retry_count cannot be negative")
    if retry_count >= MAX_RETRIES:
        return None
    return RETRY_DELAYS[retry_count]


def next_retry_at(failed_at: datetime, retry_count: int) -> datetime | None:
    """When a job that failed at ``failed_at`` after ``retry_count`` retries may retry."""
    delay = retry_delay(retry_count)
    return None if delay is None else failed_at + delay


def is_stale(status: JobStatus | str, submitted_at: datetime | None, now: datetime) -> bool:
    """True for a queued/processing job the server accepted more than 24 h ago.

    A job that was never submitted (still waiting offline) is never stale.
    """
    if submitted_at is None:
        return False
    return JobStatus(status) in (_S.QUEUED, _S.PROCESSING) and now - submitted_at > STALE_AFTER


def is_past_retention(
    captured_at: datetime, now: datetime, retention: timedelta | None = RETENTION
) -> bool:
    """True when media captured at ``captured_at`` is older than the retention (None: keep all)."""
    return retention is not None and now - captured_at > retention
