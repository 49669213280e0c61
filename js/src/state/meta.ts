// The design-level defaults (`meta`): the catalog's `meta` props, the value a design
// holds for each, and the blocks whose props follow one (PropSpec.meta_default).
// Pure functions over plain data, like the other edits in design.ts.
import { blockSpec } from "../catalog";
import type { Catalog, Design, PropSpec, PropValue } from "../types";

/** The design's value for a meta prop (its catalog default when unset or malformed). */
export function metaValue(spec: PropSpec, meta: Record<string, unknown> | undefined): PropValue {
  const v = meta?.[spec.name];
  switch (spec.type) {
    case "int":
    case "float":
      return typeof v === "number" && Number.isFinite(v) ? v : spec.default;
    case "bool":
      return typeof v === "boolean" ? v : spec.default;
    case "enum":
      return typeof v === "string" ? v : spec.default;
  }
}

export interface Follower {
  /** The block's id. */
  id: string;
  /** Its prop that takes the meta value as default. */
  prop: string;
  /** What the block says now (undefined: unset, so it already follows the meta value). */
  value: unknown;
}

/** Blocks with a prop that defaults to meta `name`, set to something else. */
export function blocksOffMeta(design: Design, catalog: Catalog, name: string): Follower[] {
  const spec = catalog.meta.find((m) => m.name === name);
  if (!spec) return [];
  const target = metaValue(spec, design.meta);
  const out: Follower[] = [];
  for (const c of design.components) {
    const block = blockSpec(catalog, c.type);
    for (const p of block?.props ?? []) {
      if (p.meta_default !== name) continue;
      const value = c.props?.[p.name];
      if (value !== undefined && value !== target) out.push({ id: c.id, prop: p.name, value });
    }
  }
  return out;
}

/** Every block prop that follows meta `name` set to the design's value (one edit). */
export function applyMetaToBlocks(design: Design, catalog: Catalog, name: string): Design {
  const off = blocksOffMeta(design, catalog, name);
  if (!off.length) return design;
  const spec = catalog.meta.find((m) => m.name === name);
  if (!spec) return design;
  const value = metaValue(spec, design.meta);
  const byId = new Map<string, string[]>();
  for (const f of off) byId.set(f.id, [...(byId.get(f.id) ?? []), f.prop]);
  return {
    ...design,
    components: design.components.map((c) => {
      const props = byId.get(c.id);
      if (!props) return c;
      const next = { ...c.props };
      for (const p of props) next[p] = value;
      return { ...c, props: next };
    }),
  };
}
