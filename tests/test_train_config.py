"""``$MODELSTUDIO_TRAIN_CONFIG``: PPO overrides for runs the app starts."""

from __future__ import annotations

import pytest

from modelstudio_widget.studio import TRAIN_CONFIG_ENV, train_config
from modelstudio_widget.training.ppo import PPOConfig


def test_without_the_variable_the_defaults_train(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRAIN_CONFIG_ENV, raising=False)
    assert train_config() == PPOConfig()


def test_overrides_replace_only_the_named_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRAIN_CONFIG_ENV, '{"num_envs": 32, "num_steps": 16, "bogus": 1}')
    cfg = train_config()
    assert (cfg.num_envs, cfg.num_steps) == (32, 16)
    assert cfg.learning_rate == PPOConfig().learning_rate


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "42"])
def test_a_bad_value_is_ignored(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(TRAIN_CONFIG_ENV, raw)
    assert train_config() == PPOConfig()
