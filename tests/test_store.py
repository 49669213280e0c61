"""The SQLite store: revisions and conflicts, runs, events, dumps, bad input, and its
behaviour under threads, concurrent processes and a process killed mid-write."""

from __future__ import annotations

import json
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
from hypothesis import given, settings
from hypothesis import strategies as st

from modelstudio_widget.store import (
    DB_FILENAME,
    AlreadyExists,
    NotFound,
    RevisionConflict,
    RunControl,
    Store,
    StoreError,
    dump_designs,
    safe_file_stem,
)

WRITER = Path(__file__).parent / "store_helpers" / "writer.py"
REPO_ROOT = Path(__file__).resolve().parents[1]
DESIGN = {"schema_version": 1, "name": "Small MoE", "meta": {"d_model": 128},
          "components": [{"id": "in", "type": "board_input", "props": {}}], "edges": []}


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "ws" / DB_FILENAME) as s:
        yield s


def spawn_writer(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, str(WRITER), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ------------------------------------------------------------------------ designs
def test_create_get_and_list(store: Store) -> None:
    rec = store.create_design(DESIGN)
    assert rec.revision == 1 and rec.name == "Small MoE" and rec.id.startswith("d-")
    assert rec.design == {**DESIGN, "id": rec.id}  # id synced into the JSON
    assert store.get_design(rec.id) == rec
    other = store.create_design({**DESIGN, "id": "d-mine"}, name="Other")
    assert other.id == "d-mine" and other.design["name"] == "Other"
    assert [m.id for m in store.list_designs()] == ["d-mine", rec.id]  # newest first


def test_create_design_id_rules(store: Store) -> None:
    store.create_design(DESIGN, design_id="d-x")
    # design["id"] taken -> a fresh id; explicit id taken -> AlreadyExists
    assert store.create_design({**DESIGN, "id": "d-x"}).id not in ("d-x", None)
    with pytest.raises(AlreadyExists):
        store.create_design(DESIGN, design_id="d-x")
    # an unusable id inside the JSON is replaced, not trusted
    assert store.create_design({**DESIGN, "id": "../evil"}).id.startswith("d-")
    assert store.create_design({"edges": []}).name == "Untitled design"


def test_save_rename_history_and_get_by_revision(store: Store) -> None:
    rec = store.create_design(DESIGN)
    r2 = store.save_design(rec.id, {**DESIGN, "meta": {"d_model": 64}}, base_revision=1,
                           note="smaller")
    r3 = store.rename_design(rec.id, "  Tiny MoE ", base_revision=2)
    assert (r2.revision, r3.revision) == (2, 3)
    assert r3.name == "Tiny MoE" and r3.design["name"] == "Tiny MoE"
    assert r3.design["meta"] == {"d_model": 64}  # rename keeps the content
    assert store.rename_design(rec.id, "Tiny MoE") == store.get_design(rec.id)  # no-op
    hist = store.history(rec.id)
    assert [h.revision for h in hist] == [1, 2, 3]
    assert [h.base_revision for h in hist] == [None, 1, 2]
    assert hist[1].note == "smaller" and [h.name for h in hist][::2] == ["Small MoE", "Tiny MoE"]
    assert store.get_design(rec.id, 1).design == rec.design
    assert store.get_design(rec.id, 2).design["meta"] == {"d_model": 64}
    assert store.list_designs()[0].revision == 3
    # a name inside the saved JSON renames; without one the name is kept
    assert store.save_design(rec.id, {"x": 1}, base_revision=3).name == "Tiny MoE"
    assert store.save_design(rec.id, {"name": "Big"}, base_revision=4).name == "Big"
    with pytest.raises(NotFound, match="no revision 9"):
        store.get_design(rec.id, 9)


def test_delete_hides_but_keeps_history(store: Store) -> None:
    keep, gone = store.create_design(DESIGN), store.create_design(DESIGN)
    store.save_design(gone.id, DESIGN, base_revision=1)
    store.delete_design(gone.id)
    store.delete_design(gone.id)  # idempotent
    assert [m.id for m in store.list_designs()] == [keep.id]
    assert {m.id for m in store.list_designs(include_deleted=True)} == {keep.id, gone.id}
    for call in (lambda: store.get_design(gone.id),
                 lambda: store.save_design(gone.id, DESIGN, base_revision=2),
                 lambda: store.rename_design(gone.id, "x"),
                 lambda: store.history(gone.id)):
        with pytest.raises(NotFound):
            call()
    assert store.get_design(gone.id, include_deleted=True).deleted_at is not None
    assert len(store.history(gone.id, include_deleted=True)) == 2


def test_revision_conflict_between_two_tabs(store: Store) -> None:
    rec = store.create_design(DESIGN)
    tab_a = store.get_design(rec.id)
    tab_b = store.get_design(rec.id)
    saved_a = store.save_design(rec.id, {**tab_a.design, "edges": [["a", "b"]]},
                                base_revision=tab_a.revision)
    with pytest.raises(RevisionConflict) as info:
        store.save_design(rec.id, {**tab_b.design, "edges": [["b", "a"]]},
                          base_revision=tab_b.revision)
    err = info.value
    assert (err.design_id, err.base_revision, err.current_revision) == (rec.id, 1, 2)
    assert err.current == saved_a  # the caller gets what is there now
    assert store.get_design(rec.id).design["edges"] == [["a", "b"]]  # nothing overwritten
    assert len(store.history(rec.id)) == 2
    merged = store.save_design(rec.id, {**err.current.design, "edges": [["b", "a"]]},
                               base_revision=err.current_revision)
    assert merged.revision == 3
    with pytest.raises(RevisionConflict):
        store.rename_design(rec.id, "late", base_revision=2)


def test_reopen_keeps_everything_and_in_workspace(tmp_path: Path) -> None:
    with Store.in_workspace(tmp_path / "ws") as s:
        rec = s.create_design(DESIGN)
        assert s.path == (tmp_path / "ws" / DB_FILENAME).resolve()
    with Store(tmp_path / "ws" / DB_FILENAME) as s:
        assert s.get_design(rec.id) == rec
        assert s._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
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


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("design", [
    [1, 2], "{}", None,
    {"x": float("nan")}, {"meta": {"lr": float("inf")}}, {"l": [1, -float("inf")]},
    {"x": object()}, {"x": {1, 2}}, {"s": "\ud800"},
])
def test_bad_designs_are_refused(store: Store, design: object) -> None:
    with pytest.raises(ValueError):
        store.create_design(design)  # type: ignore[arg-type]
    rec = store.create_design(DESIGN)
    with pytest.raises(ValueError):
        store.save_design(rec.id, design, base_revision=1)  # type: ignore[arg-type]
    assert store.get_design(rec.id).revision == 1


def test_nan_error_says_where(store: Store) -> None:
    with pytest.raises(ValueError, match=r"design\['meta'\]\['lr'\] is nan"):
        store.create_design({"meta": {"lr": float("nan")}})
    circular: dict = {}
    circular["self"] = circular
    with pytest.raises(ValueError, match="circular"):
        store.create_design(circular)


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "two\nlines", "nul\x00", "tab\there",
                                  "\u202eevil", 42, None])
def test_absurd_names_are_refused(store: Store, name: object) -> None:
    rec = store.create_design(DESIGN)
    with pytest.raises(ValueError, match="name"):
        store.rename_design(rec.id, name)  # type: ignore[arg-type]
    if name is not None:
        with pytest.raises(ValueError, match="name"):
            store.create_design(DESIGN, name=name)  # type: ignore[arg-type]
    assert store.create_design(DESIGN, name="Émoji 🧠 ok").name == "Émoji 🧠 ok"


@pytest.mark.parametrize("design_id", ["", "../x", "a/b", ".hidden", "x" * 65, "sp ace", 7])
def test_bad_explicit_ids_are_refused(store: Store, design_id: object) -> None:
    with pytest.raises(ValueError, match="design id"):
        store.create_design(DESIGN, design_id=design_id)  # type: ignore[arg-type]


def test_bad_arguments_and_unknown_ids(store: Store) -> None:
    rec = store.create_design(DESIGN)
    for base in (True, "1", 0, None):
        with pytest.raises(ValueError, match="base_revision"):
            store.save_design(rec.id, DESIGN, base_revision=base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="note"):
        store.save_design(rec.id, DESIGN, base_revision=1, note="n" * 5000)
    for call in (lambda: store.get_design("d-nope"),
                 lambda: store.save_design("d-nope", DESIGN, base_revision=1),
                 lambda: store.rename_design("d-nope", "x"),
                 lambda: store.delete_design("d-nope"),
                 lambda: store.history("d-nope"),
                 lambda: store.create_run("d-nope", design=DESIGN, config={}),
                 lambda: store.create_run(rec.id, design=DESIGN, config={}, design_revision=5),
                 lambda: store.get_run("r-nope"),
                 lambda: store.update_run("r-nope", status="failed"),
                 lambda: store.add_metrics("r-nope", 0, {}),
                 lambda: store.metrics("r-nope"),
                 lambda: store.add_checkpoint("r-nope", path="x.pt", step=0),
                 lambda: store.latest_checkpoint("r-nope"),
                 lambda: store.latest_checkpoint_for_design("d-nope")):
        with pytest.raises(NotFound):
            call()
    run = store.create_run(rec.id, design=DESIGN, config={})
    with pytest.raises(ValueError, match="status"):
        store.update_run(run, status="exploded")
    with pytest.raises(ValueError, match="step"):
        store.add_metrics(run, -1, {})
    with pytest.raises(ValueError, match="NaN"):
        store.add_metrics(run, 1, {"loss": float("nan")})
    with pytest.raises(ValueError, match="config"):
        store.create_run(None, design=DESIGN, config=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        store.record_event("bad kind\n")
    with pytest.raises(ValueError, match="request_id"):
        store.record_event("ok", request_id="x\ny")


# ---------------------------------------------------------------- runs and events
def test_runs_metrics_and_checkpoints(store: Store) -> None:
    rec = store.create_design(DESIGN)
    run = store.create_run(rec.id, design=rec.design, config={"lr": 3e-4}, design_revision=1)
    assert run.startswith("r-")
    got = store.get_run(run)
    assert (got.status, got.design, got.config, got.summary) == ("running", rec.design,
                                                                 {"lr": 3e-4}, None)
    assert got.owner_pid == os.getpid()
    for step in range(0, 50, 10):
        store.add_metrics(run, step, {"score": step * 2.0, "tiles": {"256": 0.1}})
    assert [s for s, _ in store.metrics(run)] == [0, 10, 20, 30, 40]
    assert store.metrics(run, since_step=20) == [(30, {"score": 60.0, "tiles": {"256": 0.1}}),
                                                 (40, {"score": 80.0, "tiles": {"256": 0.1}})]
    assert store.latest_checkpoint(run) is None
    store.add_checkpoint(run, path="ckpt/a.pt", step=10)
    cid = store.add_checkpoint(run, path=Path("ckpt/b.pt"), step=40, metrics={"score": 80})
    latest = store.latest_checkpoint(run)
    assert latest is not None and (latest.id, latest.path, latest.step, latest.metrics) == (
        cid, "ckpt/b.pt", 40, {"score": 80})
    store.update_run(run, status="finished", summary={"mean_score": 1234.5})
    store.update_run(run, summary={"mean_score": 1300.0})  # status kept
    got = store.get_run(run)
    assert (got.status, got.summary) == ("finished", {"mean_score": 1300.0})
    # a detached run (no stored design) is fine too
    assert store.get_run(store.create_run(None, design={"x": 1}, config={})).design_id is None


def test_latest_checkpoint_for_design_is_newest_across_runs(store: Store) -> None:
    rec, other = store.create_design(DESIGN), store.create_design(DESIGN)
    assert store.latest_checkpoint_for_design(rec.id) is None
    first = store.create_run(rec.id, design=DESIGN, config={})
    second = store.create_run(rec.id, design=DESIGN, config={})
    store.add_checkpoint(second, path="second-early.pt", step=100)
    store.add_checkpoint(first, path="first-late.pt", step=5)  # fewer steps, but newer
    store.add_checkpoint(store.create_run(other.id, design=DESIGN, config={}),
                         path="other.pt", step=1)
    assert store.latest_checkpoint_for_design(rec.id).path == "first-late.pt"
    assert [r.id for r in store.list_runs(rec.id)] == [second, first]
    assert len(store.list_runs()) == 3
    store.delete_design(rec.id)  # export of a deleted design's weights still works
    assert store.latest_checkpoint_for_design(rec.id).path == "first-late.pt"


def test_mark_interrupted_runs(store: Store) -> None:
    alive = store.create_run(None, design={}, config={})
    reused = store.create_run(None, design={}, config={})
    remote = store.create_run(None, design={}, config={})
    finished = store.create_run(None, design={}, config={})
    store.update_run(finished, status="finished")
    conn = store._conn()
    # same pid, different start time: the pid was reused by a new process
    conn.execute("UPDATE runs SET owner_started = 'bogus' WHERE id = ?", (reused,))
    conn.execute("UPDATE runs SET owner_host = 'elsewhere', owner_pid = 1 WHERE id = ?",
                 (remote,))
    expected = [reused] if sys.platform.startswith("linux") else []
    assert store.mark_interrupted_runs() == expected
    assert store.get_run(alive).status == "running"
    assert store.get_run(remote).status == "running"  # can't see other hosts' processes
    assert store.get_run(finished).status == "finished"
    assert store.mark_interrupted_runs() == []
    store.update_run(reused, status="running")  # resumed: this process owns it again
    assert store.mark_interrupted_runs() == []


def test_events_recorded_and_filtered(store: Store) -> None:
    store.record_event("validate", request_id="q-1", design_id="d-1", data={"ms": 3})
    store.record_event("compile.error", data={"code": "CYCLE"})
    store.record_event("validate", request_id="q-2")
    assert [e.request_id for e in store.events("validate")] == ["q-2", "q-1"]  # newest first
    assert store.events("validate")[1].data == {"ms": 3}
    assert [e.kind for e in store.events()] == ["validate", "compile.error", "validate"]
    assert len(store.events(limit=2)) == 2
    assert store.events("nothing") == []


def test_events_are_pruned_to_the_retention_limit(store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("modelstudio_widget.store.EVENT_RETENTION", 10)
    for i in range(2001):
        store.record_event("tick", data={"i": i})
    kept = store.events(limit=5000)
    assert 10 <= len(kept) <= 1010  # pruned every 1000 inserts, never below the limit
    assert kept[0].data == {"i": 2000}


# -------------------------------------------------------------------------- dumps
def test_dump_designs_writes_one_safe_file_per_design(store: Store, tmp_path: Path) -> None:
    a = store.create_design(DESIGN, design_id="d-a")
    store.save_design(a.id, {**DESIGN, "edges": [["in", "out"]]}, base_revision=1)
    store.create_design(DESIGN, design_id="CON")  # a Windows device name
    store.delete_design(store.create_design(DESIGN).id)
    # Ids this store refuses can still come from an older version or a hand edit.
    conn = store._conn()
    for evil in ("../../etc/x", "/abs/path", "..", "a\\b", "d-a/"):
        conn.execute("INSERT INTO designs (id, name, revision, created_at, updated_at) "
                     "VALUES (?, 'evil', 1, 0, 0)", (evil,))
        conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json, "
                     "saved_at) VALUES (?, 1, 'evil', ?, 0)", (evil, json.dumps({"id": evil})))
    out = tmp_path / "dump"
    paths = dump_designs(store, out)
    assert len(paths) == 7 and len({p.name.lower() for p in paths}) == 7
    for path in paths:
        assert path.parent == out and path.resolve().parent == out.resolve()
        assert not path.name.startswith(".") and path.suffix == ".json"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temps
    assert json.loads((out / "d-a.json").read_text())["edges"] == [["in", "out"]]
    assert not (out / "CON.json").exists()
    ids = {json.loads(p.read_text())["id"] for p in paths}
    assert {"../../etc/x", "..", "d-a", "CON"} <= ids
    assert not (tmp_path / "etc").exists()


@given(st.text(max_size=80))
def test_safe_file_stem_never_escapes(design_id: str) -> None:
    stem = safe_file_stem(design_id)
    assert stem and not stem.startswith(".") and len(stem) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in stem)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_any_json_object_round_trips(tmp_path_factory: pytest.TempPathFactory,
                                     doc: dict) -> None:
    with Store(tmp_path_factory.getbasetemp() / "roundtrip.sqlite3") as s:
        rec = s.create_design(doc, name="rt")
        assert s.get_design(rec.id).design == {**doc, "id": rec.id, "name": "rt"}
        run = s.create_run(None, design=doc, config=doc)
        assert s.get_run(run).config == doc


# ------------------------------------------------------ threads, processes, crashes
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
            conn = fresh._conn()
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


def test_run_control_watch_stop_and_active_run(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    design = store.create_design({"components": [], "edges": []}, name="d")
    run_id = store.create_run(design.id, design=design.design, config={})
    assert store.run_control(run_id) == RunControl(None, None)
    assert store.active_run(design.id).id == run_id  # runs start "running"
    store.update_run(run_id, status="stopped")
    assert store.active_run(design.id) is None
    store.update_run(run_id, status="running")
    store.watch_run(run_id)
    store.request_stop(run_id)
    control = store.run_control(run_id)
    assert control.watched_at and control.stop_requested_at
    for call in (store.watch_run, store.request_stop, store.run_control):
        with pytest.raises(NotFound):
            call("r-nope")
