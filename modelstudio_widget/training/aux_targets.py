"""Targets of the aux-loss heads, read off one PPO rollout (numpy only)."""

from __future__ import annotations

import numpy as np


def aux_targets(kind: str, horizon: int, rewards: np.ndarray, dones: np.ndarray,
                max_exp: np.ndarray, final_max_exp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets and validity mask [T, N] for an aux head from one rollout.

    ``rewards``/``dones``/``final_max_exp`` [T, N] describe each move (final_max_exp: the
    largest exponent of the board the move produced, before any reset); ``max_exp`` [T, N]
    is the largest exponent of the board each move was chosen on. A target looks
    ``horizon`` moves ahead within the same game; windows that run past the rollout
    without the game ending are masked out.
    """
    steps = rewards.shape[0]
    target = np.zeros(rewards.shape, dtype=np.float32)
    valid = np.zeros(rewards.shape, dtype=bool)
    gained = np.zeros(rewards.shape[1], dtype=np.float64)
    # Walk backwards keeping, per game, the distance to the next episode end.
    next_done = np.full(rewards.shape[1], np.iinfo(np.int64).max // 2, dtype=np.int64)
    csum = np.concatenate([np.zeros((1, rewards.shape[1])), np.cumsum(rewards, axis=0)])
    for t in range(steps - 1, -1, -1):
        next_done = np.where(dones[t], t, next_done)
        end = np.minimum(next_done + 1, t + horizon)  # exclusive end of the window
        ends_in_game = next_done < t + horizon
        inside = ends_in_game | (t + horizon < steps)
        valid[t] = inside
        if kind == "future_score":
            idx = np.minimum(end, steps)
            gained = csum[idx, np.arange(rewards.shape[1])] - csum[t]
            target[t] = np.log1p(gained)
        else:
            ahead = np.minimum(t + horizon, steps - 1)
            later = max_exp[ahead]
            final = final_max_exp[np.minimum(next_done, steps - 1), np.arange(rewards.shape[1])]
            target[t] = np.where(ends_in_game, final, later)
    return target, valid
