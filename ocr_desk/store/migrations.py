"""Versioned schema migrations, applied in order and idempotently.

The schema version lives in ``PRAGMA user_version``. Each migration runs in its own
transaction together with the version bump, so a crash leaves either the old or the
new schema. A database whose version is newer than :data:`SCHEMA_VERSION` was made
by a newer OCR Desk and is refused untouched.

To change the schema, append a function to :data:`MIGRATIONS`; never edit one that
has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_desk.core import JobStatus, JobType, SchemaTooNewError

if TYPE_CHECKING:
    from .database import Store

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "apply_migrations", "read_version", "run_script"]

_STATUSES = ", ".join(f"'{s.value}'" for s in JobStatus)
_TYPES = ", ".join(f"'{t.value}'" for t in JobType)


def _v1_initial(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        f"""
        CREATE TABLE media_assets (
            id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'ocr_source',
            document_type TEXT NOT NULL CHECK (document_type IN ({_TYPES})),
            mime_type TEXT,
            original_name TEXT,
            size_bytes INTEGER NOT NULL DEFAULT 0,
            width INTEGER,
            height INTEGER,
            page_count INTEGER NOT NULL DEFAULT 1,
            captured_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            remote_id TEXT,
            files_deleted_at TEXT,
            UNIQUE (company_id, sha256)
        );
        CREATE INDEX media_assets_captured ON media_assets (company_id, captured_at);

        CREATE TABLE media_files (
            asset_id TEXT NOT NULL REFERENCES media_assets (id) ON DELETE CASCADE,
            company_id TEXT NOT NULL,
            version TEXT NOT NULL,
            page INTEGER NOT NULL DEFAULT 0,
            sha256 TEXT NOT NULL,
            relpath TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            PRIMARY KEY (asset_id, version, page)
        );
        CREATE INDEX media_files_sha ON media_files (sha256);
        CREATE INDEX media_files_company ON media_files (company_id, version);

        CREATE TABLE ocr_jobs (
            id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            media_asset_id TEXT NOT NULL REFERENCES media_assets (id) ON DELETE CASCADE,
            job_type TEXT NOT NULL CHECK (job_type IN ({_TYPES})),
            status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
            metadata TEXT NOT NULL DEFAULT '{{}}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            submitted_at TEXT,
            started_at TEXT,
            completed_at TEXT,
            failed_at TEXT,
            cancelled_at TEXT,
            retry_count INTEGER NOT NULL DEFAULT 0,
            retryable INTEGER NOT NULL DEFAULT 1,
            error_code TEXT,
            last_error TEXT,
            remote_id TEXT,
            result TEXT,
            merchant TEXT,
            receipt_date TEXT,
            total TEXT,
            tax TEXT,
            currency TEXT,
            confidence REAL,
            cost_amount TEXT,
            cost_currency TEXT
        );
        -- Each count of queue_status() is one short range of this index: the rare
        -- statuses by (company, status), completed-in-24h by its completed_at range.
        CREATE INDEX ocr_jobs_status ON ocr_jobs (company_id, status, completed_at);
        CREATE INDEX ocr_jobs_media ON ocr_jobs (media_asset_id);
        CREATE INDEX ocr_jobs_created ON ocr_jobs (company_id, created_at);
        CREATE UNIQUE INDEX ocr_jobs_remote ON ocr_jobs (company_id, remote_id)
            WHERE remote_id IS NOT NULL;

        CREATE TABLE job_events (
            id INTEGER PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES ocr_jobs (id) ON DELETE CASCADE,
            company_id TEXT NOT NULL,
            at TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX job_events_job ON job_events (job_id, id);

        -- No foreign keys here on purpose: a 'delete_media' row must outlive its asset.
        -- seq orders the rows (new rows always get a seq above every row present).
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            company_id TEXT NOT NULL,
            op TEXT NOT NULL,
            job_id TEXT,
            media_asset_id TEXT,
            payload TEXT NOT NULL DEFAULT '{{}}',
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT
        );
        CREATE INDEX outbox_job ON outbox (company_id, job_id);

        CREATE TABLE cost_entries (
            id INTEGER PRIMARY KEY,
            company_id TEXT NOT NULL,
            job_id TEXT REFERENCES ocr_jobs (id) ON DELETE SET NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL,
            units TEXT NOT NULL DEFAULT '0',
            unit_kind TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            source_key TEXT,
            recorded_at TEXT NOT NULL,
            month TEXT NOT NULL
        );
        CREATE INDEX cost_entries_month ON cost_entries (company_id, month);
        CREATE INDEX cost_entries_job ON cost_entries (job_id);
        CREATE UNIQUE INDEX cost_entries_source ON cost_entries (company_id, source_key)
            WHERE source_key IS NOT NULL;

        CREATE TABLE sync_state (
            company_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (company_id, key)
        );
        """,
    )


def _v2_events_clustered_by_job(conn: sqlite3.Connection) -> None:
    """job_events keyed by (job_id, id) in a WITHOUT ROWID table.

    v1 kept events in rowid order with a (job_id, id) index beside them, so every
    event dirtied two B-tree pages per commit (two WAL frames to fsync). Clustered
    by job, an event is one page, a job's history is one short range (its list and
    the cascade delete of a job read the same range), and rows stay small, which is
    what WITHOUT ROWID is for. ``id`` now numbers a job's events 1, 2, 3...; kept
    rows keep their old (larger) ids, so each job's order is unchanged.
    """
    run_script(
        conn,
        """
        CREATE TABLE job_events_v2 (
            job_id TEXT NOT NULL REFERENCES ocr_jobs (id) ON DELETE CASCADE,
            id INTEGER NOT NULL,
            company_id TEXT NOT NULL,
            at TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (job_id, id)
        ) WITHOUT ROWID;
        INSERT INTO job_events_v2 (job_id, id, company_id, at, from_status, to_status, reason)
            SELECT job_id, id, company_id, at, from_status, to_status, reason FROM job_events;
        DROP TABLE job_events;
        ALTER TABLE job_events_v2 RENAME TO job_events;
        """,
    )


Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: tuple[Migration, ...] = (_v1_initial, _v2_events_clustered_by_job)
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection, file: Path | None = None) -> int:
    """The database's schema version; raises :class:`SchemaTooNewError` if we don't know it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        where = f"The database {file}" if file else "The database"
        raise SchemaTooNewError(
            f"{where} was written by a newer version of OCR Desk (schema {version}; this "
            f"version knows up to {SCHEMA_VERSION}). It was left unchanged: install the newer "
            "OCR Desk, or use another data directory with --data-dir."
        )
    return version


def apply_migrations(store: Store) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; returns how many migrations ran."""
    conn = store.conn
    ran = 0
    while True:
        with store.write():
            version = read_version(conn, store.path)
            if version >= SCHEMA_VERSION:
                return ran
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            ran += 1


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the current transaction.

    ``sqlite3.executescript`` would COMMIT first, splitting a migration from its
    version bump; this runs the statements one by one instead.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        conn.execute(buffer)
