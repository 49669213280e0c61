// Watching a game: the playback stepper (play, pause, step, restart over a trajectory)
// and the frames it shows.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  frame,
  isTrajectory,
  type Playback,
  type PlaybackAction,
  playback,
  START,
  type Trajectory,
} from "../src/ui/evaluate/stepper";

/** A three-move game: the boards only need to differ. */
function game(moves = 3): Trajectory {
  const boards = Array.from({ length: moves + 1 }, (_, i) =>
    Array.from({ length: 16 }, (_, c) => (c === i ? 1 : 0)),
  );
  return {
    run_id: "r-000000000001",
    step: 40,
    seed: 5,
    moves,
    boards,
    actions: Array.from({ length: moves }, (_, i) => i % 4),
    probs: Array.from({ length: moves }, (_, i) =>
      [0.1, 0.2, 0.3, 0.4].map((_p, a) => (a === i % 4 ? 0.7 : 0.1)),
    ),
    scores: Array.from({ length: moves }, (_, i) => 4 * (i + 1)),
    final_score: 4 * moves,
    max_tile: 2,
    truncated: false,
  };
}

function run(actions: PlaybackAction[], moves = 3, from: Playback = START): Playback {
  return actions.reduce((s, a) => playback(s, a, moves), from);
}

test("ticks advance while playing and stop at the end of the game", () => {
  assert.deepEqual(run(["tick"]), { shown: 1, playing: true });
  assert.deepEqual(run(["tick", "tick"]), { shown: 2, playing: true });
  assert.deepEqual(run(["tick", "tick", "tick"]), { shown: 3, playing: false });
  const end = run(["tick", "tick", "tick"]);
  assert.equal(playback(end, "tick", 3), end); // nothing moves after the end
});

test("pause stops the ticks; play goes on from there", () => {
  const paused = run(["tick", "pause"]);
  assert.deepEqual(paused, { shown: 1, playing: false });
  assert.equal(playback(paused, "tick", 3), paused); // the same object: no re-render
  assert.deepEqual(run(["play", "tick"], 3, paused), { shown: 2, playing: true });
  assert.deepEqual(run(["toggle"], 3, paused), { shown: 1, playing: true });
  assert.deepEqual(run(["toggle"], 3, { shown: 1, playing: true }), paused);
});

test("step shows one more move and pauses, never past the end", () => {
  assert.deepEqual(run(["step"]), { shown: 1, playing: false });
  assert.deepEqual(run(["step", "step", "step", "step", "step"]), { shown: 3, playing: false });
  assert.deepEqual(run(["step", "tick"]), { shown: 1, playing: false });
});

test("restart goes back to the opening board and plays; play at the end starts over", () => {
  assert.deepEqual(run(["tick", "tick", "restart"]), { shown: 0, playing: true });
  const end = run(["tick", "tick", "tick"]);
  assert.deepEqual(playback(end, "play", 3), { shown: 0, playing: true });
  assert.deepEqual(playback(end, "toggle", 3), { shown: 0, playing: true });
});

test("a game without moves never plays", () => {
  assert.deepEqual(playback(START, "tick", 0), { shown: 0, playing: false });
  assert.deepEqual(playback({ shown: 0, playing: false }, "restart", 0), {
    shown: 0,
    playing: false,
  });
});

test("a frame shows the board after the moves shown and the policy's next move", () => {
  const g = game();
  const first = frame(g, 0);
  assert.deepEqual(first.board, g.boards[0]);
  assert.equal(first.score, 0);
  assert.deepEqual(first.next, { action: 0, probs: g.probs[0] });
  const second = frame(g, 2);
  assert.deepEqual(second.board, g.boards[2]);
  assert.equal(second.score, 8);
  assert.equal(second.next?.action, 2);
  const last = frame(g, 3);
  assert.deepEqual(last.board, g.boards[3]);
  assert.equal(last.score, g.final_score);
  assert.equal(last.next, null);
  assert.equal(last.over, true);
  assert.deepEqual(frame(g, 99).board, g.boards[3]); // clamped
});

test("only a whole, consistent game is accepted from the kernel", () => {
  assert.ok(isTrajectory(game()));
  assert.ok(isTrajectory(game(0)));
  assert.ok(!isTrajectory(null));
  assert.ok(!isTrajectory({ ...game(), boards: game().boards.slice(1) }));
  assert.ok(
    !isTrajectory({
      ...game(),
      probs: [
        [0.5, 0.5],
        [1, 0, 0, 0],
        [1, 0, 0, 0],
      ],
    }),
  );
  assert.ok(!isTrajectory({ ...game(), scores: [1, 2, Number.NaN] }));
});
