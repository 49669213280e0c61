"""The n-tuple value output through every layer: its afterstates are the engine's, its
params and memory are exact, codegen emits it with validated props only, the ONNX graph
matches torch, and TD(0) trains it: the greedy move is the table's, seeded runs repeat,
a checkpoint resumes exactly, and a short run learns far past random play."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.build.codegen import check_source, generate_source
from modelstudio_widget.build.lookahead import ILLEGAL, NTupleValue
from modelstudio_widget.build.valid import analyze_valid
from modelstudio_widget.design.catalog import BY_TYPE, NTUPLE_BASES
from modelstudio_widget.design.estimate import estimate
from modelstudio_widget.design.rules import validate
from modelstudio_widget.exporters import OnnxAgent
from modelstudio_widget.exporters.contract import ATOL, RTOL
from modelstudio_widget.game.engine import BatchedGame, move_all, new_boards, step, to_exponents
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.settings import training_catalog

torch.set_num_threads(1)


def value_design(**props: Any) -> dict[str, Any]:
    return {"schema_version": 1, "id": "v", "name": "look-ahead", "components": [
        {"id": "in", "type": "board_input"},
        {"id": "v", "type": "ntuple_value", "props": props}],
        "edges": [["in", "v"]]}


def played_boards(n: int, moves: int, seed: int = 0) -> np.ndarray:
    """Boards from random play: a spread of tiles, some games near their end."""
    rng = np.random.default_rng(seed)
    boards = new_boards(n, rng)
    for _ in range(moves):
        boards, _, _ = step(boards, rng.integers(0, 4, n), rng)
    return boards


def filled(module: NTupleValue, seed: int = 0) -> NTupleValue:
    with torch.no_grad():
        module.table.copy_(torch.randn(module.table.shape,
                                       generator=torch.Generator().manual_seed(seed)) * 100)
    return module


def test_afterstates_rewards_and_legal_moves_are_the_engines() -> None:
    boards = played_boards(2000, 120)
    after, reward, legal = NTupleValue().afterstates(
        torch.from_numpy(to_exponents(boards).astype(np.int64)))
    moved, rewards, legal_engine = move_all(boards)
    assert (after.numpy() == to_exponents(moved.reshape(-1)).reshape(-1, 4, 16)).all()
    assert (reward.numpy() == rewards).all() and (legal.numpy() == legal_engine).all()
    assert rewards.max() > 0 and (~legal_engine).any() and (~legal_engine.any(1)).any()


def test_logits_are_reward_plus_the_value_of_each_afterstate() -> None:
    head = filled(NTupleValue(tuples="lines", classes=12))
    boards = played_boards(300, 80, seed=1)
    x = torch.from_numpy(to_exponents(boards).astype(np.int64))
    logits, value = head(x)
    moved, rewards, legal = move_all(boards)
    e = np.minimum(to_exponents(moved.reshape(-1)), 11).astype(np.int64)
    table = head.table.detach().numpy()
    cells, offsets = head.cells.numpy(), head.offsets.numpy()
    v = table[(e[:, cells] * 12 ** np.arange(4)).sum(-1) + offsets].sum(-1).reshape(-1, 4)
    q = np.where(legal, rewards + v, ILLEGAL)
    np.testing.assert_allclose(logits.detach().numpy(), q, rtol=1e-5, atol=1e-3)
    best = np.where(legal.any(1), q.max(1), 0.0)
    np.testing.assert_allclose(value.detach().numpy(), best, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(("shape", "classes"), [("lines", 8), ("squares", 12),
                                                ("lines_squares", 16)])
def test_params_are_exact_and_codegen_emits_validated_props_only(shape: str,
                                                                  classes: int) -> None:
    design = value_design(tuples=shape, classes=classes)
    design["components"][1]["id"] = "v'); import os #"
    design["edges"] = [["in", "v'); import os #"]]
    assert validate(design).valid
    model = ms.build_model(design)
    assert model.num_params() == len(NTUPLE_BASES[shape]) * classes ** 4
    assert estimate(analyze_valid(design))[0] == model.num_params()
    source = generate_source(analyze_valid(design))
    check_source(source)
    assert f"blocks.NTupleValue(tuples={shape!r}, classes={classes})" in source
    assert "import os" not in source


def test_onnx_export_matches_torch_with_and_without_the_mask(tmp_path: Path) -> None:
    design = value_design()
    model = ms.build_model(design).eval()
    filled(model.lookahead())
    agent = OnnxAgent(ms.export(model, "onnx", tmp_path / "m.onnx", design=design))
    boards = to_exponents(played_boards(64, 100, seed=3)).astype(np.int64)
    with torch.no_grad():
        logits, value = model(torch.from_numpy(boards))
    for mask in (None, np.ones((64, 4), dtype=bool)):
        got = agent(boards, mask)
        np.testing.assert_allclose(got["logits"], logits.numpy(), atol=ATOL, rtol=RTOL)
        np.testing.assert_allclose(got["value"], value.numpy(), atol=ATOL, rtol=RTOL)


def trained(seconds: float | None = None, iterations: int = 0, seed: int = 0) -> PPOTrainer:
    trainer = PPOTrainer(value_design(), PPOConfig(seed=seed, num_envs=64, num_steps=32))
    for _ in range(iterations):
        trainer.train_iteration()
    return trainer


def test_td_plays_the_move_the_exported_policy_would_play() -> None:
    """The trainer's greedy move (numpy) is the torch model's argmax (what ONNX plays)."""
    trainer = trained(iterations=20)
    game = BatchedGame(256, seed=5)
    for _ in range(30):
        game.step(np.argmax(np.where(game.legal, 0, -1), 1))  # some play, not the policy's
    moved, rewards = game.afterstates()
    rows = trainer.td.rows(moved.reshape(-1))
    q = np.where(game.legal.T, rewards + trainer.td.table[rows].sum(-1).reshape(4, -1), -np.inf)
    with torch.no_grad():
        logits, _ = trainer.model(torch.from_numpy(game.obs.astype(np.int64)))
    chosen = logits.argmax(1).numpy()
    # Ties (mirror-image afterstates) may sum in another order: the same score either way.
    np.testing.assert_allclose(q[chosen, np.arange(256)], q.max(0), rtol=1e-6)
    assert (chosen == q.argmax(0)).mean() > 0.95


def test_seeded_runs_repeat_and_a_checkpoint_resumes_exactly(tmp_path: Path) -> None:
    a, b = trained(iterations=6), trained(iterations=6)
    assert torch.equal(a.model.lookahead().table, b.model.lookahead().table)
    assert a.global_step == b.global_step == 6 * 64 * 32
    torch.save(a.state_dict(), tmp_path / "ckpt.pt")
    resumed = trained()
    resumed.load_state_dict(torch.load(tmp_path / "ckpt.pt", weights_only=True))
    for t in (a, resumed):
        for _ in range(3):
            t.train_iteration()
    assert torch.equal(a.model.lookahead().table, resumed.model.lookahead().table)
    assert a.stats.episodes == resumed.stats.episodes > 0


def test_a_short_budget_learns_far_past_random_play_and_keeps_the_budget(
        workspace: Path) -> None:
    design = ms.templates()["lookahead"]
    run = ms.train(design, seconds=8, workspace=workspace, progress=False)
    assert run.metrics["status"] == "finished"
    assert run.metrics["losses"]["td_error"] > 0
    result = ms.evaluate(run, games=100)
    # Random play averages ~1,100 (bench_strength); the tables pass 5,000 within seconds.
    assert result["mean_score"] > 5000, result


def test_a_td_design_is_offered_the_settings_td_reads() -> None:
    assert BY_TYPE["ntuple_value"].trainer == "td" and BY_TYPE["action_output"].trainer == "ppo"
    rows = training_catalog()["settings"]
    assert [s["name"] for s in rows if "td" in s["trainers"]] == [
        "seconds", "steps", "seed", "num_envs", "num_steps", "td_step_size"]
    assert "td_step_size" not in [s["name"] for s in rows if "ppo" in s["trainers"]]


def test_the_td_step_size_is_the_one_the_tables_learn_at() -> None:
    slow = PPOTrainer(value_design(), PPOConfig(num_envs=64, num_steps=32, td_step_size=0.01))
    fast = PPOTrainer(value_design(), PPOConfig(num_envs=64, num_steps=32, td_step_size=0.1))
    for t in (slow, fast):
        t.train_iteration()
    moved = [float(t.model.lookahead().table.detach().abs().sum()) for t in (slow, fast)]
    assert 0 < moved[0] < moved[1]
    assert fast.metrics()["lr"] == 0.1
