"""2048 boards packed in ``uint64``: the row tables, the bit tricks and the array functions.

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

Implementation
--------------
Two 65536-entry tables map a row to the row moved left / right, and one maps a row to
its merge reward (the same for both directions: merges only happen inside runs of equal
tiles, and a run of ``k`` tiles makes ``k // 2`` merges either way). Up and down are left
and right on the transposed board. :func:`move_all` computes all four moves at once, so
the legal-move mask comes for free. Everything is vectorised over the batch; there is
no Python loop over boards.

The rules of a move are in :mod:`modelstudio_widget.game.engine`, which re-exports every
public name here; :mod:`~modelstudio_widget.game.one_board` plays one board on Python ints
with the same tables.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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


ROW_LEFT, ROW_RIGHT, ROW_REWARD = _build_row_tables()
for _table in (ROW_LEFT, ROW_RIGHT, ROW_REWARD):
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
FOUR_THRESHOLD = _U(round(P_FOUR * 2**32))  # low 32 random bits below this spawn a 4


# --- board helpers ----------------------------------------------------------------------


def as_boards(boards: npt.ArrayLike) -> Boards:
    """``boards`` as a 1-D uint64 array (no copy); ValueError for anything else."""
    arr = np.asarray(boards)
    if arr.dtype != np.uint64 or arr.ndim != 1:
        raise ValueError(f"boards must be a 1-D uint64 array, got {arr.dtype} {arr.shape}")
    return arr


# Transposing a 4x4 nibble matrix: swap the off-diagonal cells of each 2x2 block (12 bits
# apart), then the off-diagonal 2x2 blocks (24 bits apart).
T_KEEP_CELLS, T_SWAP_CELLS = 0xF0F00F0FF0F00F0F, 0x0000F0F00000F0F0
T_KEEP_BLOCKS, T_SWAP_BLOCKS = 0xFF00FF0000FF00FF, 0x00000000FF00FF00


def _transpose(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Transpose each board of a uint64 array (cell (r, c) <-> cell (c, r))."""
    a = (x & _U(T_KEEP_CELLS)) | ((x & _U(T_SWAP_CELLS)) << _U(12))
    a |= (x >> _U(12)) & _U(T_SWAP_CELLS)
    b = (a & _U(T_KEEP_BLOCKS)) | ((a >> _U(24)) & _U(T_SWAP_BLOCKS))
    b |= (a & _U(T_SWAP_BLOCKS)) << _U(24)
    if out is None:
        return b
    out[...] = b
    return out


def moves_by_action(boards: Boards) -> tuple[Boards, Boards, npt.NDArray[np.bool_]]:
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
    np.take(ROW_LEFT, lines, out=moved_lines[0::3], mode="clip")
    np.take(ROW_RIGHT, lines, out=moved_lines[2:0:-1], mode="clip")
    moved[0::2] = _transpose(moved[0::2])
    changed = moved != boards
    legal = np.empty((n, 4), dtype=bool)
    for a in range(4):
        legal[:, a] = changed[a]
    return moved, stacked, legal


def line_rewards(words: Boards) -> npt.NDArray[np.int32]:
    """Merge reward of moving each board's four 16-bit lines (rows of ``words``) left."""
    r = np.take(ROW_REWARD, words.view(np.uint16).reshape(*words.shape, 4), mode="clip")
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
    moved, stacked, legal = moves_by_action(as_boards(boards))
    axis_rewards = line_rewards(stacked)  # [2, n]: (up/down, left/right)
    return np.ascontiguousarray(moved.T), np.ascontiguousarray(axis_rewards[[0, 1, 0, 1]].T), legal


def legal_moves(boards: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """bool[n, 4]: whether each action changes each board. A board with none is game over."""
    return moves_by_action(as_boards(boards))[2]


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
    exponent = ((bits & _LOW_32_BITS) < FOUR_THRESHOLD).astype(np.uint64) + _U(1)
    if where is not None:
        exponent *= where
    boards |= exponent << (index << _U(2))
    return boards


def new_boards(n: int, rng: Rng) -> Boards:
    """uint64[n] fresh boards: two tiles on random distinct cells, as a real game starts."""
    bits = rng.bit_generator.random_raw(n)
    cell = bits >> _U(60)  # uniform in 0..15
    exponent = ((bits & _LOW_32_BITS) < FOUR_THRESHOLD).astype(np.uint64) + _U(1)
    boards = exponent << (cell << _U(2))
    return spawn_tiles(boards, rng)


def step(
    boards: npt.ArrayLike, actions: npt.ArrayLike, rng: Rng
) -> tuple[Boards, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Play one action on each board: ``(new_boards, rewards int32[n], changed bool[n])``.

    A tile is spawned only where the move changed the board. Finished games are not
    reset (see :class:`BatchedGame` for that); the input array is not modified.
    """
    b = as_boards(boards)
    a = as_actions(actions, b.shape[0])
    moved, stacked, legal = moves_by_action(b)
    new, rewards, changed = pick_moves(moved, stacked, legal, a)
    spawn_tiles(new, rng, where=changed)
    return new, rewards, changed


def pick_moves(
    moved: Boards, stacked: Boards, legal: np.ndarray, actions: np.ndarray
) -> tuple[Boards, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Pick each board's chosen move from :func:`moves_by_action`'s output (no spawn)."""
    n = actions.shape[0]
    boards_index = np.arange(n)
    new = moved.take(actions * n + boards_index)
    changed = legal.take(boards_index * 4 + actions)
    # Up/down (even actions) merge along the columns: the words of stacked[0].
    rewards = line_rewards(stacked.take((actions & 1) * n + boards_index))
    return new, rewards, changed


def as_actions(actions: npt.ArrayLike, n: int) -> np.ndarray:
    """``actions`` as intp[n] in 0..3; ValueError for a wrong shape, type or value."""
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
    b = as_boards(boards)
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

