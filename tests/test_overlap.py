"""Rollout and update side by side (``PPOConfig.overlap``, training/overlap.py)."""

from __future__ import annotations

import copy
import os
import threading

import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.training.overlap import copy_weights, side_by_side
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

# The trainer overlaps only where a second core is there to take the update.
needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU core")

SMALL = dict(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1, seed=5)
ON = dict(SMALL, overlap=True)


def equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


@needs_two_cores
def test_each_rollout_is_played_by_the_weights_one_update_behind() -> None:
    """Three overlapped iterations equal, bit for bit, the schedule played in sequence:
    train on rollout k - 1 while the previous weights play rollout k."""
    design = ms.templates()["transformer"]
    overlapped = PPOTrainer(design, PPOConfig(**ON))
    assert overlapped.overlap and overlapped.actor is not overlapped.model
    for _ in range(3):
        overlapped.train_iteration()
        assert equal(overlapped.actor, overlapped.model)  # the actor took the new weights

    by_hand = PPOTrainer(design, PPOConfig(**SMALL, overlap=False))
    assert by_hand.actor is by_hand.model
    by_hand.actor = copy.deepcopy(by_hand.model)
    pending = by_hand.collect()  # iteration 0 only plays
    for iteration in (1, 2):
        by_hand.iteration = iteration  # the update's minibatch order is seeded by it
        by_hand.update(pending)
        pending = by_hand.collect()  # played by the weights before that update
        copy_weights(by_hand.actor, by_hand.model)

    assert equal(overlapped.model, by_hand.model)
    assert (overlapped.pending.actions == pending.actions).all()
    assert overlapped.global_step == by_hand.global_step == 3 * 32 * 16


@needs_two_cores
def test_overlap_plays_more_moves_than_it_trains_on_only_by_the_pending_rollout() -> None:
    trainer = PPOTrainer(ms.templates()["tiny"], PPOConfig(**ON))
    first = trainer.train_iteration()
    assert first["losses"] == {} and first["global_step"] == 32 * 16  # nothing to train yet
    second = trainer.train_iteration()
    assert set(second["losses"]) >= {"policy", "value", "entropy"}
    assert second["time"]["rollout_s"] > 0 and second["time"]["update_s"] > 0


@needs_two_cores
def test_a_checkpoint_keeps_the_pending_rollout_and_resumes_exactly(tmp_path) -> None:
    design = ms.templates()["tiny"]
    original = PPOTrainer(design, PPOConfig(**ON))
    for _ in range(2):
        original.train_iteration()
    path = tmp_path / "ckpt.pt"
    torch.save(original.state_dict(), path)
    original.train_iteration()

    resumed = PPOTrainer(design, PPOConfig(**ON))
    state = torch.load(path, weights_only=True)
    assert "pending" in state
    resumed.load_state_dict(state)
    assert equal(resumed.actor, resumed.model)
    resumed.train_iteration()
    assert equal(original.model, resumed.model)
    assert (original.pending.obs == resumed.pending.obs).all()


def test_a_design_trained_by_td_or_a_config_without_overlap_plays_with_the_model() -> None:
    for design, config in ((ms.templates()["lookahead"], PPOConfig(**ON)),
                           (ms.templates()["tiny"], PPOConfig(**SMALL, overlap=False))):
        trainer = PPOTrainer(design, config)
        assert not trainer.overlap and trainer.actor is trainer.model
        trainer.train_iteration()
        assert trainer.pending is None


def test_side_by_side_runs_on_two_threads_with_the_asked_torch_threads() -> None:
    seen = {}

    def background() -> int:
        seen["background"] = threading.current_thread().name
        return torch.get_num_threads()

    threads, here = side_by_side(background, lambda: threading.current_thread().name, 1)
    assert threads == 1 and seen["background"] != here


def test_an_error_on_the_worker_reaches_the_caller_after_both_finish() -> None:
    finished = []

    def fail() -> None:
        raise ValueError("update failed")

    with pytest.raises(ValueError, match="update failed"):
        side_by_side(fail, lambda: finished.append(True), 1)
    assert finished == [True]
