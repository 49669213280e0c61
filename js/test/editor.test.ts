// Undo/redo, snapping, zoom clamping, design edits and issue grouping.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clampZoom, MAX_ZOOM, MIN_ZOOM, pinchViewport, snap, snapPoint } from "../src/geometry";
import {
  addBlock,
  connect,
  connectionProblem,
  duplicate,
  emptyDesign,
  moveBlocks,
  newId,
  removeElements,
  setProp,
} from "../src/state/design";
import { canRedo, canUndo, initHistory, push, redo, undo } from "../src/state/history";
import { groupIssues, issuesByBlock, shownValidation, syncView } from "../src/state/selectors";
import { StudioStore } from "../src/state/store";
import type { Design, ValidationResult } from "../src/types";
import { stepValue } from "../src/ui/controls";
import { middle, rateProp, SINK, SOURCE, testCatalog, widthProp } from "./catalogs";
import { ok } from "./fake_model";

const catalog = testCatalog([
  SOURCE,
  middle([widthProp("width", { meta_default: "width" }), rateProp("rate")]),
  SINK,
]);

test("history: push, undo, redo, and a new edit drops the redo branch", () => {
  let h = initHistory(1);
  h = push(h, 2);
  h = push(h, 3);
  assert.equal(h.present, 3);
  h = undo(h);
  assert.equal(h.present, 2);
  assert.ok(canRedo(h));
  h = redo(h);
  assert.equal(h.present, 3);
  h = undo(undo(h));
  assert.equal(h.present, 1);
  assert.ok(!canUndo(h));
  assert.equal(undo(h), h, "undo at the start is a no-op");
  h = push(h, 9);
  assert.deepEqual(h.future, []);
  assert.equal(push(h, h.present), h, "pushing the same snapshot records nothing");
});

test("history is bounded", () => {
  let h = initHistory(0);
  for (let i = 1; i <= 250; i++) h = push(h, i, 200);
  assert.equal(h.past.length, 200);
  assert.equal(h.past[0], 50);
});

test("snapping to the 32 px grid", () => {
  assert.equal(snap(0), 0);
  assert.equal(snap(15), 0);
  assert.equal(snap(16), 32);
  assert.equal(snap(47), 32);
  assert.equal(snap(-17), -32);
  assert.deepEqual(snapPoint({ x: 100, y: 190 }), { x: 96, y: 192 });
});

test("zoom is clamped to 0.25..2", () => {
  assert.equal(MIN_ZOOM, 0.25);
  assert.equal(MAX_ZOOM, 2);
  assert.equal(clampZoom(0.1), 0.25);
  assert.equal(clampZoom(5), 2);
  assert.equal(clampZoom(1.3), 1.3);
  assert.equal(clampZoom(Number.NaN), 0.25);
});

test("a pinch keeps the point under the fingers and clamps the zoom", () => {
  const start = { x: 10, y: 20, zoom: 1 };
  const v = pinchViewport(start, { x: 110, y: 220 }, 100, { x: 110, y: 220 }, 150);
  assert.equal(v.zoom, 1.5);
  // canvas point under the midpoint: (100, 200) before and after
  assert.equal((110 - v.x) / v.zoom, 100);
  assert.equal((220 - v.y) / v.zoom, 200);
  assert.equal(pinchViewport(start, { x: 0, y: 0 }, 100, { x: 0, y: 0 }, 1000).zoom, 2);
  assert.equal(pinchViewport(start, { x: 0, y: 0 }, 100, { x: 0, y: 0 }, 1).zoom, 0.25);
  // two-finger pan: same distance, moved midpoint
  const pan = pinchViewport(start, { x: 0, y: 0 }, 100, { x: 30, y: -40 }, 100);
  assert.deepEqual(pan, { x: 40, y: -20, zoom: 1 });
});

test("adding blocks: catalog defaults (meta overrides), snapped, unique ids, free spot", () => {
  let d: Design = { ...emptyDesign(), meta: { width: 64 } };
  const a = addBlock(d, catalog, "mid_block", { x: 10, y: 20 });
  d = a.design;
  assert.equal(a.id, "mb1");
  assert.deepEqual(d.components[0].props, { width: 64, rate: 0.1 });
  assert.deepEqual(d.components[0].position, { x: 0, y: 32 });
  const b = addBlock(d, catalog, "mid_block", { x: 0, y: 32 });
  assert.equal(b.id, "mb2");
  // the next free row: 128 below, so facing ports keep their touch targets apart
  assert.deepEqual(b.design.components[1].position, { x: 0, y: 160 });
  const c = addBlock(b.design, catalog, "mid_block", { x: 0, y: 64 });
  assert.deepEqual(c.design.components[2].position, { x: 0, y: 320 });
  assert.equal(addBlock(d, catalog, "nope", { x: 0, y: 0 }).design, d);
  assert.equal(newId(b.design, "mid_block"), "mb3");
});

test("edits share untouched parts and return the same design when nothing changes", () => {
  let d = addBlock(emptyDesign(), catalog, "src_block", { x: 0, y: 0 }).design;
  d = addBlock(d, catalog, "mid_block", { x: 0, y: 96 }).design;
  const moved = moveBlocks(d, new Map([["mb1", { x: 64, y: 96 }]]));
  assert.equal(moved.components[0], d.components[0]);
  assert.notEqual(moved.components[1], d.components[1]);
  assert.equal(moveBlocks(d, new Map([["mb1", d.components[1].position]])), d);
  assert.equal(setProp(d, "mb1", "rate", 0.1), d);
  assert.equal(setProp(d, "mb1", "rate", 0.2).components[1].props.rate, 0.2);
});

test("connections: ports must fit, no self loops or duplicates; deleting a block drops its edges", () => {
  let d = addBlock(emptyDesign(), catalog, "src_block", { x: 0, y: 0 }).design;
  d = addBlock(d, catalog, "mid_block", { x: 0, y: 96 }).design;
  d = addBlock(d, catalog, "sink_block", { x: 0, y: 192 }).design;
  assert.equal(connectionProblem(d, catalog, "sb1", "mb1"), null);
  assert.match(connectionProblem(d, catalog, "sb1", "sb2") ?? "", /do not fit/);
  assert.match(connectionProblem(d, catalog, "mb1", "mb1") ?? "", /itself/);
  d = connect(connect(d, "sb1", "mb1"), "mb1", "sb2");
  assert.equal(connect(d, "sb1", "mb1"), d);
  assert.match(connectionProblem(d, catalog, "sb1", "mb1") ?? "", /Already/);
  const cut = removeElements(d, [], [["sb1", "mb1"]]);
  assert.deepEqual(cut.edges, [["mb1", "sb2"]]);
  const gone = removeElements(d, ["mb1"], []);
  assert.equal(gone.components.length, 2);
  assert.deepEqual(gone.edges, []);
});

test("duplicate copies props to a free spot below, without edges", () => {
  let d = addBlock(emptyDesign(), catalog, "mid_block", { x: 0, y: 0 }).design;
  d = setProp(d, "mb1", "rate", 0.3);
  const r = duplicate(d, "mb1");
  const copy = r.design.components[1];
  assert.equal(r.id, "mb2");
  assert.deepEqual(copy.props, { width: 128, rate: 0.3 });
  assert.deepEqual(copy.position, { x: 0, y: 128 });
});

test("store: every edit is an undo step; undo/redo bump the seq and prune the selection", () => {
  const s = new StudioStore({ catalog });
  s.edit((d) => addBlock(d, catalog, "src_block", { x: 0, y: 0 }).design);
  s.edit((d) => addBlock(d, catalog, "mid_block", { x: 0, y: 96 }).design);
  s.select(["mb1"]);
  assert.equal(s.getState().seq, 2);
  assert.equal(
    s.edit((d) => d),
    false,
    "a no-op edit is not recorded",
  );
  s.undo();
  assert.equal(s.design.components.length, 1);
  assert.deepEqual(s.getState().selectedNodes, []);
  assert.equal(s.getState().seq, 3);
  s.redo();
  assert.equal(s.design.components.length, 2);
  s.load(emptyDesign());
  assert.equal(s.getState().history.past.length, 0);
});

test("steppers move by the catalog step within the bounds", () => {
  const width = widthProp("w");
  const rate = rateProp("r");
  assert.equal(stepValue(width, 128, 1), 136);
  assert.equal(stepValue(width, 8, -1), 8);
  assert.equal(stepValue(width, 1024, 1), 1024);
  assert.equal(stepValue(rate, 0.1, 1), 0.15);
  assert.equal(stepValue(rate, 0.45, 1), 0.5);
  assert.equal(stepValue(rate, 0, -1), 0);
});

test("issues group by severity then code; blocks take their worst state; the kernel wins", () => {
  const r: ValidationResult = {
    valid: false,
    paramCount: 0,
    params: 0,
    estimatedMemory: 0,
    seq: 4,
    errors: [
      { code: "W1", message: "w", severity: "warning", component_id: "a" },
      { code: "E2", message: "e2", severity: "error", component_id: "a" },
      { code: "E1", message: "e1", severity: "error", edge: ["a", "b"] },
    ],
  };
  assert.deepEqual(
    groupIssues(r).map((g) => g.code),
    ["E1", "E2", "W1"],
  );
  const byBlock = issuesByBlock(r);
  assert.equal(byBlock.get("a")?.state, "error");
  assert.equal(byBlock.get("b")?.state, "error");
  const s = new StudioStore({
    seq: 4,
    kernel: r,
    local: { ...r, errors: [], seq: 4 },
    worker: "ok",
  });
  assert.equal(shownValidation(s.getState()).source, "kernel");
  s.set({ seq: 5, local: { ...r, errors: [], seq: 5 } });
  assert.equal(shownValidation(s.getState()).source, "worker");
  s.set({ worker: "failed" });
  assert.equal(shownValidation(s.getState()).source, "stale");
});

test("the sync dot: the validation's source; while connecting, never the kernel's", () => {
  const r = ok(1000, 4);
  // The snapshot's validation is the kernel's answer for this seq: of record once connected.
  const s = new StudioStore({ seq: 4, kernel: r, connected: false });
  assert.deepEqual(syncView(s.getState()), {
    sync: "connecting",
    className: "ms-sync ms-sync-connecting",
  });
  s.set({ local: { ...r, seq: 4 }, worker: "ok" });
  assert.equal(syncView(s.getState()).className, "ms-sync ms-sync-connecting ms-sync-worker");
  s.set({ worker: "failed" });
  assert.equal(syncView(s.getState()).className, "ms-sync ms-sync-connecting");
  s.set({ connected: true, worker: "ok" });
  assert.deepEqual(syncView(s.getState()), { sync: "kernel", className: "ms-sync ms-sync-kernel" });
});
