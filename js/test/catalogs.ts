// Small made-up catalogs for the editor's tests: a source, a middle block with a width
// and a rate, a sink. (The real catalog comes from Python: see python.ts.)
import type { BlockSpec, Catalog, PropSpec } from "../src/types";

/** An int prop from 8 to 1024 in steps of 8, 128 by default. */
export function widthProp(name: string, more: Partial<PropSpec> = {}): PropSpec {
  return { name, type: "int", default: 128, doc: "", min: 8, max: 1024, step: 8, ...more };
}

/** A float prop from 0 to 0.5 in steps of 0.05, 0.1 by default. */
export function rateProp(name: string): PropSpec {
  return { name, type: "float", default: 0.1, doc: "", min: 0, max: 0.5, step: 0.05 };
}

export function blockType(type: string, role: string, more: Partial<BlockSpec> = {}): BlockSpec {
  return {
    type,
    label: type,
    doc: "",
    role,
    color: "#000",
    sets_width: false,
    props: [],
    inputs: [],
    outputs: [],
    ...more,
  };
}

export const SOURCE = blockType("src_block", "input", {
  label: "Source",
  outputs: [{ name: "out", kind: "board" }],
});

/** The middle block with `props` (its width follows the meta default "width"). */
export function middle(props: PropSpec[]): BlockSpec {
  return blockType("mid_block", "layer", {
    label: "Middle",
    color: "#111",
    sets_width: true,
    props,
    inputs: [{ name: "in", kind: "tokens", accepts: ["tokens", "board"] }],
    outputs: [{ name: "out", kind: "tokens" }],
  });
}

export const SINK = blockType("sink_block", "output", {
  label: "Sink",
  color: "#222",
  inputs: [{ name: "in", kind: "tokens", accepts: ["tokens"] }],
});

export function testCatalog(blocks: BlockSpec[], meta: PropSpec[] = []): Catalog {
  return {
    version: 1,
    blocks,
    meta,
    limits: {},
    error_codes: {},
    warning_codes: [],
    // As the kernel sends them, so a test never depends on a value it did not choose.
    constants: {
      n_tile_values: 16,
      n_cells: 16,
      n_actions: 4,
      n_max_tile_classes: 16,
      aux_target_width: {},
      max_experts: 8,
      schema_version: 1,
      max_coordinate: 1e6,
      hard_cap: 100000,
      ntuple_cells: 4,
      ntuple_symmetries: 8,
      ntuple_bases: {},
    },
    estimate: {
      train_batch: 1,
      bytes_per_float: 4,
      optimizer_copies: 4,
      index_floats: 2,
      moe_router_floats_per_expert: 16,
    },
  };
}
