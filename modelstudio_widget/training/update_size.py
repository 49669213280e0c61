"""How much of each rollout the PPO update trains on, sized to the design.

On the CPU the update dominates a large design's training time (85-89% of it for the
transformer, MoE and checkpointed templates at two full epochs), so such a design sees a
tenth of the moves a small MLP sees in the same minutes. ``PPOConfig.update_fraction``
chooses the share of each rollout an epoch trains on (a fresh random sample per epoch);
its default, ``AUTO`` (0), caps the update's work per move at a fixed number of forward
FLOPs: a small design trains on every move, a large one on a sample, and so plays several
times more moves per minute and learns from fresher games.

The cost is the model's own forward FLOPs per board, counted once by torch's
``FlopCounterMode`` on a two-board pass: deterministic (a function of the design), so a
seeded run still repeats exactly. On a GPU the update is cheap, so ``AUTO`` trains on
every move there.
"""

from __future__ import annotations

import math

import torch
from torch.utils.flop_counter import FlopCounterMode

from modelstudio_widget.build.base import GameTransformer
from modelstudio_widget.training.config import PPOConfig

AUTO = 0.0
# Forward FLOPs the update may spend per move played, all epochs together. The tiny
# template (0.28 MFLOP a board, 2 epochs: 0.56) stays under it and trains on every move;
# the transformer (2.5 MFLOP) trains on 14% of each rollout per epoch.
UPDATE_FLOPS_PER_MOVE = 0.7e6
SAMPLE_BOARDS = 2  # batch of the counting pass (a batch of one can hide a batch dimension)


@torch.no_grad()
def forward_flops(model: GameTransformer, device: torch.device) -> float:
    """Forward FLOPs of ``model`` per board, as torch counts them (matmuls, convolutions)."""
    boards = torch.zeros(SAMPLE_BOARDS, 16, dtype=torch.uint8, device=device)
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model.forward_all(boards)
    finally:
        model.train(was_training)
    return counter.get_total_flops() / SAMPLE_BOARDS


def resolve_update_fraction(config: PPOConfig, model: GameTransformer,
                            device: torch.device) -> float:
    """The share of each rollout an epoch trains on: ``config.update_fraction``, or for
    ``AUTO`` the largest share whose forward FLOPs stay within ``UPDATE_FLOPS_PER_MOVE``."""
    if config.update_fraction != AUTO:
        return config.update_fraction
    if device.type != "cpu":
        return 1.0
    flops = forward_flops(model, device) * config.update_epochs
    return 1.0 if flops <= UPDATE_FLOPS_PER_MOVE else UPDATE_FLOPS_PER_MOVE / flops


def update_moves(moves: int, fraction: float) -> int:
    """Moves an epoch trains on from a rollout of ``moves`` (at least 2: one move alone
    has no advantage spread to normalise by)."""
    return min(moves, max(2, math.ceil(fraction * moves)))


def minibatches(config: PPOConfig, moves: int, fraction: float) -> int:
    """Gradient steps over a rollout of ``moves`` moves, all epochs."""
    return config.update_epochs * math.ceil(update_moves(moves, fraction)
                                            / config.minibatch_size)
