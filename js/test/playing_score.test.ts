// The training panel's score while no game has finished: the games in play's mean, marked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { shownScore } from "../src/ui/training/score";

test("until a game finishes, the score of the games in play shows, marked", () => {
  const first = { state: "training", mean_score: null, playing_score: 811.6 };
  assert.deepEqual(shownScore(first), { value: "812", inPlay: true });
});

test("once a game finished its mean wins, and without either the score is a dash", () => {
  assert.deepEqual(shownScore({ mean_score: 1024.2, playing_score: 300 }), {
    value: "1,024",
    inPlay: false,
  });
  assert.deepEqual(shownScore({ mean_score: 0, playing_score: 300 }), {
    value: "0",
    inPlay: false,
  });
  // A stored row from before playing_score existed, an idle kernel's {}, a bad number.
  const none = { value: "–", inPlay: false };
  assert.deepEqual(shownScore({ mean_score: null }), none);
  assert.deepEqual(shownScore({}), none);
  assert.deepEqual(shownScore(null), none);
  assert.deepEqual(shownScore({ mean_score: null, playing_score: Number.NaN }), none);
});
