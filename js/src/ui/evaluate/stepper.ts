// Watching the agent play: the whole game comes from the kernel at once (`watch_run`),
// and the page steps through it locally, so the animation never waits on the kernel.
// Plain functions over plain data (tested in node): the sheet only renders them.

/** One greedy game, as `watch_run` returns it (`evaluation_job.watch_game`). */
export interface Trajectory {
  run_id: string;
  step: number | null;
  seed: number;
  moves: number;
  /** 16 tile exponents per board: the opening board, then the board after each move. */
  boards: number[][];
  /** Per move: 0 up, 1 right, 2 down, 3 left. */
  actions: number[];
  /** Per move: the policy's four move probabilities on the board before it. */
  probs: number[][];
  /** Per move: the score after it. */
  scores: number[];
  final_score: number;
  max_tile: number;
  /** The game was cut short (it had moves left). */
  truncated: boolean;
}

export const MOVE_NAMES = ["Up", "Right", "Down", "Left"] as const;
export const MOVE_ARROWS = ["↑", "→", "↓", "←"] as const;

/** Animation speeds: milliseconds per move. */
export const SPEEDS = [
  { label: "Slow", ms: 600 },
  { label: "Normal", ms: 250 },
  { label: "Fast", ms: 80 },
] as const;
export const DEFAULT_SPEED = 1;

const isNumbers = (v: unknown, n?: number): v is number[] =>
  Array.isArray(v) &&
  (n === undefined || v.length === n) &&
  v.every((x) => typeof x === "number" && Number.isFinite(x));

/** A reply that is a whole, consistent game (anything else is not shown). */
export function isTrajectory(v: unknown): v is Trajectory {
  if (!v || typeof v !== "object") return false;
  const t = v as Partial<Trajectory>;
  const n = t.moves;
  return (
    typeof n === "number" &&
    Number.isInteger(n) &&
    n >= 0 &&
    Array.isArray(t.boards) &&
    t.boards.length === n + 1 &&
    t.boards.every((b) => isNumbers(b, 16)) &&
    isNumbers(t.actions, n) &&
    isNumbers(t.scores, n) &&
    Array.isArray(t.probs) &&
    t.probs.length === n &&
    t.probs.every((p) => isNumbers(p, 4)) &&
    typeof t.final_score === "number" &&
    typeof t.max_tile === "number"
  );
}

/** Where the animation is: `shown` moves played on the board (0..moves), and whether it runs. */
export interface Playback {
  shown: number;
  playing: boolean;
}

export type PlaybackAction = "tick" | "step" | "play" | "pause" | "toggle" | "restart";

export const START: Playback = { shown: 0, playing: true };

/**
 * The next playback state. `tick` (the timer) advances only while playing and stops at the
 * end; `step` shows one more move and pauses; `play` at the end starts over; `restart`
 * goes back to the opening board and plays. Unchanged states come back as the same object.
 */
export function playback(state: Playback, action: PlaybackAction, moves: number): Playback {
  const atEnd = state.shown >= moves;
  let next: Playback;
  switch (action) {
    case "tick":
      if (!state.playing) return state;
      next = atEnd
        ? { shown: moves, playing: false }
        : { shown: state.shown + 1, playing: state.shown + 1 < moves };
      break;
    case "step":
      next = { shown: Math.min(moves, state.shown + 1), playing: false };
      break;
    case "play":
      next = atEnd ? { shown: 0, playing: moves > 0 } : { shown: state.shown, playing: true };
      break;
    case "pause":
      next = { shown: state.shown, playing: false };
      break;
    case "toggle":
      return playback(state, state.playing ? "pause" : "play", moves);
    case "restart":
      next = { shown: 0, playing: moves > 0 };
      break;
  }
  return next.shown === state.shown && next.playing === state.playing ? state : next;
}

/** What the sheet shows at a playback position. */
export interface Frame {
  board: number[];
  score: number;
  /** The move the agent makes next on this board, with the policy's probabilities; null at the end. */
  next: { action: number; probs: number[] } | null;
  over: boolean;
}

export function frame(t: Trajectory, shown: number): Frame {
  const i = Math.max(0, Math.min(t.moves, shown));
  const over = i >= t.moves;
  return {
    board: t.boards[i],
    score: i === 0 ? 0 : t.scores[i - 1],
    next: over ? null : { action: t.actions[i], probs: t.probs[i] },
    over,
  };
}
