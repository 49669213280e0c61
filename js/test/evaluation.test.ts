// The page's side of an evaluation job: the request, the pushed progress and result
// messages (matched by request id), refusals and cancelling.
import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelBridge, type WidgetModel } from "../src/kernel/bridge";
import {
  type EvaluationResult,
  EvaluationTracker,
  progressFraction,
} from "../src/kernel/evaluation";

/** Just enough of anywidget's model: custom messages both ways. */
function fakeKernel() {
  const sent: Record<string, unknown>[] = [];
  const listeners: ((...a: unknown[]) => void)[] = [];
  const model: WidgetModel = {
    get: () => undefined,
    set: () => undefined,
    save_changes: () => undefined,
    on: (event, cb) => void (event === "msg:custom" && listeners.push(cb)),
    off: (_event, cb) => {
      const at = cb ? listeners.indexOf(cb) : -1;
      if (at >= 0) listeners.splice(at, 1);
    },
    send: (content) => void sent.push(content as Record<string, unknown>),
  };
  const push = (msg: Record<string, unknown>) => {
    for (const cb of listeners) cb(msg, []);
  };
  return { model, sent, push };
}

const result = (runId: string, id = 1): EvaluationResult => ({
  id,
  run_id: runId,
  step: 40,
  games: 100,
  seed: 0,
  mean_score: 812.5,
  se: 30.2,
  best_score: 2400,
  max_tile_rates: { "128": 0.5, "256": 0.1 },
  created_at: 1,
});

test("a request's id is known before its reply, so early progress is not lost", async () => {
  const kernel = fakeKernel();
  const bridge = new KernelBridge(kernel.model);
  const tracker = new EvaluationTracker();
  bridge.listen("progress", (m) => tracker.onMessage(m));
  bridge.listen("evaluation", (m) => tracker.onMessage(m));
  const { id, reply } = bridge.request<{ job: string }>("evaluate_run", {
    run_id: "r-1",
    games: 100,
  });
  assert.deepEqual(kernel.sent[0], {
    kind: "command",
    id,
    name: "evaluate_run",
    args: { run_id: "r-1", games: 100 },
  });
  tracker.begin(id, "r-1", 100);
  assert.equal(tracker.getState().playing, false); // loading the checkpoint
  kernel.push({ kind: "progress", id, done: 20, total: 100 }); // before the reply
  kernel.push({ kind: "reply", id, ok: true, result: { job: id } });
  assert.deepEqual(await reply, { job: id });
  assert.equal(tracker.getState().done, 20);
  assert.equal(tracker.getState().playing, true);
  assert.equal(progressFraction(tracker.getState()), 0.2);
  kernel.push({ kind: "progress", id: "other-7", done: 90, total: 100 }); // another job's
  kernel.push({ kind: "progress", id, done: 10, total: 100 }); // never backwards
  assert.equal(tracker.getState().done, 20);
  kernel.push({ kind: "evaluation", id, result: result("r-1") });
  const s = tracker.getState();
  assert.equal(s.job, null);
  assert.equal(s.result?.mean_score, 812.5);
  assert.equal(s.done, 100);
  assert.equal(s.error, null);
  bridge.dispose();
});

test("a cancelled or failed job ends with its one-line reason for its run", () => {
  const tracker = new EvaluationTracker();
  let notified = 0;
  tracker.subscribe(() => notified++);
  tracker.begin("a-1", "r-1", 200);
  tracker.cancelling();
  assert.equal(tracker.getState().cancelling, true);
  tracker.onMessage({
    kind: "evaluation",
    id: "a-1",
    error: { code: "CANCELLED", message: "Evaluation cancelled: nothing was stored." },
  });
  const s = tracker.getState();
  assert.equal(s.job, null);
  assert.equal(s.cancelling, false);
  assert.equal(s.error, "Evaluation cancelled: nothing was stored.");
  assert.equal(s.errorRun, "r-1");
  assert.equal(s.result, null);
  assert.ok(notified >= 3);
  // The next job clears the old error; a late message of the old job changes nothing.
  tracker.begin("a-2", "r-1", 100);
  tracker.onMessage({ kind: "evaluation", id: "a-1", result: result("r-1") });
  assert.equal(tracker.getState().job, "a-2");
  assert.equal(tracker.getState().error, null);
  assert.equal(tracker.getState().result, null);
});

test("a refused start ends the job at once; a malformed result counts as a failure", () => {
  const tracker = new EvaluationTracker();
  tracker.begin("a-1", "r-1", 100);
  tracker.refused("a-1", "An evaluation is already running.");
  assert.equal(tracker.getState().job, null);
  assert.equal(tracker.getState().error, "An evaluation is already running.");
  tracker.begin("a-2", "r-2", 100);
  tracker.onMessage({
    kind: "evaluation",
    id: "a-2",
    result: { run_id: "r-2", mean_score: "high" },
  });
  assert.equal(tracker.getState().result, null);
  assert.equal(tracker.getState().error, "The evaluation failed.");
  assert.equal(tracker.getState().errorRun, "r-2");
});
