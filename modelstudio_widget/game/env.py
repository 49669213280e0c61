"""Gymnasium environments for 2048: one game, and many games stepped as one batch."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from modelstudio_widget.game import engine
from modelstudio_widget.game.render import render_ansi, render_rgb

__all__ = ["Game2048Env", "Game2048VectorEnv"]

_RENDER_MODES = ["ansi", "rgb_array"]


def _observation_space() -> spaces.Box:
    return spaces.Box(low=0, high=engine.MAX_EXPONENT, shape=(4, 4), dtype=np.uint8)


class Game2048Env(gym.Env[npt.NDArray[np.uint8], int]):
    """
    ## Description

    The sliding-tile puzzle 2048 (Gabriele Cirulli, 2014) on a 4x4 board. Each move
    slides every tile toward one side; two equal tiles that meet merge into one tile of
    twice the value, at most once per tile and move. After every move that changes the
    board a new tile appears on a random empty cell. The aim is to build big tiles, and
    the game ends when no move changes the board.

    ## Action Space

    `Discrete(4)`: `0` up, `1` right, `2` down, `3` left (see `engine.ACTIONS`). A move
    that changes nothing is allowed and is a no-op: reward 0, no new tile.
    `info["action_mask"]` tells which moves change the board.

    ## Observation Space

    `Box(0, 15, (4, 4), uint8)`: the tile exponent of each cell, row by row from the top
    left; `0` is an empty cell and `e` the tile `2**e` (`1` = 2, `11` = 2048). Exponents are
    capped at 15 (a 32768 tile): merging two 32768 tiles leaves one 32768 tile.

    ## Rewards

    The sum of the values of the tiles created by merges in the move (merging two 8 tiles
    gives 16), i.e. the increase of the classic game score. No-op moves give 0.

    ## Starting State

    An empty board with two tiles on two uniformly random cells; each new tile is a 2
    with probability 0.9 and a 4 with probability 0.1.

    ## Episode End

    1. Termination: no move changes the board (the board is full and no two neighbouring
       tiles are equal).
    2. Truncation: only if a step limit is given, e.g.
       `gymnasium.make("ModelStudio/2048-v0", max_episode_steps=1000)` (none by default).

    ## Info

    On `reset` and `step`: `action_mask` (`np.int8[4]`, 1 where the move changes the
    board), `score` (int, the game's score so far) and `max_tile` (int, the largest tile
    value, e.g. 2048).

    ## Arguments

    | Parameter     | Type        | Default | Description                                      |
    |---------------|-------------|---------|--------------------------------------------------|
    | `render_mode` | str or None | `None`  | `"ansi"` (a text grid) or `"rgb_array"` (296x296) |

    ```python
    >>> import gymnasium as gym
    >>> from modelstudio_widget.game import register_envs
    >>> register_envs()
    >>> env = gym.make("ModelStudio/2048-v0", render_mode="ansi")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, info["action_mask"].dtype
    ((4, 4), dtype('int8'))

    ```
    """

    metadata = {"render_modes": _RENDER_MODES, "render_fps": 4}

    def __init__(self, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in _RENDER_MODES:
            raise ValueError(f"render_mode must be one of {_RENDER_MODES} or None")
        self.render_mode = render_mode
        self.observation_space = _observation_space()
        self.action_space = spaces.Discrete(4)
        self._board: int | None = None  # packed as in engine, but a Python int: see below
        self._score = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[npt.NDArray[np.uint8], dict[str, Any]]:
        super().reset(seed=seed)
        self._set_board(engine.new_board_one(self.np_random))
        self._score = 0
        return self._obs(), self._info()

    def step(self, action: int) -> tuple[npt.NDArray[np.uint8], float, bool, bool, dict[str, Any]]:
        if self._board is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}: expected 0..3")
        a = int(action)
        reward = self._rewards[a]
        if self._moved[a] != self._board:
            self._set_board(engine.spawn_one(self._moved[a], self.np_random))
            self._score += reward
        terminated = not any(self._legal)
        return self._obs(), float(reward), terminated, False, self._info()

    def render(self) -> str | npt.NDArray[np.uint8] | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; pass render_mode='ansi' or "
                "'rgb_array' to gymnasium.make"
            )
            return None
        if self._board is None:
            raise RuntimeError("call reset() before render()")
        if self.render_mode == "ansi":
            return render_ansi(self._obs(), score=self._score)
        return render_rgb(self._obs())

    def _set_board(self, board: int) -> None:
        # One board steps ~10x faster on Python ints than through numpy (engine's
        # single-board functions use the same tables and random draws). All four moves
        # are computed now, so a step is a look-up and the action mask comes for free.
        self._board = board
        self._moved, self._rewards = engine.move_all_one(board)
        self._legal = [m != board for m in self._moved]
        self._exponents = [(board >> shift) & 0xF for shift in range(0, 64, 4)]

    def _obs(self) -> npt.NDArray[np.uint8]:
        return np.array(self._exponents, dtype=np.uint8).reshape(4, 4)

    def _info(self) -> dict[str, Any]:
        return {
            "action_mask": np.array(self._legal, dtype=np.int8),
            "score": self._score,
            "max_tile": 1 << max(self._exponents),
        }


class Game2048VectorEnv(VectorEnv):
    """``num_envs`` games of 2048 stepped together by the batched engine.

    Spaces, rewards, starting state and episode end are those of :class:`Game2048Env`,
    batched: observations uint8[num_envs, 4, 4], actions int[num_envs] in 0..3 (a
    `MultiDiscrete`), rewards float64[num_envs]. There is no Python loop over games.

    ## Autoreset (`AutoresetMode.SAME_STEP`)

    When a game ends (terminated, or truncated at `max_episode_steps`), the same `step`
    call starts a new game in its place: the returned observation, `action_mask`,
    `score` and `max_tile` of that env already belong to the new game, while its reward
    and `terminated`/`truncated` flags belong to the finished one. The finished game is
    described by `info["final_obs"]` (an object array holding the final uint8[4, 4]
    board, `None` for envs that did not finish) and `info["final_info"]` (`score`,
    `max_tile`, `length`, each an array over envs), each with a boolean mask under the
    same key prefixed by `_` (e.g. `info["_final_obs"]`), as in Gymnasium's vector envs.
    Unlike the `NEXT_STEP` default, no step is wasted on resets, so a rollout buffer can
    keep every transition.

    ## Info

    Every step: `action_mask` int8[num_envs, 4], `score` int64[num_envs], `max_tile`
    int64[num_envs] (each with its `_` mask), plus the finished-game keys above.

    ## Arguments

    `num_envs` (default 1), `max_episode_steps` (default `None`: no truncation),
    `render_mode` (`"ansi"` or `"rgb_array"`: `render()` returns one frame per env).

    ```python
    >>> import gymnasium as gym
    >>> from modelstudio_widget.game import register_envs
    >>> register_envs()
    >>> envs = gym.make_vec("ModelStudio/2048-v0", num_envs=8, vectorization_mode="vector_entry_point")
    >>> obs, info = envs.reset(seed=0)
    >>> obs.shape, info["action_mask"].shape
    ((8, 4, 4), (8, 4))

    ```
    """

    metadata = {
        "render_modes": _RENDER_MODES,
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError("num_envs must be at least 1")
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError("max_episode_steps must be positive or None")
        if render_mode is not None and render_mode not in _RENDER_MODES:
            raise ValueError(f"render_mode must be one of {_RENDER_MODES} or None")
        self.num_envs = int(num_envs)
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.single_observation_space = _observation_space()
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._game: engine.BatchedGame | None = None
        self._all_true = np.ones(self.num_envs, dtype=bool)
        self._all_true.setflags(write=False)

    def reset(
        self,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[npt.NDArray[np.uint8], dict[str, Any]]:
        """Start new games in every env. Only an int seed (or None) is accepted: one
        random stream drives the whole batch."""
        if seed is not None and not isinstance(seed, int | np.integer):
            raise TypeError("Game2048VectorEnv takes one int seed for the whole batch")
        super().reset(seed=seed)
        if self._game is None:
            self._game = engine.BatchedGame(self.num_envs, seed=self.np_random)
        else:
            self._game.reset(seed=self.np_random if seed is not None else None)
        return self._obs(), self._info()

    def step(
        self, actions: npt.ArrayLike
    ) -> tuple[
        npt.NDArray[np.uint8],
        npt.NDArray[np.float64],
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
        dict[str, Any],
    ]:
        game = self._game
        if game is None:
            raise RuntimeError("call reset() before step()")
        result = game.step(np.asarray(actions))
        terminated, finished = result.terminated, result.info
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            # Like gymnasium's TimeLimit: a game that ends on its last allowed step is
            # both terminated and truncated.
            truncated = game.lengths >= self.max_episode_steps
            truncated[finished["index"]] = finished["length"] >= self.max_episode_steps
            cut = game.reset_where(truncated & ~terminated)
            finished = _merge_finished(finished, cut)
        info = self._info()
        if finished["index"].size:
            info.update(self._final_info(finished))
        return self._obs(), result.rewards.astype(np.float64), terminated, truncated, info

    def render(self) -> tuple[Any, ...] | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode")
            return None
        if self._game is None:
            raise RuntimeError("call reset() before render()")
        if self.render_mode == "ansi":
            return tuple(
                render_ansi(e, score=int(s))
                for e, s in zip(self._game.obs, self._game.scores, strict=True)
            )
        return tuple(render_rgb(e) for e in self._game.obs)

    def _obs(self) -> npt.NDArray[np.uint8]:
        assert self._game is not None
        return self._game.obs.reshape(self.num_envs, 4, 4)

    def _info(self) -> dict[str, Any]:
        assert self._game is not None
        max_exp = self._game.obs.max(axis=1).astype(np.int64)
        return {
            "action_mask": self._game.legal.astype(np.int8),
            "_action_mask": self._all_true,
            "score": self._game.scores.copy(),
            "_score": self._all_true,
            "max_tile": np.left_shift(1, max_exp),
            "_max_tile": self._all_true,
        }

    def _final_info(self, finished: dict[str, Any]) -> dict[str, Any]:
        index = finished["index"]
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[index] = True
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i, board in zip(index, engine.to_exponents(finished["final_boards"]), strict=True):
            final_obs[i] = board.reshape(4, 4)
        final_info: dict[str, Any] = {}
        for key in ("score", "max_tile", "length"):
            values = np.zeros(self.num_envs, dtype=np.int64)
            values[index] = finished[key]
            final_info[key] = values
            final_info[f"_{key}"] = mask
        return {
            "final_obs": final_obs,
            "_final_obs": mask,
            "final_info": final_info,
            "_final_info": mask,
        }


def _merge_finished(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One description of the games that ended by termination (a) or truncation (b)."""
    if not b["index"].size:
        return a
    if not a["index"].size:
        return b
    return {key: np.concatenate([a[key], b[key]]) for key in a}
