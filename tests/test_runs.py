"""Runs: summaries and curves from the store, deleting a run, ``ms.runs()`` with its
stored runs (evaluate, export, resume), and the runs sheet's kernel commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from store_testing import DESIGN
from waiting import wait_for

import modelstudio_widget as ms
from modelstudio_widget.ids import RUN_ID_RE
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.store.runs import RunIsTraining
from modelstudio_widget.training.runs import (
    SPARKLINE_POINTS,
    NotResumable,
    RunQueries,
    thin,
    training_curve,
)

FAST = {"num_envs": 16, "num_steps": 8, "minibatch_size": 64, "update_epochs": 1}


def fast_config(seed: int = 0) -> Any:
    return ms.PPOConfig.from_dict({**FAST, "seed": seed})


def fake_run(store: Store, design_id: str, *, scores: list[float], status: str = "finished",
             config: dict | None = None) -> str:
    """A run with one metrics row per score (100 moves apart), as the manager records."""
    run_id = store.create_run(design_id, design=DESIGN, config=config or {"seed": 1})
    for i, score in enumerate(scores):
        store.add_metrics(run_id, 100 * (i + 1), {
            "mean_score": score, "best_score": int(max(scores[:i + 1]) * 2),
            "global_step": 100 * (i + 1), "elapsed_s": float(i), "max_tile_rates": {"512": 0.5, "1024": 0.25},
            "board": [0] * 16})
    if status != "running":
        store.update_run(run_id, status=status, summary={
            "global_step": 100 * len(scores), "mean_score": scores[-1] if scores else None,
            "best_score": 4096, "max_tile_rates": {"512": 0.75, "1024": 0.5, "2048": 0.125},
            "elapsed_s": 12.5})
    return run_id


@pytest.fixture
def store(workspace: Path):
    with Store.in_workspace(workspace) as s:
        yield s


# --- queries (no torch) -------------------------------------------------------------------
def test_summaries_are_newest_first_with_their_numbers(store: Store) -> None:
    design = store.create_design(DESIGN)
    old = fake_run(store, design.id, scores=[10, 20, 30], config={"seed": 1, "sweep": {"i": 0}})
    time.sleep(0.01)
    store.save_design(design.id, {**design.design, "meta": {"d_model": 64}}, base_revision=1)
    time.sleep(0.01)
    live = fake_run(store, design.id, scores=[5, 7], status="running")
    other = store.create_design(DESIGN)
    fake_run(store, other.id, scores=[1])

    listed = RunQueries(store).summaries(design.id)
    assert [s.id for s in listed] == [live, old]
    now, then = listed
    assert (now.status, now.revision, now.moves, now.mean_score) == ("training", 2, 200, 7.0)
    assert now.tile_rates == {"512": 0.5, "1024": 0.25, "2048": 0.0}  # from the latest row
    assert (then.status, then.revision, then.design_name) == ("finished", 1, "Small MoE")
    # An ended run's numbers are its final summary's.
    assert (then.moves, then.mean_score, then.best_score) == (300, 30.0, 4096)
    assert then.tile_rates == {"512": 0.75, "1024": 0.5, "2048": 0.125}
    assert then.duration_s == 12.5 and then.settings["seed"] == 1 and then.sweep == {"i": 0}
    assert then.sparkline == [[100, 10.0], [200, 20.0], [300, 30.0]]
    assert then.evaluation is None and not then.resumable
    data = then.to_dict()
    assert json.loads(json.dumps(data)) == data and data["resumable"] is False
    assert len(RunQueries(store).summaries()) == 3  # every design's


def test_the_curve_counts_training_time_across_resumes() -> None:
    rows = [(100, 1.0, 0.0), (200, 2.0, 5.0), (300, 3.0, 10.0),  # first segment: 10 s
            (400, 4.0, 1.0), (500, 5.0, 4.0), (600, 6.0, None)]  # resumed
    assert training_curve(rows) == [[100, 1.0, 0.0], [200, 2.0, 5.0], [300, 3.0, 10.0],
                                    [400, 4.0, 11.0], [500, 5.0, 14.0], [600, 6.0, 14.0]]


def test_thin_keeps_the_end_and_averages_buckets() -> None:
    points = [[i, float(i)] for i in range(1000)]
    out = thin(points, 32)
    assert len(out) == 32 and out[-1] == [999, 999.0] and out[0] == [15.5, 15.5]  # the mean of 0..31
    assert all(a[0] < b[0] for a, b in zip(out, out[1:]))
    assert thin(points[:5], 32) == points[:5]


def test_a_long_run_sends_its_full_curve_and_a_short_sparkline(store: Store) -> None:
    design = store.create_design(DESIGN)
    run_id = fake_run(store, design.id, scores=[float(i) for i in range(500)])
    queries = RunQueries(store)
    curve = queries.curve(run_id)
    assert len(curve) == 500 and curve[-1] == [50000, 499.0, 499.0]
    assert len(queries.summary(run_id).sparkline) == SPARKLINE_POINTS
    assert queries.latest_metrics(run_id)["global_step"] == 50000
    with pytest.raises(NotFound):
        queries.curve("r-000000000000")


def test_a_hundred_runs_are_summarised_quickly(store: Store) -> None:
    design = store.create_design(DESIGN)
    rows = [(f"r-{i:012x}", 100 * (j + 1), json.dumps(
        {"mean_score": float(j), "elapsed_s": float(j), "global_step": 100 * (j + 1),
         "board": [0] * 16, "losses": {"policy": 0.1}}), 0.0)
        for i in range(100) for j in range(300)]  # 100 runs of 5 minutes each
    with store.database.write() as conn:  # bulk rows: 30,000 add_metrics would be slow
        conn.executemany("INSERT INTO runs (id, design_id, design_json, config_json, status,"
                         " created_at, updated_at, owner_pid, owner_host) VALUES (?, ?, '{}',"
                         " '{}', 'stopped', ?, ?, 1, 'h')",
                         [(f"r-{i:012x}", design.id, float(i), float(i)) for i in range(100)])
        conn.executemany("INSERT INTO metrics (run_id, step, metrics_json, recorded_at) "
                         "VALUES (?, ?, ?, ?)", rows)
    start = time.perf_counter()
    listed = RunQueries(store).summaries(design.id)
    seconds = time.perf_counter() - start
    assert len(listed) == 100 and listed[0].id == f"r-{99:012x}"
    assert all(len(s.sparkline) == SPARKLINE_POINTS and s.moves == 30000 for s in listed)
    assert seconds < 3.0, f"100 runs took {seconds:.2f} s"


# --- deleting -----------------------------------------------------------------------------
def test_delete_run_removes_rows_and_files(store: Store, workspace: Path) -> None:
    design = store.create_design(DESIGN)
    kept = fake_run(store, design.id, scores=[1.0])
    gone = fake_run(store, design.id, scores=[1.0, 2.0])
    folder = workspace / "checkpoints" / gone
    folder.mkdir(parents=True)
    (folder / "step_000000000100.pt").write_bytes(b"weights")
    store.add_checkpoint(gone, path=folder / "step_000000000100.pt", step=100)
    for run_id in (gone, kept):
        store.add_evaluation(run_id, games=100, seed=0, mean_score=1.0, se=0.1, best_score=4,
                             max_tile_rates={})
    store.delete_run(gone)
    with pytest.raises(NotFound):
        store.get_run(gone)
    assert not folder.exists() and [r.id for r in store.list_runs()] == [kept]
    conn = store.database.connection()
    for table in ("metrics", "checkpoints", "evaluations"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?",
                            (gone,)).fetchone()[0] == 0
    assert store.metrics(kept) and conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 1
    with pytest.raises(NotFound):
        store.delete_run(gone)
    with pytest.raises(NotFound):
        store.delete_run("../etc")


def test_a_training_run_is_not_deleted_but_a_dead_ones_is(store: Store) -> None:
    design = store.create_design(DESIGN)
    live = fake_run(store, design.id, scores=[1.0], status="running")  # this process owns it
    with pytest.raises(RunIsTraining, match="stop it"):
        store.delete_run(live)
    assert store.get_run(live).status == "running"
    dead = fake_run(store, design.id, scores=[1.0], status="running")
    with store.database.write() as conn:  # owned by a process that is gone
        conn.execute("UPDATE runs SET owner_pid = ? WHERE id = ?", (2**22 + 12345, dead))
    store.delete_run(dead)
    assert [r.id for r in store.list_runs()] == [live]


def test_run_ids_follow_the_one_pattern(store: Store) -> None:
    run_id = store.create_run(None, design={}, config={})
    assert RUN_ID_RE.fullmatch(run_id)
    for bad in ("r-ABCDEF012345", "r-0123", "d-0123456789ab", "r-0123456789abc"):
        assert not RUN_ID_RE.fullmatch(bad)


# --- ms.runs(): stored runs as Python objects ---------------------------------------------
def test_ms_runs_are_evaluated_exported_and_framed(workspace: Path) -> None:
    design = ms.Store.in_workspace(workspace).create_design(ms.templates()["tiny"])
    batch = FAST["num_envs"] * FAST["num_steps"]
    first = ms.train(design.design, steps=batch * 2, seed=1, config=fast_config(),
                     progress=False, design_id=design.id)
    second = ms.train(design.design, steps=batch * 3, seed=2, config=fast_config(),
                      progress=False, design_id=design.id)
    listed = ms.runs(design.id)
    assert [r.run_id for r in listed] == [second.run_id, first.run_id]
    assert [r.summary.moves for r in listed] == [batch * 3, batch * 2]
    assert [r.summary.settings["seed"] for r in listed] == [2, 1]
    assert ms.runs(design.design) == listed and len(ms.runs()) == 2
    run = listed[1]
    # The stored run's weights are the checkpoint's: the same games as the live run's.
    assert ms.evaluate(run, games=4, seed=3) == ms.evaluate(first, games=4, seed=3)
    path = ms.export(run, "pt", workspace / "out.pt")
    assert ms.load(path).num_params() == first.model.num_params()
    assert run.metrics["global_step"] == batch * 2 and run.score_curve == run.metrics["score_curve"]
    frame = listed.to_frame()
    assert list(frame.index) == [second.run_id, first.run_id]
    assert {"status", "mean_score", "rate_2048", "duration_s"} <= set(frame.columns)
    with pytest.raises(NotResumable, match="finished"):
        run.resume(steps=batch)


def test_a_missing_checkpoint_says_so(workspace: Path) -> None:
    design = ms.Store.in_workspace(workspace).create_design(ms.templates()["tiny"])
    trained = ms.train(design.design, steps=128, config=fast_config(), progress=False,
                       design_id=design.id)
    (run,) = ms.runs(design.id)
    for ckpt in workspace.glob(f"checkpoints/{trained.run_id}/*.pt"):
        ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="cannot be read"):
        ms.evaluate(run, games=2)


KERNEL = """
import json, sys, time
import modelstudio_widget as ms
from modelstudio_widget.training.manager import TrainingManager
m = TrainingManager(sys.argv[1], checkpoint_every_s=0.0)  # checkpoint every iteration
m.start(ms.templates()["tiny"], design_id=sys.argv[2],
        config=ms.PPOConfig.from_dict(json.loads(sys.argv[3])))
time.sleep(600)
"""


def test_a_killed_kernel_leaves_an_interrupted_run_that_resumes(workspace: Path) -> None:
    design = ms.Store.in_workspace(workspace).create_design(ms.templates()["tiny"])
    kernel = subprocess.Popen([sys.executable, "-c", KERNEL, str(workspace), design.id,
                               json.dumps(FAST)], env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        wait_for(lambda: len(list(workspace.glob("checkpoints/*/*.pt"))) >= 2, 120)
    finally:
        kernel.kill()  # SIGKILL: no final checkpoint, no status update
        kernel.wait(timeout=30)
    (run,) = ms.runs(design.id)
    assert run.summary.status == "interrupted" and run.summary.resumable
    before = run.trainer.global_step  # the latest checkpoint's
    resumed = run.resume(steps=FAST["num_envs"] * FAST["num_steps"] * 2)
    assert resumed is run and run.summary.status == "finished"
    assert run.summary.moves == before + FAST["num_envs"] * FAST["num_steps"] * 2
    assert run.trainer.global_step == run.summary.moves


# --- the runs sheet's commands ------------------------------------------------------------
class Page:
    """The page's side of the widget: commands in, replies and downloads out."""

    def __init__(self, widget: Any) -> None:
        self.w = widget
        self.sent: list[tuple[dict, list]] = []
        widget.send = lambda content, buffers=None: self.sent.append((content, buffers or []))
        self.n = 0

    def command(self, name: str, /, **args: Any) -> dict[str, Any]:
        self.n += 1
        self.w.handle_message({"kind": "command", "id": f"q{self.n}", "name": name,
                               "args": args})
        return self.sent[-1][0]

    def ok(self, name: str, /, **args: Any) -> Any:
        reply = self.command(name, **args)
        assert reply["ok"], reply
        return reply["result"]


@pytest.fixture
def page(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    from modelstudio_widget.widget import ModelStudio  # deferred: anywidget, for these tests

    monkeypatch.setenv("MODELSTUDIO_TRAIN_CONFIG", json.dumps(FAST))
    widget = ModelStudio(workspace=workspace, watchdog_timeout_s=None)
    yield Page(widget)
    widget.close()


def test_commands_list_open_resume_export_and_delete(page: Page, workspace: Path) -> None:
    w = page.w
    assert page.ok("list_runs") == {"runs": []}
    run_id = page.ok("train")["run_id"]
    wait_for(lambda: w.store.metrics(run_id), 120)
    (listed,) = page.ok("list_runs")["runs"]
    assert listed["id"] == run_id and listed["status"] == "training"
    assert page.command("delete_run", run_id=run_id)["error"]["code"] == "BUSY"
    assert page.command("resume_run", run_id=run_id)["error"]["code"] == "NOT_RESUMABLE"
    page.ok("stop")
    assert w.status["state"] == "idle"
    got = page.ok("get_run", run_id=run_id)
    assert got["run"]["status"] == "stopped" and got["run"]["resumable"]
    assert got["curve"] == [] or len(got["curve"][0]) == 3
    assert got["metrics"]["run_id"] == run_id

    result = page.ok("export_run", run_id=run_id, format="onnx")
    download, buffers = page.sent[-2]
    assert download["kind"] == "download" and download["filename"] == result["filename"]
    assert result["filename"].endswith(".onnx") and run_id in result["filename"]
    assert len(buffers[0]) == download["size"] == result["size"] > 0

    moves = got["run"]["moves"]
    page.ok("resume_run", run_id=run_id, steps=FAST["num_envs"] * FAST["num_steps"])
    wait_for(lambda: w.store.get_run(run_id).status == "finished", 120)
    wait_for(lambda: w.status["state"] == "idle", 30)
    assert page.ok("get_run", run_id=run_id)["run"]["moves"] > moves

    page.ok("delete_run", run_id=run_id)
    assert page.ok("list_runs") == {"runs": []}
    assert not (workspace / "checkpoints" / run_id).exists()
    for name in ("get_run", "delete_run", "resume_run"):
        assert page.command(name, run_id=run_id)["error"]["code"] == "NOT_FOUND"
    assert page.command("export_run", run_id=run_id, format="pt")["error"]["code"] == \
        "NOT_FOUND"
    assert page.command("get_run", run_id="../x")["error"]["code"] == "BAD_ARGS"


def test_resume_shows_training_in_the_status_line(page: Page) -> None:
    w = page.w
    run_id = page.ok("train")["run_id"]
    wait_for(lambda: w.store.metrics(run_id), 120)
    page.ok("stop")
    assert w.status["state"] == "idle"
    page.ok("resume_run", run_id=run_id)  # until stopped
    wait_for(lambda: w.status["state"] == "training", 30)
    assert w.metrics["run_id"] == run_id
    assert page.command("resume_run", run_id=run_id)["error"]["code"] == "NOT_RESUMABLE"
    page.ok("stop")
    assert w.store.get_run(run_id).status == "stopped"


def test_a_run_without_a_checkpoint_is_not_resumed_or_exported(page: Page) -> None:
    w = page.w
    run_id = w.store.create_run(w.design_id, design=w.current_design, config={})
    w.store.update_run(run_id, status="stopped")
    reply = page.command("resume_run", run_id=run_id)
    assert reply["error"]["code"] == "CHECKPOINT" and "no checkpoint" in reply["error"]["message"]
    assert page.command("export_run", run_id=run_id, format="pt")["error"]["code"] == \
        "NO_CHECKPOINT"
    assert w.status["state"] == "idle"
