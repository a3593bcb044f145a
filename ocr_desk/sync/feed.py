"""The update feed: job changes from the server, by SSE while it works, else by polling.

:class:`EventStream` runs on its own thread: it subscribes to ``GET /v1/events``
with ``Last-Event-ID`` set to the last cursor applied, hands every job change to a
sink (the engine's queue), and reconnects with a backoff when the stream breaks
(a server restart included). While it is not connected the engine polls
``GET /v1/jobs?updated_since=`` instead (``SyncEngine``). The cursor lives in
the ``sync_state`` table (:class:`CursorStore`) and is saved after the change it
points to was applied, so a restart misses nothing (and an update applied twice is
harmless).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ocr_desk.core import AuthError, SyncError
from ocr_desk.store import Store

from .client import ApiClient, RemoteJob

__all__ = ["FEED_CURSOR_KEY", "STREAM_RETRY_DELAYS", "CursorStore", "EventStream", "FeedItem"]

log = logging.getLogger(__name__)

FEED_CURSOR_KEY = "feed_cursor"
STREAM_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds between reconnection attempts of the event stream (the last one repeats)."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One message from the stream thread to the engine."""

    kind: str
    """``job`` (a change), ``connected``, ``disconnected`` or ``auth`` (401 on the stream)."""
    job: RemoteJob | None = None
    cursor: str | None = None
    reason: str = ""


class CursorStore:
    """The change-feed cursor of one company and server in ``sync_state``."""

    def __init__(self, store: Store, *, company_id: str, server_url: str) -> None:
        self._store = store
        self._company = company_id
        self._key = f"{FEED_CURSOR_KEY}:{server_url.rstrip('/')}"

    def get(self) -> str | None:
        row = self._store.conn.execute(
            "SELECT value FROM sync_state WHERE company_id = ? AND key = ?",
            (self._company, self._key),
        ).fetchone()
        return None if row is None else row[0]

    def advance(self, cursor: str | None) -> bool:
        """Save ``cursor`` if it is later than the stored one; True when it moved."""
        if cursor is None:
            return False
        current = self.get()
        if current is not None and _later_or_same(current, cursor):
            return False
        with self._store.write():
            self._store.conn.execute(
                "INSERT INTO sync_state (company_id, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (company_id, key) DO UPDATE SET value = excluded.value",
                (self._company, self._key, cursor),
            )
        return True


def _later_or_same(current: str, candidate: str) -> bool:
    if current.isdigit() and candidate.isdigit():
        return int(current) >= int(candidate)
    return current == candidate


class EventStream:
    """Reads ``/v1/events`` on a daemon thread and reconnects until stopped."""

    def __init__(
        self,
        *,
        client: ApiClient,
        cursor: Callable[[], str | None],
        sink: Callable[[FeedItem], None],
        wait: Callable[[threading.Event, float], bool] | None = None,
    ) -> None:
        self._client = client
        self._cursor = cursor
        self._sink = sink
        self._wait = wait or (lambda event, seconds: event.wait(seconds))
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None
        self._cancel: Callable[[], None] | None = None
        self.connected = False

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ocr-events", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        self._kick.set()
        cancel = self._cancel
        if cancel is not None:
            cancel()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def reconnect_now(self) -> None:
        """Skip the current backoff wait (after a sign-in, or the network came back)."""
        self._kick.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._kick.clear()
            try:
                for event in self._client.events(
                    last_event_id=self._cursor(), on_open=self._opened
                ):
                    failures = 0
                    if self._stop.is_set():
                        return
                    if event.event != "job":
                        continue
                    try:
                        job = RemoteJob.from_json(json.loads(event.data))
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("unreadable event %s ignored: %s", event.id, exc)
                        continue
                    self._sink(FeedItem(kind="job", job=job, cursor=event.id))
                reason = "the server closed the event stream"
            except AuthError as exc:
                self._closed(exc.message, kind="auth")
                failures = len(STREAM_RETRY_DELAYS) - 1
                self._pause(failures)
                continue
            except SyncError as exc:
                reason = exc.message
            except Exception as exc:  # never let the feed thread die silently
                log.exception("event stream failed")
                reason = repr(exc)
            self._closed(reason)
            self._pause(failures)
            failures += 1

    def _opened(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel
        if self._stop.is_set():
            cancel()
            return
        self.connected = True
        self._sink(FeedItem(kind="connected"))

    def _closed(self, reason: str, *, kind: str = "disconnected") -> None:
        self._cancel = None
        was = self.connected
        self.connected = False
        if was or kind == "auth":
            self._sink(FeedItem(kind=kind, reason=reason))

    def _pause(self, failures: int) -> None:
        delay = STREAM_RETRY_DELAYS[min(failures, len(STREAM_RETRY_DELAYS) - 1)]
        self._wait(self._kick, delay)
