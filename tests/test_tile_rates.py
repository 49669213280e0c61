"""Max-tile rates: one set of thresholds for training snapshots and evaluations."""

from __future__ import annotations

import numpy as np
import pytest

from modelstudio_widget.training.episodes import EpisodeStats
from modelstudio_widget.training.evaluate import play_games, random_policy
from modelstudio_widget.training.tile_rates import TILE_THRESHOLDS, max_tile_rates


def test_a_rate_is_the_share_of_games_whose_max_tile_reached_the_threshold() -> None:
    rates = max_tile_rates(np.array([128, 256, 256, 2048]))
    assert list(rates) == list(TILE_THRESHOLDS)
    assert rates[128] == 1.0 and rates[256] == 0.75 and rates[512] == 0.25
    assert rates[2048] == 0.25 and rates[4096] == 0.0
    assert set(max_tile_rates(np.zeros(0, dtype=np.int64)).values()) == {0.0}


def test_training_and_evaluation_report_the_same_tiles() -> None:
    stats = EpisodeStats(window=10)
    stats.add(np.array([1000, 3000]), np.array([128, 512]))
    training = stats.summary()["max_tile_rates"]
    evaluation = play_games(random_policy(0), games=20, seed=0)["max_tile_rates"]
    # The training snapshot is JSON, so its keys are strings; evaluation keeps ints.
    assert [int(k) for k in training] == list(evaluation) == list(TILE_THRESHOLDS)
    assert training["128"] == 1.0 and training["512"] == pytest.approx(0.5)
    assert training["1024"] == 0.0
