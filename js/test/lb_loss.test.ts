// The load-balancing loss of a snapshot: current rows call it lb_loss, rows stored before
// the rename call it lb_reward, and the page shows either.
import assert from "node:assert/strict";
import { test } from "node:test";
import { lbLoss } from "../src/training/metrics";

test("lbLoss reads the current name, falls back to the old one, and is missing otherwise", () => {
  assert.equal(lbLoss({ lb_loss: 0.25 }), 0.25);
  assert.equal(lbLoss({ lb_reward: 0.5 }), 0.5);
  assert.equal(lbLoss({ lb_loss: 0, lb_reward: 0.5 }), 0, "a zero loss is a value, not a gap");
  assert.equal(lbLoss({ expert_usage: {} }), undefined);
  assert.equal(lbLoss(undefined), undefined);
});
