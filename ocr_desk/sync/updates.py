"""Applying the server's view of a job to the local store, through the transition table.

A remote update may skip states the local copy never saw (``queued`` locally,
``completed`` remotely): :func:`ocr_desk.core.transition_path` gives the chain of
allowed steps, each recorded as a job event. Results, confidence and cost come with
the completion; the cost is recorded once per completion (``source_key``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocr_desk.core import (
    FINAL_STATUSES,
    Clock,
    InvalidStatusError,
    JobStatus,
    ReceiptResult,
    parse_amount,
    parse_ts,
    transition_path,
)
from ocr_desk.store import CostRepository, Job, JobRepository, Store, result_columns

from .client import RemoteJob

__all__ = ["AppliedUpdate", "JobUpdater"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppliedUpdate:
    """What applying one remote job did locally."""

    job_id: str
    media_asset_id: str
    status: JobStatus
    changed: bool
    completed_now: bool


class JobUpdater:
    """Writes remote job states into the local store of one company."""

    def __init__(self, store: Store, *, company_id: str, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.jobs = JobRepository(store, company_id=company_id)
        self.costs = CostRepository(store, company_id=company_id)

    def apply(self, remote: RemoteJob, *, local: Job | None = None) -> AppliedUpdate | None:
        """Bring the local job with ``remote_id == remote.id`` to the remote state.

        Returns None when no local job knows that remote id (yet). Updates the
        local store in one transaction; a status the table cannot reach from the
        local one (a job cancelled here, completed there) is logged and left.
        ``local``, when given, is that job as read inside the caller's open transaction.
        """
        with self._store.write():
            job = local if local is not None else self.jobs.find_by_remote_id(remote.id)
            if job is None:
                return None
            try:
                target = JobStatus(remote.status)
            except ValueError:
                log.warning("job %s: unknown remote status %r ignored", job.id, remote.status)
                return _same(job)
            if job.status == target or job.status in FINAL_STATUSES:
                if target is JobStatus.COMPLETED and job.status is JobStatus.COMPLETED:
                    self._record_cost(job, remote.raw)
                return _same(job)
            try:
                path = transition_path(job.status, target)
            except InvalidStatusError as exc:
                log.warning("job %s: remote %s not applied: %s", job.id, target, exc)
                return _same(job)
            raw = remote.raw
            for step in path:
                job = self.jobs.transition(
                    job.id,
                    step,
                    at=self._clock.now(),
                    reason=_reason(step, raw),
                    changes=_changes(step, raw, self._clock.now()),
                )
            if target is JobStatus.COMPLETED:
                self._record_cost(job, raw)
            return AppliedUpdate(
                job_id=job.id,
                media_asset_id=job.media_asset_id,
                status=job.status,
                changed=True,
                completed_now=target is JobStatus.COMPLETED,
            )

    def _record_cost(self, job: Job, raw: Mapping[str, Any]) -> None:
        cost = raw.get("cost")
        if not isinstance(cost, Mapping):
            return
        amount = parse_amount(cost.get("amount"))
        if amount is None:
            return
        currency = str(cost.get("currency") or "USD")
        pages = parse_amount(cost.get("pages")) or Decimal(1)
        entry = self.costs.add(
            job_id=job.id,
            amount=amount,
            currency=currency,
            units=pages,
            unit_kind="page",
            at=self._clock.now(),
            description="OCR on the server",
            source_key=f"server-job:{raw.get('id')}:{raw.get('completed_at')}",
        )
        if entry is None:
            return
        total = sum((e.amount for e in self.costs.for_job(job.id)), Decimal(0))
        self.jobs.update(
            job.id,
            at=self._clock.now(),
            changes={"cost_amount": total, "cost_currency": entry.currency},
        )


def _same(job: Job) -> AppliedUpdate:
    return AppliedUpdate(
        job_id=job.id,
        media_asset_id=job.media_asset_id,
        status=job.status,
        changed=False,
        completed_now=False,
    )


def _when(raw: Mapping[str, Any], name: str, default: datetime) -> datetime:
    value = raw.get(name)
    if not value:
        return default
    try:
        return parse_ts(str(value))
    except ValueError:
        return default


def _error(raw: Mapping[str, Any]) -> tuple[str, str]:
    error = raw.get("error")
    if isinstance(error, Mapping):
        return str(error.get("code") or "OCR_FAILED"), str(error.get("message") or "")
    return "OCR_FAILED", "the server could not process this document"


def _reason(step: JobStatus, raw: Mapping[str, Any]) -> str:
    if step is JobStatus.FAILED:
        return f"server: {_error(raw)[1]}"
    return f"server: {step.value}"


def _changes(step: JobStatus, raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    if step is JobStatus.PROCESSING:
        return {"started_at": _when(raw, "started_at", now)}
    if step is JobStatus.QUEUED:
        return {"started_at": None, "failed_at": None, "error_code": None, "last_error": None}
    if step is JobStatus.FAILED:
        code, message = _error(raw)
        return {
            "failed_at": _when(raw, "failed_at", now),
            "error_code": code,
            "last_error": message,
            "retryable": False,  # the server already retried; the retry button sends it again
        }
    if step is JobStatus.CANCELLED:
        return {"cancelled_at": _when(raw, "cancelled_at", now)}
    changes: dict[str, Any] = {
        "completed_at": _when(raw, "completed_at", now),
        "error_code": None,
        "last_error": None,
        "confidence": raw.get("confidence"),
    }
    result = raw.get("result")
    if isinstance(result, Mapping):
        changes.update(result_columns(ReceiptResult.from_dict(result)))
    return changes
