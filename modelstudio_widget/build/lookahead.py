"""The ``ntuple_value`` output: one move of look-ahead valued by n-tuple tables, in torch.

``NTupleValue(board)`` computes, for each of the four moves, the board it leads to before
the new tile spawns (its *afterstate*) and the move's merge reward, values every afterstate
with n-tuple tables (one number per row; the symmetric copies of a tuple share a table),
and scores the move ``q = reward + V(afterstate)``. ``logits`` are those scores with
illegal moves at ``ILLEGAL``; ``value`` is the best legal score (0 on a finished board).
Greedy play (what evaluation, watching and the exported ``.onnx`` do) is the
argmax, which is exactly how Szubert & Jaskowski (2014) play with such tables.

The moves are the engine's own row tables (``game.bitboard``: the slide and merge of every
16-bit row) read through index permutations, so the module is only gathers and sums:
it exports to ONNX as Gather ops, and tests hold its afterstates and rewards equal to the
engine's. The tables are trained by TD(0) in numpy (``training/td.py``), which writes into
``table`` in place; values are in score points, like the rewards.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from modelstudio_widget.design.catalog import N_ACTIONS, N_CELLS, NTUPLE_CELLS, ntuple_instances
from modelstudio_widget.game.bitboard import ROW_LEFT, ROW_REWARD

#: The logit of a move that does not change the board: exp() underflows to 0 as for the
#: trainer's and the exporter's mask (-1e9), and it stays apart from theirs, so an exported
#: ``masked_logits`` still shows exactly which moves the caller's mask ruled out.
ILLEGAL = -1e8


def _line_cells() -> np.ndarray:
    """int[4, 16]: for each action, the cells of its 4 lines, each line from the wall it
    slides toward (up, right, down, left), in the order ``ROW_LEFT`` reads a row word."""
    left = np.arange(N_CELLS).reshape(4, 4)  # row i, from column 0
    up = left.T  # column i, from row 0
    right, down = left[:, ::-1], up[:, ::-1]
    return np.stack([up, right, down, left]).reshape(N_ACTIONS, N_CELLS)


def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Every 16-bit line code -> (its 4 exponents after sliding to the wall, its reward)."""
    moved = ROW_LEFT.astype(np.int64)
    shifts = 4 * np.arange(4)
    return (moved[:, None] >> shifts) & 15, ROW_REWARD.astype(np.int64)


class NTupleValue(nn.Module):
    """Board exponents [B, 16] -> (logits [B, 4], value [B]) by one move of look-ahead.

    Params: n_bases * classes**4 (one number per row).
    """

    def __init__(self, tuples: str = "lines_squares", classes: int = 16):
        super().__init__()
        cells, table = ntuple_instances(tuples)
        self.classes = classes
        size = classes ** NTUPLE_CELLS
        # Zeros, as n-tuple networks start: TD(0) moves every row a board reads.
        self.table = nn.Parameter(torch.zeros((max(table) + 1) * size))
        self.register_buffer("cells", torch.tensor(cells), persistent=False)  # [I, 4]
        self.register_buffer("offsets", torch.tensor(table) * size, persistent=False)  # [I]
        self.register_buffer("place", classes ** torch.arange(NTUPLE_CELLS), persistent=False)
        line_cells = _line_cells()
        after, reward = _tables()
        self.register_buffer("line_cells", torch.from_numpy(line_cells), persistent=False)
        self.register_buffer("unline", torch.from_numpy(np.argsort(line_cells, axis=1)),
                             persistent=False)  # [4, 16]: line order back to cell order
        self.register_buffer("line_after", torch.from_numpy(after), persistent=False)
        self.register_buffer("line_reward", torch.from_numpy(reward).float(), persistent=False)
        self.register_buffer("line_place", 16 ** torch.arange(4), persistent=False)

    def afterstates(self, board: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(afterstates [B, 4, 16] exponents, rewards [B, 4], legal [B, 4]) of each move."""
        b = board.shape[0]
        lines = board[:, self.line_cells].reshape(b, N_ACTIONS, 4, 4)  # [B, a, line, cell]
        codes = (lines * self.line_place).sum(-1)  # [B, a, line]
        moved = self.line_after[codes].reshape(b, N_ACTIONS, N_CELLS)  # line order
        after = moved.gather(2, self.unline.expand(b, -1, -1))
        reward = self.line_reward[codes].sum(-1)
        legal = (after != board[:, None, :]).any(-1)
        return after, reward, legal

    def values(self, boards: Tensor) -> Tensor:
        """V of boards [..., 16]: the sum of every tuple copy's table row."""
        e = boards[..., self.cells].clamp(max=self.classes - 1)  # [..., I, 4]
        return self.table[(e * self.place).sum(-1) + self.offsets].sum(-1)

    def forward(self, board: Tensor) -> tuple[Tensor, Tensor]:
        after, reward, legal = self.afterstates(board)
        q = reward + self.values(after)
        logits = q.masked_fill(~legal, ILLEGAL)
        value = logits.max(-1).values.masked_fill(~legal.any(-1), 0.0)
        return logits, value
