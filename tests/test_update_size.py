"""The update sized to the design (training/update_size.py): a share of each rollout per
epoch, chosen from the model's forward FLOPs when left to AUTO."""

from __future__ import annotations

import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.build.codegen import build_model
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.settings import SettingsError, check_settings
from modelstudio_widget.training.update_size import (
    AUTO,
    UPDATE_FLOPS_PER_MOVE,
    forward_flops,
    minibatches,
    resolve_update_fraction,
    update_moves,
)

CPU = torch.device("cpu")
SMALL = dict(num_envs=32, num_steps=16, minibatch_size=64)  # 512 moves a rollout


def gradient_steps(trainer: PPOTrainer) -> int:
    """Optimizer steps taken by one iteration (counted around the real step)."""
    calls = []
    step = trainer.optimizer.step
    trainer.optimizer.step = lambda *a, **kw: (calls.append(1), step(*a, **kw))[1]
    trainer.train_iteration()
    return len(calls)


@pytest.mark.parametrize(("fraction", "epochs", "steps"), [(1.0, 2, 16), (0.25, 2, 4),
                                                          (0.1, 1, 1)])
def test_each_epoch_trains_on_its_share_of_the_rollout(fraction: float, epochs: int,
                                                       steps: int) -> None:
    config = PPOConfig(**SMALL, update_epochs=epochs, update_fraction=fraction)
    trainer = PPOTrainer(ms.templates()["tiny"], config)
    assert trainer.update_fraction == fraction
    assert gradient_steps(trainer) == steps == minibatches(config, 512, fraction)


def test_a_sampled_update_still_learns_and_repeats_exactly() -> None:
    def run() -> PPOTrainer:
        trainer = PPOTrainer(ms.templates()["tiny"],
                             PPOConfig(**SMALL, update_fraction=0.3, seed=5))
        before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        trainer.train_iteration()
        after = trainer.model.state_dict()
        assert any(not torch.equal(before[k], after[k]) for k in before)
        return trainer

    a, b = run().model.state_dict(), run().model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_an_epoch_trains_on_at_least_two_moves_and_at_most_the_rollout() -> None:
    assert update_moves(512, 0.25) == 128
    assert update_moves(512, 0.001) == 2  # one move alone has no advantage spread
    assert update_moves(512, 1.0) == 512
    assert update_moves(10, 0.33) == 4  # rounded up


def test_the_flop_count_is_the_models_matmuls_per_board() -> None:
    # A wider trunk in the action head adds exactly its weights' multiply-adds (x2 FLOPs):
    # the flattened stream (16 cells x d) into each extra unit, and that unit into the
    # policy (4) and value (1) outputs.
    def design(hidden: int) -> dict:
        d = ms.templates()["tiny"]
        (head,) = [c for c in d["components"] if c["type"] == "action_output"]
        head["props"]["hidden"] = hidden
        return d

    narrow, wide = (forward_flops(build_model(design(h)), CPU) for h in (256, 320))
    d_model = 32
    assert wide - narrow == 2 * 64 * (16 * d_model + 4 + 1)


def test_auto_trains_a_small_design_on_every_move_and_a_large_one_on_a_sample() -> None:
    config = PPOConfig()
    assert config.update_fraction == AUTO
    assert PPOTrainer(ms.templates()["tiny"], config).update_fraction == 1.0
    for name in ("transformer", "moe", "checkpointed"):
        trainer = PPOTrainer(ms.templates()[name], config)
        flops = forward_flops(trainer.model, CPU)
        assert trainer.update_fraction < 0.25, name
        # The share spends exactly the cap, all epochs together.
        assert trainer.update_fraction * flops * config.update_epochs == pytest.approx(
            UPDATE_FLOPS_PER_MOVE)
    # More epochs: each trains on less.
    twice = PPOTrainer(ms.templates()["transformer"], PPOConfig(update_epochs=4))
    assert twice.update_fraction == pytest.approx(
        PPOTrainer(ms.templates()["transformer"], config).update_fraction / 2)


def test_auto_trains_on_every_move_on_a_gpu_and_a_set_share_stands() -> None:
    model = build_model(ms.templates()["transformer"])
    assert resolve_update_fraction(PPOConfig(), model, torch.device("cuda")) == 1.0
    assert resolve_update_fraction(PPOConfig(update_fraction=0.7), model, CPU) == 0.7
    assert forward_flops(model, CPU) > 0 and model.training  # counting leaves it training


def test_the_share_is_a_training_setting_between_auto_and_every_move() -> None:
    assert check_settings({"update_fraction": 0.5}).config.update_fraction == 0.5
    assert check_settings({}).config.update_fraction == AUTO
    for bad in (-0.1, 1.5):
        with pytest.raises(SettingsError):
            check_settings({"update_fraction": bad})
