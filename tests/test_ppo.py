"""PPO on the batched engine: masking, GAE, aux targets, reproducibility, and learning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.build.blocks import ActionOutput
from modelstudio_widget.training.aux_targets import aux_targets
from modelstudio_widget.training.evaluate import play_games, random_policy
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer, Rollout

SMALL = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)


def small_config(**kw: object) -> PPOConfig:
    return PPOConfig(**{**SMALL.to_dict(), **kw})


def test_masking_never_selects_an_illegal_move() -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], small_config())
    # Make illegal moves as tempting as possible: a huge bias on every logit.
    (head,) = [m for m in trainer.model.modules() if isinstance(m, ActionOutput)]
    with torch.no_grad():
        head.policy.bias.copy_(torch.tensor([50., -50, 50, -50]))
    rollout = trainer.collect()
    chosen = np.take_along_axis(rollout.legal, rollout.actions[..., None], axis=2)
    assert chosen.all()
    assert np.isfinite(rollout.logprobs).all()


def test_a_rollout_holds_every_move_of_every_game_in_the_documented_shapes() -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], small_config(num_envs=4, num_steps=5))
    r = trainer.collect()
    per_move = {"obs": (5, 4, 16), "legal": (5, 4, 4), "actions": (5, 4), "logprobs": (5, 4),
                "values": (6, 4), "raw_rewards": (5, 4), "dones": (5, 4),
                "final_max_exp": (5, 4)}
    assert {k: getattr(r, k).shape for k in per_move} == per_move
    assert r.obs.dtype == np.uint8 and r.legal.dtype == bool and r.dones.dtype == bool
    # Each move's reward is the score it added: the games' scores sum them (none ended yet).
    assert not r.dones.any() and (r.raw_rewards.sum(axis=0) == trainer.game.scores).all()


def test_seeded_runs_repeat_and_different_seeds_differ() -> None:
    def run(seed: int) -> dict[str, torch.Tensor]:
        trainer = PPOTrainer(ms.templates()["moe"], small_config(seed=seed))
        for _ in range(2):
            trainer.train_iteration()
        return trainer.model.state_dict()

    a, b, c = run(3), run(3), run(4)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_gae_does_not_bootstrap_across_a_finished_game() -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], small_config(num_envs=1, num_steps=3,
                                                              gamma=0.5, gae_lambda=1.0,
                                                              reward_transform="raw"))
    r = Rollout.empty(steps=3, envs=1)
    r.raw_rewards[:] = [[2048.], [0.], [2048.]]
    r.dones[:] = [[False], [True], [False]]
    r.values[:] = [[0.], [0.], [0.], [10.]]
    adv, ret = trainer.advantages(r)
    # step 2 bootstraps from the final value; steps 0-1 end with the game (no bootstrap).
    assert ret[:, 0].tolist() == pytest.approx([1.0, 0.0, 1.0 + 0.5 * 10.0])


def test_aux_targets_look_ahead_within_the_game() -> None:
    rewards = np.array([[4], [8], [0], [16]], dtype=np.float32)
    dones = np.array([[False], [True], [False], [False]])
    max_exp = np.array([[1], [2], [1], [3]], dtype=np.float32)
    final = np.array([[2], [5], [3], [4]], dtype=np.float32)
    score, valid = aux_targets("future_score", 2, rewards, dones, max_exp, final)
    assert valid[:, 0].tolist() == [True, True, False, False]
    assert score[0, 0] == pytest.approx(np.log1p(12)) and score[1, 0] == pytest.approx(
        np.log1p(8))
    tile, valid = aux_targets("max_tile", 2, rewards, dones, max_exp, final)
    assert valid[:, 0].tolist() == [True, True, False, False]
    assert tile[:2, 0].tolist() == [5, 5]  # the game ended at step 1 with exponent 5


def test_every_loss_is_reported_and_finite_for_moe_and_aux_designs() -> None:
    design = ms.templates()["checkpointed"]  # aux head looks 16 moves ahead
    trainer = PPOTrainer(design, small_config(num_steps=48))
    m = trainer.train_iteration()
    for key in ("policy", "value", "entropy", "aux", "load_balance", "approx_kl"):
        assert m["losses"][key] is not None and np.isfinite(m["losses"][key])
    assert m["losses"]["aux"] > 0
    moe = PPOTrainer(ms.templates()["moe"], small_config())
    m = moe.train_iteration()
    (usage,) = m["moe"]["expert_usage"].values()
    assert len(usage) == 4 and sum(usage) == pytest.approx(1.0, abs=1e-5)
    assert m["moe"]["lb_loss"] > 0
    assert list(m["moe"]["expert_usage"]) == ["experts"]  # keyed by the block's id


@pytest.mark.slow
def test_a_short_training_run_beats_random_play() -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], PPOConfig(seed=1))
    for _ in range(30):  # ~0.5 M moves, ~15 s on one core
        trainer.train_iteration()
    agent = ms.evaluate(trainer.model, games=300, seed=5)
    baseline = play_games(random_policy(5), games=300, seed=5)
    assert agent["mean_score"] > baseline["mean_score"] + 5 * (agent["se"] + baseline["se"])
    assert agent["max_tile_rates"][256] > 2 * baseline["max_tile_rates"][256]


def test_resuming_from_a_checkpoint_continues_exactly(tmp_path) -> None:
    design = ms.templates()["moe"]
    original = PPOTrainer(design, small_config(seed=7))
    original.train_iteration()
    path = tmp_path / "ckpt.pt"
    torch.save(original.state_dict(), path)
    original.train_iteration()

    resumed = PPOTrainer(design, small_config(seed=7))
    resumed.load_state_dict(torch.load(path, weights_only=True))
    resumed.train_iteration()
    a, b = original.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert original.global_step == resumed.global_step
    assert np.array_equal(original.game.boards, resumed.game.boards)


def test_bfloat16_precision_trains_in_float32_outputs_and_repeats_exactly() -> None:
    def run() -> PPOTrainer:
        trainer = PPOTrainer(ms.templates()["moe"], small_config(precision="bfloat16", seed=2))
        for _ in range(2):
            trainer.train_iteration()
        return trainer

    a, b = run(), run()
    assert all(np.isfinite(v) for v in a.last_losses.values())
    assert all(p.dtype == torch.float32 for p in a.model.parameters())  # weights stay float32
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    fp32 = PPOTrainer(ms.templates()["moe"], small_config(seed=2))
    for _ in range(2):
        fp32.train_iteration()
    assert any(not torch.equal(sa[k], fp32.model.state_dict()[k]) for k in sa)


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        PPOTrainer(ms.templates()["tiny"], small_config(precision="float16"))
