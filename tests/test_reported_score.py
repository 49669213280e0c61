"""The reward transform shapes what PPO learns from, never what training reports: a finished
game's reported score is the sum of its raw merge rewards (the game's own score)."""

from __future__ import annotations

import pytest

import modelstudio_widget as ms
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

ENVS, STEPS = 4, 400  # an untrained policy ends a game in ~120 moves: every game ends at least once


@pytest.mark.parametrize("transform", ["log", "raw"])
def test_reported_scores_are_raw_game_scores(transform: str) -> None:
    trainer = PPOTrainer(ms.templates()["tiny"],
                         PPOConfig(num_envs=ENVS, num_steps=STEPS, reward_transform=transform))
    r = trainer.collect()
    assert r.dones.any(axis=0).all()
    # Every game that ended in the rollout: the sum of its raw rewards since the last end.
    episodes = []
    for g in range(ENVS):
        gained = 0.0
        for t in range(STEPS):
            gained += float(r.raw_rewards[t, g])
            if r.dones[t, g]:
                episodes.append(gained)
                gained = 0.0
    assert sorted(trainer.stats.recent_scores) == sorted(episodes)
    assert min(episodes) > 100  # real scores, not log2(1 + r) / 11 or r / 2048 units
