from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ocr_desk.core import DataDirError, JobStatus, SchemaTooNewError
from ocr_desk.services import JobService
from ocr_desk.store import SCHEMA_VERSION, JobRepository, MediaAsset, Store, open_store
from ocr_desk.store.database import PAGE_SIZE, WAL_CHECKPOINT_BYTES
from ocr_desk.store.migrations import MIGRATIONS, apply_migrations


def test_new_database_gets_latest_schema_wal_and_foreign_keys(db_path: Path) -> None:
    with open_store(db_path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        tables = set(store.db.table_names())
        assert {"media_assets", "ocr_jobs", "job_events", "outbox", "cost_entries"} <= tables


def test_reopening_runs_no_migration_again(db_path: Path) -> None:
    open_store(db_path).close()
    with open_store(db_path) as store:
        assert apply_migrations(store) == 0


def test_older_database_upgrades_in_place(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (text TEXT)")  # something a user had before
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    with open_store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.query("SELECT text FROM notes") == [{"text": "keep me"}]


def test_newer_database_is_refused_and_left_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNewError) as info:
        open_store(db_path)
    assert "newer version of OCR Desk" in info.value.message
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_not_a_database_gives_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(Exception, match="not an OCR Desk database"):
        open_store(db_path)


def test_unwritable_data_dir_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataDirError, match="--data-dir"):
        open_store(blocker / "sub" / "db.sqlite3")


def test_nested_writes_roll_back_only_the_inner_part(db_path: Path) -> None:
    with open_store(db_path) as store:
        store.conn.execute("CREATE TABLE t (x)")

        def inner_fails() -> None:
            with store.write():
                store.conn.execute("INSERT INTO t VALUES (2)")
                raise ValueError("inner")

        with store.write():
            store.conn.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ValueError, match="inner"):
                inner_fails()
            store.conn.execute("INSERT INTO t VALUES (3)")
        assert store.query("SELECT x FROM t ORDER BY x") == [{"x": 1}, {"x": 3}]


def test_a_write_that_need_not_be_durable_relaxes_only_its_own_commit(db_path: Path) -> None:
    def level(store: Store) -> int:
        return int(store.conn.execute("PRAGMA synchronous").fetchone()[0])

    full, normal = 2, 1
    with open_store(db_path) as store:
        store.conn.execute("CREATE TABLE t (x)")
        assert level(store) == full
        with store.write(durable=False):
            assert level(store) == normal
            store.conn.execute("INSERT INTO t VALUES (1)")
            with store.write():  # a nested write joins it: still one relaxed commit
                store.conn.execute("INSERT INTO t VALUES (2)")
        assert level(store) == full

        def fails() -> None:
            with store.write(durable=False):
                store.conn.execute("INSERT INTO t VALUES (3)")
                raise ValueError("undo")

        with pytest.raises(ValueError, match="undo"):
            fails()
        assert level(store) == full
        assert store.query("SELECT x FROM t ORDER BY x") == [{"x": 1}, {"x": 2}]
    with open_store(db_path, synchronous="NORMAL") as store:
        with store.write(durable=False):
            assert level(store) == normal
        assert level(store) == normal


def test_store_does_not_import_sqlite_utils_until_asked(tmp_path: Path) -> None:
    code = (
        "import sys; from ocr_desk.store import open_store; "
        f"s = open_store({str(tmp_path / 'db.sqlite3')!r}); "
        "assert 'sqlite_utils' not in sys.modules; "
        "assert 'ocr_jobs' in s.db.table_names(); print('ok')"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def _v1_database(db_path: Path) -> None:
    """A database as schema v1 left it: two jobs with events in interleaved order."""
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")  # what v1 files were made with
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    ts = "2026-03-10T09:00:00.000000Z"
    conn.execute(
        "INSERT INTO media_assets (id, company_id, sha256, document_type, captured_at,"
        " created_at) VALUES ('m1', 'acme', 'aa', 'receipt', ?, ?)",
        (ts, ts),
    )
    for job in ("j1", "j2"):
        conn.execute(
            "INSERT INTO ocr_jobs (id, company_id, media_asset_id, job_type, status, created_at,"
            " updated_at) VALUES (?, 'acme', 'm1', 'receipt', 'processing', ?, ?)",
            (job, ts, ts),
        )
    for job, src, dst in [
        ("j1", None, "queued"),
        ("j2", None, "queued"),
        ("j1", "queued", "processing"),
        ("j2", "queued", "processing"),
    ]:
        conn.execute(
            "INSERT INTO job_events (job_id, company_id, at, from_status, to_status, reason)"
            " VALUES (?, 'acme', ?, ?, ?, 'v1')",
            (job, ts, src, dst),
        )
    conn.execute("COMMIT")
    conn.close()


def test_v1_events_move_to_the_job_clustered_table_in_place(db_path: Path) -> None:
    _v1_database(db_path)
    with open_store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096  # kept
        # the WAL still checkpoints at 4 MB: 1024 pages of 4 KB
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1024
        jobs = JobRepository(store, company_id="acme")
        assert [(e.id, e.to_status) for e in jobs.events("j1")] == [
            (1, JobStatus.QUEUED),
            (3, JobStatus.PROCESSING),
        ]
        service = JobService(store, company_id="acme")
        service.complete("j1")
        assert [e.to_status for e in service.events("j1")] == [
            JobStatus.QUEUED,
            JobStatus.PROCESSING,
            JobStatus.COMPLETED,
        ]
        assert service.events("j1")[-1].id == 4  # after the kept rows, in order
        assert len(service.events("j2")) == 2
        with store.write():
            jobs.delete("j1")  # the cascade still reaches the events
        assert store.query("SELECT DISTINCT job_id FROM job_events") == [{"job_id": "j2"}]
        assert store.query("PRAGMA foreign_key_check") == []
        plan = " ".join(
            r["detail"]
            for r in store.query(
                "EXPLAIN QUERY PLAN SELECT * FROM job_events WHERE job_id = ? AND company_id = ?"
                " ORDER BY id",
                ("j2", "acme"),
            )
        )
        assert "PRIMARY KEY (job_id=?)" in plan
        assert "TEMP B-TREE" not in plan


def test_new_database_uses_small_pages_and_numbers_events_per_job(
    service: JobService, store: Store, asset: MediaAsset
) -> None:
    assert store.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
    pages = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert pages * PAGE_SIZE == WAL_CHECKPOINT_BYTES
    first = service.create_job(media_asset_id=asset.id)
    second = service.create_job(media_asset_id=asset.id)
    service.start(first.id)
    service.fail(first.id, error="engine crashed")
    assert [e.id for e in service.events(first.id)] == [1, 2, 3]
    assert [e.id for e in service.events(second.id)] == [1]
