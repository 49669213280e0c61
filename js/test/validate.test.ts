// The worker's validator against every shared vector (tests/vectors) and against the
// kernel's own answer for each (same codes, messages, params and memory).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { codes, validate } from "../src/validation/validate";
import { fromPython, ROOT } from "./python";

interface Vector {
  name: string;
  design: unknown;
  expect: { valid: boolean; codes: string[]; params?: number; estimatedMemory?: number };
}

const dir = path.join(ROOT, "tests/vectors");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => path.join(dir, f));
const vectors: Vector[] = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
const { catalog, results } = fromPython(files);
// Where JSON.parse cannot keep what Python reads (ints beyond 2**53 become floats, and
// messages then print them differently), only the vector's expectations are compared.
const LOSSY = /\d{17,}/;

test("there are shared vectors", () => {
  assert.ok(vectors.length >= 10, `only ${vectors.length} vectors`);
});

vectors.forEach((v, i) => {
  test(`vector ${v.name}`, () => {
    const r = validate(v.design, catalog);
    assert.equal(r.valid, v.expect.valid, "valid");
    assert.deepEqual(codes(r), [...v.expect.codes].sort(), "codes");
    if (v.expect.params !== undefined) assert.equal(r.params, v.expect.params, "params");
    if (v.expect.estimatedMemory !== undefined)
      assert.equal(r.estimatedMemory, v.expect.estimatedMemory, "memory");
    // Same as the kernel, message for message.
    if (!LOSSY.test(readFileSync(files[i], "utf8"))) assert.deepEqual(r, results[i]);
  });
});

// The worker hard-codes no number: what the kernel's catalog says, it computes with.
test("the worker's size cap and estimate coefficients are the catalog's", () => {
  const { templates } = fromPython([]);
  const tweaked = (edit: (c: typeof catalog) => void) => {
    const c = structuredClone(catalog);
    edit(c);
    return c;
  };
  const moe = validate(templates.moe, catalog);
  const moreRouterFloats = tweaked((c) => (c.estimate.moe_router_floats_per_expert += 1000));
  assert.ok(validate(templates.moe, moreRouterFloats).estimatedMemory > moe.estimatedMemory);
  assert.equal(
    validate(templates.transformer, moreRouterFloats).estimatedMemory,
    validate(templates.transformer, catalog).estimatedMemory,
  );

  const aux = validate(templates.checkpointed, catalog);
  const widerTargets = tweaked((c) => {
    for (const k of Object.keys(c.constants.aux_target_width)) c.constants.aux_target_width[k] += 1;
  });
  assert.ok(validate(templates.checkpointed, widerTargets).params > aux.params);

  const capped = validate(
    templates.tiny,
    tweaked((c) => (c.constants.hard_cap = 1)),
  );
  assert.deepEqual([capped.params, capped.errors], [0, []]); // stopped after the size check
  assert.ok(validate(templates.tiny, catalog).params > 0);
});
