// The app page's early boot and the widget's render (boot.ts) with the real controller on
// the stand-in model: one studio, mounted at once, handed to the kernel's model later.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import {
  BOOT_ELEMENT_ID,
  type BootDocument,
  type BootWindow,
  boot,
  bootRender,
  type Mount,
} from "../src/boot";
import { StudioController, SYNC_DEBOUNCE_MS } from "../src/kernel/controller";
import { addBlock } from "../src/state/design";
import { toolbarState } from "../src/training/actions";
import type { Design } from "../src/types";
import { blockType, testCatalog } from "./catalogs";
import { FakeModel } from "./fake_model";

const catalog = testCatalog([blockType("x_block", "input", { label: "X" })]);
const design: Design = {
  schema_version: 1,
  id: "d1",
  name: "D",
  meta: {},
  components: [],
  edges: [],
};
const traits = () => ({
  catalog,
  design,
  design_seq: 1,
  designs: [],
  doc: { design_id: "d1", name: "D", revision: 1, saved_at: null, conflict: null, load_seq: 1 },
  status: { state: "idle", message: "", request_id: null, error: null },
  fullscreen: true,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeElement {
  parent: FakeBody | null = null;
  remove() {
    if (!this.parent) return;
    this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }
}
class FakeBody {
  children: FakeElement[] = [];
  appendChild(el: FakeElement) {
    this.children.push(el);
    el.parent = this;
    return el;
  }
}

function page(bootText: string | null) {
  const body = new FakeBody();
  const doc = {
    body,
    getElementById: (id: string) =>
      id === BOOT_ELEMENT_ID && bootText !== null ? { textContent: bootText } : null,
    createElement: () => new FakeElement(),
  } as unknown as BootDocument;
  return { doc, body, win: {} as BootWindow };
}

const bootJson = (t: Record<string, unknown> = traits()) =>
  JSON.stringify({ version: 1, traits: t });

/** The controller part of mount.tsx (no React in node), recording each mount. */
interface Mounted {
  el: unknown;
  connecting: boolean;
  controller: StudioController;
  disposed: boolean;
}
const alive: StudioController[] = [];
function recorder() {
  const mounts: Mounted[] = [];
  const mount: Mount = (model, el, connecting) => {
    const controller = new StudioController(model, "/* no worker in node */", !connecting);
    controller.start();
    alive.push(controller);
    const m: Mounted = { el, connecting, controller, disposed: false };
    mounts.push(m);
    return {
      flush: () => controller.flush(),
      handOver: (h) => controller.handOver(h),
      dispose: () => {
        controller.dispose();
        m.disposed = true;
      },
    };
  };
  return { mounts, mount };
}
afterEach(() => {
  for (const c of alive.splice(0)) c.dispose();
});

test("without boot data nothing boots, and render mounts into the view's element", () => {
  const { doc, body, win } = page(null);
  const { mounts, mount } = recorder();
  assert.equal(boot(doc, win, mount), null);
  assert.equal(mounts.length, 0);
  const el = {} as HTMLElement;
  bootRender(win, mount)({ model: new FakeModel(traits()), el });
  assert.equal(mounts.length, 1);
  assert.equal(mounts[0].el, el);
  assert.equal(mounts[0].connecting, false);
  assert.equal(body.children.length, 0);
});

test("unreadable boot data leaves the page as it is and render mounts as without it", () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...a: unknown[]) =>
    void (String(a[0]).includes("boot") && warnings.push(String(a[0])));
  try {
    for (const text of [
      "{not json",
      "",
      "null",
      JSON.stringify({ version: 2, traits: traits() }),
      JSON.stringify({ version: 1 }),
      JSON.stringify({ version: 1, traits: [] }),
    ]) {
      const { doc, body, win } = page(text);
      const { mounts, mount } = recorder();
      assert.equal(boot(doc, win, mount), null, text);
      assert.equal(mounts.length, 0, text);
      assert.equal(body.children.length, 0, text);
      assert.equal(win.__modelstudioBoot, undefined);
      const el = {} as HTMLElement;
      bootRender(win, mount)({ model: new FakeModel(traits()), el });
      assert.deepEqual(
        mounts.map((m) => [m.el, m.connecting]),
        [[el, false]],
        text,
      );
    }
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 6);
  assert.match(warnings[0], /not JSON/);
  assert.match(warnings[3], /not a version 1 boot/);
});

test("a boot mounts once, connecting; render hands it the kernel's model, no second mount", async () => {
  const { doc, body, win } = page(bootJson());
  const { mounts, mount } = recorder();
  const booted = boot(doc, win, mount);
  assert.ok(booted);
  assert.equal(win.__modelstudioBoot, booted);
  assert.equal(body.children.length, 1, "the studio's element is appended to the body");
  assert.equal(boot(doc, win, mount), null, "a second evaluation does not boot again");
  assert.equal(mounts.length, 1);
  const [{ controller, connecting }] = mounts;
  assert.equal(connecting, true);
  const s = controller.store;
  assert.equal(s.getState().connected, false);
  assert.equal(s.design.id, "d1", "the snapshot's design is on screen");
  assert.deepEqual(
    toolbarState({ status: s.getState().status, valid: true, pending: null, connected: false }),
    { compile: false, train: false, stop: false, export: false },
  );
  // Edited while connecting, the last edit still in its debounce when the kernel comes.
  s.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 0 }).design);
  await sleep(SYNC_DEBOUNCE_MS + 50);
  s.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 96 }).design);

  const real = new FakeModel(traits());
  const cleanup = bootRender(win, mount)({ model: real, el: {} as HTMLElement });
  assert.equal(mounts.length, 1, "render did not mount a second studio");
  assert.equal(s.getState().connected, true);
  assert.deepEqual(
    real.saves.map((m) => [(m.design as Design).components.length, m.design_seq]),
    [
      [1, 2],
      [2, 3],
    ],
    "both edits reached the kernel, in order",
  );
  assert.ok(real.sent.some((m) => (m as { name?: string }).name === "resync"));
  // Now edits go straight to the kernel's model.
  s.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 192 }).design);
  await sleep(SYNC_DEBOUNCE_MS + 50);
  assert.equal(real.saves.length, 3);

  // A second view of the widget mounts its own studio; the boot's is handed over once.
  bootRender(win, mount)({ model: real, el: {} as HTMLElement });
  assert.equal(mounts.length, 2);
  cleanup();
  assert.equal(mounts[0].disposed, true);
  assert.equal(body.children.length, 0, "the booted studio's element is gone");
});

test("a command made while connecting is sent at the hand-over and gets its reply", async () => {
  const { doc, win } = page(bootJson());
  const { mounts, mount } = recorder();
  boot(doc, win, mount);
  const { controller } = mounts[0];
  const reply = controller.command("open_design", { design_id: "d9" });
  const real = new FakeModel(traits());
  bootRender(win, mount)({ model: real, el: {} as HTMLElement });
  const sent = real.sent.find((m) => (m as { name?: string }).name === "open_design") as {
    id: string;
  };
  assert.ok(sent);
  real.emit("msg:custom", { kind: "reply", id: sent.id, ok: true, result: { ok: 1 } });
  assert.deepEqual(await reply, { ok: 1 });
});

test("the kernel's state that changed meanwhile reaches the page at the hand-over", () => {
  const { doc, win } = page(bootJson());
  const { mounts, mount } = recorder();
  boot(doc, win, mount);
  const s = mounts[0].controller.store;
  const training = { state: "training", message: "", request_id: null, error: null };
  bootRender(
    win,
    mount,
  )({ model: new FakeModel({ ...traits(), status: training }), el: {} as HTMLElement });
  assert.equal(s.getState().status.state, "training");
});

function conflicted() {
  const { doc, win } = page(bootJson());
  const { mounts, mount } = recorder();
  boot(doc, win, mount);
  const { controller } = mounts[0];
  const s = controller.store;
  s.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 0 }).design);
  const mine = s.design;
  const kernels: Design = { ...design, name: "Theirs", components: [] };
  const real = new FakeModel({ ...traits(), design: kernels, design_seq: 5 });
  bootRender(win, mount)({ model: real, el: {} as HTMLElement });
  return { controller, s, mine, kernels, real };
}

test("a design the kernel changed while connecting wins; the page's is held and asked about", () => {
  const { s, mine, kernels, real } = conflicted();
  assert.deepEqual(real.saves, [], "the held design was not sent");
  assert.deepEqual(s.design, kernels, "the kernel's design is on the canvas");
  assert.equal(s.getState().seq, 5);
  assert.equal(s.getState().sheet, "boot-conflict");
  assert.deepEqual(s.getState().heldDesign, mine);
});

test("the choice: Use mine sends the held design as a new edit, Keep the kernel's nothing", async () => {
  for (const choice of ["mine", "kernel"] as const) {
    const { controller, s, mine, kernels, real } = conflicted();
    controller.resolveHeld(choice);
    assert.equal(s.getState().sheet, null);
    assert.equal(s.getState().heldDesign, null);
    assert.deepEqual(s.design, choice === "mine" ? mine : kernels);
    // "Use mine" is one undo step away from the kernel's design.
    assert.equal(s.getState().history.past.length, choice === "mine" ? 1 : 0);
    await sleep(SYNC_DEBOUNCE_MS + 50);
    assert.deepEqual(real.saves, choice === "mine" ? [{ design: mine, design_seq: 6 }] : []);
  }
});

test("held edits never land on another design: opened by the kernel, they go, with a word", () => {
  const { s, real } = conflicted();
  real.values.design = { ...design, id: "d2", name: "Other" };
  real.values.design_seq = 9;
  real.kernelSet("doc", { ...traits().doc, design_id: "d2", load_seq: 2 });
  assert.equal(s.design.id, "d2");
  assert.equal(s.getState().heldDesign, null);
  assert.equal(s.getState().sheet, null);
  assert.equal(s.getState().toast?.tone, "error");
  assert.match(s.getState().toast?.text ?? "", /while connecting were to “D”/);
  // At the hand-over already: the kernel's page shows another design than the snapshot's.
  const { doc, win } = page(bootJson());
  const { mounts, mount } = recorder();
  boot(doc, win, mount);
  const other = mounts[0].controller.store;
  other.edit((d) => addBlock(d, catalog, "x_block", { x: 0, y: 0 }).design);
  const kernel = new FakeModel({ ...traits(), design: { ...design, id: "d3" }, design_seq: 3 });
  bootRender(win, mount)({ model: kernel, el: {} as HTMLElement });
  assert.equal(other.design.id, "d3");
  assert.equal(other.getState().heldDesign, null);
  assert.equal(other.getState().sheet, null);
  assert.deepEqual(kernel.saves, []);
});
