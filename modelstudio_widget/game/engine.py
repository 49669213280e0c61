"""Batched 2048 engine on packed ``uint64`` boards (numpy only).

Board layout
------------
A board is one ``np.uint64``. Cell ``(r, c)`` (row ``r`` from the top, column ``c``
from the left, both 0..3) has index ``i = 4 * r + c`` and stores its tile *exponent* in
bits ``[4 * i, 4 * i + 4)``: 0 is an empty cell, ``e`` is the tile ``2 ** e`` (1 = tile 2,
11 = tile 2048, 15 = tile 32768). Row ``r`` is therefore the 16-bit word at bits
``[16 * r, 16 * r + 16)``, with column ``c`` in its nibble ``c``; that is what lets the
engine read the four rows of a board as a ``uint16`` view without any shifting.

Exponents are capped at 15: merging two 32768 tiles leaves a 32768 tile (and still
scores 65536). A game would need a 65536 tile to notice, which random and learned play
practically never reach.

Rules
-----
Actions are 0 = up, 1 = right, 2 = down, 3 = left (:data:`ACTIONS`). A move slides every
tile toward that side; each pair of equal tiles merges once per move, the pair nearest
the wall first (``[2, 2, 2, 2]`` left gives ``[4, 4, 0, 0]``, ``[4, 4, 8, 0]`` left gives
``[8, 8, 0, 0]``). The reward of a move is the sum of the values of the tiles its
merges create. Only a move that changes the board spawns a new tile (2 with probability
0.9, 4 with 0.1) on a uniformly random empty cell; a move that changes nothing is a
no-op. A game is over when no move changes the board.

Implementation
--------------
Two 65536-entry tables map a row to the row moved left / right, and one maps a row to
its merge reward (the same for both directions: merges only happen inside runs of equal
tiles, and a run of ``k`` tiles makes ``k // 2`` merges either way). Up and down are left
and right on the transposed board. :func:`move_all` computes all four moves at once, so
the legal-move mask comes for free. Everything is vectorised over the batch; there is
no Python loop over boards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ACTIONS",
    "DOWN",
    "LEFT",
    "MAX_EXPONENT",
    "RIGHT",
    "UP",
    "BatchedGame",
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

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTIONS: tuple[str, ...] = ("up", "right", "down", "left")
MAX_EXPONENT = 15
P_FOUR = 0.1  # probability that a spawned tile is a 4 rather than a 2

Boards = npt.NDArray[np.uint64]
Rng = np.random.Generator

# --- row tables -------------------------------------------------------------------------


def _compact_left(cells: np.ndarray) -> np.ndarray:
    """Slide the non-zero entries of each row to the front, keeping their order."""
    order = np.argsort(cells == 0, axis=1, kind="stable")
    return np.take_along_axis(cells, order, axis=1)


def _build_row_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build (row -> row moved left, row -> row moved right, row -> reward) for all rows."""
    rows = np.arange(1 << 16, dtype=np.int64)
    shifts = np.array([0, 4, 8, 12])
    cells = (rows[:, None] >> shifts) & 0xF  # [65536, 4], column 0 first
    tiles = _compact_left(cells)
    # Pair greedily from the left wall: a tile is absorbed by its left neighbour when they
    # are equal, non-empty, and the neighbour was not itself absorbed (no double merges).
    absorbed = np.zeros(tiles.shape, dtype=bool)
    for i in range(1, 4):
        absorbed[:, i] = (tiles[:, i] == tiles[:, i - 1]) & (tiles[:, i] != 0) & ~absorbed[:, i - 1]
    grows = np.zeros_like(absorbed)
    grows[:, :3] = absorbed[:, 1:]
    reward = np.where(grows, 2 ** (tiles + 1), 0).sum(axis=1)
    merged = np.where(grows, np.minimum(tiles + 1, MAX_EXPONENT), tiles)
    merged[absorbed] = 0
    left = (_compact_left(merged) << shifts).sum(axis=1)
    # Moving right is moving left on the mirrored row.
    mirror = (cells[:, ::-1] << shifts).sum(axis=1)
    right = mirror[left[mirror]]
    return left.astype(np.uint16), right.astype(np.uint16), reward.astype(np.int32)


_ROW_LEFT, _ROW_RIGHT, _ROW_REWARD = _build_row_tables()
for _table in (_ROW_LEFT, _ROW_RIGHT, _ROW_REWARD):
    _table.setflags(write=False)

# Two cells per byte -> the two exponents as two bytes (in memory order), for to_exponents.
_BYTE_TO_PAIR = (
    np.stack([np.arange(256) & 0xF, np.arange(256) >> 4], axis=1).astype(np.uint8).view(np.uint16)
).ravel()

_U = np.uint64
_NIBBLE_LOW_BITS = _U(0x1111111111111111)
_BYTE_LOW_NIBBLES = _U(0x0F0F0F0F0F0F0F0F)
_BYTE_HIGH_BITS = _U(0x8080808080808080)
_BYTE_ONES = _U(0x0101010101010101)
_LOW_32_BITS = _U(0xFFFFFFFF)
_FOUR_THRESHOLD = _U(round(P_FOUR * 2**32))  # low 32 random bits below this spawn a 4


# --- board helpers ----------------------------------------------------------------------


def _as_boards(boards: npt.ArrayLike) -> Boards:
    arr = np.asarray(boards)
    if arr.dtype != np.uint64 or arr.ndim != 1:
        raise ValueError(f"boards must be a 1-D uint64 array, got {arr.dtype} {arr.shape}")
    return arr


# Transposing a 4x4 nibble matrix: swap the off-diagonal cells of each 2x2 block (12 bits
# apart), then the off-diagonal 2x2 blocks (24 bits apart).
_T_KEEP_CELLS, _T_SWAP_CELLS = 0xF0F00F0FF0F00F0F, 0x0000F0F00000F0F0
_T_KEEP_BLOCKS, _T_SWAP_BLOCKS = 0xFF00FF0000FF00FF, 0x00000000FF00FF00


def _transpose(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Transpose each board of a uint64 array (cell (r, c) <-> cell (c, r))."""
    a = (x & _U(_T_KEEP_CELLS)) | ((x & _U(_T_SWAP_CELLS)) << _U(12))
    a |= (x >> _U(12)) & _U(_T_SWAP_CELLS)
    b = (a & _U(_T_KEEP_BLOCKS)) | ((a >> _U(24)) & _U(_T_SWAP_BLOCKS))
    b |= (a & _U(_T_SWAP_BLOCKS)) << _U(24)
    if out is None:
        return b
    out[...] = b
    return out


def _move_all(boards: Boards) -> tuple[Boards, Boards, npt.NDArray[np.bool_]]:
    """All four moves of every board, in the engine's internal layout.

    Returns ``(moved, stacked, legal)``: ``moved`` uint64[4, n] is the board after action
    ``a`` in row ``a`` (move-major, so every table look-up and transpose below works on
    contiguous blocks: writing [n, 4] column slices directly was 3x slower);
    ``stacked`` uint64[2, n] holds (transposed board, board), whose 16-bit words are the
    (columns, rows) of each board; ``legal`` bool[n, 4] (C order) whether each move changes
    the board.
    """
    n = boards.shape[0]
    stacked = np.empty((2, n), dtype=np.uint64)
    _transpose(boards, out=stacked[0])
    stacked[1] = boards
    lines = stacked.view(np.uint16).reshape(2, n, 4)
    moved = np.empty((4, n), dtype=np.uint64)
    moved_lines = moved.view(np.uint16).reshape(4, n, 4)
    # Left on (board^T, board) gives (up^T, left) -> rows (0, 3) of `moved`; right gives
    # (down^T, right) -> rows (2, 1). mode="clip" stops np.take from buffering `out`.
    np.take(_ROW_LEFT, lines, out=moved_lines[0::3], mode="clip")
    np.take(_ROW_RIGHT, lines, out=moved_lines[2:0:-1], mode="clip")
    moved[0::2] = _transpose(moved[0::2])
    changed = moved != boards
    legal = np.empty((n, 4), dtype=bool)
    for a in range(4):
        legal[:, a] = changed[a]
    return moved, stacked, legal


def _line_rewards(words: Boards) -> npt.NDArray[np.int32]:
    """Merge reward of moving each board's four 16-bit lines (rows of ``words``) left."""
    r = np.take(_ROW_REWARD, words.view(np.uint16).reshape(*words.shape, 4), mode="clip")
    # Three adds of strided slices beat r.sum(axis=-1) several times over here.
    return r[..., 0] + r[..., 1] + r[..., 2] + r[..., 3]


def move_all(boards: npt.ArrayLike) -> tuple[Boards, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Apply each of the four moves to every board, without spawning.

    Args:
        boards: uint64[n] packed boards.

    Returns:
        ``(moved, rewards, legal)``: ``moved`` uint64[n, 4] is the board after action
        ``a`` in column ``a``; ``rewards`` int32[n, 4] the merge reward of each move;
        ``legal`` bool[n, 4] whether the move changes the board.
    """
    moved, stacked, legal = _move_all(_as_boards(boards))
    axis_rewards = _line_rewards(stacked)  # [2, n]: (up/down, left/right)
    return np.ascontiguousarray(moved.T), np.ascontiguousarray(axis_rewards[[0, 1, 0, 1]].T), legal


def legal_moves(boards: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """bool[n, 4]: whether each action changes each board. A board with none is game over."""
    return _move_all(_as_boards(boards))[2]


def spawn_tiles(boards: Boards, rng: Rng, where: npt.NDArray[np.bool_] | None = None) -> Boards:
    """Spawn one tile in place on a uniformly random empty cell of each selected board.

    ``where`` (bool[n], default all) selects the boards; one 64-bit random draw per
    board is made whichever boards are selected, which keeps trajectories reproducible.
    A board needs 1 to 15 empty cells (true after any move that changed it); a full or
    an empty board is left unchanged. Returns ``boards``.
    """
    # 64 raw random bits per board: the high 32 pick the cell, the low 32 the value.
    bits = rng.bit_generator.random_raw(boards.shape[0])
    # One bit per empty cell (bit 4i); nibble i of `prefix` = empty cells among 0..i.
    occupied = boards | (boards >> _U(1))
    occupied |= occupied >> _U(2)
    empty = (occupied & _NIBBLE_LOW_BITS) ^ _NIBBLE_LOW_BITS
    prefix = empty * _NIBBLE_LOW_BITS
    count = prefix >> _U(60)
    # k = floor(u * count) for u = high bits / 2**32, uniform in 0..count-1 (bias < 2**-28).
    # The chosen cell is the first whose prefix reaches k + 1, so its index is the number
    # of cells whose prefix is still below k + 1.
    target = (((bits >> _U(32)) * count) >> _U(32)) + _U(1)
    target *= _BYTE_ONES
    # Compare all 16 prefix nibbles with the target at once, in 8-bit lanes (even and
    # odd cells separately) whose top bit survives the subtraction iff prefix >= target.
    even = ((prefix & _BYTE_LOW_NIBBLES) | _BYTE_HIGH_BITS) - target
    odd = (((prefix >> _U(4)) & _BYTE_LOW_NIBBLES) | _BYTE_HIGH_BITS) - target
    reached = ((even & _BYTE_HIGH_BITS) >> _U(7)) + ((odd & _BYTE_HIGH_BITS) >> _U(7))
    index = _U(16) - ((reached * _BYTE_ONES) >> _U(56))
    exponent = ((bits & _LOW_32_BITS) < _FOUR_THRESHOLD).astype(np.uint64) + _U(1)
    if where is not None:
        exponent *= where
    boards |= exponent << (index << _U(2))
    return boards


def new_boards(n: int, rng: Rng) -> Boards:
    """uint64[n] fresh boards: two tiles on random distinct cells, as a real game starts."""
    bits = rng.bit_generator.random_raw(n)
    cell = bits >> _U(60)  # uniform in 0..15
    exponent = ((bits & _LOW_32_BITS) < _FOUR_THRESHOLD).astype(np.uint64) + _U(1)
    boards = exponent << (cell << _U(2))
    return spawn_tiles(boards, rng)


def step(
    boards: npt.ArrayLike, actions: npt.ArrayLike, rng: Rng
) -> tuple[Boards, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Play one action on each board: ``(new_boards, rewards int32[n], changed bool[n])``.

    A tile is spawned only where the move changed the board. Finished games are not
    reset (see :class:`BatchedGame` for that); the input array is not modified.
    """
    b = _as_boards(boards)
    a = _as_actions(actions, b.shape[0])
    moved, stacked, legal = _move_all(b)
    new, rewards, changed = _apply(moved, stacked, legal, a)
    spawn_tiles(new, rng, where=changed)
    return new, rewards, changed


def _apply(
    moved: Boards, stacked: Boards, legal: np.ndarray, actions: np.ndarray
) -> tuple[Boards, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Pick each board's chosen move from :func:`_move_all`'s output (no spawn)."""
    n = actions.shape[0]
    boards_index = np.arange(n)
    new = moved.take(actions * n + boards_index)
    changed = legal.take(boards_index * 4 + actions)
    # Up/down (even actions) merge along the columns: the words of stacked[0].
    rewards = _line_rewards(stacked.take((actions & 1) * n + boards_index))
    return new, rewards, changed


def _as_actions(actions: npt.ArrayLike, n: int) -> np.ndarray:
    a = np.asarray(actions)
    if a.shape != (n,) or a.dtype.kind not in "iu":
        raise ValueError(
            f"actions must be an integer array of shape ({n},), got {a.dtype} {a.shape}"
        )
    if n and (a.min() < 0 or a.max() > 3):
        raise ValueError("actions must be in 0..3 (up, right, down, left)")
    return a.astype(np.intp, copy=False)


def to_exponents(boards: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """uint8[n, 16] tile exponents, cell ``4 * r + c`` in column ``4 * r + c``."""
    b = _as_boards(boards)
    # Little-endian bytes: byte j holds cells 2j (low nibble) and 2j + 1 (high nibble).
    as_bytes = np.ascontiguousarray(b, dtype="<u8").view(np.uint8).reshape(b.shape[0], 8)
    return np.take(_BYTE_TO_PAIR, as_bytes, mode="clip").view(np.uint8)


def from_exponents(exponents: npt.ArrayLike) -> Boards:
    """Pack exponents of shape [n, 16] or [n, 4, 4] (values 0..15) into uint64[n] boards."""
    e = np.asarray(exponents)
    if e.shape[-1:] != (16,) and e.shape[-2:] != (4, 4):
        raise ValueError(f"expected shape [n, 16] or [n, 4, 4], got {e.shape}")
    e = e.reshape(-1, 16)
    if e.size and (e.min() < 0 or e.max() > MAX_EXPONENT):
        raise ValueError("exponents must be in 0..15")
    shifts = np.arange(0, 64, 4, dtype=np.uint64)
    return np.bitwise_or.reduce(e.astype(np.uint64) << shifts, axis=1)


def max_exponent(boards: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """uint8[n]: the largest tile exponent on each board (0 for an empty board)."""
    return to_exponents(boards).max(axis=1)


# --- one board as a Python int -----------------------------------------------------------
# numpy costs ~1 us per call whatever the array size, so a single game (the one-board
# Gymnasium env) is ~10x faster on plain ints with the same tables and the same random
# bits: for a given Generator state these functions give exactly the batched results.

_LEFT_LIST: list[int] = _ROW_LEFT.tolist()
_RIGHT_LIST: list[int] = _ROW_RIGHT.tolist()
_REWARD_LIST: list[int] = _ROW_REWARD.tolist()
_FOUR_BELOW = int(_FOUR_THRESHOLD)


def _transpose_int(x: int) -> int:
    a = (x & _T_KEEP_CELLS) | ((x & _T_SWAP_CELLS) << 12) | ((x >> 12) & _T_SWAP_CELLS)
    return (a & _T_KEEP_BLOCKS) | ((a >> 24) & _T_SWAP_BLOCKS) | ((a & _T_SWAP_BLOCKS) << 24)


def move_all_one(board: int) -> tuple[list[int], list[int]]:
    """``(moved, rewards)``: the board (a Python int) after each action, and its reward."""
    t = _transpose_int(board)
    up = down = left = right = 0
    vertical = horizontal = 0
    for shift in (0, 16, 32, 48):
        col = (t >> shift) & 0xFFFF
        row = (board >> shift) & 0xFFFF
        up |= _LEFT_LIST[col] << shift
        down |= _RIGHT_LIST[col] << shift
        left |= _LEFT_LIST[row] << shift
        right |= _RIGHT_LIST[row] << shift
        vertical += _REWARD_LIST[col]
        horizontal += _REWARD_LIST[row]
    moved = [_transpose_int(up), right, _transpose_int(down), left]
    return moved, [vertical, horizontal, vertical, horizontal]


def spawn_one(board: int, rng: Rng) -> int:
    """The board with one new tile on a random empty cell (same draw as spawn_tiles)."""
    bits = int(rng.bit_generator.random_raw())
    empty = [i for i in range(16) if not (board >> (4 * i)) & 0xF]
    cell = empty[((bits >> 32) * len(empty)) >> 32]
    exponent = 2 if (bits & 0xFFFFFFFF) < _FOUR_BELOW else 1
    return board | (exponent << (4 * cell))


def new_board_one(rng: Rng) -> int:
    """A fresh board as a Python int (same draws as new_boards(1, rng))."""
    bits = int(rng.bit_generator.random_raw())
    exponent = 2 if (bits & 0xFFFFFFFF) < _FOUR_BELOW else 1
    return spawn_one(exponent << (4 * (bits >> 60)), rng)


# --- batched game with automatic resets ------------------------------------------------


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
        self._moved, self._stacked, self.legal = _move_all(self.boards)
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

    def step(
        self, actions: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_], npt.NDArray[np.bool_], dict[str, Any]]:
        """Play ``actions`` (int[n], 0..3) on every board.

        Returns ``(rewards int32[n], terminated bool[n], legal bool[n, 4], info)``.
        Boards whose game ended are reset in this same call: ``boards``, ``obs`` and
        ``legal`` already show their new game, ``scores``/``lengths`` restart at 0, and
        ``info`` describes the finished games: ``index`` int[k] (which boards),
        ``score`` int64[k], ``max_tile`` int64[k] (tile value, e.g. 2048), ``length``
        int64[k] and ``final_boards`` uint64[k]. An illegal action is a no-op (reward 0,
        no spawn) that still counts toward ``length``.
        """
        a = _as_actions(actions, self.n)
        new, rewards, changed = _apply(self._moved, self._stacked, self.legal, a)
        spawn_tiles(new, self.rng, where=changed)
        self.scores += rewards
        self.lengths += 1
        self.boards = new
        self._moved, self._stacked, self.legal = _move_all(new)
        self._obs = None
        # Four bools side by side read as one uint32: non-zero iff some move is legal.
        terminated = self.legal.view(np.uint32).ravel() == 0
        info = self._restart(terminated) if terminated.any() else dict(_NO_FINISHED)
        return rewards, terminated, self.legal, info

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
        b = _as_boards(np.array(boards, dtype=np.uint64))
        if b.shape != (self.n,):
            raise ValueError(f"expected {self.n} boards, got {b.shape}")
        self.rng.bit_generator.state = rng_state
        self.boards = b
        self.scores = np.array(scores, dtype=np.int64).reshape(self.n)
        self.lengths = np.array(lengths, dtype=np.int64).reshape(self.n)
        self._moved, self._stacked, self.legal = _move_all(self.boards)
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
        pool = _as_boards(np.array(state["pool"], dtype=np.uint64))
        if pool.size:
            self._pool = (pool, *_move_all(pool))

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
        """``k`` new games from the pool: (boards, moved, stacked, legal) as in _move_all."""
        if self._pool_next + k > (self._pool[0].size if self._pool else 0):
            boards = new_boards(max(k, self._pool_size), self.rng)
            self._pool = (boards, *_move_all(boards))
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
