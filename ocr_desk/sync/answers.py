"""The relay's record of what the server answered (ack-then-delete).

An answered outbox row is deleted in the same transaction that records what the
answer taught: the media's and the job's server ids, the job's state as the server
reported it, and a feed update for that job that arrived before the answer
(``early_updates``). A job the server already had for the same document makes this
one a duplicate.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from ocr_desk.core import Clock, JobStatus, format_ts
from ocr_desk.store import Job, JobRepository, MediaRepository, OutboxOp, OutboxRepository, Store

from .remote import RemoteJob
from .sends import Outcome
from .updates import AppliedUpdate, JobUpdater

__all__ = ["Answers"]


class Answers:
    def __init__(
        self,
        *,
        store: Store,
        company_id: str,
        clock: Clock,
        updater: JobUpdater,
        early_updates: dict[str, RemoteJob],
    ) -> None:
        self.store = store
        self.clock = clock
        self.updater = updater
        self.early_updates = early_updates
        self.outbox = OutboxRepository(store, company_id=company_id)
        self.jobs = JobRepository(store, company_id=company_id)
        self.media = MediaRepository(store, company_id=company_id)

    def acknowledge(
        self, outcome: Outcome, changed: list[str], applied: list[AppliedUpdate]
    ) -> None:
        """Record a send the server answered: the remote ids it gave, the job's state
        in that answer (with any feed update that came before it), and the row's ack,
        in one commit that need not wait for the disk (a lost one means a resend)."""
        entry = outcome.entry
        now = self.clock.now()
        updates: list[AppliedUpdate] = []
        with self.store.write(durable=False):
            if outcome.media is not None and entry.media_asset_id:
                self.media.update(entry.media_asset_id, remote_id=outcome.media.id)
            if outcome.job is not None and entry.job_id:
                job = self.jobs.find(entry.job_id)  # None: deleted here while in flight
                if job is not None and OutboxOp(entry.op) is OutboxOp.CREATE_JOB:
                    job = self.record_submission(job, outcome.job, now)
                if job is not None and job.remote_id == outcome.job.id:
                    news = [outcome.job]
                    early = self.early_updates.pop(outcome.job.id, None)
                    if early is not None:
                        news.append(early)
                        news.sort(key=lambda r: _cursor_key(r.cursor))
                    for n, news_item in enumerate(news):
                        update = self.updater.apply(news_item, local=job if n == 0 else None)
                        if update is not None:
                            updates.append(update)
            self.outbox.ack(entry.id)
        if entry.job_id:
            changed.append(entry.job_id)
        applied.extend(updates)
        changed.extend(u.job_id for u in updates if u.changed)

    def record_submission(self, job: Job, remote_job: RemoteJob, now: datetime) -> Job | None:
        raw: dict[str, Any] = dict(remote_job.raw)
        submitted = raw.get("submitted_at") or raw.get("created_at")
        try:
            return self.jobs.update(
                job.id,
                at=now,
                changes={"remote_id": remote_job.id, "submitted_at": submitted or format_ts(now)},
            )
        except sqlite3.IntegrityError:
            # The server answered with a job another local job already stands for
            # (the same document captured twice): this one is a duplicate.
            other = self.jobs.find_by_remote_id(remote_job.id)
            if job.status is JobStatus.QUEUED:
                self.jobs.transition(
                    job.id,
                    JobStatus.CANCELLED,
                    at=now,
                    reason=f"duplicate of job {other.id if other else remote_job.id}",
                    changes={"cancelled_at": now},
                )
            return None


def _cursor_key(cursor: str | None) -> tuple[int, str]:
    if cursor is None:
        return (-1, "")
    return (int(cursor), "") if cursor.isdigit() else (0, cursor)
