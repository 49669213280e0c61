"""Text and picture renderings of a 2048 board (numpy only, no drawing library).

Both functions take the 16 tile exponents of one board (shape [16] or [4, 4], 0 =
empty, ``e`` = tile ``2 ** e``), e.g. a row of :func:`engine.to_exponents`.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["render_ansi", "render_rgb"]

# The classic 2048 palette: board, empty cell, then tiles 2 .. 2048; bigger tiles share
# the last colour. Dark text on 2 and 4, light text on the rest.
_BOARD = (187, 173, 160)
_TILE_COLOURS = [
    (205, 193, 180),  # empty
    (238, 228, 218),  # 2
    (237, 224, 200),  # 4
    (242, 177, 121),  # 8
    (245, 149, 99),  # 16
    (246, 124, 95),  # 32
    (246, 94, 59),  # 64
    (237, 207, 114),  # 128
    (237, 204, 97),  # 256
    (237, 200, 80),  # 512
    (237, 197, 63),  # 1024
    (237, 194, 46),  # 2048
    (60, 58, 50),  # 4096 and up
]
_DARK_TEXT = (119, 110, 101)
_LIGHT_TEXT = (249, 246, 242)

# A 3x5 bitmap font for the digits: one string of 15 pixels per digit, row by row.
_DIGITS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
}


def _exponents(board: npt.ArrayLike) -> np.ndarray:
    e = np.asarray(board).reshape(4, 4)
    if e.min() < 0 or e.max() > 15:
        raise ValueError("tile exponents must be in 0..15")
    return e.astype(np.int64)


def render_ansi(board: npt.ArrayLike, score: int | None = None) -> str:
    """The board as text: tile values right-aligned in a 4x4 grid, ``.`` for empty."""
    rows = [" ".join(f"{2**e if e else '.':>5}" for e in row) for row in _exponents(board).tolist()]
    if score is not None:
        rows.insert(0, f"Score: {score}")
    return "\n".join(rows) + "\n"


def _text_mask(text: str) -> np.ndarray:
    """bool[5, 4 * len(text) - 1]: the digits of ``text`` with one blank column between."""
    glyphs = [np.array([p == "1" for p in _DIGITS[ch]]).reshape(5, 3) for ch in text]
    gap = np.zeros((5, 1), dtype=bool)
    parts: list[np.ndarray] = []
    for glyph in glyphs:
        parts += [glyph, gap]
    return np.concatenate(parts[:-1], axis=1)


@cache
def _tile(exponent: int, size: int) -> np.ndarray:
    """uint8[size, size, 3]: one tile with rounded corners and its number centred."""
    colour = _TILE_COLOURS[min(exponent, len(_TILE_COLOURS) - 1)]
    tile = np.empty((size, size, 3), dtype=np.uint8)
    tile[...] = colour
    # Round the corners: pixels further than `radius` from the inset corner centre
    # take the board colour.
    radius = max(1, size // 10)
    y, x = np.mgrid[0:size, 0:size]
    dy = np.maximum(0, np.maximum(radius - y, y - (size - 1 - radius)))
    dx = np.maximum(0, np.maximum(radius - x, x - (size - 1 - radius)))
    tile[dy**2 + dx**2 > radius**2] = _BOARD
    if exponent:
        mask = _text_mask(str(2**exponent))
        # Largest whole-pixel scale that fits the text in ~3/4 of the width, 1/2 the height.
        scale = max(1, min((size * 3 // 4) // mask.shape[1], (size // 2) // mask.shape[0]))
        mask = mask.repeat(scale, axis=0).repeat(scale, axis=1)
        top = (size - mask.shape[0]) // 2
        left = (size - mask.shape[1]) // 2
        text = _DARK_TEXT if exponent <= 2 else _LIGHT_TEXT
        tile[top : top + mask.shape[0], left : left + mask.shape[1]][mask] = text
    tile.setflags(write=False)
    return tile


def render_rgb(board: npt.ArrayLike, tile_px: int = 64, gap_px: int = 8) -> npt.NDArray[np.uint8]:
    """uint8[H, W, 3] picture of the board, H = W = 4 * tile_px + 5 * gap_px (296 by default)."""
    if tile_px < 8 or gap_px < 0:
        raise ValueError("tile_px must be >= 8 and gap_px >= 0")
    e = _exponents(board)
    side = 4 * tile_px + 5 * gap_px
    image = np.empty((side, side, 3), dtype=np.uint8)
    image[...] = _BOARD
    step = tile_px + gap_px
    for r in range(4):
        for c in range(4):
            top, left = gap_px + r * step, gap_px + c * step
            image[top : top + tile_px, left : left + tile_px] = _tile(int(e[r, c]), tile_px)
    return image
