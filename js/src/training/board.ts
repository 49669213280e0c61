// The live 2048 board: 16 tile exponents (row-major, 0 = empty, 11 = 2048) -> cells with
// the game's classic colours.

export interface BoardCell {
  exp: number;
  /** "" for an empty cell, else the tile's number. */
  label: string;
  bg: string;
  fg: string;
  /** Digit count class, so four-digit tiles shrink to fit. */
  digits: number;
}

const TILE_BG = [
  "",
  "#eee4da",
  "#ede0c8",
  "#f2b179",
  "#f59563",
  "#f67c5f",
  "#f65e3b",
  "#edcf72",
  "#edcc61",
  "#edc850",
  "#edc53f",
  "#edc22e",
];
const DARK_TEXT = "#776e65";
const LIGHT_TEXT = "#f9f6f2";
const BEYOND_BG = "#3c3a32";

export function tileColours(exp: number): { bg: string; fg: string } {
  if (exp <= 0) return { bg: "", fg: DARK_TEXT };
  const bg = TILE_BG[exp] ?? BEYOND_BG;
  return { bg, fg: exp <= 2 ? DARK_TEXT : LIGHT_TEXT };
}

/** 16 cells, or null when the snapshot has no board (idle, or an older kernel). */
export function boardCells(board: unknown): BoardCell[] | null {
  if (!Array.isArray(board) || board.length !== 16) return null;
  return board.map((v) => {
    const exp = typeof v === "number" && Number.isInteger(v) && v > 0 && v < 31 ? v : 0;
    const label = exp ? String(2 ** exp) : "";
    return { exp, label, ...tileColours(exp), digits: label.length };
  });
}

export function maxTile(cells: BoardCell[] | null): number {
  return cells ? Math.max(0, ...cells.map((c) => (c.exp ? 2 ** c.exp : 0))) : 0;
}
