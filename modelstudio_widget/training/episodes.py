"""Finished games as training reports them: counters, the recent window of scores and max
tiles (what the mean score and tile rates are over) and the best score."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelstudio_widget.training.tile_rates import max_tile_rates


@dataclass
class EpisodeStats:
    """Finished games: counters, the recent window and the score curve."""
    window: int
    episodes: int = 0
    best_score: int = 0
    recent_scores: deque = field(default_factory=deque)
    recent_max_tiles: deque = field(default_factory=deque)

    def add(self, scores: np.ndarray, max_tiles: np.ndarray) -> None:
        for s, t in zip(scores.tolist(), max_tiles.tolist()):
            self.episodes += 1
            self.best_score = max(self.best_score, s)
            self.recent_scores.append(s)
            self.recent_max_tiles.append(t)
        while len(self.recent_scores) > self.window:
            self.recent_scores.popleft()
            self.recent_max_tiles.popleft()

    def summary(self) -> dict[str, Any]:
        n = len(self.recent_scores)
        tiles = np.asarray(self.recent_max_tiles)
        return {
            "episodes": self.episodes,
            "best_score": self.best_score,
            "mean_score": float(np.mean(self.recent_scores)) if n else None,
            # String keys, as the JSON snapshot carries them (stored rows read back alike).
            "max_tile_rates": {str(t): rate for t, rate in max_tile_rates(tiles).items()},
        }
