"""The outbox relay: sends outbox rows to the server exactly once, in order per job.

Rows are grouped by media asset (else job): within a group they go one at a time
in ``seq`` order (media before job before cancel); different groups go in parallel
through a small thread pool. Every request carries the row's id as its
``Idempotency-Key``, and a row is deleted only after the server's answer has been
recorded (ack-then-delete, in one transaction with what the answer taught us), so
a crash or a lost answer leads to a resend that the server recognizes. A capture's
``upload_media`` and ``create_job`` rows go as one request (``POST /v1/captures``,
keyed by the job's row, both acknowledged in one commit), and the pool is refilled
with other groups before this thread records answers, so the local fsyncs overlap
the network.

How answers are treated (DESIGN.md, The outbox):

- no answer at all: probe ``/healthz``; when that fails too, go ``offline`` and spend
  no retries; when it works, count the failure like a 5xx;
- 5xx and 429: try again after 1 s, 5 s, 15 s (429: after ``Retry-After``), then
  the job becomes ``failed`` with the reason and waits for the retry button;
- 401 -> ``signed_out``; 402 -> ``quota_paused``; nothing is spent or lost;
- other 4xx: the job fails at once with the server's message.

Only the relay's own thread touches SQLite; the pool threads only talk HTTP.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ocr_desk.core import (
    AuthError,
    Clock,
    JobStatus,
    OcrDeskError,
    QuotaError,
    SyncError,
    TransientSyncError,
)
from ocr_desk.store import (
    Job,
    JobRepository,
    MediaRepository,
    OutboxEntry,
    OutboxOp,
    OutboxRepository,
    Store,
)

from .answers import Answers
from .client import NETWORK_ERROR, ApiClient, RemoteJob, RemoteMedia
from .connectivity import QUOTA_RECHECK, Connectivity
from .events import ConnectionState
from .sends import Outcome, capture_call, create_call, guarded, upload_call
from .setbacks import Setbacks
from .updates import AppliedUpdate, JobUpdater

__all__ = ["MediaSource", "Outcome", "Relay", "RelayReport"]

log = logging.getLogger(__name__)


class MediaSource(Protocol):
    """What the relay needs of the media store (``ocr_desk.media``)."""

    def upload_file(self, asset_id: str, version: str | None = None) -> tuple[Path, str]:
        """The file to upload for an asset (``version``, else the one the settings pick)
        and its MIME type."""
        ...


UploadPicker = Callable[[str, str | None], tuple[Path, str]]


@dataclass(frozen=True, slots=True)
class RelayReport:
    """What one :meth:`Relay.pump` did and when something is next due."""

    sent: int
    changed_jobs: tuple[str, ...]
    completed: tuple[AppliedUpdate, ...]
    next_due: datetime | None


class Relay:
    """Drains one company's outbox through an :class:`ApiClient`."""

    def __init__(
        self,
        *,
        store: Store,
        company_id: str,
        client: ApiClient,
        clock: Clock,
        connectivity: Connectivity,
        upload_file: UploadPicker | None = None,
        pool_size: int = 4,
        early_updates: dict[str, RemoteJob] | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._clock = clock
        self._conn = connectivity
        self._upload_file = upload_file
        self.pool_size = pool_size
        self.early_updates: dict[str, RemoteJob] = {} if early_updates is None else early_updates
        """Feed updates of jobs whose ``create_job`` answer had not been recorded yet;
        applied in the same transaction as that answer, so a crash in between loses none."""
        self.outbox = OutboxRepository(store, company_id=company_id)
        self.jobs = JobRepository(store, company_id=company_id)
        self.media = MediaRepository(store, company_id=company_id)
        self.updater = JobUpdater(store, company_id=company_id, clock=clock)
        self.answers = Answers(
            store=store,
            company_id=company_id,
            clock=clock,
            updater=self.updater,
            early_updates=self.early_updates,
        )
        self.setbacks = Setbacks(
            store=store, company_id=company_id, clock=clock, connectivity=connectivity
        )
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="ocr-upload")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the loop ------------------------------------------------------------------

    def pump(self) -> RelayReport:
        """Send every row that is due now, keeping per-group order; returns what it did."""
        groups: dict[str, deque[OutboxEntry]] = {}
        for entry in self.outbox.pending():
            groups.setdefault(_group(entry), deque()).append(entry)
        in_flight: dict[Future[list[Outcome]], str] = {}
        sent = 0
        changed: list[str] = []
        remote: list[AppliedUpdate] = []
        next_due: datetime | None = None
        answered: set[str] = set()
        while True:
            next_due = self._fill(groups, in_flight, answered, changed, next_due)
            if not in_flight:
                break
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            outcomes = [(in_flight.pop(future), future.result()) for future in done]
            if all(o.error is None for _, results in outcomes for o in results):
                # Keep the pool busy with other groups while this thread records the
                # answers (a commit with an fsync of the local store). After an error,
                # it is settled first: it may mean offline, signed out or a full quota.
                answered = {key for key, _ in outcomes}
                next_due = self._fill(groups, in_flight, answered, changed, next_due)
                answered = set()
            sent += sum(len(results) for _, results in outcomes)
            acked = [(k, o) for k, results in outcomes for o in results if o.error is None]
            if acked:
                # One commit for every answer that arrived, not waiting for the disk: a
                # lost acknowledgement only means a resend, which the server answers
                # from its idempotency record (Store.write).
                with self._store.write(durable=False):
                    for key, outcome in acked:
                        self.answers.acknowledge(outcome, changed, remote)
                        groups[key].popleft()
            for key, results in outcomes:
                for outcome in results:
                    if outcome.error is None:
                        continue
                    if self._settle(outcome, changed):
                        groups[key].popleft()
                    else:
                        fresh = self.outbox.get(outcome.entry.id)
                        if fresh is not None and fresh.next_attempt_at is not None:
                            groups[key][0] = fresh
                            next_due = _earliest(next_due, fresh.next_attempt_at)
                        else:
                            groups[key].clear()
                if not groups[key]:
                    del groups[key]  # so a refill never walks past drained groups
        if sent and self._conn.can_send:
            self._conn.synced()
        return RelayReport(
            sent=sent,
            changed_jobs=tuple(dict.fromkeys(changed)),
            completed=tuple(u for u in remote if u.completed_now),
            next_due=next_due,
        )

    def _fill(
        self,
        groups: dict[str, deque[OutboxEntry]],
        in_flight: dict[Future[list[Outcome]], str],
        skip: set[str],
        changed: list[str],
        next_due: datetime | None,
    ) -> datetime | None:
        """Start the head row of idle groups until ``pool_size`` sends are in flight.

        A group in flight, or in ``skip`` (its answer is not recorded yet), waits: its
        next row may depend on that answer. Returns the earliest time a row waits for.
        """
        if not self._conn.can_send:
            return next_due
        busy = set(in_flight.values()) | skip
        emptied: list[str] = []
        for key, rows in groups.items():
            if len(in_flight) >= self.pool_size:
                break
            if key in busy:
                continue
            while rows:
                head = rows[0]
                if head.next_attempt_at is not None and head.next_attempt_at > self._clock.now():
                    next_due = _earliest(next_due, head.next_attempt_at)
                    break
                try:
                    prepared = self._prepare_group(rows, changed)
                except _NoMediaStore as exc:
                    log.warning("outbox row %s waits: %s", head.id, exc)
                    rows.clear()
                    break
                except OcrDeskError as exc:  # the local file or row is unusable
                    self.setbacks.reject(head, exc, changed)
                    prepared = None
                if prepared is not None:
                    task, sending = prepared
                    first_time = [e.id for e in sending if not e.payload.get("sent")]
                    if first_time:
                        with self._store.write(durable=False):
                            self.outbox.mark_sent(first_time)
                    in_flight[self._pool.submit(task)] = key
                    break
                # settled locally: dropped (go on with the next row) or blocked (wait)
                if self.outbox.get(head.id) is None:
                    rows.popleft()
                    continue
                rows.clear()  # blocked: the rest of the group waits too
            if not rows:
                emptied.append(key)
        for key in emptied:
            del groups[key]
        return next_due

    def _prepare_group(
        self, rows: deque[OutboxEntry], changed: list[str]
    ) -> tuple[Callable[[], list[Outcome]], list[OutboxEntry]] | None:
        """The pool task for the group's head row and the rows it sends, or None when the
        row is dropped or waits.

        A capture's ``upload_media`` row and the ``create_job`` row after it go as one
        request (``POST /v1/captures``, keyed by the job row's id), both acknowledged in
        one commit: one round trip per capture instead of two.
        """
        head = rows[0]
        after = rows[1] if len(rows) > 1 else None
        if after is not None and self._is_capture(head, after):
            job = self._check(head, changed)
            if job is None:
                return None
            return self._capture_call(head, after, job), [head, after]
        first = self._prepare(head, changed)
        if first is None:
            return None
        return (lambda: [first()]), [head]

    def _is_capture(self, upload: OutboxEntry, create: OutboxEntry) -> bool:
        """``create`` is the job of ``upload``'s media, due now, and goes right after it."""
        return (
            OutboxOp(upload.op) is OutboxOp.UPLOAD_MEDIA
            and OutboxOp(create.op) is OutboxOp.CREATE_JOB
            and create.job_id is not None
            and create.job_id == upload.job_id
            and create.media_asset_id is not None
            and create.media_asset_id == upload.media_asset_id
            and (create.next_attempt_at is None or create.next_attempt_at <= self._clock.now())
        )

    def _capture_call(
        self, upload: OutboxEntry, create: OutboxEntry, job: Job
    ) -> Callable[[], list[Outcome]]:
        asset = self.media.get(upload.media_asset_id or "")
        path, mime = self._file_for(asset.id, upload.payload.get("version"))
        job_type, metadata, force = _job_args(create, job)
        return capture_call(
            self._client,
            upload,
            create,
            asset,
            path,
            mime,
            job_type=job_type,
            metadata=metadata,
            force=force,
        )

    # -- one row: prepare (here), send (pool thread), settle (here) --------------------

    def _check(self, entry: OutboxEntry, changed: list[str]) -> Job | None:
        """The row's job when an upload or create may go now; None when the row was
        dropped (its job is gone, or was cancelled before the server had it) or waits
        (its job failed: the retry button sends it again)."""
        job = self.jobs.find(entry.job_id) if entry.job_id else None
        if job is None:
            self._drop(entry, "its job no longer exists")
            return None
        if job.status is JobStatus.CANCELLED and job.remote_id is None:
            if not any(e.payload.get("sent") for e in self.outbox.for_job(job.id)):
                self._drop(entry, "the job was cancelled before it reached the server")
                return None
            # It was sent and no answer came: the server may have it. Sending it again
            # gets its id (an idempotent replay), and the cancel row after it follows.
            return job
        if job.status is JobStatus.FAILED:
            return None
        return job

    def _prepare(self, entry: OutboxEntry, changed: list[str]) -> Callable[[], Outcome] | None:
        """The send to run in the pool, or None when the row is dropped or must wait."""
        op = OutboxOp(entry.op)
        if op in (OutboxOp.UPLOAD_MEDIA, OutboxOp.CREATE_JOB) and entry.job_id:
            job = self._check(entry, changed)
            if job is None:
                return None
        else:
            job = self.jobs.find(entry.job_id) if entry.job_id else None
            if entry.job_id and job is None and op is not OutboxOp.DELETE_MEDIA:
                self._drop(entry, "its job no longer exists")
                return None
        if op is OutboxOp.CANCEL_JOB and job is not None and job.remote_id is None:
            self._drop(entry, "the server never had this job")
            return None
        client = self._client
        if op is OutboxOp.UPLOAD_MEDIA:
            upload = self._upload_args(
                entry.media_asset_id or "", key=entry.id, version=entry.payload.get("version")
            )
            return guarded(entry, lambda: Outcome(entry=entry, media=upload()))
        if op is OutboxOp.CREATE_JOB:
            assert job is not None
            return guarded(entry, self._create_call(entry, job))
        if op in (OutboxOp.CANCEL_JOB, OutboxOp.RETRY_JOB):
            assert job is not None
            if job.remote_id is None:
                self._drop(entry, "the server never had this job")
                return None
            remote_id = job.remote_id
            call = client.cancel_job if op is OutboxOp.CANCEL_JOB else client.retry_job
            return guarded(
                entry, lambda: Outcome(entry=entry, job=call(remote_id, idempotency_key=entry.id))
            )
        if op is OutboxOp.DELETE_MEDIA:
            remote_media = entry.payload.get("remote_id")
            if not remote_media and entry.media_asset_id:
                found = self._store.query(
                    "SELECT remote_id FROM media_assets WHERE id = ?", (entry.media_asset_id,)
                )
                remote_media = found[0]["remote_id"] if found else None
            if not remote_media:
                self._drop(entry, "the server never had this media")
                return None
            media_id = str(remote_media)

            def delete() -> Outcome:
                client.delete_media(media_id, idempotency_key=entry.id)
                return Outcome(entry=entry)

            return guarded(entry, delete)
        self._drop(entry, f"unknown outbox operation {entry.op!r}")
        return None

    def _create_call(self, entry: OutboxEntry, job: Job) -> Callable[[], Outcome]:
        """The job's ``POST /v1/jobs`` with the asset's recorded remote id, uploading the
        file first when the server has none yet."""
        asset = self.media.get(job.media_asset_id)
        upload_first = None
        if asset.remote_id is None:
            upload_first = self._upload_args(asset.id, key=f"{entry.id}.media")
        job_type, metadata, force = _job_args(entry, job)
        return create_call(
            self._client,
            entry,
            job_type=job_type,
            metadata=metadata,
            force=force,
            remote_media=asset.remote_id,
            upload_first=upload_first,
        )

    def _file_for(self, asset_id: str, version: str | None = None) -> tuple[Path, str]:
        if self._upload_file is None:
            raise _NoMediaStore("no media store configured: captured files cannot be read")
        return self._upload_file(asset_id, version)

    def _upload_args(
        self, asset_id: str, *, key: str, version: str | None = None
    ) -> Callable[[], RemoteMedia]:
        asset = self.media.get(asset_id)
        path, mime = self._file_for(asset_id, version)
        return upload_call(self._client, asset, path, mime, key=key)

    def _drop(self, entry: OutboxEntry, why: str) -> None:
        log.info("outbox row %s (%s) dropped: %s", entry.id, entry.op, why)
        with self._store.write():
            self.outbox.ack(entry.id)

    def _settle(self, outcome: Outcome, changed: list[str]) -> bool:
        """Record a failed send; True when the row is done (dropped), False when it waits."""
        entry, error = outcome.entry, outcome.error
        assert error is not None  # answered rows are acknowledged in pump()
        if isinstance(error, AuthError):
            self._conn.set(ConnectionState.SIGNED_OUT, reason=error.message)
            return False
        if isinstance(error, QuotaError):
            self._conn.set(
                ConnectionState.QUOTA_PAUSED,
                reason=error.message,
                until=self._clock.now() + _quota_recheck(),
            )
            return False
        if isinstance(error, TransientSyncError):
            if error.code == NETWORK_ERROR:
                if not self._conn.can_send:
                    return False  # already offline: another upload noticed first
                if not self._healthy():
                    self._conn.went_offline(error.message)
                    return False
            return self.setbacks.backoff(entry, error, changed)
        return self.setbacks.reject(entry, error, changed)

    def _healthy(self) -> bool:
        try:
            self._client.health()
        except SyncError:
            return False
        return True


class _NoMediaStore(Exception):
    """The relay was built without a way to read captured files: uploads wait."""


def _job_args(entry: OutboxEntry, job: Job) -> tuple[str, Any, bool]:
    """A create row's job type, metadata and ``force``: its payload, else the job's."""
    payload = entry.payload
    job_type = str(payload.get("job_type", job.job_type.value))
    return job_type, payload.get("metadata", job.metadata), bool(payload.get("force", False))


def _group(entry: OutboxEntry) -> str:
    return entry.media_asset_id or entry.job_id or entry.id


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _quota_recheck() -> timedelta:
    return QUOTA_RECHECK
