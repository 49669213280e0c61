"""One 2048 board as a Python int, for the one-board Gymnasium env.

numpy costs ~1 us per call whatever the array size, so a single game (the one-board
Gymnasium env) is ~10x faster on plain ints with the same tables and the same random
bits: for a given Generator state these functions give exactly the batched results.
The board layout is :mod:`~modelstudio_widget.game.bitboard`'s.
"""

from __future__ import annotations

from modelstudio_widget.game.bitboard import (
    FOUR_THRESHOLD,
    ROW_LEFT,
    ROW_REWARD,
    ROW_RIGHT,
    T_KEEP_BLOCKS,
    T_KEEP_CELLS,
    T_SWAP_BLOCKS,
    T_SWAP_CELLS,
    Rng,
)

__all__ = ["move_all_one", "new_board_one", "spawn_one"]

_LEFT_LIST: list[int] = ROW_LEFT.tolist()
_RIGHT_LIST: list[int] = ROW_RIGHT.tolist()
_REWARD_LIST: list[int] = ROW_REWARD.tolist()
_FOUR_BELOW = int(FOUR_THRESHOLD)


def _transpose_int(x: int) -> int:
    a = (x & T_KEEP_CELLS) | ((x & T_SWAP_CELLS) << 12) | ((x >> 12) & T_SWAP_CELLS)
    return (a & T_KEEP_BLOCKS) | ((a >> 24) & T_SWAP_BLOCKS) | ((a & T_SWAP_BLOCKS) << 24)


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
