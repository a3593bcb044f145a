"""Rows of ``media_files``: which stored file is which version of which asset.

Files are content-addressed and may be shared between assets and companies, so
:meth:`MediaFileRepository.referenced` counts references across every company:
a file may be removed from disk only when no row of anyone points at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .database import Store

__all__ = ["MediaFile", "MediaFileRepository"]


@dataclass(frozen=True, slots=True)
class MediaFile:
    asset_id: str
    company_id: str
    version: str
    page: int
    sha256: str
    relpath: str
    size_bytes: int
    width: int | None
    height: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MediaFile:
        return cls(**row)


class MediaFileRepository:
    """``media_files`` rows of one company (reference counts span all companies)."""

    def __init__(self, store: Store, *, company_id: str) -> None:
        self._store = store
        self.company_id = company_id

    def insert(
        self,
        *,
        asset_id: str,
        version: str,
        page: int,
        sha256: str,
        relpath: str,
        size_bytes: int,
        width: int | None,
        height: int | None,
    ) -> None:
        """Insert (or keep) a row; call inside ``Store.write()``."""
        self._store.conn.execute(
            "INSERT OR IGNORE INTO media_files (asset_id, company_id, version, page, sha256,"
            " relpath, size_bytes, width, height) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (asset_id, self.company_id, version, page, sha256, relpath, size_bytes, width, height),
        )

    def for_asset(self, asset_id: str) -> list[MediaFile]:
        rows = self._store.query(
            "SELECT * FROM media_files WHERE company_id = ? AND asset_id = ?"
            " ORDER BY version, page",
            (self.company_id, asset_id),
        )
        return [MediaFile.from_row(r) for r in rows]

    def get(self, asset_id: str, version: str, page: int = 0) -> MediaFile | None:
        rows = self._store.query(
            "SELECT * FROM media_files WHERE company_id = ? AND asset_id = ? AND version = ?"
            " AND page = ?",
            (self.company_id, asset_id, version, page),
        )
        return MediaFile.from_row(rows[0]) if rows else None

    def delete(self, asset_id: str, versions: Iterable[str]) -> list[MediaFile]:
        """Delete an asset's rows of these versions; returns what was deleted."""
        wanted = set(versions)
        gone = [f for f in self.for_asset(asset_id) if f.version in wanted]
        for f in gone:
            self._store.conn.execute(
                "DELETE FROM media_files WHERE asset_id = ? AND version = ? AND page = ?",
                (f.asset_id, f.version, f.page),
            )
        return gone

    def referenced(self, relpaths: Iterable[str]) -> set[str]:
        """Which of these files some row (of any company) still points at."""
        found: set[str] = set()
        for rel in set(relpaths):
            sha = rel.rsplit("/", 1)[-1].split(".", 1)[0]
            row = self._store.conn.execute(
                "SELECT 1 FROM media_files WHERE sha256 = ? AND relpath = ? LIMIT 1", (sha, rel)
            ).fetchone()
            if row is not None:
                found.add(rel)
        return found

    def all_relpaths(self) -> set[str]:
        """Every referenced file of every company (for the orphan sweep)."""
        return {r[0] for r in self._store.conn.execute("SELECT DISTINCT relpath FROM media_files")}

    def usage(self) -> dict[str, tuple[int, int]]:
        """``{version: (files, bytes)}`` of the distinct files this company references.

        A file several rows share (identical blank pages of a PDF, a tiny image whose
        thumbnail equals its processed version) is counted once, under the first of
        its versions in name order, so the total equals the bytes on disk.
        """
        rows = self._store.conn.execute(
            "SELECT version, COUNT(*), COALESCE(SUM(size_bytes), 0) FROM ("
            "  SELECT MIN(version) AS version, MAX(size_bytes) AS size_bytes FROM media_files"
            "  WHERE company_id = ? GROUP BY relpath"
            ") GROUP BY version",
            (self.company_id,),
        ).fetchall()
        return {str(v): (int(n), int(b)) for v, n, b in rows}
