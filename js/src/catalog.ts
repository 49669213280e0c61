// Lookups over the catalog the kernel sent. No block type or prop is named here.
import type { BlockSpec, Catalog, Design, PropSpec, PropValue } from "./types";

export function blockSpec(catalog: Catalog, type: string): BlockSpec | undefined {
  return catalog.blocks.find((b) => b.type === type);
}

/** The value a new block gets: the design's meta entry when the prop inherits one. */
export function initialValue(spec: PropSpec, meta: Record<string, unknown>): PropValue {
  if (spec.meta_default !== undefined) {
    const v = meta[spec.meta_default];
    if (isPropValue(spec, v)) return v;
  }
  return spec.default;
}

export function initialProps(block: BlockSpec, design: Design): Record<string, PropValue> {
  const props: Record<string, PropValue> = {};
  for (const p of block.props) props[p.name] = initialValue(p, design.meta ?? {});
  return props;
}

function isPropValue(spec: PropSpec, v: unknown): v is PropValue {
  switch (spec.type) {
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "float":
      return typeof v === "number" && Number.isFinite(v);
    case "bool":
      return typeof v === "boolean";
    case "enum":
      return typeof v === "string" && (spec.choices ?? []).includes(v);
  }
}

/** Can an output of `src` feed the input of `dst`? (port kinds; the first ports) */
export function canConnect(src: BlockSpec | undefined, dst: BlockSpec | undefined): boolean {
  if (!src || !dst) return false;
  const out = src.outputs[0];
  const inp = dst.inputs[0];
  if (!out || !inp) return false;
  return (inp.accepts ?? [inp.kind]).includes(out.kind);
}

/** A short summary line for a block card: its first props, abbreviated. */
export function summary(block: BlockSpec, props: Record<string, unknown>, max = 3): string {
  const parts: string[] = [];
  for (const p of block.props.slice(0, max)) {
    const v = props[p.name] ?? p.default;
    parts.push(p.type === "bool" ? `${p.name}${v ? "" : " off"}` : `${p.name} ${formatValue(v)}`);
  }
  return parts.join(" · ");
}

export function formatValue(v: unknown): string {
  if (typeof v === "number") {
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  }
  return String(v);
}
