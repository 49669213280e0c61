"""A slow, plain reference implementation of the 2048 rules, for checking the engine.

Written straight from the rules on a 4x4 list of tile exponents (0 = empty, e = tile
2**e), with no tables and no bit tricks, so that it shares no code or shortcuts with
``modelstudio_widget.game.engine``. Actions: 0 = up, 1 = right, 2 = down, 3 = left.
"""

from __future__ import annotations

Grid = list[list[int]]

MAX_EXPONENT = 15


def slide_line_toward_start(line: list[int]) -> tuple[list[int], int]:
    """Move one line toward index 0: ``(new_line, reward)``.

    Tiles slide over empty cells; two equal tiles meeting merge into one, and a tile made
    by a merge does not merge again in the same move. Pairs nearest the wall merge first.
    """
    tiles = [e for e in line if e != 0]
    out: list[int] = []
    reward = 0
    i = 0
    while i < len(tiles):
        if i + 1 < len(tiles) and tiles[i] == tiles[i + 1]:
            reward += 2 ** (tiles[i] + 1)
            out.append(min(tiles[i] + 1, MAX_EXPONENT))
            i += 2
        else:
            out.append(tiles[i])
            i += 1
    out += [0] * (len(line) - len(out))
    return out, reward


def _lines(action: int) -> list[list[tuple[int, int]]]:
    """The cells of each line, listed from the wall the tiles move toward."""
    if action == 0:  # up: each column, top to bottom
        return [[(r, c) for r in range(4)] for c in range(4)]
    if action == 1:  # right: each row, right to left
        return [[(r, c) for c in range(3, -1, -1)] for r in range(4)]
    if action == 2:  # down: each column, bottom to top
        return [[(r, c) for r in range(3, -1, -1)] for c in range(4)]
    if action == 3:  # left: each row, left to right
        return [[(r, c) for c in range(4)] for r in range(4)]
    raise ValueError(f"bad action {action}")


def move(grid: Grid, action: int) -> tuple[Grid, int, bool]:
    """Apply one move without spawning: ``(new_grid, reward, changed)``."""
    new = [row[:] for row in grid]
    total = 0
    for cells in _lines(action):
        values, reward = slide_line_toward_start([grid[r][c] for r, c in cells])
        total += reward
        for (r, c), v in zip(cells, values, strict=True):
            new[r][c] = v
    return new, total, new != grid


def legal_actions(grid: Grid) -> list[bool]:
    """Whether each of the four actions changes the grid."""
    return [move(grid, a)[2] for a in range(4)]


def is_game_over(grid: Grid) -> bool:
    return not any(legal_actions(grid))


def empty_cells(grid: Grid) -> list[tuple[int, int]]:
    return [(r, c) for r in range(4) for c in range(4) if grid[r][c] == 0]
