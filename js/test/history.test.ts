// The history sheet's page logic: opening a revision, restoring it as one undo step, the
// windowed list and the row wording.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StudioStore } from "../src/state/store";
import type { Design } from "../src/types";
import { ago, runCount, validity } from "../src/ui/history/format";
import { isEditKey } from "../src/ui/history/RevisionBar";
import {
  type Command,
  closeRevision,
  openRevision,
  restoreRevision,
  type ShownRevision,
  shelfOf,
  viewedOf,
} from "../src/ui/history/revisions";
import { visibleRows } from "../src/ui/virtual";

const present: Design = {
  schema_version: 1,
  id: "d-1",
  name: "Mine",
  meta: { d_model: 64 },
  components: [{ id: "a", type: "mlp", props: { hidden: 128 }, position: { x: 0, y: 0 } }],
  edges: [],
};
const old: ShownRevision = {
  design_id: "d-1",
  revision: 2,
  valid: true,
  params: 10,
  errors: 0,
  design: {
    ...present,
    name: "Old name",
    meta: { d_model: 32 },
    components: [{ id: "b", type: "mlp", props: {}, position: { x: 0, y: 0 } }],
  },
};

function studio(): StudioStore {
  const store = new StudioStore();
  store.load(present);
  store.set({ doc: { ...store.getState().doc, design_id: "d-1", revision: 5 } });
  return store;
}

test("opening a revision fetches it, shows it and closes the sheet", async () => {
  const store = studio();
  store.set({ sheet: "history", selectedNodes: ["a"] });
  const asked: unknown[] = [];
  const command: Command = async <T>(name: string, args: Record<string, unknown>) => {
    asked.push([name, args]);
    return old as T;
  };
  assert.equal(await openRevision(store, command, 2), true);
  assert.deepEqual(asked, [["get_revision", { revision: 2 }]]);
  const s = store.getState();
  assert.equal(s.viewedRevision, 2);
  assert.equal(s.sheet, null);
  assert.deepEqual(s.selectedNodes, []);
  assert.equal(viewedOf(shelfOf(store).get(), s.viewedRevision, s.doc.design_id), old);
  assert.equal(store.design, present, "viewing edits nothing");
  closeRevision(store);
  assert.equal(store.getState().viewedRevision, null);
  assert.equal(shelfOf(store).get(), null);
});

test("a failed fetch leaves the view as it was", async () => {
  const store = studio();
  const command: Command = async () => undefined;
  assert.equal(await openRevision(store, command, 9), false);
  assert.equal(store.getState().viewedRevision, null);
});

test("a revision of another design is not shown", () => {
  assert.equal(viewedOf(old, 2, "d-2"), null);
  assert.equal(viewedOf(old, 3, "d-1"), null);
  assert.equal(viewedOf(null, 2, "d-1"), null);
});

test("restore makes the revision's content current, keeps id and name, and undo goes back", () => {
  const store = studio();
  const seq = store.getState().seq;
  assert.equal(restoreRevision(store, old), true);
  const restored = store.design;
  assert.deepEqual(restored.components, old.design.components);
  assert.deepEqual(restored.meta, { d_model: 32 });
  assert.equal(restored.id, "d-1");
  assert.equal(restored.name, "Mine", "the design keeps its current name");
  assert.equal(store.getState().seq, seq + 1, "one change: autosave makes a new revision");
  assert.equal(store.getState().viewedRevision, null, "the view closes");
  assert.match(store.getState().toast?.text ?? "", /Restored revision 2/);
  store.undo();
  assert.equal(store.design, present);
  store.redo();
  assert.deepEqual(store.design.components, old.design.components);
});

test("the windowed list renders the rows on screen and a few around them", () => {
  assert.deepEqual(visibleRows(0, 680, 68, 300), [0, 19]);
  assert.deepEqual(visibleRows(68 * 100, 680, 68, 300), [96, 115]);
  assert.deepEqual(visibleRows(68 * 299, 680, 68, 300), [281, 300]);
  assert.deepEqual(visibleRows(0, 680, 68, 3), [0, 3]);
  assert.deepEqual(visibleRows(-50, 0, 68, 300), [0, 10], "overscroll and an unmeasured box");
});

test("rows say their age, validity and runs in words", () => {
  assert.equal(ago(1000, 1030), "just now");
  assert.equal(ago(1000, 1000 + 5 * 60 + 10), "5 min ago");
  assert.equal(ago(1000, 1000 + 3 * 3600), "3 h ago");
  assert.match(ago(0, 10 * 86400), /\d/);
  assert.equal(ago(2000, 1000), "just now", "a clock behind the kernel's");
  assert.equal(validity({ valid: true, errors: 0 }), "valid");
  assert.equal(validity({ valid: false, errors: 1 }), "1 error");
  assert.equal(validity({ valid: false, errors: 3 }), "3 errors");
  assert.deepEqual([0, 1, 2].map(runCount), ["no runs", "1 run", "2 runs"]);
});

test("the keys that would edit behind a shown revision are the page's editing keys", () => {
  const key = (k: string, mod = false) => ({ key: k, ctrlKey: mod, metaKey: false });
  for (const k of [
    key("z", true),
    key("Z", true),
    key("y", true),
    key("Delete"),
    key("Backspace"),
    key("ArrowUp"),
  ]) {
    assert.ok(isEditKey(k), k.key);
  }
  for (const k of [key("z"), key("Escape"), key("c", true), key("a")])
    assert.ok(!isEditKey(k), k.key);
});
