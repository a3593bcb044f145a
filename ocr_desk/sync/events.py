"""What the sync engine tells the GUI and the CLI: plain frozen values, no Qt.

The engine calls one ``listener(event)`` callback (from its own thread) for each
of these; the GUI's ``SyncWorker`` re-emits them as Qt signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ConnectionState", "JobsChanged", "QueueChanged", "StateChanged", "SyncEvent"]


class ConnectionState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    SIGNED_OUT = "signed_out"
    QUOTA_PAUSED = "quota_paused"
    RATE_LIMITED = "rate_limited"
    PAUSED = "paused"
    """The user paused sync; captures keep queueing locally."""


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: ConnectionState
    since: datetime
    reason: str = ""
    until: datetime | None = None
    """For rate_limited (and offline: the next probe): when it tries again."""
    last_sync_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class JobsChanged:
    """These local jobs changed (uploaded, processing, completed, failed...)."""

    job_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """New counts for the status panel (``QueueStatus.to_dict()`` plus usage when known)."""

    counts: dict[str, int]
    quota_left: int | None = None
    storage_bytes: int | None = None


SyncEvent = StateChanged | JobsChanged | QueueChanged
