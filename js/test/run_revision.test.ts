// Opening the revision a run trained: of the open design at once, of another design after
// opening that design.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StudioStore } from "../src/state/store";
import type { Command, ShownRevision } from "../src/ui/history/revisions";
import { hasRevision, openRunRevision } from "../src/ui/runs/revision";

const design = { schema_version: 1, id: "d-a", name: "A", meta: {}, components: [], edges: [] };

function studio(): StudioStore {
  const store = new StudioStore();
  store.load(design);
  store.set({ doc: { ...store.getState().doc, design_id: "d-a", revision: 4 }, sheet: "compare" });
  return store;
}

/** A kernel: open_design switches the page's document (before replying, as the widget does). */
function kernel(store: StudioStore, asked: unknown[], missing = new Set<string>()): Command {
  return async <T>(name: string, args: Record<string, unknown>) => {
    asked.push([name, args]);
    if (name === "open_design") {
      if (missing.has(args.design_id as string)) return undefined;
      store.set({ doc: { ...store.getState().doc, design_id: args.design_id as string } });
      return { design_id: args.design_id } as T;
    }
    const shown: ShownRevision = {
      design_id: store.getState().doc.design_id as string,
      revision: args.revision as number,
      design: { ...design, id: store.getState().doc.design_id as string },
      valid: true,
      params: 1,
      errors: 0,
    };
    return shown as T;
  };
}

/** Open the run's revision on a fresh page showing design A: whether it opened, what was asked. */
async function openFromA(run: { design_id: string; revision: number }) {
  const store = studio();
  const asked: unknown[] = [];
  const opened = await openRunRevision(store, kernel(store, asked), run);
  return { opened, asked, state: store.getState() };
}

test("a run of the open design opens its revision without reopening the design", async () => {
  const { opened, asked, state } = await openFromA({ design_id: "d-a", revision: 2 });
  assert.equal(opened, true);
  assert.deepEqual(asked, [["get_revision", { revision: 2 }]]);
  assert.equal(state.viewedRevision, 2);
  assert.equal(state.sheet, null);
});

test("a run of another design opens that design first, then its revision", async () => {
  const { opened, asked, state } = await openFromA({ design_id: "d-b", revision: 7 });
  assert.equal(opened, true);
  assert.deepEqual(asked, [
    ["open_design", { design_id: "d-b" }],
    ["get_revision", { revision: 7 }],
  ]);
  assert.equal(state.doc.design_id, "d-b");
  assert.equal(state.viewedRevision, 7);
});

test("a design deleted meanwhile, or a run without a stored revision, opens nothing", async () => {
  const store = studio();
  const asked: unknown[] = [];
  const command = kernel(store, asked, new Set(["d-gone"]));
  assert.equal(await openRunRevision(store, command, { design_id: "d-gone", revision: 1 }), false);
  assert.deepEqual(asked, [["open_design", { design_id: "d-gone" }]]);
  assert.equal(store.getState().viewedRevision, null);
  assert.equal(store.getState().sheet, "compare");
  assert.equal(hasRevision({ design_id: null, revision: null }), false);
  assert.equal(hasRevision({ design_id: "d-a", revision: null }), false);
  assert.equal(await openRunRevision(store, command, { design_id: null, revision: 3 }), false);
  assert.equal(asked.length, 1);
});
