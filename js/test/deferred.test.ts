// The stand-in model of a page booted from its HTML: what it answers, what it queues, and
// the hand-over to the kernel's model (kernel/deferred.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DeferredModel } from "../src/kernel/deferred";
import { FakeModel } from "./fake_model";

const design = (id: string, n = 0) => ({
  schema_version: 1,
  id,
  name: id,
  meta: {},
  components: Array.from({ length: n }, (_, i) => ({ id: `b${i}`, type: "x", props: {} })),
  edges: [],
});

const snapshot = () => ({
  design: design("d1"),
  design_seq: 4,
  status: { state: "idle" },
  doc: { design_id: "d1", load_seq: 1 },
});

test("before connecting, get answers from the snapshot and the page's own sets", () => {
  const m = new DeferredModel(snapshot());
  assert.deepEqual(m.get("status"), { state: "idle" });
  assert.equal(m.get("missing"), undefined);
  m.set("design_seq", 5);
  assert.equal(m.get("design_seq"), 5);
  assert.equal(m.connected, false);
});

test("the queue replays on the kernel's model in the order it was made", () => {
  const m = new DeferredModel(snapshot());
  m.send({ name: "resync" });
  m.set("design", design("d1", 1));
  m.set("design_seq", 5);
  m.save_changes();
  m.send({ name: "heartbeat" });
  m.set("design_seq", 6);
  m.save_changes();
  const real = new FakeModel(snapshot());
  assert.deepEqual(real.calls, []);
  const h = m.connect(real);
  assert.deepEqual(real.calls, [
    'send "resync"',
    "set design",
    "set design_seq",
    "save",
    'send "heartbeat"',
    "set design_seq",
    "save",
  ]);
  assert.deepEqual(real.saves, [{ design: design("d1", 1), design_seq: 5 }, { design_seq: 6 }]);
  assert.deepEqual(h, { kernelDesignChanged: false, heldDesign: undefined });
});

test("listeners move to the kernel's model; one removed before connecting does not", () => {
  const m = new DeferredModel(snapshot());
  const got: string[] = [];
  const kept = (msg: unknown) => got.push(`kept ${(msg as { kind: string }).kind}`);
  const removed = () => got.push("removed");
  m.on("msg:custom", kept);
  m.on("msg:custom", removed);
  m.off("msg:custom", removed);
  const real = new FakeModel(snapshot());
  m.connect(real);
  real.emit("msg:custom", { kind: "reply" });
  assert.deepEqual(got, ["kept reply"]);
  // Afterwards the stand-in is a proxy: off reaches the kernel's model.
  m.off("msg:custom", kept);
  real.emit("msg:custom", { kind: "reply" });
  assert.deepEqual(got, ["kept reply"]);
});

test("after connecting, every call goes to the kernel's model", () => {
  const m = new DeferredModel(snapshot());
  const real = new FakeModel({ ...snapshot(), status: { state: "training" } });
  m.connect(real);
  assert.deepEqual(m.get("status"), { state: "training" });
  m.set("design_seq", 9);
  m.save_changes();
  m.send({ name: "stop" });
  assert.deepEqual(real.calls, ["set design_seq", "save", 'send "stop"']);
  assert.equal(real.values.design_seq, 9);
  assert.throws(() => m.connect(new FakeModel({})), /already connected/);
});

test("change events fire for the traits whose kernel value differs from what the page saw", () => {
  const m = new DeferredModel(snapshot());
  const fired: [string, unknown][] = [];
  for (const name of ["status", "doc", "design_seq", "metrics"])
    m.on(`change:${name}`, (_model, value) => fired.push([name, value]));
  // The page read a trait the snapshot lacked, and set one itself (replayed: no event).
  assert.equal(m.get("metrics"), undefined);
  m.set("design_seq", 5);
  m.save_changes();
  const real = new FakeModel({
    ...snapshot(),
    status: { state: "training" },
    doc: { design_id: "d1", load_seq: 1 },
    metrics: { state: "training", update: 3 },
  });
  m.connect(real);
  assert.deepEqual(fired, [
    ["status", { state: "training" }],
    ["metrics", { state: "training", update: 3 }],
  ]);
});

test("a design the kernel changed meanwhile is not overwritten: the page's is held", () => {
  const m = new DeferredModel(snapshot());
  const mine = design("d1", 2);
  m.set("design", mine);
  m.set("design_seq", 5);
  m.set("panel", "x");
  m.save_changes();
  m.send({ name: "resync" });
  const kernels = design("d1", 1);
  const real = new FakeModel({ ...snapshot(), design: kernels, design_seq: 5 });
  const h = m.connect(real);
  assert.equal(h.kernelDesignChanged, true);
  assert.deepEqual(h.heldDesign, mine);
  assert.deepEqual(real.calls, ["set panel", "save", 'send "resync"']);
  assert.deepEqual(real.values.design, kernels, "the kernel keeps its design");
});

test("a changed seq alone is a change of the kernel's design", () => {
  const m = new DeferredModel(snapshot());
  m.set("design", design("d1", 2));
  m.save_changes();
  const h = m.connect(new FakeModel({ ...snapshot(), design_seq: 7 }));
  assert.equal(h.kernelDesignChanged, true);
  assert.deepEqual(h.heldDesign, design("d1", 2));
});

test("nothing is held when nothing would be lost", () => {
  // No edits while connecting: the kernel's design simply loads.
  const quiet = new DeferredModel(snapshot());
  const h1 = quiet.connect(new FakeModel({ ...snapshot(), design: design("d2") }));
  assert.deepEqual(h1, { kernelDesignChanged: true, heldDesign: undefined });
  // Edits undone back to the snapshot's design: not sent (the kernel's is newer), not offered.
  const undone = new DeferredModel(snapshot());
  undone.set("design", design("d1", 1));
  undone.set("design", design("d1"));
  undone.save_changes();
  const real = new FakeModel({ ...snapshot(), design: design("d2"), design_seq: 6 });
  const h2 = undone.connect(real);
  assert.deepEqual(h2, { kernelDesignChanged: true, heldDesign: undefined });
  assert.deepEqual(real.values.design, design("d2"));
  // Edits that end where the kernel's design is: nothing to choose.
  const same = new DeferredModel(snapshot());
  same.set("design", design("d2"));
  same.save_changes();
  const h3 = same.connect(new FakeModel({ ...snapshot(), design: design("d2"), design_seq: 6 }));
  assert.equal(h3.heldDesign, undefined);
});
