"""Exact parameter counts and a training-memory estimate, in closed form (no torch).

Parameters: each block's count is a formula of its props and stream width ``d`` (see the
block docstrings in ``build/blocks.py``); the tests check ``sum(p.numel())`` of built models
against it for every template and thousands of random designs.

Memory (MiB, reported as "MB"), for one PPO minibatch of ``TRAIN_BATCH`` boards in float32:

    weights + gradients + Adam's two moments = 4 * params * 4 bytes
  + activations saved for the backward pass  = sum over blocks of act(block) * 4 bytes

where act(block) is the number of floats the block keeps for backward (an int64 index
counts as two floats): T = 16 tokens, B = TRAIN_BATCH, d = width, f = ff_mult * d,
E experts, k = top_k, H heads. The constants (batch, the two floats of an index, the 16
router floats per token and expert, ...) live in catalog.py, which the JS worker reads too.

  embedding          learned 2BT (tile indices); onehot 16BT (the one-hot matrix);
                     an implicit embedding is a learned one
  n-tuple            2BI + TI                 I = 8 * tables tuple copies: their row
                                              indices and the cell-copy incidence matrix
  n-tuple value      2 * 4BI                  the row indices of the four afterstates
                                              (TD(0) trains it: no backward pass, but the
                                              same budget formula keeps one rule)
  transformer layer  BT(8d + 2f + 2H)       norms, q/k/v, attention output, MLP
  MoE layer  dense   BT(2d + E(2f + d) + 16E)  every expert's hidden and output
             sparse  BT(2d + k(2f + 3d) + 16E) only the chosen (token, expert) pairs
  aux-loss head      B(2T + d)              its input is kept by the blocks after it
  action output      BTd + 2BT + (flatten: BTd | mean: Bd) + B*hidden
  checkpointed layer BTd                    only its input; the rest is recomputed

Each block counts the tensors it saves itself (its input among them); the coefficients
were read off ``torch.autograd.graph.saved_tensors_hooks`` measurements, and tests keep
the estimate within 25% of that measurement on several designs.
"""

from __future__ import annotations

import math

from modelstudio_widget.design.analysis import Analysis, Issue, Node
from modelstudio_widget.design.catalog import (
    AUX_TARGET_WIDTH,
    BYTES_PER_FLOAT,
    INDEX_FLOATS,
    LIMITS,
    MOE_ROUTER_FLOATS_PER_EXPERT,
    N_ACTIONS,
    N_CELLS,
    N_TILE_VALUES,
    NTUPLE_BASES,
    NTUPLE_CELLS,
    NTUPLE_SYMMETRIES,
    OPTIMIZER_COPIES,
    TRAIN_BATCH,
)


def node_params(n: Node, implicit_embedding: bool = False) -> int:
    """Exact parameter count of one block."""
    d, p = n.width, n.props
    if n.type == "board_input":
        return (N_TILE_VALUES + N_CELLS) * d if implicit_embedding else 0  # tile + position
    if n.type == "embedding":
        tile = N_TILE_VALUES * d + (d if p["encoding"] == "onehot" else 0)
        return tile + (N_CELLS * d if p["positional"] else 0)
    if n.type == "ntuple":
        return len(NTUPLE_BASES[p["tuples"]]) * p["classes"] ** NTUPLE_CELLS * d
    if n.type == "ntuple_value":  # one number per table row
        return len(NTUPLE_BASES[p["tuples"]]) * p["classes"] ** NTUPLE_CELLS
    if n.type == "transformer_layer":
        f = p["ff_mult"] * d
        return 4 * d * d + 2 * d * f + f + 9 * d
    if n.type == "moe_layer":
        e, h = p["n_experts"], p["ff_mult"] * d
        return e * (2 * d * h + h + d) + d * e + e + 2 * d
    if n.type == "aux_loss_head":
        out = AUX_TARGET_WIDTH[p["target"]]
        return 2 * d + d * out + out
    if n.type == "action_output":
        features = N_CELLS * d if p["pool"] == "flatten" else d
        hidden = p["hidden"]
        heads = features * hidden + hidden + (N_ACTIONS + 1) * (hidden + 1) if hidden \
            else (N_ACTIONS + 1) * (features + 1)
        return 2 * d + heads
    return 0  # router, checkpoint: configuration only


def node_activations(n: Node, batch: int, checkpointed: bool = False,
                     implicit_embedding: bool = False) -> int:
    """Floats a block keeps for the backward pass (see the module docstring)."""
    b, t, d, p = batch, N_CELLS, n.width, n.props
    if checkpointed:
        return b * t * d
    if n.type == "board_input":
        return INDEX_FLOATS * b * t if implicit_embedding else 0
    if n.type == "embedding":
        return INDEX_FLOATS * b * t if p["encoding"] == "learned" else N_TILE_VALUES * b * t
    if n.type == "ntuple":  # each tuple copy's row index, and the cell-copy incidence matrix
        copies = len(NTUPLE_BASES[p["tuples"]]) * len(NTUPLE_SYMMETRIES)
        return INDEX_FLOATS * b * copies + t * copies
    if n.type == "ntuple_value":  # each afterstate's tuple-copy row indices
        copies = len(NTUPLE_BASES[p["tuples"]]) * len(NTUPLE_SYMMETRIES)
        return INDEX_FLOATS * b * N_ACTIONS * copies
    if n.type == "transformer_layer":
        f = p["ff_mult"] * d
        return b * t * (8 * d + 2 * f + 2 * p["n_heads"])
    if n.type == "moe_layer":
        e, k, f = p["n_experts"], p["top_k"], p["ff_mult"] * d
        per = e * (2 * f + d) if p["routing"] == "dense" else k * (2 * f + 3 * d)
        return b * t * (2 * d + per + MOE_ROUTER_FLOATS_PER_EXPERT * e)
    if n.type == "aux_loss_head":
        return b * (2 * t + d)
    if n.type == "action_output":
        pooled = b * t * d if p["pool"] == "flatten" else b * d
        return b * t * d + 2 * b * t + pooled + b * p["hidden"]
    return 0


def estimate(a: Analysis, batch: int = TRAIN_BATCH) -> tuple[int, int]:
    """(exact parameter count, training memory in MiB) of an analysed design."""
    params = 0
    floats = 0
    for n in a.nodes:
        implicit = a.implicit_embedding.get(n.index, False)
        params += node_params(n, implicit)
        floats += node_activations(n, batch, n.index in a.checkpointed, implicit)
    total = (OPTIMIZER_COPIES * params + floats) * BYTES_PER_FLOAT
    return params, math.ceil(total / 2**20)


def check_budget(issues: list[Issue], params: int, memory: int) -> None:
    """TOO_LARGE when the estimate is over the parameter or memory budget."""
    if any(i.code == "TOO_LARGE" for i in issues):
        return
    if params > LIMITS["max_params"]:
        issues.append(Issue("TOO_LARGE", f"{params / 1e6:.1f} M parameters is over the "
                            f"{LIMITS['max_params'] / 1e6:.0f} M budget; make layers "
                            "narrower or fewer."))
    elif memory > LIMITS["max_memory_mb"]:
        issues.append(Issue("TOO_LARGE", f"Training needs about {memory} MB, over the "
                            f"{LIMITS['max_memory_mb']} MB budget; add gradient "
                            "checkpoints or shrink the design."))
