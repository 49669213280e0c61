// The zoomed-out arrows: one path for all lines and one for all heads.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Edge, Node } from "@xyflow/react";
import { lodPaths } from "../src/canvas/LodEdges";
import { edgeKey } from "../src/state/design";

const node = (id: string, x: number, y: number): Node => ({
  id,
  position: { x, y },
  data: {},
  measured: { width: 224, height: 64 },
});
const edge = (source: string, target: string): Edge => ({
  id: edgeKey(source, target),
  source,
  target,
});

test("one subpath per arrow, from a card's bottom centre to the next card's top centre", () => {
  const nodes = [node("a", 0, 0), node("b", 0, 128), node("c", 256, 128)];
  const { lines, heads } = lodPaths(nodes, [edge("a", "b"), edge("a", "c"), edge("a", "gone")]);
  assert.equal(lines.match(/M/g)?.length, 2, "an edge to a missing block draws nothing");
  assert.equal(heads.match(/M/g)?.length, 2);
  assert.ok(lines.startsWith("M112,64"), lines); // a's bottom centre
  assert.ok(heads.includes("L112,128Z"), heads); // the tip on b's top centre
  assert.ok(heads.includes("L368,128Z"), heads); // and on c's
});

test("no edges, no paths", () => {
  assert.deepEqual(lodPaths([node("a", 0, 0)], []), { lines: "", heads: "" });
});
