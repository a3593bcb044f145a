"""The sync engine: relay + update feed + connectivity, with no Qt in it.

The GUI's ``SyncWorker`` (or the CLI) drives one :class:`SyncEngine`:
``start()/stop()`` run it on its own thread, ``pause()/resume()/sync_now()`` steer it,
and every change is reported through one ``listener(event)`` callback with the
values of :mod:`ocr_desk.sync.events`. Tests call :meth:`SyncEngine.step` directly
with a :class:`~ocr_desk.core.ManualClock`; every wait goes through the injected
``sleeper`` so nothing in a test sleeps for real.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ocr_desk.core import AuthError, Clock, JobStatus, QuotaError, SyncError
from ocr_desk.store import JobRepository, OutboxRepository, Store

from .client import NETWORK_ERROR, ApiClient, RemoteJob
from .connectivity import QUOTA_RECHECK, Connectivity
from .events import ConnectionState, JobsChanged, QueueChanged, StateChanged, SyncEvent
from .feed import CursorStore, EventStream, FeedItem
from .relay import Relay, UploadPicker
from .updates import AppliedUpdate

__all__ = ["POLL_INTERVAL", "EngineOptions", "Sleeper", "SyncEngine"]

log = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(seconds=5)
"""How often the engine polls for job changes while the event stream is down."""

MAX_POLL_PAGES = 20
"""At most this many pages of 100 changes per poll (the rest comes at the next one)."""

IDLE_WAIT = 30.0
"""Longest wait of the engine thread when nothing is due (a wake-up cuts it short)."""

_FEED_STATES = frozenset(
    {ConnectionState.ONLINE, ConnectionState.QUOTA_PAUSED, ConnectionState.RATE_LIMITED}
)
"""States in which results still come back (the server answers and knows us)."""

Sleeper = Callable[[float, threading.Event], None]
"""``sleeper(seconds, wake)``: wait up to ``seconds`` or until ``wake`` is set."""


def _real_sleeper(seconds: float, wake: threading.Event) -> None:
    wake.wait(max(0.0, seconds))


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    pool_size: int = 4
    use_events: bool = True
    """Subscribe to ``/v1/events``; False polls only."""
    poll_interval: timedelta | None = POLL_INTERVAL
    """None: never poll (``sync --no-wait`` only sends)."""
    delete_after_ocr: bool = False


class SyncEngine:
    """Keeps one company's local store and the server in step."""

    def __init__(
        self,
        *,
        store: Store,
        company_id: str,
        client: ApiClient,
        clock: Clock,
        listener: Callable[[SyncEvent], None] | None = None,
        upload_file: UploadPicker | None = None,
        delete_after_ocr: Callable[[str], None] | None = None,
        options: EngineOptions | None = None,
        sleeper: Sleeper | None = None,
        stream_wait: Callable[[threading.Event, float], bool] | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self._store = store
        self._client = client
        self.client = client
        self._clock = clock
        self._listener = listener or (lambda event: None)
        self._sleeper = sleeper or _real_sleeper
        self._delete_files = delete_after_ocr
        self.connectivity = Connectivity(clock=clock, listener=self._emit)
        self.relay = Relay(
            store=store,
            company_id=company_id,
            client=client,
            clock=clock,
            connectivity=self.connectivity,
            upload_file=upload_file,
            pool_size=self.options.pool_size,
        )
        self._orphans = self.relay.early_updates
        self.jobs = JobRepository(store, company_id=company_id)
        self.outbox = OutboxRepository(store, company_id=company_id)
        self.cursor = CursorStore(store, company_id=company_id, server_url=client.base_url)
        self._cursor_now = self.cursor.get()
        self._feed: queue.Queue[FeedItem] = queue.Queue()
        self._stream = EventStream(
            client=client,
            cursor=lambda: self._cursor_now,
            sink=self._from_stream,
            wait=stream_wait,
        )
        self._next_poll: datetime | None = None
        self._paused_state: StateChanged | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self.connectivity.state

    @property
    def stream_connected(self) -> bool:
        return self._stream.connected

    def start(self) -> None:
        """Run on a thread of its own until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.start_feed()
        self._thread = threading.Thread(target=self._run, name="ocr-sync", daemon=True)
        self._thread.start()

    def start_feed(self) -> None:
        """Start the event-stream thread alone (for callers that call :meth:`step`)."""
        if self.options.use_events:
            self._stream.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        self._stream.stop()

    def close(self) -> None:
        self.stop()
        self.relay.close()

    def pause(self, reason: str = "paused by the user") -> None:
        """Stop sending (captures keep queueing locally) until :meth:`resume`."""
        self.connectivity.set(ConnectionState.PAUSED, reason=reason)
        self._wake.set()

    def resume(self) -> None:
        if self.state in (ConnectionState.PAUSED, ConnectionState.SIGNED_OUT):
            self.connectivity.set(ConnectionState.ONLINE, reason="resumed")
        self.sync_now()

    def sync_now(self) -> None:
        """Try now: end an offline/rate-limit/quota wait and wake the loop."""
        if self.state in (
            ConnectionState.OFFLINE,
            ConnectionState.RATE_LIMITED,
            ConnectionState.QUOTA_PAUSED,
        ):
            self.connectivity.until = self._clock.now()
        self._next_poll = None
        self._stream.reconnect_now()
        self._wake.set()

    def signed_in(self, token: str) -> None:
        """A new token after ``signed_out``: use it and carry on."""
        self._client.set_token(token)
        if self.state is ConnectionState.SIGNED_OUT:
            self.connectivity.set(ConnectionState.ONLINE, reason="signed in")
        self.sync_now()

    # -- one round -------------------------------------------------------------------

    def step(self) -> datetime | None:
        """Do everything that is due now; returns when something is next due (None: idle)."""
        changed: list[str] = []
        completed: list[AppliedUpdate] = []
        self._drain_feed(changed, completed)
        self._check_state()
        next_due: datetime | None = None
        if self.connectivity.can_send:
            report = self.relay.pump()
            changed.extend(report.changed_jobs)
            completed.extend(report.completed)
            next_due = report.next_due
        if self.state in _FEED_STATES and not self._stream.connected:
            next_due = _earliest(next_due, self._poll(changed, completed))
        if self.state in (
            ConnectionState.OFFLINE,
            ConnectionState.RATE_LIMITED,
            ConnectionState.QUOTA_PAUSED,
        ):
            next_due = _earliest(next_due, self.connectivity.until)
        self._after(changed, completed)
        return next_due

    def pending_uploads(self) -> int:
        return self.outbox.count()

    def open_remote_jobs(self) -> int:
        """Jobs the server has that are not finished yet (what ``sync`` waits for)."""
        return int(
            self._store.conn.execute(
                "SELECT COUNT(*) FROM ocr_jobs WHERE company_id = ? AND remote_id IS NOT NULL"
                " AND status IN ('queued', 'processing')",
                (self.jobs.company_id,),
            ).fetchone()[0]
        )

    def refresh_open_jobs(self) -> int:
        """Ask the server for every unfinished submitted job (after a crash or restart)."""
        changed: list[str] = []
        completed: list[AppliedUpdate] = []
        rows = self.jobs.with_status(JobStatus.QUEUED, JobStatus.PROCESSING)
        for job in rows:
            if job.remote_id is None:
                continue
            try:
                self._apply(self._client.get_job(job.remote_id), changed, completed)
            except SyncError as exc:
                log.info("refresh of job %s skipped: %s", job.id, exc.message)
                break
        self._after(changed, completed)
        return len(changed)

    def wait(self, seconds: float) -> None:
        """Wait through the injected sleeper (cut short by any wake-up)."""
        self._sleeper(seconds, self._wake)
        self._wake.clear()

    def seconds_until(self, due: datetime | None) -> float:
        if due is None:
            return IDLE_WAIT
        return min(IDLE_WAIT, max(0.0, (due - self._clock.now()).total_seconds()))

    # -- internals --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                due = self.step()
            except Exception:  # keep syncing; the next round starts from the store again
                log.exception("sync round failed")
                due = self._clock.now() + timedelta(seconds=5)
            if self._stop.is_set():
                break
            self._sleeper(self.seconds_until(due), self._wake)

    def _from_stream(self, item: FeedItem) -> None:
        self._feed.put(item)
        self._wake.set()

    def _drain_feed(self, changed: list[str], completed: list[AppliedUpdate]) -> None:
        while True:
            try:
                item = self._feed.get_nowait()
            except queue.Empty:
                return
            if item.kind == "job" and item.job is not None:
                # The update and the cursor past it commit together, without waiting for
                # the disk: one lost to a power cut comes again from the older cursor.
                with self._store.write(durable=False):
                    self._apply(item.job, changed, completed)
                    moved = self.cursor.advance(item.cursor)
                if moved:  # only once committed: the stream resumes from it
                    self._cursor_now = item.cursor
            elif item.kind == "auth":
                self.connectivity.set(ConnectionState.SIGNED_OUT, reason=item.reason)
            elif item.kind == "connected":
                self._next_poll = None

    def _apply(self, remote: RemoteJob, changed: list[str], completed: list[AppliedUpdate]) -> None:
        update = self.relay.updater.apply(remote)
        if update is None:
            # Not known here yet (its create_job answer is still on its way): the relay
            # applies it together with that answer.
            self._orphans[remote.id] = remote
            if len(self._orphans) > 10_000:
                self._orphans.pop(next(iter(self._orphans)))
            return
        if update.changed:
            changed.append(update.job_id)
        if update.completed_now:
            completed.append(update)

    def _poll(self, changed: list[str], completed: list[AppliedUpdate]) -> datetime | None:
        interval = self.options.poll_interval
        if interval is None:
            return None
        now = self._clock.now()
        if self._next_poll is None or now >= self._next_poll:
            self._next_poll = now + interval
            for _ in range(MAX_POLL_PAGES):
                try:
                    page = self._client.jobs_since(self._cursor_now or "0", limit=100)
                except AuthError as exc:
                    self.connectivity.set(ConnectionState.SIGNED_OUT, reason=exc.message)
                    break
                except SyncError as exc:
                    log.info("polling for job changes failed: %s", exc.message)
                    if exc.code == NETWORK_ERROR and not self._reachable():
                        self.connectivity.went_offline(exc.message)
                    break
                # page by page, one commit each (see _drain_feed): a crash repeats a page
                with self._store.write(durable=False):
                    for remote in page.jobs:
                        self._apply(remote, changed, completed)
                    moved = self.cursor.advance(page.cursor)
                if moved:
                    self._cursor_now = page.cursor
                if not page.has_more:
                    break
        return self._next_poll

    def _reachable(self) -> bool:
        try:
            self._client.health()
        except SyncError:
            return False
        return True

    def _check_state(self) -> None:
        conn = self.connectivity
        now = self._clock.now()
        if conn.until is not None and now < conn.until:
            return
        if conn.state is ConnectionState.OFFLINE:
            try:
                self._client.health()
            except SyncError as exc:
                conn.went_offline(exc.message)
                return
            conn.set(ConnectionState.ONLINE, reason="the server answers again")
            self._stream.reconnect_now()
        elif conn.state is ConnectionState.RATE_LIMITED:
            conn.set(ConnectionState.ONLINE, reason="rate limit wait is over")
        elif conn.state is ConnectionState.QUOTA_PAUSED:
            try:
                usage = self._client.usage()
            except QuotaError as exc:
                conn.set(conn.state, reason=exc.message, until=now + QUOTA_RECHECK)
                return
            except SyncError as exc:
                conn.set(conn.state, reason=conn.reason, until=now + QUOTA_RECHECK)
                log.info("quota check failed: %s", exc.message)
                return
            left = (usage.get("jobs") or {}).get("left")
            if left is None or int(left) > 0:
                conn.set(ConnectionState.ONLINE, reason="the quota allows uploads again")
            else:
                conn.set(conn.state, reason=conn.reason, until=now + QUOTA_RECHECK)

    def _after(self, changed: list[str], completed: list[AppliedUpdate]) -> None:
        if self.options.delete_after_ocr and self._delete_files is not None:
            for update in completed:
                try:
                    self._delete_files(update.media_asset_id)
                except Exception:
                    log.exception("deleting the files of %s after OCR failed", update.job_id)
        if changed:
            ids = tuple(dict.fromkeys(changed))
            self._emit(JobsChanged(job_ids=ids))
            counts = self.jobs.counts(now=self._clock.now()).to_dict()
            self._emit(QueueChanged(counts=counts))

    def _emit(self, event: SyncEvent) -> None:
        try:
            self._listener(event)
        except Exception:
            log.exception("sync listener failed on %r", event)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
