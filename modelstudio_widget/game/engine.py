"""Batched 2048 engine on packed ``uint64`` boards (numpy only).

This module is the engine's public face: :class:`BatchedGame` (many games stepped
together, each reset as soon as it ends) and, re-exported, the array functions of
:mod:`~modelstudio_widget.game.bitboard` (board layout, row tables, bit tricks) and the
one-board functions of :mod:`~modelstudio_widget.game.one_board`.

Rules
-----
Actions are 0 = up, 1 = right, 2 = down, 3 = left (:data:`ACTIONS`). A move slides every
tile toward that side; each pair of equal tiles merges once per move, the pair nearest
the wall first (``[2, 2, 2, 2]`` left gives ``[4, 4, 0, 0]``, ``[4, 4, 8, 0]`` left gives
``[8, 8, 0, 0]``). The reward of a move is the sum of the values of the tiles its
merges create. Only a move that changes the board spawns a new tile (2 with probability
0.9, 4 with 0.1) on a uniformly random empty cell; a move that changes nothing is a
no-op. A game is over when no move changes the board.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from modelstudio_widget.game.bitboard import (
    ACTIONS,
    DOWN,
    LEFT,
    MAX_EXPONENT,
    P_FOUR,
    RIGHT,
    UP,
    Boards,
    Rng,
    as_actions,
    as_boards,
    from_exponents,
    legal_moves,
    line_rewards,
    max_exponent,
    move_all,
    moves_by_action,
    new_boards,
    pick_moves,
    spawn_tiles,
    step,
    to_exponents,
)
from modelstudio_widget.game.one_board import move_all_one, new_board_one, spawn_one

__all__ = [
    "ACTIONS",
    "DOWN",
    "LEFT",
    "MAX_EXPONENT",
    "P_FOUR",
    "RIGHT",
    "UP",
    "BatchedGame",
    "Boards",
    "Rng",
    "StepResult",
    "from_exponents",
    "legal_moves",
    "max_exponent",
    "move_all",
    "move_all_one",
    "new_board_one",
    "new_boards",
    "spawn_one",
    "spawn_tiles",
    "step",
    "to_exponents",
]


# --- batched game with automatic resets ------------------------------------------------


class StepResult(NamedTuple):
    """What :meth:`BatchedGame.step` returns; unpacks as ``rewards, terminated, legal, info``.

    The third field is the legal-move mask of the boards now in play, not Gymnasium's
    ``truncated``: a batched game never truncates (see ``Game2048VectorEnv`` for that).
    """

    rewards: npt.NDArray[np.int32]
    """int32[n]: the merge reward of each board's move (0 for a no-op)."""
    terminated: npt.NDArray[np.bool_]
    """bool[n]: the move ended that board's game (it has been reset already)."""
    legal: npt.NDArray[np.bool_]
    """bool[n, 4]: legal moves of the current boards (new games where one ended)."""
    info: dict[str, Any]
    """The finished games: ``index``, ``score``, ``max_tile``, ``length``, ``final_boards``."""


class BatchedGame:
    """``n`` independent games stepped together, each reset as soon as it ends.

    State (read-only for callers): ``boards`` uint64[n], ``scores`` int64[n] (sum of the
    rewards of the current game), ``lengths`` int64[n] (actions taken in the current
    game, no-ops included), ``legal`` bool[n, 4] (legal moves of the current boards) and
    ``obs`` uint8[n, 16] (exponents of the current boards, computed once per step on
    first access). ``rng`` is the game's only source of randomness, so a seed fixes every
    trajectory for a given sequence of actions; :meth:`state_dict` and
    :meth:`load_state_dict` save and resume a run exactly.
    """

    def __init__(self, n: int, seed: int | np.random.Generator | None = None) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        self.n = int(n)
        self.reset(seed)

    def reset(self, seed: int | np.random.Generator | None = None) -> None:
        """Start ``n`` new games. A seed (or Generator) restarts the random stream;
        ``None`` continues the current one (fresh entropy on the first call)."""
        if seed is not None or not hasattr(self, "rng"):
            self.rng = np.random.default_rng(seed)
        self.boards = new_boards(self.n, self.rng)
        self.scores = np.zeros(self.n, dtype=np.int64)
        self.lengths = np.zeros(self.n, dtype=np.int64)
        self._moved, self._stacked, self.legal = moves_by_action(self.boards)
        self._obs: np.ndarray | None = None
        # Fresh games for restarts, made in chunks: at large n some game ends on nearly
        # every step, and one engine call per chunk is far cheaper than one per step.
        self._pool_size = max(64, self.n // 4)
        self._pool: tuple[np.ndarray, ...] = ()
        self._pool_next = 0

    @property
    def obs(self) -> npt.NDArray[np.uint8]:
        """uint8[n, 16] tile exponents of the current boards (cached until the next step)."""
        if self._obs is None:
            self._obs = to_exponents(self.boards)
        return self._obs

    def step(self, actions: npt.ArrayLike) -> StepResult:
        """Play ``actions`` (int[n], 0..3) on every board.

        Returns a :class:`StepResult` ``(rewards int32[n], terminated bool[n],
        legal bool[n, 4], info)``.
        Boards whose game ended are reset in this same call: ``boards``, ``obs`` and
        ``legal`` already show their new game, ``scores``/``lengths`` restart at 0, and
        ``info`` describes the finished games: ``index`` int[k] (which boards),
        ``score`` int64[k], ``max_tile`` int64[k] (tile value, e.g. 2048), ``length``
        int64[k] and ``final_boards`` uint64[k]. An illegal action is a no-op (reward 0,
        no spawn) that still counts toward ``length``.
        """
        a = as_actions(actions, self.n)
        new, rewards, changed = pick_moves(self._moved, self._stacked, self.legal, a)
        spawn_tiles(new, self.rng, where=changed)
        self.scores += rewards
        self.lengths += 1
        self.boards = new
        self._moved, self._stacked, self.legal = moves_by_action(new)
        self._obs = None
        # Four bools side by side read as one uint32: non-zero iff some move is legal.
        terminated = self.legal.view(np.uint32).ravel() == 0
        info = self._restart(terminated) if terminated.any() else dict(_NO_FINISHED)
        return StepResult(rewards, terminated, self.legal, info)

    def afterstates(self) -> tuple[Boards, npt.NDArray[np.int32]]:
        """Each current board's four moves before the tile spawns: ``(boards uint64[4, n],
        rewards int32[4, n])``, action-major (row ``a``: action ``a``; an illegal move's
        row is the board itself with reward 0). Read from what the last step computed."""
        axis_rewards = line_rewards(self._stacked)  # [2, n]: (up/down, left/right)
        return self._moved, axis_rewards[[0, 1, 0, 1]]

    def restore(
        self,
        boards: npt.ArrayLike,
        scores: npt.ArrayLike,
        lengths: npt.ArrayLike,
        rng_state: dict[str, Any],
    ) -> None:
        """Continue from saved ``boards``, ``scores``, ``lengths`` and ``rng.bit_generator.state``.

        The games then unfold deterministically from that state, but not bit for bit as
        the uninterrupted run would: the pool of fresh games kept for restarts is drawn
        anew. :meth:`state_dict` / :meth:`load_state_dict` also keep the pool.
        """
        b = as_boards(np.array(boards, dtype=np.uint64))
        if b.shape != (self.n,):
            raise ValueError(f"expected {self.n} boards, got {b.shape}")
        self.rng.bit_generator.state = rng_state
        self.boards = b
        self.scores = np.array(scores, dtype=np.int64).reshape(self.n)
        self.lengths = np.array(lengths, dtype=np.int64).reshape(self.n)
        self._moved, self._stacked, self.legal = moves_by_action(self.boards)
        self._obs = None
        self._pool = ()
        self._pool_next = 0

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: plain numpy arrays and the rng state."""
        pool = self._pool[0][self._pool_next :] if self._pool else np.zeros(0, np.uint64)
        return {
            "boards": self.boards.copy(),
            "scores": self.scores.copy(),
            "lengths": self.lengths.copy(),
            "rng": self.rng.bit_generator.state,
            "pool": pool.copy(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`: the same actions give the same games."""
        self.restore(state["boards"], state["scores"], state["lengths"], state["rng"])
        pool = as_boards(np.array(state["pool"], dtype=np.uint64))
        if pool.size:
            self._pool = (pool, *moves_by_action(pool))

    def reset_where(self, mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
        """End the games selected by ``mask`` (e.g. on truncation) and start new ones.

        Returns the same description of the ended games as :meth:`step`'s ``info``.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return dict(_NO_FINISHED)
        self.legal = self.legal.copy()  # leave the mask that step() returned untouched
        info = self._restart(mask)
        self._obs = None
        return info

    def _restart(self, mask: np.ndarray) -> dict[str, Any]:
        index = np.flatnonzero(mask)
        final = self.boards[index]
        info = {
            "index": index,
            "score": self.scores[index],
            "max_tile": np.left_shift(1, max_exponent(final).astype(np.int64)),
            "length": self.lengths[index],
            "final_boards": final,
        }
        boards, moved, stacked, legal = self._fresh_games(index.size)
        self.boards[index] = boards
        self._moved[:, index] = moved
        self._stacked[:, index] = stacked
        self.legal[index] = legal
        self.scores[index] = 0
        self.lengths[index] = 0
        return info

    def _fresh_games(self, k: int) -> tuple[np.ndarray, ...]:
        """``k`` new games from the pool: (boards, moved, stacked, legal) as in moves_by_action."""
        if self._pool_next + k > (self._pool[0].size if self._pool else 0):
            boards = new_boards(max(k, self._pool_size), self.rng)
            self._pool = (boards, *moves_by_action(boards))
            self._pool_next = 0
        i, j = self._pool_next, self._pool_next + k
        self._pool_next = j
        boards, moved, stacked, legal = self._pool
        return boards[i:j], moved[:, i:j], stacked[:, i:j], legal[i:j]


def _empty_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "index": np.zeros(0, dtype=np.intp),
        "score": np.zeros(0, dtype=np.int64),
        "max_tile": np.zeros(0, dtype=np.int64),
        "length": np.zeros(0, dtype=np.int64),
        "final_boards": np.zeros(0, dtype=np.uint64),
    }
    for value in info.values():
        value.setflags(write=False)
    return info


# Copied (shallowly) by every step in which no game ended, the common case: its arrays
# are read-only, so callers cannot corrupt the next step's info.
_NO_FINISHED = _empty_info()
