// The page's design diff against the shared vectors (tests/vectors/diff) that pytest runs
// against diff.py: one answer in both languages.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { changeLines, diffView, markSummary, shown } from "../src/canvas/diffView";
import { reconcileEdges, reconcileNodes } from "../src/canvas/reconcile";
import { edgeKey } from "../src/state/design";
import { byCodePoint, diffDesigns, isEmpty, same } from "../src/state/diff";
import type { Component, Design } from "../src/types";
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

// ---------------------------------------------------------------- the marks on the canvas
const comp = (
  id: string,
  type: string,
  props: Record<string, unknown> = {},
  x = 0,
  y = 0,
): Component => ({
  id,
  type,
  props,
  position: { x, y },
});
const design = (
  components: Component[],
  edges: [string, string][],
  extra: Partial<Design> = {},
): Design => ({
  schema_version: 1,
  id: "d",
  name: "n",
  meta: {},
  components,
  edges,
  ...extra,
});

// Current: in -> emb -> out; the revision: in -> mlp -> out, emb absent, out with other
// props, in moved.
const current = design(
  [
    comp("in", "board_input"),
    comp("emb", "embedding", { d_model: 64 }, 0, 100),
    comp("out", "action_output", { hidden: 128 }, 0, 200),
  ],
  [
    ["in", "emb"],
    ["emb", "out"],
  ],
);
const revision = design(
  [
    comp("in", "board_input", {}, 32, 0),
    comp("mlp", "mlp", {}, 0, 100),
    comp("out", "action_output", { hidden: 64 }, 0, 200),
  ],
  [
    ["in", "mlp"],
    ["mlp", "out"],
  ],
  { meta: { d_model: 32 } },
);

test("the revision is drawn with the current design's extra blocks and edges as ghosts", () => {
  const view = diffView(revision, current, diffDesigns(current, revision));
  assert.deepEqual(
    view.design.components.map((c) => c.id),
    ["in", "mlp", "out", "emb"],
  );
  assert.deepEqual(view.design.edges, [
    ["in", "mlp"],
    ["mlp", "out"],
    ["in", "emb"],
    ["emb", "out"],
  ]);
  assert.deepEqual(Object.fromEntries(view.marks), {
    mlp: "added",
    emb: "removed",
    out: "changed",
    in: "moved",
  });
  assert.deepEqual(Object.fromEntries(view.edgeMarks), {
    [edgeKey("in", "mlp")]: "added",
    [edgeKey("mlp", "out")]: "added",
    [edgeKey("in", "emb")]: "removed",
    [edgeKey("emb", "out")]: "removed",
  });
  assert.equal(markSummary(view), "1 added · 1 removed · 1 changed · 1 moved");
  assert.equal(revision.components.length, 3, "the revision itself is not changed");
});

test("the changed props are listed, now then the revision's value", () => {
  const lines = changeLines(diffDesigns(current, revision));
  assert.deepEqual(lines, [
    { where: "out", what: "hidden", now: "128", earlier: "64" },
    { where: "meta", what: "d_model", now: "—", earlier: "32" },
  ]);
  assert.equal(shown("relu"), "relu");
  assert.equal(shown(true), "true");
});

test("an unchanged revision draws no marks", () => {
  const view = diffView(current, current, diffDesigns(current, current));
  assert.equal(view.marks.size + view.edgeMarks.size, 0);
  assert.equal(markSummary(view), "");
  assert.deepEqual(view.design.components, current.components);
});

test("reconcile carries the marks onto the nodes and edges, and drops them after", () => {
  const view = diffView(revision, current, diffDesigns(current, revision));
  const marked = reconcileNodes([], view.design, null, new Map(), new Set(), new Map(), view.marks);
  assert.deepEqual(Object.fromEntries(marked.map((n) => [n.id, n.data.diff ?? null])), {
    in: "moved",
    mlp: "added",
    out: "changed",
    emb: "removed",
  });
  const plain = reconcileNodes(marked, revision, null, new Map(), new Set());
  assert.ok(
    plain.every((n) => n.data.diff === undefined),
    "closing the view clears the marks",
  );
  const edges = reconcileEdges([], view.design, [], view.edgeMarks);
  assert.equal(edges.find((e) => e.id === edgeKey("in", "emb"))?.data?.diff, "removed");
  const again = reconcileEdges(edges, view.design, [], view.edgeMarks);
  assert.equal(again, edges, "unchanged marks keep the same edges");
  assert.equal(
    reconcileEdges(edges, view.design, []).find((e) => e.id === edgeKey("in", "emb"))?.data?.diff,
    undefined,
  );
});
