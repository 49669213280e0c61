// The Sweep sheet's logic: what can be varied in a real design (the kernel's catalog and
// settings table), the values offered next, the request the page sends and whether the
// kernel's check (sweeps/request.py) agrees with the page's, and the tracking of the
// kernel's pushed progress.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { type SweepJobState, SweepTracker } from "../src/kernel/sweep";
import type { Catalog, Design } from "../src/types";
import {
  type Axis,
  axisOptions,
  newAxis,
  nextValue,
  sweepArgs,
  sweepProblem,
  sweepSummary,
  toggleValue,
  trialCount,
} from "../src/ui/sweep/model";
import { ROOT } from "./python";

const PROBE = `
import json, sys
import modelstudio_widget as ms
from modelstudio_widget.sweeps.request import SweepRequestError, check_request
from modelstudio_widget.training.settings import training_catalog
asks = json.load(sys.stdin)
tiny = ms.templates()["tiny"]
out = []
for ask in asks:
    try:
        check_request(tiny, ask["axes"], ask["seconds_per_trial"])
        out.append(None)
    except SweepRequestError as e:
        out.append(str(e))
json.dump({"catalog": {**ms.catalog(), "training": training_catalog()}, "tiny": tiny,
           "answers": out}, sys.stdout)
`;

function kernel(asks: unknown[]): { catalog: Catalog; tiny: Design; answers: (string | null)[] } {
  const python = process.env.PYTHON ?? `${ROOT}/.venv/bin/python`;
  const out = execFileSync(python, ["-c", PROBE], {
    input: JSON.stringify(asks),
    cwd: ROOT,
    env: { ...process.env, OMP_NUM_THREADS: "1", PYTHONPATH: ROOT },
  });
  return JSON.parse(out.toString());
}

const { catalog, tiny } = kernel([]);
const options = axisOptions(catalog, tiny);
const byKey = new Map(options.map((o) => [o.key, o]));

test("a design's block props and the training settings are what a sweep can vary", () => {
  const hidden = byKey.get("policy.hidden");
  assert.equal(hidden?.current, 256);
  assert.equal(hidden?.blockId, "policy");
  assert.equal(byKey.get("embed.d_model")?.current, 32);
  assert.equal(byKey.get("learning_rate")?.setting, "learning_rate");
  assert.ok(!byKey.has("seconds") && !byKey.has("steps"), "the budget is the sweep's own");
  assert.ok(![...byKey.keys()].some((k) => k.startsWith("board.")), "no props, no options");
});

test("the values offered next are steps within the prop's bounds, or other choices", () => {
  const width = byKey.get("embed.d_model");
  assert.ok(width);
  assert.deepEqual(newAxis(width), { key: "embed.d_model", values: [32, 40] });
  assert.equal(nextValue(width, [32, 40], -1), 24);
  assert.equal(nextValue(width, [8], -1), null, "nothing below the minimum");
  assert.equal(nextValue(width, [1024], 1), null, "nothing above the maximum");
  const lr = byKey.get("learning_rate");
  assert.ok(lr);
  const rates = newAxis(lr).values as number[];
  assert.equal(rates.length, 2);
  assert.ok(Math.abs(rates[1] / rates[0] - 2) < 0.01, `log steps double: ${rates}`);
  const encoding = byKey.get("embed.encoding");
  assert.ok(encoding);
  assert.equal(newAxis(encoding).values.length, 2);
  assert.notEqual(newAxis(encoding).values[0], newAxis(encoding).values[1]);
  assert.equal(nextValue(encoding, encoding.spec.choices ?? []), null);
});

test("tapping values toggles them, sorted, at most four", () => {
  assert.deepEqual(toggleValue([64, 32], 16), [16, 32, 64]);
  assert.deepEqual(toggleValue([16, 32, 64], 32), [16, 64]);
  assert.deepEqual(toggleValue([1, 2, 3, 4], 5), [1, 2, 3, 4]);
  assert.deepEqual(toggleValue(["a"], "b"), ["a", "b"]);
});

test("the page's check agrees with the kernel's on the requests it would send", () => {
  const cases: Axis[][] = [
    [{ key: "policy.hidden", values: [32, 64] }],
    [{ key: "policy.hidden", values: [32] }],
    [{ key: "policy.hidden", values: [32, 5000] }],
    [{ key: "embed.d_model", values: [32, 36] }],
    [
      { key: "policy.hidden", values: [32, 64, 96] },
      { key: "learning_rate", values: [0.001, 0.003, 0.01] },
    ],
    [
      { key: "policy.hidden", values: [32, 64] },
      { key: "learning_rate", values: [0.001, 0.003] },
    ],
    [{ key: "embed.encoding", values: ["onehot", "learned"] }],
    [{ key: "gamma", values: [0.5, 0.99] }],
  ];
  const { answers } = kernel(cases.map((axes) => sweepArgs(axes, options, 30)));
  cases.forEach((axes, i) => {
    const page = sweepProblem(axes, options);
    assert.equal(
      page === null,
      answers[i] === null,
      `${JSON.stringify(axes)}: ${page} / ${answers[i]}`,
    );
  });
  assert.equal(trialCount(cases[5]), 4);
  assert.deepEqual(sweepArgs(cases[5], options, 5), {
    axes: [
      { block_id: "policy", prop: "hidden", values: [32, 64] },
      { setting: "learning_rate", values: [0.001, 0.003] },
    ],
    seconds_per_trial: 5,
  });
});

function state(job: string, status: string, more: Partial<SweepJobState> = {}): SweepJobState {
  return {
    job,
    sweep_id: null,
    name: null,
    state: "running",
    error: null,
    seconds_per_trial: 5,
    labels: ["policy.hidden"],
    trials: [
      {
        trial: 0,
        values: { "policy.hidden": 32 },
        status,
        moves: 0,
        mean_score: null,
        run_id: null,
      },
      {
        trial: 1,
        values: { "policy.hidden": 64 },
        status: "pending",
        moves: 0,
        mean_score: null,
        run_id: null,
      },
    ],
    ...more,
  };
}

test("the tracker follows its job's messages, even those that overtake the reply", () => {
  const t = new SweepTracker();
  let heard = 0;
  t.subscribe(() => heard++);
  t.follow("req-1");
  assert.ok(t.starting);
  t.onMessage({ kind: "sweep", id: "req-1", ...state("req-1", "running") });
  t.take(state("req-1", "pending")); // the reply, late: older than what came
  assert.equal(t.getState()?.trials[0].status, "running");
  t.onMessage({ kind: "sweep", id: "other", ...state("other", "finished") });
  t.onMessage({ kind: "progress", id: "req-1", done: 1 });
  assert.equal(t.getState()?.job, "req-1");
  t.onMessage({ kind: "sweep", id: "req-1", ...state("req-1", "finished", { state: "finished" }) });
  assert.equal(sweepSummary(t.getState() as SweepJobState), "Finished: 1 of 2 trials done");
  assert.ok(!t.starting);
  assert.equal(heard, 3, "follow, and the two messages of its job");
});

test("a refused start says why and leaves the last sweep shown", () => {
  const t = new SweepTracker();
  t.take(state("req-0", "finished", { state: "finished" }));
  t.follow("req-2");
  t.refused("req-2", "Ray is missing");
  assert.equal(t.error, "Ray is missing");
  assert.ok(!t.starting);
  assert.equal(t.getState()?.job, "req-0");
});
