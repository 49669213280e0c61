"""The store's SQLite file: opening it, one connection per thread, write transactions and
schema migrations.

- **Concurrency.** Several processes (Voilà kernels) may share one file, and one store
  may be shared by threads (widget handlers + the training thread). Each thread gets its
  own connection (``threading.local``), so a slow write in one thread never blocks reads
  in another (WAL readers do not wait for writers). Every write runs in a
  ``BEGIN IMMEDIATE`` transaction: the write lock is taken up front, so read-check-write
  sequences (the revision check) are atomic across processes, and a busy database makes
  the writer wait up to ``timeout`` seconds instead of failing.
- **Crash safety.** WAL journal with ``synchronous=NORMAL``: a process killed at any
  moment loses nothing it committed and never corrupts the file; only an OS crash or
  power cut can roll back the last transactions (never corrupt). FULL would fsync on every
  commit, which the ~1/s metric writes and the autosave do not need.

The file must live on a local disk: WAL needs shared memory, which network file systems
do not provide.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelstudio_widget.store.records import StoreBusy, StoreError
from modelstudio_widget.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILENAME = "modelstudio.sqlite3"


class _Connection(sqlite3.Connection):
    """sqlite3.Connection is not weak-referenceable; a subclass is."""


class Database:
    """One SQLite file, migrated to ``SCHEMA_VERSION`` on opening.

    One connection per thread, opened on first use; ``close()`` closes them all, so call
    it once the other threads are done with the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        """Open (creating the parent folder and the file if needed) and migrate the schema.

        ``timeout``: seconds a writer waits for another writer before ``StoreBusy``.
        Raises ``StoreError`` if the file is not a Model Studio database or was written by
        a newer version.
        """
        if str(path) == ":memory:" or str(path).startswith("file:"):
            raise ValueError("Store needs a file path: every thread and process opens it")
        self.path = Path(path).expanduser().resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = float(timeout)
        self._pid = os.getpid()
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._registry_lock = threading.Lock()
        self._inherited: list[_Connection] = []
        self._closed = False
        try:
            self._migrate()
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreError(f"{self.path} is not a usable Model Studio database: {e}") from e
        except BaseException:
            self.close()
            raise

    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection (in autocommit mode: each read stands alone)."""
        if self._closed:
            raise StoreError("the store is closed")
        if os.getpid() != self._pid:
            # A forked child must not use (or close) its parent's connections: SQLite
            # forbids carrying a connection across fork. Keep them alive, unused.
            self._inherited.extend(self._connections)
            self._local, self._connections = threading.local(), weakref.WeakSet()
            self._pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so that close() may close every thread's
            # connection; each connection is otherwise used by its own thread alone.
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False, factory=_Connection)
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.path} cannot use WAL mode (got {mode!r}); "
                                     "keep the workspace on a local disk")
                conn.execute("PRAGMA synchronous = NORMAL")
            except BaseException:
                conn.close()
                raise
            self._local.conn = conn
            with self._registry_lock:
                self._connections.add(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any
        exception (so validation errors raised inside leave nothing behind)."""
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise StoreBusy(f"{self.path} stayed locked by another writer for "
                                f"{self.timeout:g} s") from e
            raise
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # never leave the connection inside a transaction
                conn.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        conn = self.connection()
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self.write() as conn:
            # Re-read inside the write lock: another process may have just migrated.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema version {version}; this Model "
                                 f"Studio knows up to {SCHEMA_VERSION}: upgrade it")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close every thread's connection. Using the file afterwards raises StoreError."""
        self._closed = True
        with self._registry_lock:
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for conn in connections:
            conn.close()


class DatabasePart:
    """Base of the store's per-concern parts (designs, runs, events): each reads and
    writes through the one ``Database`` they share."""

    def __init__(self, database: Database) -> None:
        self.database = database
