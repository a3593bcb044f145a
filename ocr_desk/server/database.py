"""The server's database behind one interface: SQLite (default) or PostgreSQL.

Both speak the same SQL (written with ``?`` placeholders, translated for psycopg);
what differs is kept here: how a write transaction starts, how a job row is locked
for a claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the single writer lock on
SQLite), and how other processes learn of a change (``LISTEN/NOTIFY`` on
PostgreSQL; on SQLite, processes of one machine poll and threads of one process
are woken directly).

Each thread gets its own connection. Rows come back as plain dicts.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import InvalidText

__all__ = ["Database", "DatabaseError", "Tx", "open_database"]

Row = dict[str, Any]
Listener = Callable[[str], None]
CHANNEL = "ocr_desk_changes"
SCHEMA_VERSION = 1


class DatabaseError(Exception):
    """The database URL or the database itself cannot be used."""


class Tx:
    """One connection inside a transaction (or in autocommit for reads)."""

    def __init__(self, db: Database, conn: Any) -> None:
        self._db = db
        self._conn = conn
        self.notices: set[str] = set()
        self.depth = 0
        self._before_commit: list[list[Callable[[], None]]] = [[]]
        self._after_rollback: list[list[Callable[[], None]]] = [[]]

    def before_commit(
        self, action: Callable[[], None], *, undo: Callable[[], None] | None = None
    ) -> None:
        """Run ``action`` just before this transaction commits, and ``undo`` if the commit
        then fails. Dropped when the savepoint it was registered in rolls back: for side
        effects outside the database (a file moved into place) that must exist exactly
        when the rows that point to them do."""
        self._before_commit[-1].append(action)
        if undo is not None:
            self._after_rollback[-1].append(undo)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if any(isinstance(p, str) and "\x00" in p for p in params):
            raise InvalidText(
                "text in the request contains a NUL character (\\u0000); remove it and resend"
            )
        cur = self._db.run(self._conn, sql, tuple(params))
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def announce(self, company_id: str) -> None:
        """Tell every listener (in every process) about a change once this commits."""
        self.notices.add(company_id)

    @property
    def for_update(self) -> str:
        return self._db.for_update

    @property
    def skip_locked(self) -> str:
        return self._db.skip_locked


class Database:
    """Base of both engines: thread-local connections, transactions, change listeners."""

    dialect = "base"
    for_update = ""
    skip_locked = ""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._all: list[Any] = []

    # -- engine specifics -------------------------------------------------------
    def _connect(self) -> Any:
        raise NotImplementedError

    def _begin(self, conn: Any) -> None:
        raise NotImplementedError

    def _send_notices(self, tx: Tx) -> None:
        """Inside the transaction, before commit."""

    def run(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        return conn.execute(sql, params)

    def ddl(self) -> list[str]:
        raise NotImplementedError

    # -- shared --------------------------------------------------------------
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction; commits on success, rolls back on any error.

        Inside another transaction of the same thread it is a savepoint of it: an error
        undoes the inner part only, and everything commits at once with the outer one
        (so an API call and its idempotency record cost one commit, not two).
        """
        outer: Tx | None = getattr(self._local, "tx", None)
        if outer is not None:
            with self._savepoint(outer):
                yield outer
            return
        conn = self._conn()
        self._begin(conn)
        tx = Tx(self, conn)
        self._local.tx = tx
        undo: list[Callable[[], None]] = []
        try:
            yield tx
            self._send_notices(tx)
            undo = tx._after_rollback[0]  # each undo is safe to run when its action did not
            for action in tx._before_commit[0]:
                action()
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            for step in reversed(undo):
                with contextlib.suppress(Exception):
                    step()
            raise
        finally:
            self._local.tx = None
        for company in tx.notices:
            self._dispatch(company)

    @contextlib.contextmanager
    def _savepoint(self, tx: Tx) -> Iterator[None]:
        tx.depth += 1
        name = f"sp{tx.depth}"
        tx._conn.execute(f"SAVEPOINT {name}")
        tx._before_commit.append([])
        tx._after_rollback.append([])
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                tx._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                tx._conn.execute(f"RELEASE SAVEPOINT {name}")
            tx._before_commit.pop()  # nothing of the undone part happens
            tx._after_rollback.pop()
            raise
        else:
            tx._conn.execute(f"RELEASE SAVEPOINT {name}")
            tx._before_commit[-2].extend(tx._before_commit.pop())
            tx._after_rollback[-2].extend(tx._after_rollback.pop())
        finally:
            tx.depth -= 1

    def read(self) -> Tx:
        """Autocommit access for single reads."""
        return Tx(self, self._conn())

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _dispatch(self, company_id: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(company_id)

    def start_listening(self) -> None:
        """Receive other processes' changes (PostgreSQL only; SQLite relies on polling)."""

    @property
    def cross_process_events(self) -> bool:
        return False

    def schema_version(self) -> int | None:
        """The schema version stored in the database, or None for an empty database."""
        try:
            value = self.read().scalar("SELECT value FROM flags WHERE name = 'schema_version'")
        except Exception:  # no flags table yet
            self.release()  # a failed statement may leave the connection unusable
            return None
        return None if value is None else int(value)

    def create_schema(self) -> None:
        """Create the tables once. A database already at this version is not touched: DDL
        (even ``IF NOT EXISTS``) takes table locks that deadlock with running workers."""
        version = self.schema_version()
        if version is not None and version > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database has schema version {version}, newer than this server "
                f"({SCHEMA_VERSION}); upgrade ocr-desk-server"
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as tx:
            self._lock_schema(tx)
            for statement in self.ddl():
                tx.execute(statement)
            tx.execute(
                "INSERT INTO flags (name, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (name) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )

    def _lock_schema(self, tx: Tx) -> None:
        pass

    def release(self) -> None:
        """Close this thread's connection (for short-lived threads, so none are left open)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock, contextlib.suppress(ValueError):
            self._all.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def is_transient(self, exc: BaseException) -> bool:
        """A failure a second try of the same transaction may not meet (deadlock, busy)."""
        if isinstance(exc, sqlite3.OperationalError):
            return "locked" in str(exc) or "busy" in str(exc)
        return type(exc).__name__ in {
            "DeadlockDetected",
            "SerializationFailure",
            "LockNotAvailable",
        }

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()


def _tables(autoid: str) -> list[str]:
    return [
        """CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS companies (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, plan TEXT NOT NULL,
            change_seq BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id),
            email TEXT NOT NULL UNIQUE, password_hash TEXT, created_at TEXT NOT NULL,
            revoked_at TEXT)""",
        """CREATE TABLE IF NOT EXISTS tokens (
            token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL, revoked_at TEXT)""",
        """CREATE TABLE IF NOT EXISTS media (
            id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id),
            sha256 TEXT NOT NULL, mime_type TEXT NOT NULL, size_bytes BIGINT NOT NULL,
            width BIGINT, height BIGINT, page_count BIGINT, document_type TEXT NOT NULL,
            captured_at TEXT NOT NULL, created_at TEXT NOT NULL, uploaded_by TEXT,
            original_name TEXT, path TEXT, deleted_at TEXT, UNIQUE (company_id, sha256))""",
        "CREATE INDEX IF NOT EXISTS media_uploads ON media (uploaded_by, created_at)",
        """CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY, company_id TEXT NOT NULL REFERENCES companies(id),
            media_id TEXT NOT NULL REFERENCES media(id), job_type TEXT NOT NULL,
            status TEXT NOT NULL, metadata TEXT NOT NULL, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, started_at TEXT, completed_at TEXT, failed_at TEXT,
            cancelled_at TEXT, retry_count BIGINT NOT NULL DEFAULT 0,
            retryable BIGINT NOT NULL DEFAULT 0, next_retry_at TEXT, error_code TEXT,
            error_message TEXT, result TEXT, confidence DOUBLE PRECISION,
            processing_ms BIGINT, cost TEXT, cursor BIGINT NOT NULL,
            worker_id TEXT, heartbeat_at TEXT)""",
        "CREATE INDEX IF NOT EXISTS jobs_feed ON jobs (company_id, cursor)",
        "CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, created_at)",
        "CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (company_id, created_at, id)",
        "CREATE INDEX IF NOT EXISTS jobs_media ON jobs (company_id, media_id)",
        f"""CREATE TABLE IF NOT EXISTS job_events (
            id {autoid}, job_id TEXT NOT NULL, company_id TEXT NOT NULL,
            from_status TEXT, to_status TEXT NOT NULL, at TEXT NOT NULL, reason TEXT,
            worker_id TEXT)""",
        "CREATE INDEX IF NOT EXISTS job_events_job ON job_events (job_id, id)",
        """CREATE TABLE IF NOT EXISTS cost_entries (
            job_id TEXT PRIMARY KEY, company_id TEXT NOT NULL, at TEXT NOT NULL,
            amount TEXT NOT NULL, currency TEXT NOT NULL, pages BIGINT NOT NULL,
            engine_seconds TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS cost_month ON cost_entries (company_id, at)",
        """CREATE TABLE IF NOT EXISTS idempotency (
            company_id TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL,
            path TEXT NOT NULL, fingerprint TEXT NOT NULL, status_code BIGINT NOT NULL,
            body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (company_id, key))""",
    ]


class SqliteDatabase(Database):
    """One file in WAL mode; writers take the lock up front (``BEGIN IMMEDIATE``)."""

    dialect = "sqlite"

    def __init__(self, url: str, path: Path) -> None:
        super().__init__(url)
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def ddl(self) -> list[str]:
        return _tables("INTEGER PRIMARY KEY AUTOINCREMENT")


class PostgresDatabase(Database):
    """PostgreSQL through psycopg 3: row locks for claims, LISTEN/NOTIFY for changes."""

    dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._listen_thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise DatabaseError(
                f"cannot connect to PostgreSQL at {self.url}: {exc}; check --database"
            ) from exc

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN")

    def run(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        if not params:
            return conn.execute(sql)
        return conn.execute(sql.replace("%", "%%").replace("?", "%s"), params)

    def ddl(self) -> list[str]:
        return _tables("BIGSERIAL PRIMARY KEY")

    def _lock_schema(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(70510001)")

    def _send_notices(self, tx: Tx) -> None:
        for company in tx.notices:
            tx.execute("SELECT pg_notify(?, ?)", (CHANNEL, company))

    @property
    def cross_process_events(self) -> bool:
        return True

    def start_listening(self) -> None:
        if self._listen_thread is not None:
            return
        self._stop.clear()
        conn = self._connect()
        conn.execute(f"LISTEN {CHANNEL}")
        self._listen_thread = threading.Thread(
            target=self._listen, args=(conn,), name="pg-listen", daemon=True
        )
        self._listen_thread.start()

    def _listen(self, conn: Any) -> None:
        try:
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    self._dispatch(note.payload)
        except Exception:  # the connection went away; polling still works
            pass
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._listen_thread is not None:
            self._listen_thread.join(timeout=5)
            self._listen_thread = None
        super().close()


def open_database(url: str, *, create: bool = True) -> Database:
    """The database at ``url`` (``sqlite:///path`` or ``postgresql://...``), schema ensured."""
    parsed = urlparse(url)
    db: Database
    if parsed.scheme == "sqlite":
        path = Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path)
        db = SqliteDatabase(url, path)
    elif parsed.scheme in {"postgresql", "postgres"}:
        db = PostgresDatabase(url)
    else:
        raise DatabaseError(
            f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    if create:
        try:
            db.create_schema()
        except Exception:
            db.close()
            raise
    return db
