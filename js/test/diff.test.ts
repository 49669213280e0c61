// The page's design diff against the shared vectors (tests/vectors/diff) that pytest runs
// against diff.py: one answer in both languages.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { byCodePoint, diffDesigns, isEmpty, same } from "../src/state/diff";
import { ROOT } from "./python";

interface Vector {
  name: string;
  old: unknown;
  new: unknown;
  expect: unknown;
}

const dir = path.join(ROOT, "tests/vectors/diff");
const vectors: Vector[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")));

test("there are diff vectors", () => {
  assert.ok(vectors.length >= 10, `only ${vectors.length} vectors`);
});

for (const v of vectors) {
  test(`diff vector ${v.name}`, () => {
    const got = diffDesigns(v.old, v.new);
    assert.deepEqual(got, v.expect);
    assert.equal(isEmpty(got), v.name === "identical" || v.name === "not_designs");
  });
}

test("a prop named __proto__ is an own key of the result, not its prototype", () => {
  const v = vectors.find((x) => x.name === "own_names_only")!;
  const meta = diffDesigns(v.old, v.new).meta;
  assert.ok(Object.hasOwn(meta, "__proto__"));
  assert.equal(Object.getPrototypeOf(meta), Object.prototype);
});

test("code point order differs from UTF-16 order above the surrogates", () => {
  assert.ok("\u{1F600}" < "\uffff", "UTF-16 puts the surrogate first");
  assert.ok(byCodePoint("\uffff", "\u{1F600}") < 0);
  assert.equal(byCodePoint("ab", "ab"), 0);
  assert.ok(byCodePoint("a", "ab") < 0);
});

test("same treats missing as null and keeps true apart from 1", () => {
  assert.ok(same(undefined, null));
  assert.ok(!same(true, 1));
  assert.ok(!same({ a: null }, {}));
  assert.ok(same([1, { a: 2 }], [1, { a: 2 }]));
});
