// The page's wiring without a browser: a fake anywidget model and a fake worker.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StudioController, SYNC_DEBOUNCE_MS } from "../src/kernel/controller";
import { addBlock } from "../src/state/design";
import { ValidationClient } from "../src/validation/client";
import { blockType, testCatalog } from "./catalogs";
import { FakeModel, ok } from "./fake_model";

const catalog = testCatalog([blockType("x_block", "input", { label: "X" })]);

const design = { schema_version: 1, id: "d1", name: "D", meta: {}, components: [], edges: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeModel() {
  return new FakeModel({
    catalog,
    design,
    design_seq: 1,
    validation: ok(0, 1),
    designs: [],
    doc: { design_id: "d1", name: "D", revision: 1, saved_at: null, conflict: null, load_seq: 1 },
    status: { state: "idle", message: "", request_id: null, error: null },
  });
}

test("edits reach the kernel debounced, design and seq in one message", async () => {
  const model = makeModel();
  const c = new StudioController(model, "/* no worker in node */");
  c.start();
  assert.equal(c.store.getState().seq, 1, "the page starts from the kernel's seq");
  c.store.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 0 }).design);
  c.store.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 96 }).design);
  assert.equal(model.saves.length, 0);
  await sleep(SYNC_DEBOUNCE_MS + 60);
  assert.equal(model.saves.length, 1, "two quick edits, one message");
  const [msg] = model.saves;
  assert.equal(msg.design_seq, 3);
  assert.equal((msg.design as typeof design).components.length, 2);
  c.dispose();
});

test("a kernel load resets the history and is not sent back", async () => {
  const model = makeModel();
  const c = new StudioController(model, "");
  c.start();
  c.store.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 0 }).design);
  model.values.design = { ...design, id: "d2", name: "Other" };
  model.values.design_seq = 10;
  model.kernelSet("doc", {
    design_id: "d2",
    name: "Other",
    revision: 3,
    saved_at: null,
    conflict: null,
    load_seq: 2,
  });
  assert.equal(c.store.design.id, "d2");
  assert.equal(c.store.getState().history.past.length, 0);
  assert.equal(c.store.getState().seq, 10);
  await sleep(SYNC_DEBOUNCE_MS + 60);
  assert.deepEqual(
    model.saves.map((s) => s.design_seq),
    [],
  );
  c.dispose();
});

test("a conflict opens the conflict sheet", () => {
  const model = makeModel();
  const c = new StudioController(model, "");
  c.start();
  model.kernelSet("doc", {
    design_id: "d1",
    name: "D",
    revision: 1,
    saved_at: null,
    load_seq: 1,
    conflict: { current_revision: 2, theirs: design, mine: design },
  });
  assert.equal(c.store.getState().sheet, "conflict");
  c.dispose();
});

test("commands resolve with the kernel's reply and fail with its error", async () => {
  const model = makeModel();
  const c = new StudioController(model, "");
  c.start();
  const p = c.bridge.command("open_design", { design_id: "x" });
  const sent = model.sent.at(-1) as { id: string; name: string; kind: string };
  assert.equal(sent.kind, "command");
  assert.equal(sent.name, "open_design");
  model.emit("msg:custom", {
    kind: "reply",
    id: sent.id,
    ok: false,
    error: { code: "NOT_FOUND", message: "no design" },
  });
  await assert.rejects(p, /no design/);
  c.dispose();
});

test("the validation client falls back when the worker does not answer", async () => {
  let failed = "";
  const silent = {
    postMessage() {},
    terminate() {},
    onmessage: null,
    onerror: null,
  } as unknown as Worker;
  const client = new ValidationClient({
    source: "",
    catalog,
    timeoutMs: 30,
    makeWorker: () => silent,
    onResult: () => assert.fail("no result expected"),
    onFail: (reason) => (failed = reason),
  });
  client.validate(1, design);
  await sleep(60);
  assert.match(failed, /in time/);
  assert.ok(client.failed);
});

test("the validation client coalesces requests and reports results by seq", async () => {
  const posted: { seq: number }[] = [];
  const fake = {
    onmessage: null as null | ((e: { data: unknown }) => void),
    onerror: null,
    postMessage(m: { type: string; seq: number }) {
      if (m.type === "validate") posted.push(m);
    },
    terminate() {},
  };
  const got: number[] = [];
  const client = new ValidationClient({
    source: "",
    catalog,
    makeWorker: () => fake as unknown as Worker,
    onResult: (seq) => got.push(seq),
    onFail: (r) => assert.fail(r),
  });
  client.validate(1, design);
  client.validate(2, design);
  client.validate(3, design);
  assert.deepEqual(
    posted.map((m) => m.seq),
    [1],
    "one in flight",
  );
  fake.onmessage?.({ data: { seq: 1, result: ok(0, 1) } });
  assert.deepEqual(
    posted.map((m) => m.seq),
    [1, 3],
    "only the newest waited",
  );
  fake.onmessage?.({ data: { seq: 3, result: ok(0, 3) } });
  assert.deepEqual(got, [1, 3]);
  client.dispose();
});

test("a command waits as long as it is told, then says the kernel did not answer", async () => {
  const model = makeModel();
  const c = new StudioController(model, "/* no worker in node */");
  c.start();
  const quick = c.command("export_run", { run_id: "r-000000000000" }, 30);
  const patient = c.command("export_run", { run_id: "r-000000000000" }, 2000);
  assert.equal(await quick, undefined);
  assert.match(c.store.getState().toast?.text ?? "", /did not answer "export_run"/);
  // The other is still waiting: its reply arrives and is its result.
  const sent = model.sent as { kind: string; id: string; name: string }[];
  const last = sent.filter((m) => m.name === "export_run").at(-1);
  model.emit("msg:custom", { kind: "reply", id: last?.id, ok: true, result: { size: 3 } });
  assert.deepEqual(await patient, { size: 3 });
  c.dispose();
});
