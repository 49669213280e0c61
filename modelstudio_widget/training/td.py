"""TD(0) on afterstates, for designs that end in an n-tuple value (Szubert & Jaskowski 2014).

An *afterstate* is the board a move leads to before the new tile spawns. Every move, each
game values its four afterstates with the tables (``build/lookahead.py``: the same rows
the exported model reads), plays the best (greedy: the random spawns are exploration
enough), and the afterstate it played the move before learns toward what that led to:

    V(prev) += step * (best - V(prev))     best = max over legal moves of reward + V(after)
                                           (0 when the game ended: nothing more to earn)

``V`` is the sum of one table row per tuple copy, so the error is spread over those rows:
each moves by ``step_size / copies`` of it. Values and rewards are score points.

The games are batched (``num_envs`` of them play one move at a time), and a row that several
games read in the same move moves by the *mean* of their errors, not their sum: with 256
games, the rows of common patterns (an empty line) are read hundreds of times a move, and
summing diverged within seconds (values past 1e12, mean score 1,051, i.e. random play);
the mean learned to a mean score of 22,551 with the 1024 tile in 86% of games in 30 s
(one core, 4.6 M moves; the prototype behind this module).

No gradients and no optimizer: the tables are numpy views of the module's parameter,
updated in place on the CPU.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from modelstudio_widget.build.lookahead import NTupleValue
from modelstudio_widget.game.engine import BatchedGame, to_exponents
from modelstudio_widget.training.episodes import EpisodeStats


class AfterstateTD:
    """Plays ``game``'s boards greedily by ``head``'s values and learns them by TD(0)."""

    def __init__(self, head: NTupleValue, game: BatchedGame, stats: EpisodeStats,
                 step_size: float):
        self.head, self.game, self.stats = head, game, stats
        self.table = head.table.detach().numpy()  # shares the parameter's memory
        self.cells = head.cells.numpy()
        self.offsets = head.offsets.numpy()
        self.place = head.place.numpy()
        self.rate = step_size / len(self.cells)  # per row read, as in Szubert & Jaskowski
        n = game.n
        # The afterstate each game played last (its rows and value when it was chosen),
        # waiting for the next move to say what it was worth.
        self.prev_rows = np.zeros((n, len(self.cells)), dtype=np.int64)
        self.prev_values = np.zeros(n, dtype=np.float64)
        self.has_prev = np.zeros(n, dtype=bool)
        self.mean_error = 0.0  # mean |TD error| of the last call to play()

    def rows(self, boards: np.ndarray) -> np.ndarray:
        """int64[k, copies]: the table row each tuple copy of each board reads."""
        e = to_exponents(boards)
        np.minimum(e, self.head.classes - 1, out=e)
        idx = self.offsets + e[:, self.cells[:, 0]] * self.place[0]
        for j in range(1, self.cells.shape[1]):
            idx += e[:, self.cells[:, j]] * self.place[j]
        return idx

    def play(self, steps: int, deadline: float | None = None) -> int:
        """Up to ``steps`` moves in every game, learning as they go; stops early at
        ``deadline`` (``time.monotonic()`` seconds). Returns the moves played."""
        game, n = self.game, self.game.n
        every = np.arange(n)
        errors, learned = 0.0, 0
        played = 0
        for t in range(steps):
            if t and deadline is not None and time.monotonic() >= deadline:
                break
            moved, rewards = game.afterstates()  # [4, n]
            rows = self.rows(moved.reshape(-1))  # [4n, copies]
            values = self.table[rows].sum(-1).reshape(4, n)
            q = np.where(game.legal.T, rewards + values, -np.inf)
            action = q.argmax(0)
            keep = self.has_prev
            errors += self._learn(self.prev_rows[keep], self.prev_values[keep], q[action, every][keep])
            learned += int(keep.sum())
            chosen = action * n + every
            self.prev_rows = rows[chosen]
            self.prev_values = values.reshape(-1)[chosen]
            outcome = game.step(action)
            ended = outcome.terminated
            if ended.any():
                errors += self._learn(self.prev_rows[ended], self.prev_values[ended], 0.0)
                learned += int(ended.sum())
                self.stats.add(outcome.info["score"], outcome.info["max_tile"])
            self.has_prev = ~ended
            played += 1
        self.mean_error = errors / learned if learned else self.mean_error
        return played * n

    def _learn(self, rows: np.ndarray, values: np.ndarray, targets: Any) -> float:
        """Move each afterstate's rows toward its target; the sum of |errors|."""
        if not len(rows):
            return 0.0
        error = targets - values
        unique, which, count = np.unique(rows.ravel(), return_inverse=True, return_counts=True)
        sums = np.bincount(which, weights=np.repeat(error * self.rate, rows.shape[1]))
        self.table[unique] += (sums / count).astype(self.table.dtype)
        return float(np.abs(error).sum())

    def state_dict(self) -> dict[str, Any]:
        return {"prev_rows": torch.from_numpy(self.prev_rows.copy()),
                "prev_values": torch.from_numpy(self.prev_values.copy()),
                "has_prev": torch.from_numpy(self.has_prev.copy()),
                "mean_error": self.mean_error}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.prev_rows = state["prev_rows"].numpy().copy()
        self.prev_values = state["prev_values"].numpy().copy()
        self.has_prev = state["has_prev"].numpy().copy()
        self.mean_error = float(state["mean_error"])
