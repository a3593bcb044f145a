from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ocr_desk.core import DataDirError, SchemaTooNewError
from ocr_desk.store import SCHEMA_VERSION, open_store
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
