// Edges between blocks whose ids hold "->" (ids are free strings): React Flow's edge ids,
// the selection taken from its changes, and deleting the selected edge.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EdgeChange, Edge as FlowEdgeT } from "@xyflow/react";
import { edgeSelection, reconcileEdges } from "../src/canvas/reconcile";
import { edgeKey, emptyDesign, removeElements } from "../src/state/design";
import { StudioStore } from "../src/state/store";
import type { Design, Edge } from "../src/types";

/** Blocks "a", "b", "a->b" and "b->b": joined by "->", the edges "a->b" -> "b" and
 * "a" -> "b->b" both read "a->b->b". */
function arrowIds(): Design {
  const ids = ["a", "b", "a->b", "b->b"];
  return {
    ...emptyDesign(),
    components: ids.map((id, i) => ({
      id,
      type: "mid_block",
      props: {},
      position: { x: 0, y: 96 * i },
    })),
    edges: [
      ["a->b", "b"],
      ["a", "b->b"],
      ["a", "a->b"],
    ],
  };
}

const flowEdge = (edges: FlowEdgeT[], [src, dst]: Edge): FlowEdgeT => {
  const e = edges.find((x) => x.source === src && x.target === dst);
  assert.ok(e, `no React Flow edge ${src} -> ${dst}`);
  return e;
};

const select = (id: string, selected: boolean): EdgeChange => ({ type: "select", id, selected });

test("every edge gets its own React Flow id, whatever its block ids hold", () => {
  const design = arrowIds();
  const edges = reconcileEdges([], design, []);
  assert.equal(new Set(edges.map((e) => e.id)).size, design.edges.length);
  assert.deepEqual(
    edges.map((e) => [e.source, e.target]),
    design.edges,
  );
  assert.notEqual(edgeKey("a->b", "b"), edgeKey("a", "b->b"));
  assert.notEqual(edgeKey("a\u0000b", "c"), edgeKey("a", "b\u0000c"));
});

test('selecting the edge "a->b" -> "b" selects that edge, and only it', () => {
  const design = arrowIds();
  const edges = reconcileEdges([], design, []);
  const picked = flowEdge(edges, ["a->b", "b"]);
  const selected = edgeSelection([], [select(picked.id, true)], edges);
  assert.deepEqual(selected, [["a->b", "b"]]);
  // React Flow draws it selected, and no other edge
  const drawn = reconcileEdges(edges, design, selected ?? []);
  assert.deepEqual(
    drawn.filter((e) => e.selected).map((e) => [e.source, e.target]),
    [["a->b", "b"]],
  );
  // a second edge joins the selection; deselecting the first leaves the second
  const other = flowEdge(edges, ["a", "b->b"]);
  const both = edgeSelection(selected ?? [], [select(other.id, true)], edges);
  assert.deepEqual(both, [
    ["a->b", "b"],
    ["a", "b->b"],
  ]);
  assert.deepEqual(edgeSelection(both ?? [], [select(picked.id, false)], edges), [["a", "b->b"]]);
});

test("changes that select nothing leave the selection alone", () => {
  const edges = reconcileEdges([], arrowIds(), []);
  const remove: EdgeChange = { type: "remove", id: edges[0].id };
  assert.equal(edgeSelection([["a->b", "b"]], [remove], edges), null);
  // an id React Flow does not know selects nothing
  assert.deepEqual(edgeSelection([], [select(edgeKey("a", "b"), true)], edges), []);
});

test('deleting the selected edge "a->b" -> "b" removes exactly that edge', () => {
  const design = arrowIds();
  const store = new StudioStore();
  store.load(design);
  const edges = reconcileEdges([], design, []);
  const selected = edgeSelection([], [select(flowEdge(edges, ["a->b", "b"]).id, true)], edges);
  store.select([], selected ?? []);
  // as the edge bar's Delete does
  const { selectedNodes, selectedEdges } = store.getState();
  assert.ok(store.edit((d) => removeElements(d, selectedNodes, selectedEdges)));
  assert.deepEqual(store.design.edges, [
    ["a", "b->b"],
    ["a", "a->b"],
  ]);
  assert.deepEqual(
    store.design.components.map((c) => c.id),
    ["a", "b", "a->b", "b->b"],
  );
  // the deleted edge leaves the selection (and the edge bar with it)
  assert.deepEqual(store.getState().selectedEdges, []);
});

test("an edit keeps the selection that survives it, as the same arrays", () => {
  const store = new StudioStore();
  store.load(arrowIds());
  store.select([], [["a", "b->b"]]);
  const before = store.getState().selectedEdges;
  assert.ok(store.edit((d) => removeElements(d, [], [["a", "a->b"]])));
  assert.equal(store.getState().selectedEdges, before);
  store.select(["a->b", "b"]);
  assert.ok(store.edit((d) => removeElements(d, ["a->b"], [])));
  assert.deepEqual(store.getState().selectedNodes, ["b"]);
});

test("ids that hold the old separators delete only their own edge", () => {
  const design: Design = {
    ...arrowIds(),
    edges: [
      ["a\u0000b", "c"],
      ["a", "b\u0000c"],
    ],
  };
  assert.deepEqual(removeElements(design, [], [["a", "b\u0000c"]]).edges, [["a\u0000b", "c"]]);
});
