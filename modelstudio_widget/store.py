"""The SQLite store: designs with their full revision history, training runs (metrics,
checkpoints) and local telemetry events, in one file per workspace.

Contracts
---------
- **Documents are JSON objects.** Designs, configs, summaries, metrics and event data must
  be dicts that ``json.dumps(..., allow_nan=False)`` accepts (NaN/Infinity, lone
  surrogates, cycles and non-JSON objects are refused with a ``ValueError`` that says
  where). Non-string keys come back as strings, as JSON does. The store never validates a
  design's *meaning*; that is ``modelstudio_widget.design``'s job.
- **Every save is a new revision;** history is never rewritten. ``save_design`` takes the
  revision the caller started from and refuses (``RevisionConflict``) when someone saved
  in between, so two tabs or two kernels never silently overwrite each other.
- **Concurrency.** Several processes (Voilà kernels) may share one file, and one ``Store``
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

import hashlib
import json
import math
import os
import re
import secrets
import socket
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_FILENAME = "modelstudio.sqlite3"
DEFAULT_DESIGN_NAME = "Untitled design"
RUN_STATUSES = frozenset({"running", "stopped", "finished", "failed", "interrupted"})

MAX_NAME_CHARS = 120
MAX_NOTE_CHARS = 2000
MAX_TAG_CHARS = 128  # request ids and the design ids carried by events
MAX_DOCUMENT_BYTES = 16 * 2**20
#: Telemetry is local and bounded: older events are pruned beyond this many.
EVENT_RETENTION = 100_000

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_KIND_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:/-]{0,63}")
# Control characters (newlines included), line/paragraph separators and bidi overrides:
# a name is shown in lists and file names, where these hide or reorder text.
_BAD_NAME_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class StoreError(Exception):
    """Base class of the store's own errors."""


class NotFound(StoreError):
    """No such design (or revision, run): unknown, or deleted and not asked for."""


class AlreadyExists(StoreError):
    """``create_design`` was given an explicit id that is taken (deleted designs included)."""


class StoreBusy(StoreError):
    """Another writer held the database for longer than the store's ``timeout``."""


class RevisionConflict(StoreError):
    """A save started from ``base_revision`` but the design is now at ``current_revision``.

    ``current`` is the design as it is now, so the caller can show it, merge, or retry on
    the new base. Nothing was written.
    """

    def __init__(self, design_id: str, base_revision: int, current: DesignRecord) -> None:
        self.design_id = design_id
        self.base_revision = base_revision
        self.current_revision = current.revision
        self.current = current
        super().__init__(
            f"design {design_id!r} was edited elsewhere: this save started from revision "
            f"{base_revision} but the current revision is {current.revision}"
        )


@dataclass(frozen=True)
class DesignRecord:
    """One revision of a design. ``design`` is a fresh dict whose ``id`` and ``name`` match
    the record's; ``updated_at`` is when this revision was saved (unix seconds)."""

    id: str
    name: str
    revision: int
    design: dict[str, Any]
    created_at: float
    updated_at: float
    deleted_at: float | None = None


@dataclass(frozen=True)
class DesignMeta:
    id: str
    name: str
    revision: int
    updated_at: float


@dataclass(frozen=True)
class RevisionMeta:
    revision: int
    name: str
    saved_at: float
    base_revision: int | None  # None for the first revision
    note: str


@dataclass(frozen=True)
class RunControl:
    """Cross-process control of a run: unix times, None when never."""

    watched_at: float | None
    stop_requested_at: float | None


@dataclass(frozen=True)
class RunRecord:
    """A training run. ``design`` is the exact design JSON it trained (a copy, so later
    edits to the design never change what a checkpoint means)."""

    id: str
    design_id: str | None
    design_revision: int | None
    design: dict[str, Any]
    config: dict[str, Any]
    status: str
    summary: dict[str, Any] | None
    created_at: float
    updated_at: float
    owner_pid: int
    owner_host: str


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    run_id: str
    path: str
    step: int
    metrics: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class EventRecord:
    id: int
    kind: str
    at: float
    request_id: str | None
    design_id: str | None
    data: dict[str, Any] | None


# --------------------------------------------------------------------------- schema
# Migration N (1-based) brings PRAGMA user_version from N-1 to N. Append, never edit.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE designs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,           -- the current revision's name
            revision INTEGER NOT NULL,    -- the current (highest) revision
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            deleted_at REAL               -- soft delete: NULL while visible
        )""",
        "CREATE INDEX designs_by_update ON designs (updated_at)",
        """CREATE TABLE design_revisions (
            design_id TEXT NOT NULL REFERENCES designs (id),
            revision INTEGER NOT NULL,
            name TEXT NOT NULL,
            design_json TEXT NOT NULL,
            saved_at REAL NOT NULL,
            base_revision INTEGER,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (design_id, revision)
        )""",
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            design_id TEXT REFERENCES designs (id),
            design_revision INTEGER,
            design_json TEXT NOT NULL,
            config_json TEXT NOT NULL,
            status TEXT NOT NULL,
            summary_json TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            owner_pid INTEGER NOT NULL,
            owner_host TEXT NOT NULL,
            owner_started TEXT            -- owner's start time (Linux /proc): pid reuse guard
        )""",
        "CREATE INDEX runs_by_design ON runs (design_id, created_at)",
        "CREATE INDEX runs_by_status ON runs (status)",
        """CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs (id),
            step INTEGER NOT NULL,
            metrics_json TEXT NOT NULL,
            recorded_at REAL NOT NULL
        )""",
        "CREATE INDEX metrics_by_run ON metrics (run_id, step)",
        # AUTOINCREMENT: ids are never reused, so the highest id is the newest checkpoint
        # even across runs and even if the wall clock jumps.
        """CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            path TEXT NOT NULL,
            step INTEGER NOT NULL,
            metrics_json TEXT,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX checkpoints_by_run ON checkpoints (run_id, id)",
        # No foreign key on design_id: telemetry may mention designs that never got saved.
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            request_id TEXT,
            design_id TEXT,
            data_json TEXT
        )""",
        "CREATE INDEX events_by_kind ON events (kind, id)",
    ),
    # 2: cross-kernel run control. Under Voila every page load is a new kernel: a page
    # that reloads mid-training watches (and may stop) a run owned by another process.
    (
        "ALTER TABLE runs ADD COLUMN watched_at REAL",  # last heartbeat of a watching page
        "ALTER TABLE runs ADD COLUMN stop_requested_at REAL",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


# ----------------------------------------------------------------------- validation
def _check_id(value: object, what: str = "design id") -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise ValueError(
            f"{what} must be 1-64 characters of letters, digits, '_', '.', '-' and start "
            f"with a letter or digit; got {value!r:.80}"
        )
    return value


def _check_name(value: object) -> str:
    """A design name, stripped of surrounding whitespace."""
    if not isinstance(value, str):
        raise ValueError(f"design name must be a string, not {type(value).__name__}")
    name = value.strip()
    if not name:
        raise ValueError("design name must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"design name is {len(name)} characters long; the limit is "
                         f"{MAX_NAME_CHARS}")
    bad = _BAD_NAME_CHARS.search(name)
    if bad:
        raise ValueError(f"design name contains the control character {bad.group()!r}")
    _check_utf8(name, "design name")
    return name


def _check_tag(value: object, what: str) -> str | None:
    """An optional short label (request id, event design id): no control characters."""
    if value is None:
        return None
    if (not isinstance(value, str) or not value or len(value) > MAX_TAG_CHARS
            or _BAD_NAME_CHARS.search(value)):
        raise ValueError(f"{what} must be a non-empty string of at most {MAX_TAG_CHARS} "
                         f"printable characters; got {value!r:.80}")
    _check_utf8(value, what)
    return value


def _check_int(value: object, what: str, *, minimum: int) -> int:
    # type() is int, not isinstance: True is an int too.
    if type(value) is not int or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}; got {value!r:.80}")
    return value


def _check_note(note: object) -> str:
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise ValueError(f"note must be a str of at most {MAX_NOTE_CHARS} characters")
    _check_utf8(note, "note")
    return note


def _check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains a lone surrogate and is not valid text") from None


def _nonfinite_path(value: Any, path: str) -> str | None:
    """Where the first NaN/Infinity sits in a JSON-like value (for error messages)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} is {value!r}"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _nonfinite_path(item, f"{path}[{key!r}]")
        if found:
            return found
    return None


def _dumps(value: object, what: str) -> str:
    """Compact JSON for a dict, or a ``ValueError`` that says what is wrong and where."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object (dict), not {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as e:
        if "Circular" in str(e):
            raise ValueError(f"{what} contains a circular reference") from None
        where = _nonfinite_path(value, what) or f"{what} contains NaN or Infinity"
        raise ValueError(f"{where}; JSON has no NaN or Infinity (use None)") from None
    except (TypeError, RecursionError) as e:
        raise ValueError(f"{what} is not JSON-serialisable: {e}") from None
    _check_utf8(text, what)
    if len(text) > MAX_DOCUMENT_BYTES:  # characters <= bytes: a cheap first bound
        raise ValueError(f"{what} is {len(text)} characters of JSON; the limit is "
                         f"{MAX_DOCUMENT_BYTES} bytes")
    return text


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# ------------------------------------------------------------------ process liveness
def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) from Linux /proc, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # Field 2, the command name, is parenthesised and may itself contain ') ': split
    # after the last ')'. What follows starts at field 3 (state); start time is field 22.
    fields = data[data.rfind(b")") + 2:].split()
    if len(fields) < 20:
        return None
    return fields[0].decode(), fields[19].decode()


def _own_start_token() -> str | None:
    stat = _proc_stat(os.getpid())
    return stat[1] if stat else None


def _process_alive(pid: int, started: str | None) -> bool:
    """Whether the process that owned a run (on this host) still runs. Errs towards
    "alive": a live run wrongly marked interrupted would be worse than a stale one."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, but belongs to another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): the pid exists, which is all we can tell
    state, start = stat
    if state == "Z":
        return False  # dead, not yet reaped by its parent
    # Same pid, different start time: the pid was reused (containers restart at pid 1).
    return started is None or start == started


# ---------------------------------------------------------------------------- store
class _Connection(sqlite3.Connection):
    """sqlite3.Connection is not weak-referenceable; a subclass is."""


class Store:
    """Designs, runs and events in one SQLite file. See the module docstring for the
    concurrency and durability contracts.

    One connection per thread (``threading.local``), opened on first use; ``close()``
    closes them all, so call it once the other threads are done with the store.
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
        self._owner_host = socket.gethostname()
        self._owner_started = _own_start_token()
        try:
            self._migrate()
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreError(f"{self.path} is not a usable Model Studio database: {e}") from e
        except BaseException:
            self.close()
            raise

    @classmethod
    def in_workspace(cls, workspace: str | os.PathLike[str] | None = None, **kwargs: Any
                     ) -> Store:
        """The workspace's store, ``<workspace>/modelstudio.sqlite3`` (see ``workspace``)."""
        from modelstudio_widget.workspace import resolve_workspace

        return cls(resolve_workspace(workspace) / DB_FILENAME, **kwargs)

    # -- connections and transactions
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        if os.getpid() != self._pid:
            # A forked child must not use (or close) its parent's connections: SQLite
            # forbids carrying a connection across fork. Keep them alive, unused.
            self._inherited.extend(self._connections)
            self._local, self._connections = threading.local(), weakref.WeakSet()
            self._pid = os.getpid()
            self._owner_started = _own_start_token()
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
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any
        exception (so validation errors raised inside leave nothing behind)."""
        conn = self._conn()
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
        conn = self._conn()
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._write() as conn:
            # Re-read inside the write lock: another process may have just migrated.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema version {version}; this Model "
                                 f"Studio knows up to {SCHEMA_VERSION}: upgrade it")
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close every thread's connection. Using the store afterwards raises StoreError."""
        self._closed = True
        with self._registry_lock:
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for conn in connections:
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- designs
    def create_design(self, design: dict[str, Any], *, name: str | None = None,
                      design_id: str | None = None) -> DesignRecord:
        """Store a new design as revision 1.

        Id: ``design_id`` if given (``AlreadyExists`` if taken, deleted designs included),
        else ``design["id"]`` if it is a valid id that is free, else a fresh ``d-xxxxxxxx``.
        Name: ``name``, else ``design["name"]`` if it is a string, else "Untitled design".
        The stored JSON's ``id`` and ``name`` are set to the record's.
        """
        if not isinstance(design, dict):
            raise ValueError(f"design must be a JSON object (dict), not {type(design).__name__}")
        if name is None:
            name = design["name"] if isinstance(design.get("name"), str) else DEFAULT_DESIGN_NAME
        name = _check_name(name)
        if design_id is not None:
            _check_id(design_id)
        suggested = design.get("id")
        with self._write() as conn:
            def taken(candidate: str) -> bool:
                return conn.execute("SELECT 1 FROM designs WHERE id = ?",
                                    (candidate,)).fetchone() is not None

            if design_id is not None:
                if taken(design_id):
                    raise AlreadyExists(f"a design with id {design_id!r} already exists")
            elif isinstance(suggested, str) and _ID_RE.fullmatch(suggested) \
                    and not taken(suggested):
                design_id = suggested
            else:
                design_id = "d-" + secrets.token_hex(4)
                while taken(design_id):
                    design_id = "d-" + secrets.token_hex(4)
            doc = {**design, "id": design_id, "name": name}
            text = _dumps(doc, "design")
            now = time.time()
            conn.execute("INSERT INTO designs (id, name, revision, created_at, updated_at) "
                         "VALUES (?, ?, 1, ?, ?)", (design_id, name, now, now))
            conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json,"
                         " saved_at) VALUES (?, 1, ?, ?, ?)", (design_id, name, text, now))
        return DesignRecord(design_id, name, 1, json.loads(text), now, now)

    _DESIGN_SELECT = (
        "SELECT d.id, r.name, r.revision, r.design_json, d.created_at, r.saved_at, "
        "d.deleted_at FROM designs d JOIN design_revisions r ON r.design_id = d.id "
    )

    def _get_design(self, conn: sqlite3.Connection, design_id: object, revision: int | None,
                    include_deleted: bool) -> DesignRecord:
        if not isinstance(design_id, str):
            raise ValueError(f"design id must be a string, not {type(design_id).__name__}")
        if revision is not None:
            _check_int(revision, "revision", minimum=1)
        row = conn.execute(self._DESIGN_SELECT + "AND r.revision = COALESCE(?, d.revision) "
                           "WHERE d.id = ?", (revision, design_id)).fetchone()
        if row is None:
            visible = conn.execute("SELECT 1 FROM designs WHERE id = ? AND (deleted_at IS "
                                   "NULL OR ?)", (design_id, include_deleted)).fetchone()
            if visible and revision is not None:
                raise NotFound(f"design {design_id!r} has no revision {revision}")
            raise NotFound(f"no design {design_id!r}")
        if row[6] is not None and not include_deleted:
            raise NotFound(f"design {design_id!r} was deleted")
        return DesignRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6])

    def get_design(self, design_id: str, revision: int | None = None, *,
                   include_deleted: bool = False) -> DesignRecord:
        """The latest revision (or the given one). ``NotFound`` if unknown or deleted
        (unless ``include_deleted``) or if the revision does not exist."""
        return self._get_design(self._conn(), design_id, revision, include_deleted)

    def list_designs(self, *, include_deleted: bool = False) -> list[DesignMeta]:
        """Designs, most recently saved first."""
        rows = self._conn().execute(
            "SELECT id, name, revision, updated_at FROM designs "
            + ("" if include_deleted else "WHERE deleted_at IS NULL ")
            + "ORDER BY updated_at DESC, id").fetchall()
        return [DesignMeta(*row) for row in rows]

    def _current(self, conn: sqlite3.Connection, design_id: object) -> tuple[int, str]:
        """(revision, name) of a visible design, inside a write transaction."""
        if not isinstance(design_id, str):
            raise ValueError(f"design id must be a string, not {type(design_id).__name__}")
        row = conn.execute("SELECT revision, name FROM designs WHERE id = ? "
                           "AND deleted_at IS NULL", (design_id,)).fetchone()
        if row is None:
            raise NotFound(f"no design {design_id!r}")
        return row

    def _append_revision(self, conn: sqlite3.Connection, design_id: str, revision: int,
                         name: str, doc: dict[str, Any], base_revision: int, note: str
                         ) -> DesignRecord:
        doc = {**doc, "id": design_id, "name": name}
        text = _dumps(doc, "design")
        now = time.time()
        conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json, "
                     "saved_at, base_revision, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (design_id, revision, name, text, now, base_revision, note))
        conn.execute("UPDATE designs SET revision = ?, name = ?, updated_at = ? WHERE id = ?",
                     (revision, name, now, design_id))
        created_at = conn.execute("SELECT created_at FROM designs WHERE id = ?",
                                  (design_id,)).fetchone()[0]
        return DesignRecord(design_id, name, revision, json.loads(text), created_at, now)

    def save_design(self, design_id: str, design: dict[str, Any], *, base_revision: int,
                    note: str = "") -> DesignRecord:
        """Save ``design`` as the next revision, provided the design is still at
        ``base_revision`` (the revision the caller loaded); else ``RevisionConflict`` and
        nothing is written. The stored JSON's ``id`` is set to ``design_id``; the name comes
        from ``design["name"]`` if it is a string, else the current name is kept.
        ``NotFound`` if the design is unknown or deleted."""
        if not isinstance(design, dict):
            raise ValueError(f"design must be a JSON object (dict), not {type(design).__name__}")
        _check_int(base_revision, "base_revision", minimum=1)
        note = _check_note(note)
        with self._write() as conn:
            current, current_name = self._current(conn, design_id)
            if base_revision != current:
                raise RevisionConflict(design_id, base_revision,
                                       self._get_design(conn, design_id, None, False))
            name = _check_name(design["name"]) if isinstance(design.get("name"), str) \
                else current_name
            return self._append_revision(conn, design_id, current + 1, name, design,
                                         base_revision, note)

    def rename_design(self, design_id: str, name: str, *, base_revision: int | None = None
                      ) -> DesignRecord:
        """Rename as a new revision (same design JSON, new name). With ``base_revision``,
        ``RevisionConflict`` if the design moved on. Renaming to the current name is a
        no-op that returns the current record."""
        name = _check_name(name)
        if base_revision is not None:
            _check_int(base_revision, "base_revision", minimum=1)
        with self._write() as conn:
            current, current_name = self._current(conn, design_id)
            record = self._get_design(conn, design_id, None, False)
            if base_revision is not None and base_revision != current:
                raise RevisionConflict(design_id, base_revision, record)
            if name == current_name:
                return record
            return self._append_revision(conn, design_id, current + 1, name, record.design,
                                         current, f"renamed from {current_name!r}")

    def delete_design(self, design_id: str) -> None:
        """Soft delete: hidden from list/get, history and runs kept. Deleting a deleted
        design does nothing; ``NotFound`` if the id is unknown."""
        with self._write() as conn:
            done = conn.execute("UPDATE designs SET deleted_at = ? WHERE id = ? "
                                "AND deleted_at IS NULL", (time.time(), design_id)).rowcount
            if not done and not conn.execute("SELECT 1 FROM designs WHERE id = ?",
                                             (design_id,)).fetchone():
                raise NotFound(f"no design {design_id!r}")

    def history(self, design_id: str, *, include_deleted: bool = False) -> list[RevisionMeta]:
        """Every revision, oldest first."""
        conn = self._conn()
        self._get_design(conn, design_id, None, include_deleted)  # NotFound check
        rows = conn.execute("SELECT revision, name, saved_at, base_revision, note FROM "
                            "design_revisions WHERE design_id = ? ORDER BY revision",
                            (design_id,)).fetchall()
        return [RevisionMeta(*row) for row in rows]

    # -- training runs
    _RUN_SELECT = ("SELECT id, design_id, design_revision, design_json, config_json, status, "
                   "summary_json, created_at, updated_at, owner_pid, owner_host FROM runs ")

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunRecord:
        return RunRecord(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]),
                         row[5], _loads(row[6]), row[7], row[8], row[9], row[10])

    def create_run(self, design_id: str | None, *, design: dict[str, Any],
                   config: dict[str, Any], design_revision: int | None = None) -> str:
        """Start a run (status "running", owned by this process) and return its id,
        ``r-`` + 12 hex digits. ``design`` is stored as given: the design it trains.
        ``design_id`` (deleted designs allowed) and ``design_revision`` must exist."""
        design_text = _dumps(design, "design")
        config_text = _dumps(config, "config")
        if design_id is None and design_revision is not None:
            raise ValueError("design_revision needs a design_id")
        with self._write() as conn:
            if design_id is not None:
                self._get_design(conn, design_id, design_revision, True)  # NotFound check
            run_id = "r-" + secrets.token_hex(6)
            now = time.time()
            conn.execute(
                "INSERT INTO runs (id, design_id, design_revision, design_json, config_json, "
                "status, created_at, updated_at, owner_pid, owner_host, owner_started) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                (run_id, design_id, design_revision, design_text, config_text, now, now,
                 os.getpid(), self._owner_host, self._owner_started))
        return run_id

    def update_run(self, run_id: str, *, status: str | None = None,
                   summary: dict[str, Any] | None = None) -> None:
        """Set the status (one of ``RUN_STATUSES``) and/or replace the summary. Setting
        "running" makes this process the run's owner (a resumed run)."""
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {sorted(RUN_STATUSES)}; "
                             f"got {status!r:.80}")
        summary_text = None if summary is None else _dumps(summary, "summary")
        with self._write() as conn:
            done = conn.execute(
                "UPDATE runs SET status = COALESCE(?, status), "
                "summary_json = COALESCE(?, summary_json), updated_at = ? WHERE id = ?",
                (status, summary_text, time.time(), run_id)).rowcount
            if not done:
                raise NotFound(f"no run {run_id!r}")
            if status == "running":
                conn.execute("UPDATE runs SET owner_pid = ?, owner_host = ?, owner_started = ?"
                             " WHERE id = ?", (os.getpid(), self._owner_host,
                                               self._owner_started, run_id))

    def get_run(self, run_id: str) -> RunRecord:
        row = self._conn().execute(self._RUN_SELECT + "WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return self._run(row)

    def list_runs(self, design_id: str | None = None) -> list[RunRecord]:
        """All runs, or one design's, newest first."""
        rows = self._conn().execute(
            self._RUN_SELECT + ("WHERE design_id = ? " if design_id is not None else "")
            + "ORDER BY created_at DESC, rowid DESC",
            () if design_id is None else (design_id,)).fetchall()
        return [self._run(row) for row in rows]

    def _require_run(self, conn: sqlite3.Connection, run_id: str) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise NotFound(f"no run {run_id!r}")

    def add_metrics(self, run_id: str, step: int, metrics: dict[str, Any]) -> None:
        """Append one metrics snapshot (one small transaction; cheap enough for ~1/s)."""
        _check_int(step, "step", minimum=0)
        text = _dumps(metrics, "metrics")
        with self._write() as conn:
            self._require_run(conn, run_id)
            conn.execute("INSERT INTO metrics (run_id, step, metrics_json, recorded_at) "
                         "VALUES (?, ?, ?, ?)", (run_id, step, text, time.time()))

    def metrics(self, run_id: str, *, since_step: int | None = None
                ) -> list[tuple[int, dict[str, Any]]]:
        """Snapshots in step order (insertion order within a step); with ``since_step``
        only those with a larger step."""
        if since_step is not None:
            _check_int(since_step, "since_step", minimum=-1)
        conn = self._conn()
        self._require_run(conn, run_id)
        rows = conn.execute("SELECT step, metrics_json FROM metrics WHERE run_id = ? AND "
                            "step > ? ORDER BY step, rowid",
                            (run_id, -1 if since_step is None else since_step)).fetchall()
        return [(step, json.loads(text)) for step, text in rows]

    def add_checkpoint(self, run_id: str, *, path: str | os.PathLike[str], step: int,
                       metrics: dict[str, Any] | None = None) -> int:
        """Record a checkpoint file (the store does not read or check the file)."""
        path = os.fspath(path)
        if not isinstance(path, str) or not path or "\x00" in path:
            raise ValueError(f"checkpoint path must be a non-empty str; got {path!r:.80}")
        _check_int(step, "step", minimum=0)
        text = None if metrics is None else _dumps(metrics, "metrics")
        with self._write() as conn:
            self._require_run(conn, run_id)
            cursor = conn.execute("INSERT INTO checkpoints (run_id, path, step, metrics_json, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)",
                                  (run_id, path, step, text, time.time()))
            return int(cursor.lastrowid or 0)

    _CHECKPOINT_SELECT = ("SELECT c.id, c.run_id, c.path, c.step, c.metrics_json, c.created_at"
                          " FROM checkpoints c ")

    def latest_checkpoint(self, run_id: str) -> CheckpointRecord | None:
        """The run's most recently recorded checkpoint; None if it has none."""
        conn = self._conn()
        self._require_run(conn, run_id)
        row = conn.execute(self._CHECKPOINT_SELECT + "WHERE c.run_id = ? ORDER BY c.id DESC "
                           "LIMIT 1", (run_id,)).fetchone()
        return None if row is None else CheckpointRecord(*row[:4], _loads(row[4]), row[5])

    def latest_checkpoint_for_design(self, design_id: str) -> CheckpointRecord | None:
        """The most recently recorded checkpoint of any of the design's runs (deleted
        designs included); None if there is none. ``NotFound`` if the id is unknown."""
        conn = self._conn()
        self._get_design(conn, design_id, None, True)  # NotFound check
        row = conn.execute(self._CHECKPOINT_SELECT + "JOIN runs ON runs.id = c.run_id WHERE "
                           "runs.design_id = ? ORDER BY c.id DESC LIMIT 1",
                           (design_id,)).fetchone()
        return None if row is None else CheckpointRecord(*row[:4], _loads(row[4]), row[5])

    # -- cross-process run control (a page in another kernel watching or stopping a run)
    def watch_run(self, run_id: str) -> None:
        """Record that a page (in any process) is watching the run right now."""
        with self._write() as conn:
            if not conn.execute("UPDATE runs SET watched_at = ? WHERE id = ?",
                                (time.time(), run_id)).rowcount:
                raise NotFound(f"no run {run_id!r}")

    def request_stop(self, run_id: str) -> None:
        """Ask the run's owner to stop it (it checks between iterations)."""
        with self._write() as conn:
            if not conn.execute("UPDATE runs SET stop_requested_at = ? WHERE id = ?",
                                (time.time(), run_id)).rowcount:
                raise NotFound(f"no run {run_id!r}")

    def run_control(self, run_id: str) -> RunControl:
        """When a page last watched the run, and whether a stop was requested."""
        row = self._conn().execute("SELECT watched_at, stop_requested_at FROM runs WHERE "
                                   "id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return RunControl(row[0], row[1])

    def active_run(self, design_id: str) -> RunRecord | None:
        """The design's newest run that is training now in a live process, if any."""
        self.mark_interrupted_runs()
        row = self._conn().execute(self._RUN_SELECT + "WHERE design_id = ? AND status = "
                                   "'running' ORDER BY created_at DESC, rowid DESC LIMIT 1",
                                   (design_id,)).fetchone()
        return None if row is None else self._run(row)

    def mark_interrupted_runs(self) -> list[str]:
        """Mark "interrupted" every "running" run whose owning process (on this host) has
        died; return their ids. Runs owned by other hosts are left alone: their processes
        cannot be seen from here."""
        rows = self._conn().execute(
            "SELECT id, owner_pid, owner_started FROM runs WHERE status = 'running' AND "
            "owner_host = ?", (self._owner_host,)).fetchall()
        dead = [(run_id, pid) for run_id, pid, started in rows
                if not _process_alive(pid, started)]
        marked = []
        if dead:
            with self._write() as conn:
                for run_id, pid in dead:
                    # Guarded by status and pid: the run may have been resumed meanwhile.
                    if conn.execute("UPDATE runs SET status = 'interrupted', updated_at = ? "
                                    "WHERE id = ? AND status = 'running' AND owner_pid = ?",
                                    (time.time(), run_id, pid)).rowcount:
                        marked.append(run_id)
        return marked

    # -- local telemetry (never leaves this file)
    def record_event(self, kind: str, *, request_id: str | None = None,
                     design_id: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Append an event. ``kind``: a short dotted label such as "validate" or
        "compile.error". Keeps the newest ``EVENT_RETENTION`` events."""
        if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
            raise ValueError("event kind must be 1-64 characters: a letter, then letters, "
                             f"digits or '_.:/-'; got {kind!r:.80}")
        request_id = _check_tag(request_id, "request_id")
        design_id = _check_tag(design_id, "design_id")
        text = None if data is None else _dumps(data, "event data")
        with self._write() as conn:
            event_id = conn.execute(
                "INSERT INTO events (kind, at, request_id, design_id, data_json) "
                "VALUES (?, ?, ?, ?, ?)", (kind, time.time(), request_id, design_id, text)
            ).lastrowid or 0
            if event_id % 1000 == 0:  # prune now and then, not on every insert
                conn.execute("DELETE FROM events WHERE id <= ?", (event_id - EVENT_RETENTION,))

    def events(self, kind: str | None = None, *, limit: int = 1000) -> list[EventRecord]:
        """The newest ``limit`` events (of one kind, if given), newest first."""
        _check_int(limit, "limit", minimum=0)
        rows = self._conn().execute(
            "SELECT id, kind, at, request_id, design_id, data_json FROM events "
            + ("WHERE kind = ? " if kind is not None else "") + "ORDER BY id DESC LIMIT ?",
            ((kind,) if kind is not None else ()) + (limit,)).fetchall()
        return [EventRecord(*row[:5], _loads(row[5])) for row in rows]


# ----------------------------------------------------------------------------- dump
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)})


def safe_file_stem(design_id: str) -> str:
    """A file name stem for a design id: ids that are already safe are kept as they are;
    anything else (separators, '..', odd characters, Windows device names) is replaced
    and gets a hash of the original id, so distinct ids rarely collide."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", design_id).strip("._-")[:64]
    if not stem or stem != design_id or stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        digest = hashlib.sha256(design_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem or 'design'}-{digest}"
    return stem


def dump_designs(store: Store, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write each visible design's latest revision to ``out_dir/<safe id>.json`` (pretty
    JSON, written atomically) and return the paths. File names never leave ``out_dir``,
    whatever the ids contain; ids that map to the same name get a numeric suffix."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()  # lower-cased: case-insensitive file systems
    paths = []
    for meta in store.list_designs():
        try:
            record = store.get_design(meta.id)
        except NotFound:
            continue  # deleted meanwhile by another kernel
        stem = name = safe_file_stem(meta.id)
        counter = 1
        while name.lower() in used:
            counter += 1
            name = f"{stem}-{counter}"
        used.add(name.lower())
        target = out / f"{name}.json"
        tmp = out / f".{name}.json.tmp"
        tmp.write_text(json.dumps(record.design, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, target)  # readers never see a half-written file
        paths.append(target)
    return paths
