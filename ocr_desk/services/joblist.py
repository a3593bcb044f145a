"""Reads behind the desktop job list: pages, rows by id, counts, storage use. No Qt.

The GUI shows thousands of jobs; it fetches them a page at a time and re-reads
only the rows whose ids changed. Sorting, filtering by status and searching run in
SQL so the list never has to hold every job to sort or filter it. These functions
run on worker threads, each with that thread's own :class:`Store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ocr_desk.core import JobStatus, parse_ts
from ocr_desk.store import Store

__all__ = [
    "THUMBNAIL_VERSION",
    "WEBP_VERSION",
    "JobQuery",
    "JobRow",
    "SortKey",
    "count_rows",
    "fetch_page",
    "fetch_rows",
    "media_file",
    "storage_bytes",
]

THUMBNAIL_VERSION = "thumbnail"
WEBP_VERSION = "display"
"""The WebP display version (``ocr_desk.media.VersionKind.DISPLAY``)."""


class SortKey(StrEnum):
    CAPTURED_AT = "captured_at"
    JOB_TYPE = "job_type"
    STATUS = "status"
    MERCHANT = "merchant"
    DATE = "receipt_date"
    TOTAL = "total"
    COST = "cost"
    ERROR = "last_error"


_ORDER = {
    # A job is created in the capture's transaction: its index-backed created_at
    # keeps capture order, so the first page of 10,000 jobs is a short index scan.
    SortKey.CAPTURED_AT: "j.created_at",
    SortKey.JOB_TYPE: "j.job_type",
    SortKey.STATUS: "j.status",
    SortKey.MERCHANT: "j.merchant COLLATE NOCASE",
    SortKey.DATE: "j.receipt_date",
    SortKey.TOTAL: "CAST(j.total AS REAL)",
    SortKey.COST: "CAST(j.cost_amount AS REAL)",
    SortKey.ERROR: "j.last_error",
}


@dataclass(frozen=True, kw_only=True)
class JobQuery:
    """What the list shows: an optional status, a search text and a sort order."""

    status: JobStatus | None = None
    search: str = ""
    sort: SortKey = SortKey.CAPTURED_AT
    descending: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRow:
    """One line of the job list: only what the table shows, safe to send through signals."""

    id: str
    media_asset_id: str
    captured_at: datetime
    job_type: str
    status: JobStatus
    merchant: str | None
    receipt_date: str | None
    total: str | None
    currency: str | None
    cost: str | None
    cost_currency: str | None
    last_error: str | None
    original_name: str | None
    thumbnail: str | None
    """The thumbnail's path relative to the media folder, when there is one."""


_SELECT = f"""
SELECT j.id, j.media_asset_id, m.captured_at, j.job_type, j.status, j.merchant,
       j.receipt_date, j.total, j.currency, j.cost_amount, j.cost_currency, j.last_error,
       m.original_name,
       (SELECT f.relpath FROM media_files f WHERE f.asset_id = j.media_asset_id
          AND f.version = '{THUMBNAIL_VERSION}' ORDER BY f.page LIMIT 1) AS thumbnail
FROM ocr_jobs j JOIN media_assets m ON m.id = j.media_asset_id
WHERE j.company_id = ?
"""


def _row(r: Sequence[Any]) -> JobRow:
    return JobRow(
        id=r[0],
        media_asset_id=r[1],
        captured_at=parse_ts(r[2]),
        job_type=r[3],
        status=JobStatus(r[4]),
        merchant=r[5],
        receipt_date=r[6],
        total=r[7],
        currency=r[8],
        cost=r[9],
        cost_currency=r[10],
        last_error=r[11],
        original_name=r[12],
        thumbnail=r[13],
    )


def _where(query: JobQuery) -> tuple[str, list[Any]]:
    sql = ""
    params: list[Any] = []
    if query.status is not None:
        sql += " AND j.status = ?"
        params.append(query.status.value)
    text = query.search.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += (
            " AND (j.merchant LIKE ? ESCAPE '\\' OR m.original_name LIKE ? ESCAPE '\\'"
            " OR j.receipt_date LIKE ? ESCAPE '\\' OR j.total LIKE ? ESCAPE '\\'"
            " OR j.last_error LIKE ? ESCAPE '\\' OR j.id LIKE ? ESCAPE '\\')"
        )
        params += [like] * 6
    return sql, params


def fetch_page(
    store: Store, *, company_id: str, query: JobQuery, offset: int, limit: int
) -> list[JobRow]:
    """One page of the list in the query's order."""
    where, params = _where(query)
    direction = "DESC" if query.descending else "ASC"
    order = f"{_ORDER[query.sort]} {direction}, j.id {direction}"
    sql = f"{_SELECT}{where} ORDER BY {order} LIMIT ? OFFSET ?"
    cursor = store.conn.execute(sql, [company_id, *params, limit, offset])
    return [_row(r) for r in cursor.fetchall()]


def count_rows(store: Store, *, company_id: str, query: JobQuery) -> int:
    """How many jobs the query matches (the list's length)."""
    where, params = _where(query)
    if query.search.strip():
        sql = "SELECT COUNT(*) FROM ocr_jobs j JOIN media_assets m ON m.id = j.media_asset_id"
    else:  # no search: the status index answers alone
        sql = "SELECT COUNT(*) FROM ocr_jobs j"
    sql += f" WHERE j.company_id = ?{where}"
    return int(store.conn.execute(sql, [company_id, *params]).fetchone()[0])


def fetch_rows(
    store: Store, *, company_id: str, ids: Sequence[str], query: JobQuery | None = None
) -> list[JobRow]:
    """The rows of these job ids that still exist (and match ``query`` when given)."""
    out: list[JobRow] = []
    where, params = _where(query) if query is not None else ("", [])
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        sql = f"{_SELECT} AND j.id IN ({marks}){where}"
        cursor = store.conn.execute(sql, [company_id, *chunk, *params])
        out += [_row(r) for r in cursor.fetchall()]
    return out


def media_file(store: Store, *, asset_id: str, version: str, page: int = 0) -> str | None:
    """The relative path of one stored version of an asset, if it is (still) on disk."""
    row = store.conn.execute(
        "SELECT relpath FROM media_files WHERE asset_id = ? AND version = ? AND page = ?",
        (asset_id, version, page),
    ).fetchone()
    return None if row is None else str(row[0])


def storage_bytes(store: Store, *, company_id: str) -> int:
    """Bytes of every stored media file of the company (the status panel's local storage)."""
    row = store.conn.execute(
        "SELECT COALESCE(SUM(size_bytes), 0) FROM media_files WHERE company_id = ?",
        (company_id,),
    ).fetchone()
    return int(row[0])
