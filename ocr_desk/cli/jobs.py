"""``ocr-desk status`` and ``ocr-desk jobs``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ocr_desk.core import JobStatus
from ocr_desk.store import Job

from ._base import add_json_flag, open_context, print_json, print_table
from .media import storage_lines

__all__ = ["register"]


def register(sub: Any) -> None:
    status = sub.add_parser("status", help="show the queue: queued, processing, failed, done")
    add_json_flag(status)
    status.set_defaults(handler=cmd_status)

    jobs = sub.add_parser("jobs", help="list jobs, newest first")
    jobs.add_argument("--status", choices=[s.value for s in JobStatus], help="only this status")
    jobs.add_argument("--limit", type=int, default=None, help="at most this many")
    add_json_flag(jobs)
    jobs.set_defaults(handler=cmd_jobs)


def cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        service = ctx.job_service()
        counts = service.queue_status()
        month = ctx.clock.now().strftime("%Y-%m")
        costs = service.monthly_costs(month=month)
        usage = ctx.media_library().storage_usage()
        if args.json:
            print_json(
                {
                    "company_id": ctx.company_id,
                    "data_dir": str(ctx.data_dir),
                    "queue": counts.to_dict(),
                    "cost_this_month": [c.to_dict() for c in costs],
                    "storage": usage.to_dict(),
                },
                out,
            )
            return 0
        out.write(f"OCR Desk queue ({ctx.data_dir})\n")
        for label, value in (
            ("queued", counts.queued),
            ("processing", counts.processing),
            ("failed", counts.failed),
            ("completed (24 h)", counts.completed_24h),
            ("waiting for upload", counts.waiting_upload),
        ):
            out.write(f"  {label:<20}{value:>8}\n")
        for cost in costs:
            out.write(f"  {'cost ' + cost.month:<20}{cost.amount:>8} {cost.currency}\n")
        for line in storage_lines(usage):
            out.write(line + "\n")
        return 0


def cmd_jobs(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        service = ctx.job_service()
        jobs = service.list_jobs(status=args.status, limit=args.limit)
        if args.json:
            print_json([_job_dict(j) for j in jobs], out)
            return 0
        if not jobs:
            out.write("no jobs\n")
            return 0
        short = service.short_ids(j.id for j in jobs)
        rows = [
            [
                short[j.id],
                j.created_at.strftime("%Y-%m-%d %H:%M"),
                j.job_type.value,
                j.status.value,
                j.merchant or "",
                "" if j.total is None else str(j.total),
                j.last_error or "",
            ]
            for j in jobs
        ]
        headers = ["id", "created", "type", "status", "merchant", "total", "error"]
        print_table(rows, headers, out)
        return 0


def _job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "media_asset_id": job.media_asset_id,
        "job_type": job.job_type.value,
        "status": job.status.value,
        "created_at": job.created_at.isoformat(),
        "submitted_at": job.submitted_at.isoformat() if job.submitted_at else None,
        "completed_at": job.completed_at.isoformat() if job.completed_at else None,
        "failed_at": job.failed_at.isoformat() if job.failed_at else None,
        "retry_count": job.retry_count,
        "error_code": job.error_code,
        "last_error": job.last_error,
        "merchant": job.merchant,
        "date": job.receipt_date,
        "total": None if job.total is None else str(job.total),
        "tax": None if job.tax is None else str(job.tax),
        "currency": job.currency,
        "cost": None if job.cost_amount is None else str(job.cost_amount),
        "metadata": job.metadata,
    }
