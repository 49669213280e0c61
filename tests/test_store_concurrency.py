"""The store's file: reopening, refusing foreign or newer files, and its behaviour under
threads, concurrent processes and a process killed mid-write."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from store_testing import DESIGN, fresh_store  # noqa: F401 (the store fixture)

from modelstudio_widget.store import DB_FILENAME, Store, StoreError

WRITER = Path(__file__).parent / "store_helpers" / "writer.py"
REPO_ROOT = Path(__file__).resolve().parents[1]


def spawn_writer(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, str(WRITER), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_reopen_keeps_everything_and_in_workspace(tmp_path: Path) -> None:
    with Store.in_workspace(tmp_path / "ws") as s:
        rec = s.create_design(DESIGN)
        assert s.path == (tmp_path / "ws" / DB_FILENAME).resolve()
    with Store(tmp_path / "ws" / DB_FILENAME) as s:
        assert s.get_design(rec.id) == rec
        assert s.database.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(StoreError, match="closed"):
        s.list_designs()


def test_refuses_foreign_files_and_newer_schemas(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable"):
        Store(junk)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="schema version 999"):
        Store(newer)
    with pytest.raises(ValueError):
        Store(":memory:")

def test_one_store_shared_by_a_training_thread(store: Store) -> None:
    rec = store.create_design(DESIGN)
    run = store.create_run(rec.id, design=DESIGN, config={})
    errors: list[BaseException] = []

    def trainer() -> None:
        try:
            for step in range(300):
                store.add_metrics(run, step, {"score": float(step)})
            store.add_checkpoint(run, path="last.pt", step=299)
        except BaseException as e:  # surfaced below; a thread's errors vanish otherwise
            errors.append(e)

    thread = threading.Thread(target=trainer)
    thread.start()
    for i in range(100):  # meanwhile the widget thread autosaves and reads
        store.save_design(rec.id, {**DESIGN, "i": i}, base_revision=i + 1)
        store.metrics(run)
    thread.join()
    assert not errors
    assert len(store.metrics(run)) == 300 and store.get_design(rec.id).revision == 101
    assert store.latest_checkpoint(run).path == "last.pt"


def test_two_processes_writing_lose_nothing(store: Store, tmp_path: Path) -> None:
    rec = store.create_design(DESIGN)
    go, count = tmp_path / "go", 200
    workers = [spawn_writer("append", store.path, rec.id, name, count, go) for name in "AB"]
    for w in workers:
        assert w.stdout.readline().strip() == "ready", w.stderr.read()
    go.touch()
    for w in workers:
        out, err = w.communicate(timeout=60)
        assert w.returncode == 0 and "locked" not in err, err
        assert out.startswith("done")
    hist = store.history(rec.id)
    assert [h.revision for h in hist] == list(range(1, 2 * count + 2))
    assert all(h.base_revision == h.revision - 1 for h in hist[1:])  # never skipped a base
    seen = sorted((d["worker"], d["i"]) for d in
                  (store.get_design(rec.id, h.revision).design for h in hist[1:]))
    assert seen == sorted((w, i) for w in "AB" for i in range(count))
    events = store.events("test.append", limit=10_000)
    assert sorted((e.data["worker"], e.data["i"]) for e in events) == seen


def test_killed_writer_leaves_a_sound_file(store: Store) -> None:
    sys.path.insert(0, str(WRITER.parent))
    try:
        from writer import payload
    finally:
        sys.path.remove(str(WRITER.parent))
    rec = store.create_design(DESIGN)
    committed, runs = 1, []
    for _ in range(5):  # kill it five times, resuming from whatever survived
        writer = spawn_writer("forever", store.path, rec.id)
        first = writer.stdout.readline()
        assert first.startswith("run "), writer.stderr.read()
        runs.append(first.split()[1])
        for _ in range(random.randint(20, 60)):
            committed = int(writer.stdout.readline())
        time.sleep(random.random() * 0.01)  # land somewhere inside a write
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
        writer.stderr.close()

        with Store(store.path) as fresh:
            conn = fresh.database.connection()
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            current = fresh.get_design(rec.id).revision
            assert current >= committed  # everything reported committed survived
            for rev in range(2, current + 1):
                assert fresh.get_design(rec.id, rev).design == {
                    **payload(rev), "id": rec.id, "name": "Small MoE"}
            if sys.platform.startswith("linux"):
                assert fresh.mark_interrupted_runs() == [runs[-1]]
            assert fresh.get_run(runs[-1]).status != "running"
    assert [h.revision for h in store.history(rec.id)] == list(range(1, current + 1))
