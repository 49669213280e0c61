"""The training manager: background thread, commands, snapshots, checkpoints, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from waiting import wait_for

import modelstudio_widget as ms
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.training.manager import TrainingManager, downsample
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.tile_rates import TILE_THRESHOLDS

FAST = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)

SNAPSHOT_FIELDS = {
    "state", "run_id", "seq", "update", "global_step", "env_steps_per_second", "episodes",
    "score_curve", "mean_score", "best_score", "max_tile_rates", "losses", "moe", "board",
    "elapsed_s",
}
LOSS_FIELDS = {"policy", "value", "entropy", "aux", "load_balance"}


@pytest.fixture
def manager(workspace: Path):
    m = TrainingManager(workspace, max_publish_hz=10, checkpoint_every_s=3600)
    yield m
    m.shutdown()



def test_start_is_non_blocking_and_snapshots_are_complete(manager: TrainingManager) -> None:
    snapshots: list[dict] = []
    manager.subscribe(snapshots.append)
    record = manager.store.create_design(ms.templates()["moe"])
    t0 = time.monotonic()
    run_id = manager.start(record.design, config=FAST, design_id=record.id)
    assert time.monotonic() - t0 < 10 and manager.state == "training"
    wait_for(lambda: any(s["update"] >= 3 and s["episodes"] for s in snapshots), 120)
    manager.stop()
    snap = snapshots[-1]
    assert snap["state"] == "idle" and snap["run_id"] == run_id
    assert manager.store.latest_checkpoint_for_design(record.id) is not None
    assert set(snap) >= SNAPSHOT_FIELDS
    assert set(snap["losses"]) >= LOSS_FIELDS
    assert set(snap["max_tile_rates"]) == {str(t) for t in TILE_THRESHOLDS}  # JSON keys
    (usage,) = snap["moe"]["expert_usage"].values()
    assert len(usage) == 4 and sum(usage) == pytest.approx(1.0, abs=1e-4)
    assert snap["moe"]["lb_loss"] > 0
    assert len(snap["board"]) == 16 and snap["score_curve"]
    assert [s["seq"] for s in snapshots] == sorted(s["seq"] for s in snapshots)
    # A page that reconnects gets the same complete state.
    assert manager.snapshot()["seq"] == snap["seq"]


def test_publishing_is_rate_limited(workspace: Path) -> None:
    m = TrainingManager(workspace, max_publish_hz=2, checkpoint_every_s=3600)
    times: list[float] = []
    m.subscribe(lambda s: times.append(time.monotonic()) if s["state"] == "training" else None)
    try:
        m.start(ms.templates()["tiny"], config=PPOConfig(num_envs=8, num_steps=4,
                                                         minibatch_size=32, update_epochs=1))
        time.sleep(3)
        m.stop()
    finally:
        m.shutdown()
    gaps = [b - a for a, b in zip(times[1:], times[2:])]
    assert gaps and min(gaps) >= 0.45  # <= 2 per second (plus state changes)


def test_budget_stops_the_run_and_records_it(manager: TrainingManager) -> None:
    run_id = manager.start(ms.templates()["tiny"], config=FAST, steps=FAST.batch_size * 3)
    assert manager.wait(timeout=120)
    run = manager.store.get_run(run_id)
    assert run.status == "finished"
    assert run.summary["global_step"] == FAST.batch_size * 3
    assert manager.store.metrics(run_id)
    ckpt = manager.store.latest_checkpoint(run_id)
    assert ckpt is not None and Path(ckpt.path).is_file()


def assert_curve_ends_at_the_summary(store: Store, run_id: str) -> None:
    """The run's last metrics row holds the numbers of its final summary."""
    summary = store.get_run(run_id).summary
    step, row = store.metrics(run_id)[-1]
    assert step == summary["global_step"] == row["global_step"]
    assert row["update"] == summary["update"] and row["episodes"] == summary["episodes"]
    assert row["mean_score"] == summary["mean_score"]


def test_a_finished_or_stopped_run_records_its_final_row(manager: TrainingManager) -> None:
    # Iterations of the tiny design take well under RECORD_EVERY_S: without a final row the
    # stored curve would stop at the run's first second.
    finished = manager.start(ms.templates()["tiny"], config=FAST, steps=FAST.batch_size * 4)
    assert manager.wait(timeout=120)
    assert_curve_ends_at_the_summary(manager.store, finished)
    stopped = manager.start(ms.templates()["tiny"], config=FAST)
    wait_for(lambda: manager.snapshot()["update"] >= 3, 120)
    manager.stop()
    assert manager.store.get_run(stopped).status == "stopped"
    assert_curve_ends_at_the_summary(manager.store, stopped)


def test_commands_from_many_threads_are_serialised(manager: TrainingManager) -> None:
    manager.start(ms.templates()["tiny"], config=FAST)
    errors: list[BaseException] = []

    def poke() -> None:
        try:
            for _ in range(5):
                manager.heartbeat()
                manager.snapshot()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=poke) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    manager.stop()
    assert not errors and manager.state == "idle"


def test_stop_checkpoints_and_resume_continues_in_a_new_manager(workspace: Path) -> None:
    first = TrainingManager(workspace, checkpoint_every_s=3600)
    run_id = first.start(ms.templates()["moe"], config=FAST)
    wait_for(lambda: first.snapshot()["update"] >= 2)
    first.stop()
    steps = first.trainer.global_step
    weights = {k: v.clone() for k, v in first.trainer.model.state_dict().items()}
    first.shutdown()

    second = TrainingManager(workspace, checkpoint_every_s=3600)
    try:
        assert second.resume(run_id) == run_id
        assert second.trainer.global_step == steps
        resumed = second.trainer.model.state_dict()
        assert all(torch.equal(weights[k], resumed[k]) for k in weights)
        wait_for(lambda: second.trainer.global_step > steps)
        second.stop()
        assert second.store.get_run(run_id).status == "stopped"
    finally:
        second.shutdown()


KERNEL = """
import json, sys, time
import modelstudio_widget as ms
from modelstudio_widget.training.manager import TrainingManager
from modelstudio_widget.training.ppo import PPOConfig
m = TrainingManager(sys.argv[1], checkpoint_every_s=0.0)  # checkpoint every iteration
m.start(ms.templates()["tiny"], config=PPOConfig.from_dict(json.loads(sys.argv[2])))
time.sleep(600)
"""


def test_a_killed_kernel_loses_at_most_one_checkpoint_interval(workspace: Path) -> None:
    kernel = subprocess.Popen([sys.executable, "-c", KERNEL, str(workspace),
                               json.dumps(FAST.to_dict())], env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        wait_for(lambda: len(list(workspace.glob("checkpoints/*/*.pt"))) >= 2, 120)
    finally:
        kernel.kill()  # SIGKILL: no final checkpoint, no status update
        kernel.wait(timeout=30)
    store = Store.in_workspace(workspace)
    (run,) = store.list_runs()
    assert run.status == "running"  # as the dead kernel left it
    latest = store.latest_checkpoint(run.id)
    assert latest is not None
    revived = TrainingManager(workspace)
    try:
        revived.resume(run.id)
        assert revived.trainer.global_step >= latest.step
        revived.stop()
    finally:
        revived.shutdown()
    assert store.get_run(run.id).status == "stopped"


def test_adopt_and_reset(manager: TrainingManager) -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], FAST)
    manager.adopt_external_trainer(trainer)
    assert manager.trainer is trainer
    manager.start(config=FAST)
    wait_for(lambda: trainer.iteration >= 1)
    manager.reset_to_fresh_model()
    assert manager.state == "idle" and manager.trainer is not trainer
    assert manager.trainer.global_step == 0


def test_watchdog_stops_an_orphaned_run(workspace: Path) -> None:
    m = TrainingManager(workspace, checkpoint_every_s=3600, watchdog_timeout_s=0.5)
    try:
        m.start(ms.templates()["tiny"], config=FAST)
        wait_for(lambda: m.state == "idle", 60)
        assert "watchdog" in m.snapshot()["error"]
    finally:
        m.shutdown()


def test_errors_in_commands_reach_the_caller_and_the_thread_survives(
        manager: TrainingManager) -> None:
    with pytest.raises(RuntimeError, match="nothing to train"):
        manager.start()
    with pytest.raises(NotFound):
        manager.resume("r-missing")
    with pytest.raises(ms.DesignError):
        manager.start({"components": []})
    manager.start(ms.templates()["tiny"], config=FAST)
    wait_for(lambda: manager.snapshot()["update"] >= 1)
    manager.stop()


def test_downsample_keeps_the_last_point() -> None:
    pts = [[i, i] for i in range(1000)]
    out = downsample(pts, 50)
    assert len(out) == 50 and out[-1] == [999, 999] and out[0] == [0, 0]


def test_a_page_in_another_kernel_can_stop_the_run(workspace: Path) -> None:
    m = TrainingManager(workspace, checkpoint_every_s=3600)
    try:
        record = m.store.create_design(ms.templates()["tiny"])
        run_id = m.start(record.design, config=FAST, design_id=record.id)
        other = ms.Store.in_workspace(workspace)  # another kernel's connection
        assert other.active_run(record.id).id == run_id
        other.request_stop(run_id)
        wait_for(lambda: m.state == "idle", 60)
        assert other.get_run(run_id).status == "stopped"
        assert other.active_run(record.id) is None
    finally:
        m.shutdown()


def test_a_page_watching_from_another_kernel_keeps_the_watchdog_quiet(workspace: Path) -> None:
    m = TrainingManager(workspace, checkpoint_every_s=3600, watchdog_timeout_s=1.0)
    try:
        run_id = m.start(ms.templates()["tiny"], config=FAST)
        other = ms.Store.in_workspace(workspace)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # this kernel's page is gone; another watches
            other.watch_run(run_id)
            time.sleep(0.2)
        assert m.state == "training"
        wait_for(lambda: m.state == "idle", 60)  # nobody watches: the watchdog stops it
        assert "watchdog" in m.snapshot()["error"]
    finally:
        m.shutdown()
