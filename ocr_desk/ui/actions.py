"""What the job buttons do, run on a worker thread with that thread's store.

Each action is one call of the job service (one transaction with its outbox rows)
and answers with the ids it touched, so the list updates just those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocr_desk.app import AppContext
from ocr_desk.core import InvalidStatusError, JobStatus, OcrDeskError
from ocr_desk.store import OutboxRepository, Store

__all__ = ["ActionResult", "run"]

ACTIVE = (JobStatus.QUEUED, JobStatus.PROCESSING)


@dataclass(frozen=True, slots=True)
class ActionResult:
    job_ids: tuple[str, ...]
    message: str


def run(ctx: AppContext, store: Store, name: str, ids: Sequence[str]) -> ActionResult:
    service = ctx.job_service(store)
    if name == "retry_failed":
        failed = [job.id for job in service.jobs.with_status(JobStatus.FAILED)]
        n = service.retry_all_failed()
        return ActionResult(tuple(failed), f"{n} failed job(s) queued again.")
    done: list[str] = []
    problems: list[str] = []
    for job_id in ids:
        try:
            if name == "retry":
                service.retry(job_id)
            elif name == "cancel":
                service.cancel(job_id)
            elif name == "delete":
                _delete(ctx, store, job_id)
            else:
                raise ValueError(f"unknown action {name!r}")
            done.append(job_id)
        except OcrDeskError as exc:
            problems.append(exc.message)
    verb = {"retry": "queued again", "cancel": "cancelled", "delete": "deleted"}[name]
    message = f"{len(done)} job(s) {verb}."
    if problems:
        message += f" {len(problems)} skipped: {problems[0]}"
    return ActionResult(tuple(ids), message)


def _delete(ctx: AppContext, store: Store, job_id: str) -> None:
    """Delete a job from this computer.

    A job the server has and still works on is cancelled there first; delete it
    once that is confirmed. A job the server never saw is dropped with its
    unsent outbox rows, so nothing is uploaded for it.
    """
    service = ctx.job_service(store)
    outbox = OutboxRepository(store, company_id=ctx.company_id)
    job = service.get(job_id)
    if job.remote_id is not None and job.status in ACTIVE:
        raise InvalidStatusError(
            f"job {job_id} is still {job.status} on the server: cancel it first, then delete it"
        )
    with store.write():
        if job.remote_id is None:
            store.conn.execute(
                "DELETE FROM outbox WHERE company_id = ? AND job_id = ?", (ctx.company_id, job_id)
            )
        elif outbox.for_job(job_id):
            raise InvalidStatusError(
                f"job {job_id} still has changes on their way to the server; "
                "delete it after the next sync"
            )
        service.jobs.delete(job_id)
