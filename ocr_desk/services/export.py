"""Export of the completed receipts as CSV or JSON: one format for the CLI and the window.

A spreadsheet opened from either must have the same columns in the same order, so
both call :func:`export_rows` and :func:`write_export` (or :func:`export_to_file`,
which writes a file atomically: a failed export never leaves half a file behind).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ocr_desk.core import JobStatus, OcrDeskError
from ocr_desk.store import JobRepository, MediaRepository, Store

__all__ = ["EXPORT_COLUMNS", "EXPORT_FORMATS", "export_rows", "export_to_file", "write_export"]

EXPORT_COLUMNS = (
    "job_id",
    "date",
    "merchant",
    "total",
    "tax",
    "currency",
    "job_type",
    "captured_at",
    "completed_at",
    "cost",
    "cost_currency",
    "original_name",
)
EXPORT_FORMATS = ("csv", "json")


def export_rows(
    store: Store, *, company_id: str, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Completed jobs with their fields, oldest capture first; ``since`` filters by capture."""
    media = MediaRepository(store, company_id=company_id)
    rows: list[dict[str, Any]] = []
    for job in JobRepository(store, company_id=company_id).with_status(JobStatus.COMPLETED):
        asset = media.get(job.media_asset_id)
        if since is not None and asset.captured_at < since:
            continue
        rows.append(
            {
                "job_id": job.id,
                "date": job.receipt_date,
                "merchant": job.merchant,
                "total": None if job.total is None else str(job.total),
                "tax": None if job.tax is None else str(job.tax),
                "currency": job.currency,
                "job_type": job.job_type.value,
                "captured_at": asset.captured_at.isoformat(),
                "completed_at": job.completed_at.isoformat() if job.completed_at else None,
                "cost": None if job.cost_amount is None else str(job.cost_amount),
                "cost_currency": job.cost_currency,
                "original_name": asset.original_name,
            }
        )
    rows.sort(key=lambda r: (r["captured_at"], r["job_id"]))
    return rows


def write_export(rows: list[dict[str, Any]], fmt: str, handle: TextIO) -> None:
    """``rows`` as CSV (empty cells for missing values) or as a JSON array."""
    if fmt == "json":
        json.dump(rows, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    else:
        raise OcrDeskError(
            f"unknown export format {fmt!r}: choose csv or json", code="BAD_EXPORT_FORMAT"
        )


def export_to_file(
    store: Store, *, company_id: str, path: Path, fmt: str, since: datetime | None = None
) -> int:
    """Write the export to ``path`` atomically; returns how many receipts it holds."""
    rows = export_rows(store, company_id=company_id, since=since)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            write_export(rows, fmt, handle)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)
