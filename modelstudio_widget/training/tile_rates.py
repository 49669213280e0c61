"""Max-tile rates: the share of games whose largest tile reached each threshold.

Training snapshots and evaluations report the same thresholds, so a run's live numbers and
its final evaluation line up tile for tile.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# From the tile random play reaches in about half its games (128) to one a strong agent
# still reaches only sometimes (8192).
TILE_THRESHOLDS: tuple[int, ...] = (128, 256, 512, 1024, 2048, 4096, 8192)


def max_tile_rates(max_tiles: npt.ArrayLike) -> dict[int, float]:
    """``{tile: share of games whose max tile is at least tile}`` over TILE_THRESHOLDS.

    ``max_tiles`` holds one tile value per game (e.g. 2048); with no games every rate is 0.
    """
    tiles = np.asarray(max_tiles)
    return {t: float((tiles >= t).mean()) if tiles.size else 0.0 for t in TILE_THRESHOLDS}
