"""Evaluating a run's checkpoint (stored, with progress, cancellable, in a background
thread), watching it play one game, the evaluations table, and their widget commands."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from waiting import wait_for

import modelstudio_widget as ms
from modelstudio_widget.game.engine import from_exponents, legal_moves, move_all, to_exponents
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.store.schema import MIGRATIONS, SCHEMA_VERSION
from modelstudio_widget.training.evaluate import play_games, torch_policy
from modelstudio_widget.training.evaluation_job import (
    EvaluationError,
    Evaluator,
    load_policy,
    watch_game,
)
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.runs import RunQueries
from modelstudio_widget.training.tile_rates import TILE_THRESHOLDS
from modelstudio_widget.widget import ModelStudio
from modelstudio_widget.widget_commands.evaluate import evaluator

SMALL = PPOConfig(num_envs=8, num_steps=4, minibatch_size=32, update_epochs=1)
RATES = {128: 0.5, 256: 0.25, 512: 0.0}


def add_run(store: Store, workspace: Path, *, seed: int = 0) -> tuple[str, Path]:
    """A run of the tiny template with one checkpoint file (untrained weights: fast)."""
    record = store.create_design(ms.templates()["tiny"])
    trainer = PPOTrainer(record.design, PPOConfig(**{**SMALL.to_dict(), "seed": seed}))
    run_id = store.create_run(record.id, design=record.design, config=trainer.config.to_dict())
    folder = workspace / "checkpoints" / run_id
    folder.mkdir(parents=True)
    path = folder / "step_000000000040.pt"
    torch.save(trainer.state_dict(), path)
    store.add_checkpoint(run_id, path=str(path), step=40)
    store.update_run(run_id, status="stopped")
    return run_id, path


@pytest.fixture
def store(workspace: Path):
    s = Store.in_workspace(workspace)
    yield s
    s.close()


class Listener:
    """What a job reports, collected."""

    def __init__(self) -> None:
        self.progress: list[tuple[int, int]] = []
        self.results: list[Any] = []
        self.errors: list[EvaluationError] = []
        self.on_progress_hook: Any = None

    def on_progress(self, done: int, total: int) -> None:
        self.progress.append((done, total))
        if self.on_progress_hook is not None:
            self.on_progress_hook()

    def on_result(self, record: Any) -> None:
        self.results.append(record)

    def on_error(self, error: EvaluationError) -> None:
        self.errors.append(error)

    def callbacks(self) -> dict[str, Any]:
        return {"on_progress": self.on_progress, "on_result": self.on_result,
                "on_error": self.on_error}


def run_job(evaluator: Evaluator, run_id: str, games: int = 100, seed: int = 0,
            listener: Listener | None = None) -> Listener:
    listener = listener or Listener()
    evaluator.start(run_id, games, seed, **listener.callbacks())
    assert evaluator.wait(120)
    assert len(listener.results) + len(listener.errors) == 1
    return listener


# --- the store ------------------------------------------------------------------------------

def test_evaluations_are_stored_with_the_run_newest_first(store: Store, workspace: Path
                                                          ) -> None:
    run_id, _ = add_run(store, workspace)
    assert store.latest_evaluation(run_id) is None and store.evaluations(run_id) == []
    first = store.add_evaluation(run_id, games=100, seed=0, mean_score=812.5, se=30.25,
                                 best_score=2400, max_tile_rates=RATES, step=40)
    second = store.add_evaluation(run_id, games=1000, seed=3, mean_score=900.0, se=9.5,
                                  best_score=3100, max_tile_rates={"128": 0.7})
    assert [e.id for e in store.evaluations(run_id)] == [second.id, first.id]
    assert store.latest_evaluation(run_id) == second
    assert first.to_dict() == {
        "id": first.id, "run_id": run_id, "step": 40, "games": 100, "seed": 0,
        "mean_score": 812.5, "se": 30.25, "best_score": 2400,
        "max_tile_rates": {"128": 0.5, "256": 0.25, "512": 0.0},
        "created_at": first.created_at}
    other, _ = add_run(store, workspace)
    assert store.evaluations(other) == []


@pytest.mark.parametrize("bad", [
    {"games": 0}, {"games": True}, {"seed": -1}, {"mean_score": float("nan")},
    {"se": float("inf")}, {"best_score": 1.5}, {"max_tile_rates": {128: 1.5}},
    {"max_tile_rates": [0.5]}, {"step": -2},
])
def test_bad_evaluations_are_refused(store: Store, workspace: Path, bad: dict) -> None:
    run_id, _ = add_run(store, workspace)
    fields = {"games": 100, "seed": 0, "mean_score": 1.0, "se": 0.1, "best_score": 4,
              "max_tile_rates": RATES, **bad}
    with pytest.raises(ValueError):
        store.add_evaluation(run_id, **fields)
    assert store.evaluations(run_id) == []


def test_an_evaluation_of_an_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(NotFound):
        store.add_evaluation("r-000000000000", games=100, seed=0, mean_score=1.0, se=0.0,
                             best_score=4, max_tile_rates=RATES)


def test_an_existing_database_file_gains_the_evaluations_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:2]:  # the schema before evaluations existed
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO runs (id, design_json, config_json, status, created_at, "
                 "updated_at, owner_pid, owner_host) VALUES ('r-0123456789ab', '{}', '{}', "
                 "'stopped', 1, 1, 1, 'h')")
    conn.commit()
    conn.close()
    with Store(path) as store:
        version = store.database.connection().execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 3
        assert store.get_run("r-0123456789ab").status == "stopped"  # nothing lost
        store.add_evaluation("r-0123456789ab", games=100, seed=0, mean_score=5.0, se=1.0,
                             best_score=8, max_tile_rates=RATES)
        assert store.latest_evaluation("r-0123456789ab").mean_score == 5.0


# --- the evaluation job ---------------------------------------------------------------------

def test_an_evaluation_plays_the_games_reports_progress_and_stores_the_result(
        store: Store, workspace: Path) -> None:
    run_id, path = add_run(store, workspace)
    listener = run_job(Evaluator(store, workspace), run_id, games=100, seed=7)
    (record,) = listener.results
    # The same numbers as the checkpoint's greedy policy over the same seeded games.
    model = ms.build_model(torch.load(path, weights_only=True)["design"])
    model.load_state_dict(torch.load(path, weights_only=True)["model"])
    expected = play_games(torch_policy(model), games=100, seed=7)
    assert record.mean_score == pytest.approx(expected["mean_score"])
    assert record.se == pytest.approx(expected["se"]) and record.se > 0
    assert record.best_score == expected["best_score"]
    assert record.max_tile_rates == {str(t): p for t, p in expected["max_tile_rates"].items()}
    assert set(record.max_tile_rates) == {str(t) for t in TILE_THRESHOLDS}
    assert (record.games, record.seed, record.step) == (100, 7, 40)
    assert store.latest_evaluation(run_id) == record
    done = [d for d, _ in listener.progress]
    assert done[0] == 0 and done[-1] == 100 and done == sorted(done)
    assert {t for _, t in listener.progress} == {100}


def test_a_cancelled_evaluation_stores_nothing(store: Store, workspace: Path) -> None:
    run_id, _ = add_run(store, workspace)
    evaluator = Evaluator(store, workspace)
    listener = Listener()
    listener.on_progress_hook = evaluator.cancel  # cancel as soon as the games start
    run_job(evaluator, run_id, listener=listener)
    (error,) = listener.errors
    assert error.code == "CANCELLED" and "nothing was stored" in error.message
    assert listener.results == [] and store.evaluations(run_id) == []
    assert evaluator.running is None and not evaluator.cancel()
    # The next evaluation runs as usual.
    assert run_job(evaluator, run_id).results


def test_one_evaluation_at_a_time(store: Store, workspace: Path) -> None:
    run_id, _ = add_run(store, workspace)
    evaluator = Evaluator(store, workspace)
    release = threading.Event()
    listener = Listener()
    listener.on_progress_hook = lambda: release.wait(30)
    job = evaluator.start(run_id, 100, **listener.callbacks())
    assert evaluator.running == {"job": job, "run_id": run_id, "games": 100}
    with pytest.raises(EvaluationError) as busy:
        evaluator.start(run_id, 100, **Listener().callbacks())
    assert busy.value.code == "BUSY"
    evaluator.cancel()
    release.set()
    assert evaluator.wait(60) and listener.errors[0].code == "CANCELLED"


@pytest.mark.parametrize("games, seed", [(150, 0), (0, 0), (100, -1), (100, 2**31)])
def test_bad_evaluation_arguments_start_nothing(store: Store, workspace: Path, games: int,
                                                seed: int) -> None:
    run_id, _ = add_run(store, workspace)
    evaluator = Evaluator(store, workspace)
    with pytest.raises(EvaluationError) as refused:
        evaluator.start(run_id, games, seed, **Listener().callbacks())
    assert refused.value.code == "BAD_ARGS" and evaluator.running is None


def test_an_unknown_run_is_refused_at_once(store: Store, workspace: Path) -> None:
    with pytest.raises(EvaluationError) as refused:
        Evaluator(store, workspace).start("r-000000000000", 100, **Listener().callbacks())
    assert refused.value.code == "NOT_FOUND"


@pytest.mark.parametrize("damage, words", [
    ("delete", "missing"),
    ("garbage", "not a Model Studio .pt file"),
    ("truncate", "not a Model Studio .pt file"),
])
def test_a_missing_or_corrupt_checkpoint_is_one_clear_line(
        store: Store, workspace: Path, damage: str, words: str) -> None:
    run_id, path = add_run(store, workspace)
    if damage == "delete":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"this is not a checkpoint")
    else:
        path.write_bytes(path.read_bytes()[:200])
    listener = run_job(Evaluator(store, workspace), run_id)
    (error,) = listener.errors
    assert error.code == "CHECKPOINT" and words in error.message and path.name in error.message
    assert "\n" not in error.message and str(workspace) not in error.message  # short
    assert store.evaluations(run_id) == []
    with pytest.raises(EvaluationError) as watch:  # watching says the same
        load_policy(store, workspace, run_id)
    assert watch.value.message == error.message


def test_a_run_without_a_checkpoint_says_so(store: Store, workspace: Path) -> None:
    record = store.create_design(ms.templates()["tiny"])
    run_id = store.create_run(record.id, design=record.design, config={})
    with pytest.raises(EvaluationError) as refused:
        load_policy(store, workspace, run_id)
    assert refused.value.code == "CHECKPOINT" and "no checkpoint" in refused.value.message


# --- watching one game ----------------------------------------------------------------------

def test_a_watched_game_is_a_legal_game_of_the_engine(store: Store, workspace: Path) -> None:
    run_id, _ = add_run(store, workspace)
    policy = load_policy(store, workspace, run_id)
    game = watch_game(policy, seed=11)
    n = game["moves"]
    assert n > 10 and len(game["boards"]) == n + 1
    assert len(game["actions"]) == len(game["probs"]) == len(game["scores"]) == n
    assert (game["run_id"], game["step"], game["seed"]) == (run_id, 40, 11)
    score = 0
    for i, action in enumerate(game["actions"]):
        before = from_exponents(np.array([game["boards"][i]]))
        after = np.array(game["boards"][i + 1])
        moved, rewards, legal = move_all(before)
        assert legal[0, action]
        probs = np.array(game["probs"][i])
        assert probs.sum() == pytest.approx(1.0, abs=1e-3)
        assert np.all(probs[~legal[0]] == 0) and int(np.argmax(probs)) == action  # greedy
        # The engine's move, then exactly one new 2 or 4 on a cell the move left empty.
        slid = to_exponents(moved[:, action])[0]
        spawned = np.flatnonzero(after != slid)
        assert len(spawned) == 1 and slid[spawned[0]] == 0 and after[spawned[0]] in (1, 2)
        score += int(rewards[0, action])
        assert game["scores"][i] == score
    assert game["final_score"] == score
    assert not game["truncated"] and not legal_moves(
        from_exponents(np.array([game["boards"][-1]]))).any()  # played to the end
    assert game["max_tile"] == 2 ** max(game["boards"][-1])
    assert watch_game(policy, seed=11) == game  # seeded: the same game again
    assert watch_game(policy, seed=12) != game


def test_a_watched_game_is_bounded(store: Store, workspace: Path) -> None:
    run_id, _ = add_run(store, workspace)
    game = watch_game(load_policy(store, workspace, run_id), seed=1, max_moves=5)
    assert game["moves"] == 5 and len(game["boards"]) == 6 and game["truncated"]


# --- the widget's commands ------------------------------------------------------------------

class Page:
    """The kernel side of a page: commands in, replies and pushed messages out."""

    def __init__(self, widget: ModelStudio) -> None:
        self.w = widget
        self.messages: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.messages.append(content)  # type: ignore
        self.n = 0

    def command(self, name: str, /, **args: Any) -> tuple[str, dict[str, Any]]:
        self.n += 1
        rid = f"req-{self.n}"
        self.w.handle_message({"kind": "command", "id": rid, "name": name, "args": args})
        (reply,) = [m for m in self.messages if m.get("kind") == "reply" and m["id"] == rid]
        return rid, reply

    def pushed(self, kind: str, rid: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("kind") == kind and m.get("id") == rid]


@pytest.fixture
def page(workspace: Path):
    w = ModelStudio(workspace=workspace)
    yield Page(w)
    w.close()


def test_evaluate_run_answers_at_once_then_pushes_progress_and_the_result(page: Page) -> None:
    run_id, _ = add_run(page.w.store, page.w.workspace)
    rid, reply = page.command("evaluate_run", run_id=run_id, games=100)
    assert reply["ok"] and reply["result"] == {"job": rid, "run_id": run_id, "games": 100}
    wait_for(lambda: page.pushed("evaluation", rid), 120)
    (final,) = page.pushed("evaluation", rid)
    assert final["result"]["run_id"] == run_id and final["result"]["games"] == 100
    progress = page.pushed("progress", rid)
    assert progress[-1]["done"] == progress[-1]["total"] == 100
    _, listed = page.command("list_evaluations", run_id=run_id)
    assert listed["result"] == {"evaluations": [final["result"]], "running": None}
    assert page.w.store.events("evaluation_finished")


def test_cancel_evaluation_ends_the_job_with_cancelled(page: Page) -> None:
    run_id, _ = add_run(page.w.store, page.w.workspace)
    _, idle = page.command("cancel_evaluation")
    assert idle["result"] == {"cancelled": False}
    started = time.monotonic()
    rid, _ = page.command("evaluate_run", run_id=run_id, games=1000)
    _, beat = page.command("heartbeat")  # the kernel goes on answering meanwhile
    assert beat["ok"] and time.monotonic() - started < 2.0
    _, cancel = page.command("cancel_evaluation")
    assert cancel["result"] == {"cancelled": True}
    wait_for(lambda: page.pushed("evaluation", rid), 120)
    assert page.pushed("evaluation", rid)[0]["error"]["code"] == "CANCELLED"
    assert page.w.store.evaluations(run_id) == []


@pytest.mark.parametrize("args, code", [
    ({"games": 150}, "BAD_ARGS"), ({"games": 5000}, "BAD_ARGS"), ({"games": "200"}, "BAD_ARGS"),
    ({"games": 200, "seed": -1}, "BAD_ARGS"), ({"games": 200, "run_id": "../x"}, "BAD_ARGS"),
    ({"games": 200, "run_id": "r-000000000000"}, "NOT_FOUND"),
])
def test_bad_evaluate_requests_are_refused(page: Page, args: dict, code: str) -> None:
    run_id, _ = add_run(page.w.store, page.w.workspace)
    _, reply = page.command("evaluate_run", **{"run_id": run_id, **args})
    assert not reply["ok"] and reply["error"]["code"] == code


def test_watch_run_returns_the_whole_game(page: Page) -> None:
    run_id, path = add_run(page.w.store, page.w.workspace)
    _, reply = page.command("watch_run", run_id=run_id, seed=5)
    game = reply["result"]
    assert reply["ok"] and game["seed"] == 5 and len(game["boards"]) == game["moves"] + 1
    _, again = page.command("watch_run", run_id=run_id)  # no seed: a new game, replayable
    seed = again["result"]["seed"]
    _, replay = page.command("watch_run", run_id=run_id, seed=seed)
    assert replay["result"] == again["result"]
    path.unlink()
    _, missing = page.command("watch_run", run_id=run_id)
    assert missing["error"]["code"] == "CHECKPOINT" and "missing" in missing["error"]["message"]


def test_runs_and_compare_show_the_latest_evaluation(store: Store, workspace: Path) -> None:
    run_id, _ = add_run(store, workspace)
    assert RunQueries(store).summary(run_id).evaluation is None
    store.add_evaluation(run_id, games=100, seed=0, mean_score=1.0, se=0.5, best_score=4,
                         max_tile_rates=RATES)
    latest = store.add_evaluation(run_id, games=200, seed=0, mean_score=2.0, se=0.5,
                                  best_score=8, max_tile_rates=RATES)
    assert RunQueries(store).summary(run_id).evaluation == latest.to_dict()


def test_closing_the_widget_cancels_its_evaluation(workspace: Path) -> None:
    w = ModelStudio(workspace=workspace)
    page = Page(w)
    run_id, _ = add_run(w.store, workspace)
    rid, reply = page.command("evaluate_run", run_id=run_id, games=1000)
    assert reply["ok"]
    job = evaluator(w)
    w.close()
    assert job.wait(60) and job.running is None
    with Store.in_workspace(workspace) as store:
        assert store.evaluations(run_id) == []  # cancelled, not finished
