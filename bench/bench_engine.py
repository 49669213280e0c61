"""Board-steps per second of the batched 2048 engine against a plain-Python game.

Usage: ``python bench/bench_engine.py [--quick]``. Runs on one core (OMP_NUM_THREADS=1,
set here before numpy loads). A board-step is one move on one board, with everything a
trainer needs each step: the spawn, the automatic restart of finished games, the legal
mask of the new boards and their observation (``BatchedGame.step`` + ``.obs``). The
baseline does the same work for one game with Python lists: the move, the spawn, and all
four moves of the new board to know which are legal (and whether the game is over).
Actions are uniformly random, so some are no-ops, as they are for both contenders.
The extra row "1 (env)" is the one-board Gymnasium env, ``Game2048Env.step``, which plays
on Python ints rather than numpy arrays (numpy's per-call cost dominates at batch 1).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from modelstudio_widget.game.engine import BatchedGame  # noqa: E402
from modelstudio_widget.game.env import Game2048Env  # noqa: E402

# --- the plain-Python baseline ----------------------------------------------------------

# For each action, the cell indices (4 * row + col) of each line, from the wall the
# tiles move toward: 0 = up, 1 = right, 2 = down, 3 = left.
_LINES = [
    [[c, c + 4, c + 8, c + 12] for c in range(4)],
    [[4 * r + 3, 4 * r + 2, 4 * r + 1, 4 * r] for r in range(4)],
    [[c + 12, c + 8, c + 4, c] for c in range(4)],
    [[4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3] for r in range(4)],
]


class PlainGame:
    """One game on a list of 16 exponents, written the straightforward way."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        self.cells = [0] * 16
        self.score = 0
        self._spawn()
        self._spawn()
        self.legal = [self._move(a)[0] != self.cells for a in range(4)]

    def _spawn(self) -> None:
        empty = [i for i, e in enumerate(self.cells) if e == 0]
        self.cells[self.rng.choice(empty)] = 2 if self.rng.random() < 0.1 else 1

    def _move(self, action: int) -> tuple[list[int], int]:
        new = self.cells[:]
        reward = 0
        for line in _LINES[action]:
            tiles = [self.cells[i] for i in line if self.cells[i]]
            merged: list[int] = []
            j = 0
            while j < len(tiles):
                if j + 1 < len(tiles) and tiles[j] == tiles[j + 1]:
                    merged.append(min(tiles[j] + 1, 15))
                    reward += 2 << tiles[j]
                    j += 2
                else:
                    merged.append(tiles[j])
                    j += 1
            merged += [0] * (4 - len(merged))
            for i, e in zip(line, merged, strict=True):
                new[i] = e
        return new, reward

    def step(self, action: int) -> int:
        new, reward = self._move(action)
        if new != self.cells:
            self.cells = new
            self._spawn()
            self.score += reward
            self.legal = [self._move(a)[0] != self.cells for a in range(4)]
            if not any(self.legal):
                self.reset()
        return reward


# --- timing -----------------------------------------------------------------------------


def _rate(run: Callable[[], int], repeats: int) -> float:
    """Median board-steps/s of ``repeats`` calls of ``run`` (which returns its step count)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        steps = run()
        rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates)


def engine_rate(batch: int, board_steps: int, repeats: int) -> float:
    game = BatchedGame(batch, seed=0)
    calls = max(20, board_steps // batch)
    actions = np.random.default_rng(0).integers(0, 4, (calls, batch))

    def run() -> int:
        for a in actions:
            game.step(a)
            game.obs  # noqa: B018 - the trainer reads it every step
        return calls * batch

    run()  # warm up (tables, caches, the restart pool)
    return _rate(run, repeats)


def env_rate(board_steps: int, repeats: int) -> float:
    env = Game2048Env()
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, board_steps).tolist()

    def run() -> int:
        for a in actions:
            if env.step(a)[2]:
                env.reset()
        return board_steps

    return _rate(run, repeats)


def plain_rate(board_steps: int, repeats: int) -> float:
    game = PlainGame(seed=0)
    actions = [random.Random(1).randrange(4) for _ in range(board_steps)]

    def run() -> int:
        for a in actions:
            game.step(a)
        return board_steps

    return _rate(run, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (~2 s)")
    args = parser.parse_args()
    # Board-steps per repeat, sized for ~0.2-0.5 s each (a tenth with --quick).
    scale, repeats = (10, 3) if args.quick else (1, 7)
    plain = plain_rate(50_000 // scale, repeats)
    print(f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, median of {repeats} repeats")
    print(f"{'batch':>8} {'engine steps/s':>16} {'plain Python steps/s':>22} {'ratio':>9}")
    rows = [
        ("1 (env)", env_rate(50_000 // scale, repeats)),
        ("1", engine_rate(1, 5_000 // scale, repeats)),
        ("256", engine_rate(256, 1_000_000 // scale, repeats)),
        ("4096", engine_rate(4096, 4_000_000 // scale, repeats)),
    ]
    for name, rate in sorted(rows, key=lambda row: row[1]):
        print(f"{name:>8} {rate:>16,.0f} {plain:>22,.0f} {rate / plain:>8.2f}x")


if __name__ == "__main__":
    main()
