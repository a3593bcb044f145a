"""The outbox: local changes the server must learn of, written with the change itself.

A row is removed only after the server acknowledged it (:meth:`OutboxRepository.ack`),
so a crash or a lost response never loses work; the row's ``id`` travels as the
``Idempotency-Key`` so a resend never duplicates it. Rows of one job are sent in
``seq`` order (media before job before cancel).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from ocr_desk.core import format_ts

from .database import Store
from .records import OutboxEntry, new_id, to_json

__all__ = ["OutboxOp", "OutboxRepository"]


class OutboxOp(StrEnum):
    UPLOAD_MEDIA = "upload_media"
    CREATE_JOB = "create_job"
    CANCEL_JOB = "cancel_job"
    RETRY_JOB = "retry_job"
    DELETE_MEDIA = "delete_media"


class OutboxRepository:
    """Outbox rows of one company."""

    def __init__(self, store: Store, *, company_id: str) -> None:
        self._store = store
        self.company_id = company_id

    def add(
        self,
        op: OutboxOp,
        *,
        at: datetime,
        job_id: str | None = None,
        media_asset_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> OutboxEntry:
        """Append a row; call inside the same ``Store.write()`` as the change it reports."""
        entry_id = new_id()
        kind = OutboxOp(op).value
        body = dict(payload or {})
        cursor = self._store.conn.execute(
            "INSERT INTO outbox (id, company_id, op, job_id, media_asset_id, payload, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry_id, self.company_id, kind, job_id, media_asset_id, to_json(body), format_ts(at)),
        )
        return OutboxEntry(
            seq=int(cursor.lastrowid or 0),
            id=entry_id,
            company_id=self.company_id,
            op=kind,
            job_id=job_id,
            media_asset_id=media_asset_id,
            payload=body,
            created_at=at,
        )

    def pending(self, *, limit: int | None = None) -> list[OutboxEntry]:
        """All rows in send order."""
        sql = "SELECT * FROM outbox WHERE company_id = ? ORDER BY seq"
        params: list[Any] = [self.company_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [OutboxEntry.from_row(r) for r in self._store.query(sql, params)]

    def for_job(self, job_id: str) -> list[OutboxEntry]:
        rows = self._store.query(
            "SELECT * FROM outbox WHERE company_id = ? AND job_id = ? ORDER BY seq",
            (self.company_id, job_id),
        )
        return [OutboxEntry.from_row(r) for r in rows]

    def for_media(self, media_asset_id: str) -> list[OutboxEntry]:
        rows = self._store.query(
            "SELECT * FROM outbox WHERE company_id = ? AND media_asset_id = ? ORDER BY seq",
            (self.company_id, media_asset_id),
        )
        return [OutboxEntry.from_row(r) for r in rows]

    def get(self, entry_id: str) -> OutboxEntry | None:
        rows = self._store.query(
            "SELECT * FROM outbox WHERE company_id = ? AND id = ?", (self.company_id, entry_id)
        )
        return OutboxEntry.from_row(rows[0]) if rows else None

    def mark_sent(self, entry_ids: list[str]) -> None:
        """Note in each row's payload (``"sent": true``) that it is going to the server:
        from then on its request may have reached the server even if no answer came."""
        if not entry_ids:
            return
        marks = ", ".join("?" for _ in entry_ids)
        self._store.conn.execute(
            "UPDATE outbox SET payload = json_set(COALESCE(payload, '{}'), '$.sent', json('true'))"
            f" WHERE company_id = ? AND id IN ({marks})",
            (self.company_id, *entry_ids),
        )

    def rekey(self, entry_ids: list[str]) -> None:
        """Give rows a new id, so their next send carries a new Idempotency-Key (and is
        not marked sent): for a request the server refused for good, where a resend
        with the old key would only be answered with that refusal again."""
        for entry_id in entry_ids:
            self._store.conn.execute(
                "UPDATE outbox SET id = ?, payload = json_remove(COALESCE(payload, '{}'), "
                "'$.sent') WHERE company_id = ? AND id = ?",
                (new_id(), self.company_id, entry_id),
            )

    def ack(self, entry_id: str) -> bool:
        """Remove a row the server acknowledged; False if it was already gone."""
        cursor = self._store.conn.execute(
            "DELETE FROM outbox WHERE company_id = ? AND id = ?", (self.company_id, entry_id)
        )
        return cursor.rowcount == 1

    def record_attempt(
        self, entry_id: str, *, error: str | None, next_attempt_at: datetime | None
    ) -> None:
        """Note a failed send: one more attempt, why, and when to try again."""
        self._store.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE company_id = ? AND id = ?",
            (
                error,
                None if next_attempt_at is None else format_ts(next_attempt_at),
                self.company_id,
                entry_id,
            ),
        )

    def reset_attempts(self, *, job_id: str) -> int:
        """Give a job's rows a fresh retry budget (the manual retry)."""
        cursor = self._store.conn.execute(
            "UPDATE outbox SET attempts = 0, next_attempt_at = NULL, last_error = NULL"
            " WHERE company_id = ? AND job_id = ?",
            (self.company_id, job_id),
        )
        return cursor.rowcount

    def count(self) -> int:
        return int(
            self._store.conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE company_id = ?", (self.company_id,)
            ).fetchone()[0]
        )
