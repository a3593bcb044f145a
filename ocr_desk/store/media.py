"""Media asset rows of one company (the files themselves live in ``ocr_desk.media``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocr_desk.core import JobType, OcrDeskError, format_ts

from .database import Store
from .records import MediaAsset, new_id

__all__ = ["MediaNotFoundError", "MediaRepository"]


class MediaNotFoundError(OcrDeskError):
    """No media asset with that id exists for this company."""

    code = "MEDIA_NOT_FOUND"


class MediaRepository:
    """Reads and writes ``media_assets`` rows of one company only."""

    def __init__(self, store: Store, *, company_id: str) -> None:
        self._store = store
        self.company_id = company_id

    def insert(
        self,
        *,
        sha256: str,
        document_type: JobType | str,
        captured_at: datetime,
        created_at: datetime,
        size_bytes: int,
        mime_type: str | None = None,
        original_name: str | None = None,
        width: int | None = None,
        height: int | None = None,
        page_count: int = 1,
        kind: str = "ocr_source",
        asset_id: str | None = None,
    ) -> MediaAsset:
        """Insert an asset row; call inside ``Store.write()``."""
        asset_id = asset_id or new_id()
        self._store.conn.execute(
            "INSERT INTO media_assets (id, company_id, sha256, kind, document_type, mime_type,"
            " original_name, size_bytes, width, height, page_count, captured_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                asset_id,
                self.company_id,
                sha256,
                kind,
                JobType(document_type).value,
                mime_type,
                original_name,
                size_bytes,
                width,
                height,
                page_count,
                format_ts(captured_at),
                format_ts(created_at),
            ),
        )
        return self.get(asset_id)

    def get(self, asset_id: str) -> MediaAsset:
        rows = self._store.query(
            "SELECT * FROM media_assets WHERE id = ? AND company_id = ?",
            (asset_id, self.company_id),
        )
        if not rows:
            raise MediaNotFoundError(f"no media asset {asset_id} here")
        return MediaAsset.from_row(rows[0])

    def find_by_sha256(self, sha256: str) -> MediaAsset | None:
        rows = self._store.query(
            "SELECT * FROM media_assets WHERE company_id = ? AND sha256 = ?",
            (self.company_id, sha256),
        )
        return MediaAsset.from_row(rows[0]) if rows else None

    def captured_before(self, cutoff: datetime) -> list[MediaAsset]:
        rows = self._store.query(
            "SELECT * FROM media_assets WHERE company_id = ? AND captured_at < ?"
            " ORDER BY captured_at",
            (self.company_id, format_ts(cutoff)),
        )
        return [MediaAsset.from_row(r) for r in rows]

    def update(self, asset_id: str, **changes: Any) -> None:
        allowed = {"remote_id", "files_deleted_at"}
        bad = set(changes) - allowed
        if bad:
            raise ValueError(f"media_assets columns {sorted(bad)} cannot be changed")
        values = {k: format_ts(v) if isinstance(v, datetime) else v for k, v in changes.items()}
        sets = ", ".join(f"{k} = :{k}" for k in values)
        self._store.conn.execute(
            f"UPDATE media_assets SET {sets} WHERE id = :_id AND company_id = :_c",
            {**values, "_id": asset_id, "_c": self.company_id},
        )

    def delete(self, asset_id: str) -> None:
        """Delete the asset row; its jobs, events and file rows go with it (cascade)."""
        self._store.conn.execute(
            "DELETE FROM media_assets WHERE id = ? AND company_id = ?", (asset_id, self.company_id)
        )

    def count(self) -> int:
        return int(
            self._store.conn.execute(
                "SELECT COUNT(*) FROM media_assets WHERE company_id = ?", (self.company_id,)
            ).fetchone()[0]
        )
