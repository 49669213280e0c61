"""The store's runs (metrics, checkpoints, interrupted owners, cross-kernel control) and
its telemetry events."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from store_testing import DESIGN, fresh_store  # noqa: F401 (the store fixture)

from modelstudio_widget.store import NotFound, RunControl, Store


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
    conn = store.database.connection()
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
    monkeypatch.setattr("modelstudio_widget.store.events.EVENT_RETENTION", 10)
    for i in range(2001):
        store.record_event("tick", data={"i": i})
    kept = store.events(limit=5000)
    assert 10 <= len(kept) <= 1010  # pruned every 1000 inserts, never below the limit
    assert kept[0].data == {"i": 2000}

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
