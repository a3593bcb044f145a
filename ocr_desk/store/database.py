"""Opening the local SQLite database: pragmas, version check, migrations, write transactions.

One :class:`Store` per thread (SQLite connections are not shared between threads);
all of them point at the same WAL-mode file and serialize their writes through
``BEGIN IMMEDIATE``, so two writers wait for each other instead of failing half-way.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ocr_desk.core import DataDirError, StoreError

from .migrations import apply_migrations, read_version

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "DB_FILENAME",
    "PAGE_SIZE",
    "WAL_CHECKPOINT_BYTES",
    "Store",
    "Transaction",
    "open_store",
]

DB_FILENAME = "ocr-desk.sqlite3"
BUSY_TIMEOUT_MS = 5000
PAGE_SIZE = 1024
"""Page size of a new database file (an existing one keeps the size it was made with).

Every B-tree page a commit dirties is written to the WAL as a whole frame and
fsync'ed before the commit returns. Creating a job dirties about a dozen pages
(the job, its event, its outbox row and their indexes): 48 KB per commit with
SQLite's default 4 KB pages, 16 KB with 1 KB pages, and on our disks each 4 KB
costs about as much as a tenth of the fsync itself. Rows are small (a job's OCR
result, when larger, goes to overflow pages) and the status counts stay short
index ranges; see benchmarks/bench_store.py.
"""
WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024
"""How much WAL a connection lets grow before it copies the pages back (a checkpoint).

SQLite counts this in pages (1000 by default: 4 MB of 4 KB pages); with 1 KB pages
the same 1000 would checkpoint four times as often for the same data.
"""
_SAVEPOINTS = itertools.count()


class Store:
    """A connection to the local database with the project's pragmas applied.

    Change rows inside :meth:`write` so a change and its outbox row commit
    together. :attr:`db` gives the same connection as a
    :class:`sqlite_utils.Database` for schema work and introspection.
    """

    def __init__(
        self, conn: sqlite3.Connection, *, path: Path | None, synchronous: str = "FULL"
    ) -> None:
        self.conn = conn
        self.path = path
        self.synchronous = synchronous.upper()
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over this connection, imported on first use.

        Importing sqlite-utils imports numpy when it is installed (it is, for the
        server's OCR), which costs a few hundred milliseconds: the GUI's start and
        every CLI command would pay for it while only schema tools need it.
        """
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def write(self, *, durable: bool = True) -> Transaction:
        """A write transaction: everything inside commits together or not at all.

        Nested calls join the outer transaction through a savepoint, so a service
        can call another service's method inside its own transaction.

        ``durable=False`` commits without waiting for the disk (``synchronous=NORMAL``
        for this commit): a power cut may then lose it, never corrupt anything, and
        what comes after it is lost too (the WAL is replayed in order). Only for
        writes that are recorded again when lost, such as the server's answer to an
        outbox row, which a resend with the same Idempotency-Key gets back. A write
        nested in it joins its commit, durable or not: never nest one that must last.
        """
        return Transaction(self, durable=durable)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transaction:
    """The context manager :meth:`Store.write` returns.

    ``BEGIN IMMEDIATE`` on entry and ``COMMIT`` on a clean exit (``ROLLBACK`` on an
    error), or a savepoint when a transaction is already open. A class rather than
    a generator under ``@contextmanager``: every durable write goes through it.
    """

    __slots__ = ("_durable", "_relaxed", "_savepoint", "_store")

    def __init__(self, store: Store, *, durable: bool = True) -> None:
        self._store = store
        self._durable = durable
        self._relaxed = False
        self._savepoint: str | None = None

    def __enter__(self) -> sqlite3.Connection:
        conn = self._store.conn
        if conn.in_transaction:
            name = f"nested_{next(_SAVEPOINTS)}"
            conn.execute(f"SAVEPOINT {name}")
            self._savepoint = name
            return conn
        if not self._durable and self._store.synchronous not in ("NORMAL", "OFF"):
            conn.execute("PRAGMA synchronous = NORMAL")  # for this commit only
            self._relaxed = True
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self._restore(conn)
            raise _busy_error(exc, self._store.path) from exc
        return conn

    def _restore(self, conn: sqlite3.Connection) -> None:
        if self._relaxed:
            conn.execute(f"PRAGMA synchronous = {self._store.synchronous}")
            self._relaxed = False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._store.conn
        name = self._savepoint
        if name is not None:
            if exc_type is None:
                conn.execute(f"RELEASE SAVEPOINT {name}")
            elif conn.in_transaction:
                # an error such as RAISE(ROLLBACK) may have ended the whole transaction
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        try:
            if exc_type is not None:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                return
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            self._restore(conn)


def open_store(
    path: Path | str | None,
    *,
    synchronous: str = "FULL",
    migrate: bool = True,
) -> Store:
    """Open (creating if needed) the database at ``path``; ``None`` opens one in memory.

    A database written by a newer OCR Desk is refused with :class:`SchemaTooNewError`
    before anything touches it. A directory that cannot be created or written gives
    :class:`DataDirError` with what to do.
    """
    file: Path | None = None
    if path is None:
        target = ":memory:"
    else:
        file = Path(path)
        if file.is_dir():
            file = file / DB_FILENAME
        _ensure_dir(file.parent)
        target = str(file)
    try:
        conn = sqlite3.connect(
            target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise DataDirError(
            f"cannot open the database {target}: {exc}. Check that the folder is readable "
            "and writable, or choose another data directory with --data-dir."
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        read_version(conn, file)  # refuses a newer schema before any write
        conn.execute("PRAGMA foreign_keys = ON")
        if file is not None:
            # takes effect only while the file is still empty (before WAL mode writes it)
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DataDirError(
                    f"the database {file} cannot use write-ahead logging (journal mode {mode}); "
                    "put the data directory on a local disk."
                )
            page = int(conn.execute("PRAGMA page_size").fetchone()[0])
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_BYTES // page}")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        store = Store(conn, path=file, synchronous=synchronous)
        if migrate:
            apply_migrations(store)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _busy_error(exc, file) from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"{target} is not an OCR Desk database or is damaged ({exc}). Move it aside "
            "and start again, or restore it from a backup."
        ) from exc
    except BaseException:
        conn.close()
        raise
    return store


def _ensure_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"cannot create the data directory {folder}: {exc.strerror or exc}. "
            "Choose a folder you can write to with --data-dir."
        ) from exc
    if not folder.is_dir():
        raise DataDirError(f"{folder} is not a folder. Choose another data directory.")


def _busy_error(exc: sqlite3.OperationalError, file: Path | None) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the database {file} is locked by another program (waited "
            f"{BUSY_TIMEOUT_MS // 1000} s). Close the other OCR Desk window or command and "
            "try again.",
            code="STORE_LOCKED",
        )
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return DataDirError(
            f"the database {file} cannot be written: {text}. Check the folder's permissions "
            "and free space, or choose another data directory with --data-dir."
        )
    return StoreError(f"the database {file} failed: {text}")
