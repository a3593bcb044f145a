"""The sync's connectivity state: one of :class:`ConnectionState`, with a reason and since when.

``online`` sends; ``offline`` probes ``/healthz`` with its own backoff and spends no
retries; ``signed_out`` waits for a new sign-in; ``quota_paused`` re-checks the quota
now and then; ``rate_limited`` waits until the server's ``Retry-After``; ``paused``
waits for the user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from ocr_desk.core import Clock

from .events import ConnectionState, StateChanged, SyncEvent

__all__ = ["OFFLINE_PROBE_DELAYS", "QUOTA_RECHECK", "Connectivity"]

OFFLINE_PROBE_DELAYS: tuple[timedelta, ...] = tuple(
    timedelta(seconds=s) for s in (1, 2, 5, 10, 30, 60)
)
"""Waits between health probes while offline (the last one repeats)."""

QUOTA_RECHECK = timedelta(minutes=5)
"""How often a quota-paused sync asks the server whether the quota renewed."""

Listener = Callable[[SyncEvent], None]


class Connectivity:
    """Holds the current state; every change is announced to the listener once."""

    def __init__(self, *, clock: Clock, listener: Listener) -> None:
        self._clock = clock
        self._listener = listener
        self._lock = threading.Lock()
        self.state = ConnectionState.ONLINE
        self.reason = ""
        self.since = clock.now()
        self.until: datetime | None = None
        self.last_sync_at: datetime | None = None
        self._probes = 0

    def snapshot(self) -> StateChanged:
        with self._lock:
            return StateChanged(
                state=self.state,
                since=self.since,
                reason=self.reason,
                until=self.until,
                last_sync_at=self.last_sync_at,
            )

    def set(
        self, state: ConnectionState, *, reason: str = "", until: datetime | None = None
    ) -> bool:
        """Move to ``state``; returns True (and tells the listener) if anything changed."""
        with self._lock:
            quiet = state == self.state and reason == self.reason
            if quiet and until == self.until:
                return False
            if state != self.state:
                self.since = self._clock.now()
                if state != ConnectionState.OFFLINE:
                    self._probes = 0
            self.state, self.reason, self.until = state, reason, until
        if quiet:
            return False  # only the next try moved: not worth an event
        self._listener(self.snapshot())
        return True

    def went_offline(self, reason: str) -> None:
        """Enter (or stay in) ``offline`` and schedule the next probe by the probe backoff."""
        with self._lock:
            step = OFFLINE_PROBE_DELAYS[min(self._probes, len(OFFLINE_PROBE_DELAYS) - 1)]
            self._probes += 1
        self.set(ConnectionState.OFFLINE, reason=reason, until=self._clock.now() + step)

    def synced(self) -> None:
        with self._lock:
            self.last_sync_at = self._clock.now()

    @property
    def can_send(self) -> bool:
        return self.state == ConnectionState.ONLINE
