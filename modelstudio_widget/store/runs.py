"""Training runs with their metrics and checkpoints, and the cross-process control of a
run (a page in another kernel watching or stopping it)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from modelstudio_widget.ids import RUN_ID_PREFIX, RUN_ID_RE
from modelstudio_widget.store.checks import check_int, dumps, loads
from modelstudio_widget.store.connection import DatabasePart
from modelstudio_widget.store.designs import fetch_design
from modelstudio_widget.store.liveness import process_alive, this_process
from modelstudio_widget.store.records import (
    CheckpointRecord,
    NotFound,
    RunControl,
    RunRecord,
    StoreError,
)

log = logging.getLogger(__name__)

RUN_STATUSES = frozenset({"running", "stopped", "finished", "failed", "interrupted"})

_RUN_SELECT = ("SELECT id, design_id, design_revision, design_json, config_json, status, "
               "summary_json, created_at, updated_at, owner_pid, owner_host FROM runs ")
_CHECKPOINT_SELECT = ("SELECT c.id, c.run_id, c.path, c.step, c.metrics_json, c.created_at"
                      " FROM checkpoints c ")


def _run(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]),
                     row[5], loads(row[6]), row[7], row[8], row[9], row[10])


def _checkpoint(row: tuple[Any, ...] | None) -> CheckpointRecord | None:
    return None if row is None else CheckpointRecord(*row[:4], loads(row[4]), row[5])


class RunIsTraining(StoreError):
    """The run is training in a live process: stop it before deleting it."""


#: Run ids per SQL statement (SQLite caps the number of bound parameters).
_IDS_PER_QUERY = 500


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ids = list(ids)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start:start + _IDS_PER_QUERY]


def _require_run(conn: sqlite3.Connection, run_id: str) -> None:
    if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
        raise NotFound(f"no run {run_id!r}")


class Runs(DatabasePart):
    """Training runs, each owned by the process that trains it."""

    def create_run(self, design_id: str | None, *, design: dict[str, Any],
                   config: dict[str, Any], design_revision: int | None = None) -> str:
        """Start a run (status "running", owned by this process) and return its id,
        ``r-`` + 12 hex digits. ``design`` is stored as given: the design it trains.
        ``design_id`` (deleted designs allowed) and ``design_revision`` must exist."""
        design_text = dumps(design, "design")
        config_text = dumps(config, "config")
        if design_id is None and design_revision is not None:
            raise ValueError("design_revision needs a design_id")
        with self.database.write() as conn:
            if design_id is not None:
                fetch_design(conn, design_id, design_revision, True)  # NotFound check
            run_id = RUN_ID_PREFIX + secrets.token_hex(6)
            now = time.time()
            conn.execute(
                "INSERT INTO runs (id, design_id, design_revision, design_json, config_json, "
                "status, created_at, updated_at, owner_pid, owner_host, owner_started) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                (run_id, design_id, design_revision, design_text, config_text, now, now,
                 *this_process()))
        return run_id

    def update_run(self, run_id: str, *, status: str | None = None,
                   summary: dict[str, Any] | None = None) -> None:
        """Set the status (one of ``RUN_STATUSES``) and/or replace the summary. Setting
        "running" makes this process the run's owner (a resumed run)."""
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {sorted(RUN_STATUSES)}; "
                             f"got {status!r:.80}")
        summary_text = None if summary is None else dumps(summary, "summary")
        with self.database.write() as conn:
            done = conn.execute(
                "UPDATE runs SET status = COALESCE(?, status), "
                "summary_json = COALESCE(?, summary_json), updated_at = ? WHERE id = ?",
                (status, summary_text, time.time(), run_id)).rowcount
            if not done:
                raise NotFound(f"no run {run_id!r}")
            if status == "running":
                conn.execute("UPDATE runs SET owner_pid = ?, owner_host = ?, owner_started = ?"
                             " WHERE id = ?", (*this_process(), run_id))

    def get_run(self, run_id: str) -> RunRecord:
        row = self.database.connection().execute(_RUN_SELECT + "WHERE id = ?",
                                                 (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return _run(row)

    def list_runs(self, design_id: str | None = None) -> list[RunRecord]:
        """All runs, or one design's, newest first."""
        rows = self.database.connection().execute(
            _RUN_SELECT + ("WHERE design_id = ? " if design_id is not None else "")
            + "ORDER BY created_at DESC, rowid DESC",
            () if design_id is None else (design_id,)).fetchall()
        return [_run(row) for row in rows]

    def add_metrics(self, run_id: str, step: int, metrics: dict[str, Any]) -> None:
        """Append one metrics snapshot (one small transaction; cheap enough for ~1/s)."""
        check_int(step, "step", minimum=0)
        text = dumps(metrics, "metrics")
        with self.database.write() as conn:
            _require_run(conn, run_id)
            conn.execute("INSERT INTO metrics (run_id, step, metrics_json, recorded_at) "
                         "VALUES (?, ?, ?, ?)", (run_id, step, text, time.time()))

    def metrics(self, run_id: str, *, since_step: int | None = None
                ) -> list[tuple[int, dict[str, Any]]]:
        """Snapshots in step order (insertion order within a step); with ``since_step``
        only those with a larger step."""
        if since_step is not None:
            check_int(since_step, "since_step", minimum=-1)
        conn = self.database.connection()
        _require_run(conn, run_id)
        rows = conn.execute("SELECT step, metrics_json FROM metrics WHERE run_id = ? AND "
                            "step > ? ORDER BY step, rowid",
                            (run_id, -1 if since_step is None else since_step)).fetchall()
        return [(step, json.loads(text)) for step, text in rows]

    def score_points(self, run_ids: Iterable[str]
                     ) -> dict[str, list[tuple[int, float, float | None]]]:
        """Each run's ``(step, mean_score, elapsed_s)`` rows in step order, rows without a
        mean score left out. One query per 500 runs; SQLite reads only these two fields of
        each row, so a long run's history costs little (the page lists 100 runs at once)."""
        points: dict[str, list[tuple[int, float, float | None]]] = {}
        conn = self.database.connection()
        for chunk in _chunks(run_ids):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT run_id, step, json_extract(metrics_json, '$.mean_score'), "
                "json_extract(metrics_json, '$.elapsed_s') FROM metrics "
                f"WHERE run_id IN ({marks}) ORDER BY run_id, step, rowid", chunk).fetchall()
            for run_id, step, score, elapsed in rows:
                if isinstance(score, (int, float)):
                    points.setdefault(run_id, []).append(
                        (step, float(score),
                         float(elapsed) if isinstance(elapsed, (int, float)) else None))
        return points

    def latest_metrics(self, run_ids: Iterable[str]) -> dict[str, tuple[int, dict[str, Any]]]:
        """Each run's most recently recorded metrics row, ``(step, metrics)``; runs with no
        rows are left out."""
        latest: dict[str, tuple[int, dict[str, Any]]] = {}
        conn = self.database.connection()
        for chunk in _chunks(run_ids):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT run_id, step, metrics_json FROM metrics WHERE rowid IN (SELECT "
                f"MAX(rowid) FROM metrics WHERE run_id IN ({marks}) GROUP BY run_id)",
                chunk).fetchall()
            latest.update((run_id, (step, json.loads(text))) for run_id, step, text in rows)
        return latest

    def add_checkpoint(self, run_id: str, *, path: str | os.PathLike[str], step: int,
                       metrics: dict[str, Any] | None = None) -> int:
        """Record a checkpoint file (the store does not read or check the file)."""
        path = os.fspath(path)
        if not isinstance(path, str) or not path or "\x00" in path:
            raise ValueError(f"checkpoint path must be a non-empty str; got {path!r:.80}")
        check_int(step, "step", minimum=0)
        text = None if metrics is None else dumps(metrics, "metrics")
        with self.database.write() as conn:
            _require_run(conn, run_id)
            cursor = conn.execute("INSERT INTO checkpoints (run_id, path, step, metrics_json, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)",
                                  (run_id, path, step, text, time.time()))
            return int(cursor.lastrowid or 0)

    def latest_checkpoint(self, run_id: str) -> CheckpointRecord | None:
        """The run's most recently recorded checkpoint; None if it has none."""
        conn = self.database.connection()
        _require_run(conn, run_id)
        return _checkpoint(conn.execute(_CHECKPOINT_SELECT + "WHERE c.run_id = ? ORDER BY "
                                        "c.id DESC LIMIT 1", (run_id,)).fetchone())

    def latest_checkpoint_for_design(self, design_id: str) -> CheckpointRecord | None:
        """The most recently recorded checkpoint of any of the design's runs (deleted
        designs included); None if there is none. ``NotFound`` if the id is unknown."""
        conn = self.database.connection()
        fetch_design(conn, design_id, None, True)  # NotFound check
        return _checkpoint(conn.execute(_CHECKPOINT_SELECT + "JOIN runs ON runs.id = c.run_id"
                                        " WHERE runs.design_id = ? ORDER BY c.id DESC LIMIT 1",
                                        (design_id,)).fetchone())

    def delete_run(self, run_id: str) -> None:
        """Delete a run for good: its metrics, checkpoint rows, evaluations and the run
        itself, then its checkpoint files (``<workspace>/checkpoints/<run id>/``, the folder
        next to the store file where the training manager writes them). ``RunIsTraining``
        if it trains in a live process (stop it first); ``NotFound`` if unknown."""
        if not isinstance(run_id, str) or not RUN_ID_RE.fullmatch(run_id):
            raise NotFound(f"no run {run_id!r:.80}")
        self.mark_interrupted_runs()  # a run whose kernel died may go
        with self.database.write() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise NotFound(f"no run {run_id!r}")
            if row[0] == "running":
                raise RunIsTraining(f"run {run_id} is training: stop it before deleting it")
            tables = ["metrics", "checkpoints"]
            # The evaluations table comes with a later migration (the evaluate feature).
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'evaluations'").fetchone():
                tables.append("evaluations")
            for table in tables:
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        # Files after the rows: a file that cannot go is only wasted space, never a row
        # pointing at a missing checkpoint.
        folder = self.database.path.parent / "checkpoints" / run_id
        if folder.is_dir():
            shutil.rmtree(folder, onerror=lambda _f, path, exc: log.warning(
                "could not delete %s: %s", path, exc[1]))

    # -- cross-process run control (a page in another kernel watching or stopping a run)
    def _stamp(self, run_id: str, column: str) -> None:
        with self.database.write() as conn:
            if not conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?",
                                (time.time(), run_id)).rowcount:
                raise NotFound(f"no run {run_id!r}")

    def watch_run(self, run_id: str) -> None:
        """Record that a page (in any process) is watching the run right now."""
        self._stamp(run_id, "watched_at")

    def request_stop(self, run_id: str) -> None:
        """Ask the run's owner to stop it (it checks between iterations)."""
        self._stamp(run_id, "stop_requested_at")

    def run_control(self, run_id: str) -> RunControl:
        """When a page last watched the run, and whether a stop was requested."""
        row = self.database.connection().execute(
            "SELECT watched_at, stop_requested_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return RunControl(row[0], row[1])

    def active_run(self, design_id: str) -> RunRecord | None:
        """The design's newest run that is training now in a live process, if any."""
        self.mark_interrupted_runs()
        row = self.database.connection().execute(
            _RUN_SELECT + "WHERE design_id = ? AND status = 'running' "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1", (design_id,)).fetchone()
        return None if row is None else _run(row)

    def mark_interrupted_runs(self) -> list[str]:
        """Mark "interrupted" every "running" run whose owning process (on this host) has
        died; return their ids. Runs owned by other hosts are left alone: their processes
        cannot be seen from here."""
        _, host, _ = this_process()
        rows = self.database.connection().execute(
            "SELECT id, owner_pid, owner_started FROM runs WHERE status = 'running' AND "
            "owner_host = ?", (host,)).fetchall()
        dead = [(run_id, pid) for run_id, pid, started in rows
                if not process_alive(pid, started)]
        marked = []
        if dead:
            with self.database.write() as conn:
                for run_id, pid in dead:
                    # Guarded by status and pid: the run may have been resumed meanwhile.
                    if conn.execute("UPDATE runs SET status = 'interrupted', updated_at = ? "
                                    "WHERE id = ? AND status = 'running' AND owner_pid = ?",
                                    (time.time(), run_id, pid)).rowcount:
                        marked.append(run_id)
        return marked
