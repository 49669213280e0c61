"""The trainer's optimizer with sparse n-tuple tables: clipping, lazy updates, the learning
rate, checkpoints (older single-Adam ones included) and seeded repeats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import modelstudio_widget as ms
from modelstudio_widget.build.blocks import NTupleEncoder
from modelstudio_widget.training import optim
from modelstudio_widget.training.optim import (
    SplitAdam,
    clip_grad_norm,
    make_optimizer,
    set_learning_rate,
    sparse_parameters,
)
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.update_size import minibatches

torch.set_num_threads(1)

SMALL = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)


def small_config(**kw: object) -> PPOConfig:
    return PPOConfig(**{**SMALL.to_dict(), **kw})


def ntuple_design() -> dict:
    return {"schema_version": 1, "id": "nt", "name": "n-tuple", "components": [
        {"id": "in", "type": "board_input"},
        {"id": "nt", "type": "ntuple", "props": {"d_model": 8, "tuples": "lines",
                                                  "classes": 8}},
        {"id": "out", "type": "action_output", "props": {"hidden": 16}}],
        "edges": [["in", "nt"], ["nt", "out"]]}


class Pair(nn.Module):
    """A sparse table and a dense layer, in that order."""

    def __init__(self, sparse: bool):
        super().__init__()
        torch.manual_seed(0)
        self.table = nn.Embedding(10, 3, sparse=sparse)
        self.lin = nn.Linear(3, 2)

    def loss(self, rows: torch.Tensor) -> torch.Tensor:
        return self.lin(self.table(rows)).pow(2).sum() * 10


ROWS = torch.tensor([1, 4, 4, 7, 1, 1])  # repeated rows: an uncoalesced sparse gradient


@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_sparse_clipping_matches_dense_clipping(max_norm: float) -> None:
    sparse, dense = Pair(sparse=True), Pair(sparse=False)
    sparse.loss(ROWS).backward()
    dense.loss(ROWS).backward()
    assert sparse.table.weight.grad.is_sparse
    got = clip_grad_norm(sparse.parameters(), max_norm)
    want = torch.nn.utils.clip_grad_norm_(dense.parameters(), max_norm)
    torch.testing.assert_close(got, want)
    assert got > 0.1  # the small bound clips, the large one does not
    for a, b in zip(sparse.parameters(), dense.parameters()):
        grad = a.grad.to_dense() if a.grad.is_sparse else a.grad
        torch.testing.assert_close(grad, b.grad)


def test_dense_models_keep_a_plain_adam() -> None:
    model = ms.build_model(ms.templates()["tiny"])
    assert sparse_parameters(model) == []
    assert type(make_optimizer(model, 1e-3)) is torch.optim.Adam


def test_the_tables_get_lazy_adam_and_only_touched_rows_move() -> None:
    model = Pair(sparse=True)
    opt = make_optimizer(model, 1e-2)
    assert isinstance(opt, SplitAdam) and isinstance(opt.sparse, optim.LazyAdam)
    assert sparse_parameters(model) == [model.table.weight]
    before = model.table.weight.detach().clone()
    lin_before = model.lin.weight.detach().clone()
    for _ in range(3):
        opt.zero_grad()
        model.loss(ROWS).backward()
        clip_grad_norm(model.parameters(), 0.5)
        opt.step()
    moved = (model.table.weight != before).any(dim=1)
    assert moved.nonzero().flatten().tolist() == [1, 4, 7]
    assert not torch.equal(model.lin.weight, lin_before)


def test_the_dense_part_steps_exactly_like_adam() -> None:
    split, plain = Pair(sparse=True), Pair(sparse=True)
    opt = make_optimizer(split, 1e-2)
    ref = torch.optim.Adam(plain.lin.parameters(), lr=1e-2, eps=optim.ADAM_EPS)
    for _ in range(3):
        opt.zero_grad()
        ref.zero_grad()
        split.loss(ROWS).backward()
        plain.loss(ROWS).backward()
        opt.step()
        ref.step()
        plain.table.weight.data.copy_(split.table.weight.data)  # same inputs next step
    for a, b in zip(split.lin.parameters(), plain.lin.parameters()):
        torch.testing.assert_close(a, b)


def test_the_learning_rate_keeps_the_tables_multiple(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optim, "TABLE_LR_SCALE", 4.0)
    opt = make_optimizer(Pair(sparse=True), 1e-3)
    set_learning_rate(opt, 0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 2.0]  # dense group first


def test_seeded_ntuple_runs_repeat_exactly() -> None:
    def run() -> dict[str, torch.Tensor]:
        trainer = PPOTrainer(ntuple_design(), small_config(seed=3))
        for _ in range(2):
            trainer.train_iteration()
        return trainer.model.state_dict()

    a, b = run(), run()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_an_ntuple_checkpoint_resumes_exactly(tmp_path: Path) -> None:
    original = PPOTrainer(ntuple_design(), small_config(seed=7))
    original.train_iteration()
    path = tmp_path / "ckpt.pt"
    torch.save(original.state_dict(), path)
    original.train_iteration()

    resumed = PPOTrainer(ntuple_design(), small_config(seed=7))
    resumed.load_state_dict(torch.load(path, weights_only=True))
    resumed.train_iteration()
    a, b = original.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert np.array_equal(original.game.boards, resumed.game.boards)


def test_an_older_single_adam_checkpoint_still_loads(tmp_path: Path) -> None:
    # Before the tables were sparse: a dense table and one Adam over every parameter.
    old = PPOTrainer(ntuple_design(), small_config(seed=5))
    for m in old.model.modules():
        if isinstance(m, NTupleEncoder):
            m.table.sparse = False
    old.optimizer = torch.optim.Adam(old.model.parameters(), lr=1e-3, eps=optim.ADAM_EPS)
    old.set_progress(0.5)
    old.train_iteration()
    path = tmp_path / "old.pt"
    torch.save(old.state_dict(), path)
    assert "dense" not in old.state_dict()["optimizer"]

    new = PPOTrainer(ntuple_design(), small_config(seed=5))
    new.load_state_dict(torch.load(path, weights_only=True))
    assert isinstance(new.optimizer, SplitAdam)
    lr = old.optimizer.param_groups[0]["lr"]
    assert [g["lr"] for g in new.optimizer.param_groups] == [lr, lr * optim.TABLE_LR_SCALE]
    # Every parameter's moments carried over, the table's to LazyAdam.
    (table,) = sparse_parameters(new.model)
    for p_old, p_new in zip(old.model.parameters(), new.model.parameters()):
        s_old = old.optimizer.state[p_old]
        half = new.optimizer.sparse if p_new is table else new.optimizer.dense
        s_new = half.state[p_new]
        assert int(s_new["step"]) == int(s_old["step"]) == minibatches(
            SMALL, SMALL.num_steps * SMALL.num_envs, new.update_fraction)
        torch.testing.assert_close(s_new["exp_avg"], s_old["exp_avg"])
        torch.testing.assert_close(s_new["exp_avg_sq"], s_old["exp_avg_sq"])
    new.train_iteration()  # and it trains on
    assert all(torch.isfinite(p).all() for p in new.model.parameters())


def test_lazy_adam_steps_like_sparse_adam() -> None:
    lazy, ref = Pair(sparse=True), Pair(sparse=True)
    a = optim.LazyAdam([lazy.table.weight], lr=1e-2)
    b = torch.optim.SparseAdam([ref.table.weight], lr=1e-2, eps=optim.ADAM_EPS)
    for rows in (ROWS, ROWS[:3], torch.tensor([9, 0, 9])):
        for model, opt in ((lazy, a), (ref, b)):
            opt.zero_grad()
            model.loss(rows).backward()
            opt.step()
    torch.testing.assert_close(lazy.table.weight, ref.table.weight)
    state_a, state_b = a.state[lazy.table.weight], b.state[ref.table.weight]
    assert state_a["step"] == state_b["step"] == 3
    torch.testing.assert_close(state_a["exp_avg_sq"], state_b["exp_avg_sq"])
