"""The trainer's optimizer and gradient clipping, with sparse lookup tables.

A model whose embeddings are ``sparse`` (the n-tuple block's tables: millions of rows, of
which a minibatch reads a few thousand) gets :class:`SplitAdam`: :class:`LazyAdam` over
those tables, which updates only the rows a minibatch touched (``torch.optim.SparseAdam``'s
arithmetic in fewer operations), and ``torch.optim.Adam`` over everything else. Dense Adam
over the ntuple template's 3.3 M table entries cost most of an update: ~55 ms of a minibatch
at 512 boards against ~20 ms with sparse gradients and SparseAdam, less with LazyAdam
(training moves per CPU-second, ntuple / tiny in the same run: 0.24 dense, 0.53 SparseAdam,
0.68 LazyAdam). Every other model keeps one plain Adam, exactly as before.

``torch.nn.utils.clip_grad_norm_`` refuses sparse gradients (no ``linalg_vector_norm`` for
sparse tensors), so :func:`clip_grad_norm` coalesces them and clips their values with the
same global norm and the same formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

ADAM_EPS = 1e-5
#: Tables learn at this multiple of the trainer's learning rate (set_learning_rate keeps it).
#: A row is read by few minibatches, so each visit must move it far. Measured on the
#: tables-only ntuple design (PPO, 600 k moves, 300 games, mean score; tiny: 5,996 / 5,411):
#: x1 3,519 / 3,469 (seeds 0 / 1), x10 3,280, x30 6,116 / 4,148, x100 3,740; with the
#: tables' 1e-3 init, x10 4,670 and x30 7,027. README "What each template is worth".
TABLE_LR_SCALE = 30.0


class LazyAdam(torch.optim.Optimizer):
    """SparseAdam's update (the moments and weights of the rows a gradient touched, nothing
    else) as row gathers and scatters: the same arithmetic without SparseAdam's masked
    sparse-tensor additions, which cost it twice the time (bench_templates). Its state is
    SparseAdam's (an int ``step``, dense ``exp_avg`` and ``exp_avg_sq``). Touched rows only:
    a row no minibatch reads keeps its moments (lazy), unlike dense Adam's decaying ones."""

    def __init__(self, params: Iterable[Tensor], lr: float, eps: float = ADAM_EPS,
                 betas: tuple[float, float] = (0.9, 0.999)):
        super().__init__(params, {"lr": lr, "eps": eps, "betas": betas})

    @torch.no_grad()
    def step(self) -> None:  # type: ignore[override]
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.coalesce()
                rows, g = grad.indices()[0], grad.values()
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=torch.zeros_like(p),
                                 exp_avg_sq=torch.zeros_like(p))
                state["step"] += 1
                m = state["exp_avg"].index_select(0, rows).lerp_(g, 1 - beta1)
                v = state["exp_avg_sq"].index_select(0, rows).mul_(beta2)
                v.addcmul_(g, g, value=1 - beta2)
                state["exp_avg"].index_copy_(0, rows, m)
                state["exp_avg_sq"].index_copy_(0, rows, v)
                t = state["step"]
                step_size = group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                p.index_add_(0, rows, m.div_(v.sqrt_().add_(group["eps"])), alpha=-step_size)


def sparse_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The weights of the model's sparse embeddings (their gradients are sparse)."""
    return [m.weight for m in model.modules()
            if isinstance(m, nn.Embedding | nn.EmbeddingBag) and m.sparse]


class SplitAdam:
    """LazyAdam over the sparse tables, Adam over the rest, behind one optimizer's face:
    ``param_groups`` (dense group first), ``zero_grad``, ``step``, ``state_dict`` and
    ``load_state_dict`` (which also reads the single-Adam state of older checkpoints)."""

    def __init__(self, params: list[nn.Parameter], sparse: list[nn.Parameter], lr: float):
        sparse_ids = {id(p) for p in sparse}
        self.params = params  # model order: older single-Adam checkpoints index into it
        self.is_sparse = [id(p) in sparse_ids for p in params]
        self.dense = torch.optim.Adam([p for p, s in zip(params, self.is_sparse) if not s],
                                      lr=lr, eps=ADAM_EPS)
        self.sparse = LazyAdam(sparse, lr=lr * TABLE_LR_SCALE)
        self.sparse.param_groups[0]["lr_scale"] = TABLE_LR_SCALE

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return [*self.dense.param_groups, *self.sparse.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.dense.zero_grad(set_to_none=set_to_none)
        self.sparse.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.dense.step()
        self.sparse.step()

    def state_dict(self) -> dict[str, Any]:
        return {"dense": self.dense.state_dict(), "sparse": self.sparse.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "dense" not in state:
            state = self._split(state)
        self.dense.load_state_dict(state["dense"])
        self.sparse.load_state_dict(state["sparse"])

    def _split(self, single: dict[str, Any]) -> dict[str, Any]:
        """A single Adam's state over every parameter (in model order), as this pair's."""
        (group,) = single["param_groups"]
        settings = {k: v for k, v in group.items() if k != "params"}
        dense = [i for i, s in zip(group["params"], self.is_sparse) if not s]
        sparse = [i for i, s in zip(group["params"], self.is_sparse) if s]
        tables = self.sparse.state_dict()["param_groups"][0]
        tables["lr"] = settings["lr"] * tables.get("lr_scale", 1.0)
        moments = single["state"]
        return {
            "dense": {"state": {new: moments[old] for new, old in enumerate(dense)
                                if old in moments},
                      "param_groups": [{**settings, "params": list(range(len(dense)))}]},
            "sparse": {"state": {new: _sparse_step(moments[old]) for new, old in enumerate(sparse)
                                 if old in moments},
                       "param_groups": [{**tables, "params": list(range(len(sparse)))}]},
        }


def _sparse_step(moments: dict[str, Any]) -> dict[str, Any]:
    # Adam keeps its step count as a tensor, LazyAdam (like SparseAdam) as an int.
    return {**moments, "step": int(moments["step"])}


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer | SplitAdam:
    """Adam over the model, split into LazyAdam + Adam where it has sparse tables."""
    sparse = sparse_parameters(model)
    if not sparse:
        return torch.optim.Adam(model.parameters(), lr=lr, eps=ADAM_EPS)
    return SplitAdam(list(model.parameters()), sparse, lr)


def set_learning_rate(optimizer: torch.optim.Optimizer | SplitAdam, lr: float) -> None:
    """Every group at ``lr``, the tables at their multiple of it."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)


def clip_grad_norm(params: Iterable[Tensor], max_norm: float) -> Tensor:
    """``torch.nn.utils.clip_grad_norm_`` that also clips sparse gradients (coalesced in
    place first: an uncoalesced sparse tensor's values double-count repeated rows)."""
    params = [p for p in params if p.grad is not None]
    if not any(p.grad.is_sparse for p in params):
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    grads = []
    for p in params:
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()
            grads.append(p.grad.values())  # a view: scaling it scales the gradient
        else:
            grads.append(p.grad)
    total = torch.nn.utils.get_total_norm(grads)
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef)
    return total
