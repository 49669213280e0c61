// Design-level defaults: values, blocks that differ from them, applying them as one edit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addBlock, emptyDesign, setMeta, setProp } from "../src/state/design";
import { applyMetaToBlocks, blocksOffMeta, metaValue } from "../src/state/meta";
import { StudioStore } from "../src/state/store";
import type { Design, PropSpec } from "../src/types";
import { middle, rateProp, SOURCE, testCatalog, widthProp } from "./catalogs";

const width = widthProp("width", { multiple_of: 8 });
const heads: PropSpec = {
  name: "heads",
  type: "int",
  default: 4,
  doc: "",
  min: 1,
  max: 64,
  step: 1,
};

const catalog = testCatalog(
  [
    SOURCE,
    middle([
      { ...width, meta_default: "width" },
      { ...heads, meta_default: "heads" },
      rateProp("rate"),
    ]),
  ],
  [width, heads],
);

function design(): Design {
  let d = emptyDesign();
  d = addBlock(d, catalog, "src_block", { x: 0, y: 0 }).design;
  d = addBlock(d, catalog, "mid_block", { x: 0, y: 128 }).design;
  d = addBlock(d, catalog, "mid_block", { x: 0, y: 256 }).design;
  return d;
}

test("a meta value is the design's when well-formed, else the catalog default", () => {
  assert.equal(metaValue(width, {}), 128);
  assert.equal(metaValue(width, undefined), 128);
  assert.equal(metaValue(width, { width: 64 }), 64);
  assert.equal(metaValue(width, { width: "64" }), 128);
  assert.equal(metaValue(width, { width: Number.NaN }), 128);
  assert.equal(metaValue(heads, { width: 64 }), 4);
});

test("blocks off a default: only props that follow that meta entry, only when they differ", () => {
  let d = design();
  assert.deepEqual(blocksOffMeta(d, catalog, "width"), [], "new blocks start at the defaults");
  d = setMeta(d, "width", 256);
  assert.deepEqual(
    blocksOffMeta(d, catalog, "width").map((f) => [f.id, f.prop, f.value]),
    [
      ["mb1", "width", 128],
      ["mb2", "width", 128],
    ],
  );
  assert.deepEqual(blocksOffMeta(d, catalog, "heads"), []);
  assert.deepEqual(blocksOffMeta(d, catalog, "nope"), []);
  // a block with the prop unset already follows the meta value
  const unset = {
    ...d,
    components: d.components.map((c) => (c.id === "mb2" ? { ...c, props: {} } : c)),
  };
  assert.deepEqual(
    blocksOffMeta(unset, catalog, "width").map((f) => f.id),
    ["mb1"],
  );
});

test("applying a default sets every following prop in one edit and leaves the rest alone", () => {
  let d = setMeta(design(), "width", 256);
  d = setProp(d, "mb2", "rate", 0.3);
  const applied = applyMetaToBlocks(d, catalog, "width");
  assert.deepEqual(
    applied.components.map((c) => c.props.width),
    [undefined, 256, 256],
  );
  assert.equal(applied.components[0], d.components[0], "untouched blocks are shared");
  assert.equal(applied.components[2].props.rate, 0.3);
  assert.equal(applied.components[2].props.heads, 4);
  assert.equal(applyMetaToBlocks(applied, catalog, "width"), applied, "nothing to do: same design");

  // through the store: one undo step each for the meta edit and for applying it
  const store = new StudioStore({ catalog });
  store.load(design(), 1);
  store.edit((x) => setMeta(x, "width", 64));
  store.edit((x) => applyMetaToBlocks(x, catalog, "width"));
  assert.equal(store.getState().seq, 3);
  assert.deepEqual(
    store.design.components.map((c) => c.props.width),
    [undefined, 64, 64],
  );
  store.undo();
  assert.deepEqual(
    store.design.components.map((c) => c.props.width),
    [undefined, 128, 128],
  );
  assert.equal(store.design.meta.width, 64);
  store.undo();
  assert.equal(store.design.meta.width, undefined);
});
