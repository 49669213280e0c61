"""``PPOConfig``: every hyperparameter of the trainer in one place, each with its one-line
doc (CleanRL's ``Args`` is the model). Kept apart from ``ppo`` because it imports no torch:
the page's settings table (``settings``) reads these defaults and docs at widget start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from modelstudio_widget.design.catalog import TRAIN_BATCH

PRECISIONS = ("float32", "bfloat16")


@dataclass
class PPOConfig:
    """Every hyperparameter in one place, with defaults tuned for 2048 on a laptop CPU."""

    seed: int = 0
    """seeds the weights, the games, the action sampler and the minibatch order"""
    num_envs: int = 256
    """games played in parallel"""
    num_steps: int = 64
    """moves per game per rollout (a rollout is num_envs * num_steps moves)"""
    learning_rate: float = 1e-3
    """Adam's learning rate at the start of a budget"""
    lr_final_fraction: float = 0.1
    """the learning rate decays linearly to this fraction of itself over a budget"""
    gamma: float = 0.99
    """discount factor: games last hundreds of moves, so look far ahead"""
    gae_lambda: float = 0.9
    """lambda of generalised advantage estimation (1: Monte Carlo, 0: one-step TD)"""
    # 0.9 over 0.95, measured side by side (tiny, 300 s, 1000 games, seeds 0 and 1):
    # mean score 7,638 / 7,810 vs 7,011 / 6,758; the 1024 tile in 21% / 22% vs 17% / 15%.
    update_epochs: int = 2
    """passes of minibatch updates over each rollout"""
    update_fraction: float = 0.0
    """share of each rollout an epoch trains on (0: sized to the design, less for big models)"""
    minibatch_size: int = TRAIN_BATCH
    """moves per gradient step (the memory estimate assumes this batch)"""
    clip_coef: float = 0.2
    """PPO's clipping range for the probability ratio of the surrogate objective"""
    ent_coef: float = 0.005
    """weight of the entropy bonus (keeps the policy exploring)"""
    vf_coef: float = 0.5
    """weight of the value loss"""
    max_grad_norm: float = 0.5
    """gradients are clipped to this global norm"""
    reward_transform: str = "log"
    """how merge rewards are scaled: "log" is log2(1 + r) / 11 (a 2048 merge is worth 1.0), "raw" r / 2048"""
    td_step_size: float = 0.1
    """TD(0) step size of a design that ends in an n-tuple value (shared by the rows a board reads)"""
    torch_threads: int = 1
    """torch threads for training (0: torch's default); 1 avoids OpenMP spin-waits (FINDINGS)"""
    overlap: bool = False
    """on a CPU with two or more cores, play the next rollout while the last one trains (overlap.py)"""
    # Off by default, measured with the decoupled loss (300 s, 1000 games, seed 0, off -> on):
    # moe 5,545 -> 8,377 mean, but transformer 4,738 -> 3,590, checkpointed 3,239 -> 2,493,
    # tiny 7,360 -> 7,477 at 0.95x the moves/s (README, "Both cores").
    score_window: int = 200
    """finished games averaged for the recent mean score and max-tile rates"""
    precision: str = "float32"
    """"float32", or "bfloat16": forward passes under autocast (matmuls in bfloat16; weights,
    Adam and the losses stay float32), faster where the hardware has bfloat16 (bench_templates)"""
    device: str = "auto"
    """where the model, rollout tensors and updates run: "auto" (CUDA when present, else the
    CPU), "cpu", "cuda" or "cuda:N"; the engine and checkpoints stay on the CPU"""

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PPOConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
