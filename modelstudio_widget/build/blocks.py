"""Hand-written building blocks. Generated models only instantiate and wire these.

Shapes: boards are ``[B, 16]`` int64 tile exponents; the residual stream is ``[B, 16, d]``
(one token per cell). Each block is small and config-driven (nanoGPT style); its parameter
count has a closed form in ``design/estimate.py`` that the tests check against ``numel``.

Side results (MoE losses and expert usage, auxiliary predictions) are not stored on the
modules: a block records them in the :class:`Extras` passed to it, which keeps forward
passes pure for ``torch.export`` and makes gradient checkpointing safe (a recomputation
writes into a throwaway ``Extras``, so nothing is counted twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

# The look-ahead output lives in its own module; generated code names it ``blocks.NTupleValue``.
from modelstudio_widget.build.lookahead import NTupleValue  # noqa: E402, F401
from modelstudio_widget.design.catalog import (
    N_ACTIONS,
    N_CELLS,
    N_MAX_TILE_CLASSES,
    N_TILE_VALUES,
    NTUPLE_CELLS,
    ntuple_instances,
)

AUX_OUTPUTS = {"max_tile": N_MAX_TILE_CLASSES, "future_score": 1}
#: Standard deviation of the n-tuple tables' initial rows (NTupleEncoder says why).
INIT_STD = 1e-3


@dataclass
class MoEStats:
    node: int
    lb_loss: Tensor  # Switch load-balancing loss (1.0 when perfectly balanced)
    z_loss: Tensor  # router z-loss
    usage: Tensor  # [E] fraction of token->expert assignments, detached


@dataclass
class Extras:
    """What a forward pass produces besides logits and value."""
    moe: list[MoEStats] = field(default_factory=list)
    aux: dict[int, Tensor] = field(default_factory=dict)  # node -> prediction

    def merge(self, other: Extras) -> None:
        self.moe.extend(other.moe)
        self.aux.update(other.aux)


def _init_linear(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Embedding):
        nn.init.normal_(m.weight, std=0.02)


class BoardEncoder(nn.Module):
    """Board exponents [B, 16] -> tokens [B, 16, d]: a vector per tile value (+ position).

    Params: learned 16d, onehot 16d + d; positional adds 16d.
    """

    def __init__(self, d_model: int, encoding: str = "learned", positional: bool = True):
        super().__init__()
        self.onehot = encoding == "onehot"
        if self.onehot:
            self.tile = nn.Linear(N_TILE_VALUES, d_model)
        else:
            self.tile = nn.Embedding(N_TILE_VALUES, d_model)
        self.pos = nn.Parameter(torch.randn(N_CELLS, d_model) * 0.02) if positional else None
        self.apply(_init_linear)

    def forward(self, board: Tensor) -> Tensor:
        if self.onehot:
            x = self.tile(F.one_hot(board, N_TILE_VALUES).to(self.tile.weight.dtype))
        else:
            x = self.tile(board)
        return x if self.pos is None else x + self.pos


class NTupleEncoder(nn.Module):
    """Board exponents [B, 16] -> tokens [B, 16, d]: an n-tuple network as token features.

    Each base tuple (4 cells, see ``catalog.NTUPLE_BASES``) and its 8 symmetric copies
    share one learned table of ``classes**4`` rows of width d; a copy's row is
    ``sum_j min(e_j, classes - 1) * classes**j`` over its ordered cells. Every cell's token
    is the sum of the rows of the tuple copies that contain it, so the stream keeps where a
    pattern sits (a policy needs the orientation that a symmetric sum would erase).
    A gather plus one constant incidence matmul: forward + backward at batch 512 took
    114 ms against 181 ms for ``nn.EmbeddingBag(mode="sum")`` over per-cell bags on this
    CPU (most of either was the table's dense gradient, which is now sparse: see
    ``training/optim.py``), and it exports to ONNX as Gather + MatMul.

    Params: n_bases * classes**4 * d.
    """

    def __init__(self, d_model: int, tuples: str = "lines_squares", classes: int = 12):
        super().__init__()
        cells, table = ntuple_instances(tuples)
        n_bases = max(table) + 1
        self.classes = classes
        size = classes ** NTUPLE_CELLS
        # Near-zero random rows, not the zeros n-tuple networks start from: an all-zero
        # stream into the action output's LayerNorm and zero-bias ReLU trunk passes no
        # gradient back, so zero tables never leave zero (measured: 6 PPO iterations, 0 rows
        # moved). At std 1e-3 a token's variance sits below LayerNorm's eps, so rows no
        # board has trained read as near-zero, not as unit-scale noise: with the tables'
        # higher learning rate (training/optim.py) this learned most per move (PPO, 600 k
        # moves, 300 games: mean 7,027 against 3,519 at std 0.02).
        # Sparse: a minibatch's gradient holds only the rows it read (training/optim.py).
        self.table = nn.Embedding(n_bases * size, d_model, sparse=True)
        nn.init.normal_(self.table.weight, std=INIT_STD)
        self.register_buffer("cells", torch.tensor(cells), persistent=False)  # [I, 4]
        self.register_buffer("offsets", torch.tensor(table) * size, persistent=False)  # [I]
        self.register_buffer("place", classes ** torch.arange(NTUPLE_CELLS), persistent=False)
        incidence = torch.zeros(N_CELLS, len(cells))
        for i, instance in enumerate(cells):
            incidence[list(instance), i] = 1.0
        self.register_buffer("incidence", incidence, persistent=False)  # [16, I]

    def forward(self, board: Tensor) -> Tensor:
        e = board[:, self.cells].clamp(max=self.classes - 1)  # [B, I, 4]
        rows = self.table((e * self.place).sum(dim=-1) + self.offsets)  # [B, I, d]
        return self.incidence.to(rows.dtype) @ rows


class Layer(nn.Module):
    """A token layer that can run under gradient checkpointing (``use_reentrant=False``).

    Checkpointing is a flag, not a wrapper, so a design's weights load whether or not its
    layers are checkpointed. The layer's side results are recorded in a fresh ``Extras``
    returned from the checkpointed function: the recomputation in the backward pass writes
    into another throwaway ``Extras``, so losses keep their gradients and expert usage is
    counted once (FINDINGS: side effects inside a checkpointed block run twice).
    """

    checkpointed: bool = False

    def block(self, x: Tensor, extras: Extras) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor, extras: Extras) -> Tensor:
        if not (self.checkpointed and self.training and torch.is_grad_enabled()):
            return self.block(x, extras)

        def run(inp: Tensor) -> tuple[Tensor, Extras]:
            local = Extras()
            return self.block(inp, local), local

        y, local = checkpoint(run, x, use_reentrant=False)
        extras.merge(local)
        return y


class TransformerLayer(Layer):
    """Pre-norm self-attention over the 16 cells, then an MLP; both residual.

    Params: 4d^2 + 2d*ff + ff + 9d with ff = ff_mult * d (same as nn.TransformerEncoderLayer).
    """

    def __init__(self, d_model: int, n_heads: int, ff_mult: int = 4, activation: str = "gelu",
                 dropout: float = 0.0, checkpointed: bool = False):
        super().__init__()
        self.n_heads, self.checkpointed = n_heads, checkpointed
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, ff_mult * d_model)
        self.fc2 = nn.Linear(ff_mult * d_model, d_model)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.drop = nn.Dropout(dropout)
        self.apply(_init_linear)

    def block(self, x: Tensor, extras: Extras) -> Tensor:
        b, t, d = x.shape
        head = d // self.n_heads
        # One copy into head-major [3, B, H, T, head] keeps every attention matmul on MKL's
        # batched GEMM; strided views and SDPA's CPU flash kernel, which are built for long
        # sequences, cost 15% more of a training step over 16 tokens (bench_templates).
        qkv = self.qkv(self.ln1(x)).reshape(b, t, 3, self.n_heads, head)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).contiguous().unbind(0)
        att = (q * head ** -0.5) @ k.transpose(-1, -2)
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.fc2(self.act(self.fc1(self.ln2(x)))))


class MoELayer(Layer):
    """Pre-norm mixture-of-experts MLP with top-k routing; residual.

    Each token's router probabilities pick its top-k experts; their outputs are mixed with
    the renormalised top-k probabilities. ``dense`` computes every expert and masks the gate
    (static shapes: exports cleanly); ``sparse`` computes only the chosen (token, expert)
    pairs (faster in eager mode at larger batches).

    Records in ``extras``: the Switch load-balancing loss ``E * sum_i f_i * P_i`` (f_i: share
    of assignments to expert i, P_i: mean router probability), the router z-loss and the
    usage shares f_i. Their weights come from the load-balance router(s) wired into it.

    Params: E(2dh + h + d) + dE + E + 2d with h = ff_mult * d.
    """

    def __init__(self, d_model: int, n_experts: int, top_k: int = 2, ff_mult: int = 2,
                 routing: str = "dense", node: int = 0, lb_coef: float = 0.0,
                 z_coef: float = 0.0, checkpointed: bool = False):
        super().__init__()
        self.checkpointed = checkpointed
        hidden = ff_mult * d_model
        self.node, self.top_k, self.sparse = node, top_k, routing == "sparse"
        self.lb_coef, self.z_coef = lb_coef, z_coef
        self.ln = nn.LayerNorm(d_model)
        self.router = nn.Linear(d_model, n_experts)
        self.w1 = nn.Parameter(torch.randn(n_experts, d_model, hidden) * 0.02)
        self.b1 = nn.Parameter(torch.zeros(n_experts, hidden))
        self.w2 = nn.Parameter(torch.randn(n_experts, hidden, d_model) * 0.02)
        self.b2 = nn.Parameter(torch.zeros(n_experts, d_model))
        self.apply(_init_linear)

    @property
    def n_experts(self) -> int:
        return self.w1.shape[0]

    def block(self, x: Tensor, extras: Extras) -> Tensor:
        b, t, d = x.shape
        h = self.ln(x).reshape(b * t, d)
        logits = self.router(h)  # [N, E]
        probs = logits.softmax(dim=-1)
        top_p, top_i = probs.topk(self.top_k, dim=-1)  # [N, k]
        top_p = top_p / top_p.sum(dim=-1, keepdim=True)
        assign = F.one_hot(top_i, self.n_experts).to(probs.dtype)  # [N, k, E]
        gate = (assign * top_p.unsqueeze(-1)).sum(dim=1)  # [N, E]
        y = self._sparse(h, top_i, top_p) if self.sparse else self._dense(h, gate)

        share = assign.sum(dim=(0, 1)) / (b * t * self.top_k)  # f_i, no gradient path
        lb_loss = self.n_experts * (share.detach() * probs.mean(dim=0)).sum()
        z_loss = torch.logsumexp(logits, dim=-1).pow(2).mean()
        extras.moe.append(MoEStats(self.node, lb_loss, z_loss, share.detach()))
        return x + y.reshape(b, t, d)

    def _dense(self, h: Tensor, gate: Tensor) -> Tensor:
        # Every expert side by side as two plain GEMMs: [N, d] @ [d, E*h], then the gated
        # hidden [N, E*h] @ [E*h, d] sums the experts' outputs in its contraction. Same
        # function as mixing each expert's output by its gate, without per-expert batched
        # matmuls or strided intermediates (16% less of a training step).
        e, d, hidden = self.w1.shape
        hid = F.gelu(torch.addmm(self.b1.reshape(-1), h, self.w1.transpose(0, 1).reshape(d, -1)))
        hid = (hid.view(-1, e, hidden) * gate.unsqueeze(-1)).view(-1, e * hidden)
        return torch.addmm(gate @ self.b2, hid, self.w2.reshape(e * hidden, d))

    def _sparse(self, h: Tensor, top_i: Tensor, top_p: Tensor) -> Tensor:
        y = torch.zeros_like(h)
        for e in range(self.n_experts):
            token, slot = torch.nonzero(top_i == e, as_tuple=True)
            if token.numel() == 0:
                continue
            hid = F.gelu(h[token] @ self.w1[e] + self.b1[e])
            out = (hid @ self.w2[e] + self.b2[e]) * top_p[token, slot].unsqueeze(-1)
            # Under bfloat16 autocast the matmuls come out in bfloat16 whatever ``h`` is
            # (a float32 stream from an embedding or n-tuple encoder): add in y's dtype.
            y = y.index_add(0, token, out.to(y.dtype))
        return y


class AuxLossHead(nn.Module):
    """Predicts an auxiliary target from the mean token; tokens pass through unchanged.

    ``max_tile``: class of the largest tile ``horizon`` moves ahead (cross-entropy over 16
    exponents). ``future_score``: log1p of the score gained over the next ``horizon`` moves
    (squared error). The trainer builds the targets from its rollouts.

    Params: 2d (LayerNorm) + d*n + n, n = 16 (max_tile) or 1 (future_score).
    """

    def __init__(self, d_model: int, target: str = "max_tile", horizon: int = 16,
                 coef: float = 0.1, node: int = 0):
        super().__init__()
        self.node, self.target, self.horizon, self.coef = node, target, horizon, coef
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, AUX_OUTPUTS[target])
        self.apply(_init_linear)

    def forward(self, x: Tensor, extras: Extras) -> Tensor:
        extras.aux[self.node] = self.head(self.ln(x).mean(dim=1))
        return x


class ActionOutput(nn.Module):
    """Policy logits [B, 4] (up, right, down, left) and value [B] from the stream.

    Params: 2d + (hidden ? f*H + 6H + 5 : 5f + 5), f = 16d (flatten) or d (mean).
    """

    def __init__(self, d_model: int, pool: str = "flatten", hidden: int = 0):
        super().__init__()
        self.flatten = pool == "flatten"
        features = N_CELLS * d_model if self.flatten else d_model
        self.ln = nn.LayerNorm(d_model)
        self.trunk = nn.Sequential(nn.Linear(features, hidden), nn.ReLU()) if hidden else None
        width = hidden or features
        self.policy = nn.Linear(width, N_ACTIONS)
        self.value = nn.Linear(width, 1)
        self.apply(_init_linear)
        nn.init.normal_(self.policy.weight, std=0.01)  # near-uniform initial policy

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = self.ln(x)
        f = x.flatten(1) if self.flatten else x.mean(dim=1)
        if self.trunk is not None:
            f = self.trunk(f)
        return self.policy(f), self.value(f).squeeze(-1)
