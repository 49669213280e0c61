"""The SQLite store: designs with their full revision history, training runs (metrics,
checkpoints) and local telemetry events, in one file per workspace.

``Store`` is the one class callers use; it joins the per-concern parts, which share one
``Database``. What lives where:

- ``connection``: the file, one connection per thread, write transactions, migrations
  (and the concurrency and crash-safety contracts);
- ``schema``: the migrations, i.e. the tables;
- ``designs``: designs and revisions; ``runs``: runs, metrics, checkpoints, run control;
  ``evaluations``: a run's evaluations (games played with a checkpoint); ``events``:
  telemetry;
- ``records``: the frozen records handed back and the exceptions;
- ``checks``: checks of ids, names, notes and the strict JSON written;
- ``liveness``: which process owns a run and whether it still runs;
- ``dump``: designs written out as JSON files.

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
- **Concurrency and crash safety:** see ``modelstudio_widget.store.connection``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelstudio_widget.ids import MAX_NAME_CHARS
from modelstudio_widget.store.checks import MAX_DOCUMENT_BYTES, MAX_NOTE_CHARS, MAX_TAG_CHARS
from modelstudio_widget.store.connection import DB_FILENAME, Database
from modelstudio_widget.store.designs import DEFAULT_DESIGN_NAME, Designs
from modelstudio_widget.store.dump import dump_designs, safe_file_stem
from modelstudio_widget.store.evaluations import EvaluationRecord, Evaluations
from modelstudio_widget.store.events import EVENT_RETENTION, Events
from modelstudio_widget.store.records import (
    AlreadyExists,
    CheckpointRecord,
    DesignMeta,
    DesignRecord,
    EventRecord,
    NotFound,
    RevisionConflict,
    RevisionMeta,
    RunControl,
    RunRecord,
    StoreBusy,
    StoreError,
)
from modelstudio_widget.store.runs import RUN_STATUSES, Runs
from modelstudio_widget.store.schema import SCHEMA_VERSION
from modelstudio_widget.workspace import resolve_workspace

__all__ = [
    "DB_FILENAME", "DEFAULT_DESIGN_NAME", "EVENT_RETENTION", "MAX_DOCUMENT_BYTES",
    "MAX_NAME_CHARS", "MAX_NOTE_CHARS", "MAX_TAG_CHARS", "RUN_STATUSES", "SCHEMA_VERSION",
    "AlreadyExists", "CheckpointRecord", "Database", "DesignMeta", "DesignRecord",
    "EvaluationRecord", "EventRecord", "NotFound", "RevisionConflict", "RevisionMeta", "RunControl", "RunRecord",
    "Store", "StoreBusy", "StoreError", "dump_designs", "safe_file_stem",
]


class Store(Designs, Runs, Evaluations, Events):
    """Designs, runs (with their evaluations) and events in one SQLite file. See the module docstring for the
    contracts, and ``connection`` for concurrency and durability.

    One connection per thread, opened on first use; ``close()`` closes them all, so call
    it once the other threads are done with the store.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        """Open the file at ``path``, created and migrated as needed; ``timeout`` and the
        errors raised are as ``Database`` says."""
        super().__init__(Database(path, timeout=timeout))

    @classmethod
    def in_workspace(cls, workspace: str | os.PathLike[str] | None = None, **kwargs: Any
                     ) -> Store:
        """The workspace's store, ``<workspace>/modelstudio.sqlite3`` (see ``workspace``)."""
        return cls(resolve_workspace(workspace) / DB_FILENAME, **kwargs)

    @property
    def path(self) -> Path:
        """The SQLite file (absolute)."""
        return self.database.path

    @property
    def timeout(self) -> float:
        """Seconds a writer waits for another writer before ``StoreBusy``."""
        return self.database.timeout

    def close(self) -> None:
        """Close every thread's connection. Using the store afterwards raises StoreError."""
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
