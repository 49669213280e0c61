"""``sweep``: trials on a real local Ray instance, recorded as runs in the workspace store.

The space and recording checks run without Ray; the rest start a real Ray instance (the
first sweep starts and stops its own; the others share one of 2 CPUs) and train the tiny
template for a few seconds a trial.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray
from ray import tune

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.exporters import write_export  # noqa: E402
from modelstudio_widget.store import Store  # noqa: E402
from modelstudio_widget.sweeps import choice, loguniform, randint, sweep, uniform  # noqa: E402
from modelstudio_widget.sweeps.driver import RAY_MISSING, start_local_ray  # noqa: E402
from modelstudio_widget.sweeps.record import interrupts_held, thin  # noqa: E402
from modelstudio_widget.sweeps.space import apply_point, parse_space  # noqa: E402
from modelstudio_widget.sweeps.trial import load_state  # noqa: E402
from modelstudio_widget.training.ppo import PPOConfig  # noqa: E402

SMALL = PPOConfig(num_envs=64, num_steps=32)  # 2048 moves an iteration: ~0.1 s here
GRID = {("policy", "hidden"): [64, 128], "learning_rate": [1e-3, 3e-3]}


def tiny() -> dict[str, Any]:
    return ms.templates()["tiny"]


# --------------------------------------------------------------------- without Ray
@pytest.mark.parametrize("key, message", [
    (("nope", "hidden"), "no block 'nope'"),
    (("policy", "colour"), "has no prop 'colour'"),
    ("meta.depth", "meta has no 'depth'"),
    ("learning_rat", "not a PPOConfig field"),
])
def test_a_key_the_design_or_the_settings_lack_fails_before_ray_starts(
        key: Any, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        sweep(tiny(), {key: [1, 2]}, seconds=1, workspace=tmp_path)
    assert not ray.is_initialized()


def test_trials_must_fill_the_grid(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        sweep(tiny(), GRID, seconds=1, trials=6, workspace=tmp_path)
    assert not ray.is_initialized()


def test_a_point_sets_props_meta_and_settings_as_plain_python() -> None:
    axes = parse_space(tiny(), {("policy", "hidden"): randint(32, 64),
                                "meta.n_heads": choice([2, 4]),
                                "learning_rate": loguniform(1e-4, 1e-2),
                                "ent_coef": uniform(0.0, 0.01)})
    point = {"policy.hidden": np.int64(48), "meta.n_heads": 2, "learning_rate": 3e-4,
             "ent_coef": np.float64(0.002)}
    design, config = apply_point(tiny(), SMALL, axes, point)
    hidden = next(c for c in design["components"] if c["id"] == "policy")["props"]["hidden"]
    assert hidden == 48 and type(hidden) is int  # validation refuses numpy ints
    assert design["meta"]["n_heads"] == 2
    assert (config.learning_rate, config.ent_coef, config.num_envs) == (3e-4, 0.002, 64)
    assert type(config.ent_coef) is float
    assert ms.validate(design).valid


def test_bad_distributions_are_refused() -> None:
    with pytest.raises(ValueError):
        loguniform(0.0, 1.0)
    with pytest.raises(ValueError):
        uniform(1.0, 1.0)
    with pytest.raises(ValueError):
        randint(3, 3)
    with pytest.raises(ValueError, match="no values"):
        parse_space(tiny(), {"learning_rate": []})


def test_without_ray_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ImportError) as caught:
        sweep(tiny(), GRID, seconds=1, workspace=tmp_path)
    assert str(caught.value) == RAY_MISSING
    assert "pip install 'modelstudio_widget[ray]'" in RAY_MISSING


def test_ctrl_c_waits_until_a_trial_is_written() -> None:
    # Python's own Ctrl+C handler, also where the runner started with SIGINT ignored (a
    # shell's background job): then Python installs none.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    order = []
    try:
        with pytest.raises(KeyboardInterrupt), interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            order.append("written")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert order == ["written"]


def test_history_rows_are_thinned_to_one_a_second_keeping_the_last() -> None:
    rows = [{"elapsed_s": 0.3 * i, "global_step": i} for i in range(11)]
    kept = [r["global_step"] for r in thin(rows)]
    assert kept == [0, 4, 8, 10]


# ----------------------------------------------------------------- with real Ray
def records(workspace: Path, sweep_id: str) -> list[Any]:
    with Store.in_workspace(workspace) as store:
        runs = [r for r in store.list_runs() if r.config.get("sweep", {}).get("id") == sweep_id]
        return [(r, store.metrics(r.id), store.latest_checkpoint(r.id)) for r in runs]


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """Two hidden widths x two learning rates, 3 s each; Ray started by the sweep."""
    assert not ray.is_initialized()
    ws = tmp_path_factory.mktemp("grid") / "workspace"
    result = sweep(tiny(), GRID, seconds=3, config=SMALL, workspace=ws, name="grid",
                   progress=False)
    assert not ray.is_initialized(), "a Ray instance the sweep started is shut down after"
    return result, ws


def test_a_grid_of_four_trials_records_four_runs_with_histories_and_checkpoints(
        grid_sweep: tuple[Any, Path]) -> None:
    result, ws = grid_sweep
    assert [r.status for r in result.results] == ["finished"] * 4
    assert not result.interrupted
    rows = records(ws, result.id)
    assert len(rows) == 4
    sampled = set()
    for run, history, checkpoint in rows:
        tag = run.config["sweep"]
        assert (tag["name"], tag["seconds"]) == ("grid", 3)
        values = tag["values"]
        sampled.add((values["policy.hidden"], values["learning_rate"]))
        assert run.status == "finished" and run.design_id == "tpl-tiny"
        assert run.config["learning_rate"] == values["learning_rate"]
        policy = next(c for c in run.design["components"] if c["id"] == "policy")
        assert policy["props"]["hidden"] == values["policy.hidden"]
        steps = [s for s, _ in history]
        assert len(steps) >= 2 and steps == sorted(steps) and steps[-1] > 0
        assert history[-1][1]["mean_score"] == run.summary["mean_score"]
        assert checkpoint is not None and checkpoint.step == steps[-1]
        path = Path(checkpoint.path)
        assert path.is_file() and path.is_relative_to(ws / "checkpoints")
        state = load_state(path)  # the training checkpoint format: resumable, exportable
        assert state["global_step"] == steps[-1]
        assert state["config"]["learning_rate"] == values["learning_rate"]
    assert sampled == {(64, 1e-3), (64, 3e-3), (128, 1e-3), (128, 3e-3)}
    table = result.table()
    assert [row["trial"] for row in table] == [0, 1, 2, 3]
    assert {"policy.hidden", "learning_rate", "status", "metric", "run_id"} <= set(table[0])
    assert "policy.hidden" in str(result) and "<table>" in result._repr_html_()


def test_the_best_trial_evaluates_and_exports_to_onnx_within_parity(
        grid_sweep: tuple[Any, Path], tmp_path: Path) -> None:
    result, ws = grid_sweep
    best = result.best()
    scores = [r.metric for r in result.results]
    assert best.metrics["mean_score"] == max(scores)
    assert best.run_id == result.best_result().run_id
    report = write_export(best, "onnx", tmp_path / "best.onnx")  # parity-checked
    assert report.path.is_file() and report.run_id == best.run_id
    assert report.max_abs_diff < 1e-4
    stats = ms.evaluate(best, games=20)
    assert stats["games"] == 20 and stats["mean_score"] > 0
    # The app finds it by run id in the workspace: the same weights.
    again = write_export(best.run_id, "pt", tmp_path / "best.pt", workspace=ws)
    assert again.step == best.trainer.global_step


@pytest.fixture(scope="module")
def ray_up() -> Any:
    """One local Ray instance (2 CPUs) shared by the remaining sweeps."""
    start_local_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def test_a_sweep_leaves_a_running_ray_instance_running(ray_up: Any, tmp_path: Path) -> None:
    result = sweep(tiny(), {"learning_rate": [1e-3]}, steps=2048, config=SMALL,
                   workspace=tmp_path, progress=False)
    assert result.results[0].status == "finished"
    assert ray.is_initialized()


def test_asha_stops_a_weak_trial_early(ray_up: Any, tmp_path: Path) -> None:
    # One at a time (the order in which trials reach a rung decides ASHA's cut), seeded:
    # the same trials reach the same rungs with the same scores on every run.
    result = sweep(tiny(), {"learning_rate": [3e-4, 1e-3, 3e-3, 1e-2]}, steps=32 * 2048,
                   config=SMALL, scheduler="asha", max_concurrent=1, workspace=tmp_path,
                   progress=False)
    statuses = [r.status for r in result.results]
    assert "stopped" in statuses, statuses
    rows = {run.id: (run, history) for run, history, _ in records(tmp_path, result.id)}
    for r in result.results:
        run, history = rows[r.run_id]
        assert run.status == r.status
        if r.status == "stopped":
            assert r.global_step < 32 * 2048
            assert "scheduler" in run.summary["reason"]
        else:
            assert r.global_step >= 32 * 2048
        assert history


def test_optuna_samples_the_space_through_ray_tune(ray_up: Any, tmp_path: Path) -> None:
    result = sweep(tiny(), {"learning_rate": loguniform(1e-4, 1e-2),
                            ("policy", "hidden"): [64, 128]},
                   steps=4096, trials=2, search="optuna", config=SMALL, workspace=tmp_path,
                   progress=False)
    assert [r.status for r in result.results] == ["finished", "finished"]
    for r in result.results:
        assert 1e-4 <= r.values["learning_rate"] <= 1e-2
        assert r.values["policy.hidden"] in (64, 128)
    assert len({r.values["learning_rate"] for r in result.results}) == 2


class KillOnce(tune.Callback):
    """Kills the worker process of the first trial that reports, once (SIGKILL)."""

    def __init__(self, only: dict[str, Any]) -> None:
        self.only = only
        self.killed: int | None = None

    def on_trial_result(self, iteration: int, trials: list[Any], trial: Any,
                        result: dict[str, Any], **info: Any) -> None:
        wanted = all(trial.config.get(k) == v for k, v in self.only.items())
        if self.killed is None and wanted and result.get("global_step", 0) > 0:
            self.killed = result["pid"]
            os.kill(self.killed, signal.SIGKILL)


def test_a_killed_worker_is_retried_and_a_raising_trial_is_reported_failed(
        ray_up: Any, tmp_path: Path) -> None:
    kill = KillOnce({"minibatch_size": 512})
    # minibatch_size 0 makes the trainer raise in its first update, on every attempt.
    result = sweep(tiny(), {"minibatch_size": [512, 0]}, seconds=3, config=SMALL,
                   max_failures=1, callbacks=[kill], workspace=tmp_path, progress=False)
    assert kill.killed is not None
    by_size = {r.values["minibatch_size"]: r for r in result.results}
    retried, raised = by_size[512], by_size[0]
    assert retried.status == "finished" and retried.attempts == 2
    steps = [h["global_step"] for h in retried.history]
    assert steps == sorted(set(steps)), "the dead attempt's reports are not in the run"
    assert raised.status == "failed" and "division by zero" in (raised.reason or "")
    rows = {run.id: (run, ckpt) for run, _, ckpt in records(tmp_path, result.id)}
    run, ckpt = rows[retried.run_id]
    assert run.status == "finished" and ckpt is not None and run.summary["attempts"] == 2
    run, ckpt = rows[raised.run_id]
    assert run.status == "failed" and ckpt is None and "division by zero" in run.summary["error"]


def test_an_invalid_sampled_design_is_a_failed_run_with_its_error_codes(
        ray_up: Any, tmp_path: Path) -> None:
    result = sweep(tiny(), {("embed", "d_model"): [32, 30]}, seconds=2, config=SMALL,
                   workspace=tmp_path, progress=False)
    by_width = {r.values["embed.d_model"]: r for r in result.results}
    assert by_width[32].status == "finished"
    invalid = by_width[30]
    assert invalid.status == "invalid" and "D_MODEL_MULTIPLE_OF_8" in invalid.error_codes
    assert invalid.checkpoint is None and invalid.global_step == 0
    rows = {run.id: run for run, _, _ in records(tmp_path, result.id)}
    run = rows[invalid.run_id]
    assert run.status == "failed" and run.summary["invalid"] is True
    assert "D_MODEL_MULTIPLE_OF_8" in run.summary["error_codes"]
    assert result.best().run_id == by_width[32].run_id


class InterruptAfterFirst(tune.Callback):
    """Presses Ctrl+C (SIGINT to this process) once the first trial has ended."""

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any,
                          **info: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_ends_the_sweep_cleanly_with_every_ended_trial_recorded(
        ray_up: Any, tmp_path: Path) -> None:
    result = sweep(tiny(), {"learning_rate": [1e-3, 2e-3, 3e-3]}, seconds=2, config=SMALL,
                   max_concurrent=1, callbacks=[InterruptAfterFirst()], workspace=tmp_path,
                   progress=False)
    assert result.interrupted and result.planned == 3
    assert sum(1 for r in result.results if r.run_id) < 3
    statuses = [r.status for r in result.results]
    assert statuses[0] == "finished" and "finished" not in statuses[1:], statuses
    rows = records(tmp_path, result.id)
    assert sorted(run.status for run, _, _ in rows) == sorted(
        r.status for r in result.results if r.status != "not started")
    assert all(run.status != "running" for run, _, _ in rows)  # nothing half-written
    assert ray.is_initialized()
