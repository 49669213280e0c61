// Differential fuzzing: the worker's validator and the kernel's on the same random,
// mutated designs must agree result for result (codes, messages, params, memory). The
// kernel wins a disagreement in the app and logs it as a bug; this finds them first.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Catalog, PropSpec } from "../src/types";
import { validate } from "../src/validation/validate";
import { fromPython } from "./python";

const DESIGNS = 400;
const SEED = 2048;

/** A small seeded PRNG (mulberry32): the same designs on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

/** A value for a prop: in bounds, at or past a bound, a choice, or the wrong type. */
function propValue(r: Rng, spec: PropSpec | undefined, sensible: boolean): unknown {
  const lo = spec?.min ?? 0;
  const hi = spec?.max ?? 64;
  if (sensible || r.next() < 0.5) {
    // a value the catalog allows (the design may still break: widths, heads, ...)
    if (spec?.choices) return r.pick(spec.choices);
    if (spec?.type === "bool") return r.next() < 0.5;
    const step = spec?.multiple_of ?? 1;
    const v = Math.min(
      hi,
      Math.max(lo, step * r.int(Math.ceil(lo / step), Math.floor(Math.min(hi, 256) / step))),
    );
    return spec?.type === "float" ? v / 2 : v;
  }
  return r.pick([
    () => r.int(lo, hi),
    () => lo - 1,
    () => hi + 1,
    () => r.int(lo, hi) + 0.5,
    () => (spec?.choices ? r.pick(spec.choices) : r.int(1, 8) * 8),
    () => "nope",
    () => r.next() < 0.5,
    () => null,
    () => 2 ** 52,
    () => [1],
    () => ({}),
  ])();
}

// biome-ignore lint/suspicious/noExplicitAny: the fuzzer writes arbitrary JSON into designs on purpose
type Junk = any;

/** One random edit; a sensible one sets a prop or a meta setting within its bounds. */
function mutate(r: Rng, design: Record<string, Junk>, catalog: Catalog, sensible: boolean): void {
  const comps: Junk[] = design.components;
  const edges: Junk[] = design.edges;
  const ids = () => comps.filter((c) => c && typeof c === "object").map((c) => c.id);
  const comp = () => comps[r.int(0, comps.length - 1)];
  const specOf = (c: Junk) => catalog.blocks.find((b) => b.type === c?.type);
  switch (sensible ? r.pick([3, 10]) : r.int(0, 11)) {
    case 0:
      if (comps.length) comps.splice(r.int(0, comps.length - 1), 1);
      break;
    case 1:
      if (edges.length) edges.splice(r.int(0, edges.length - 1), 1);
      break;
    case 2:
      if (comps.length) edges.push([r.pick(ids()), r.pick(ids())]);
      break;
    case 3: {
      const c = comp();
      const spec = specOf(c);
      if (c && spec?.props.length) {
        const p = r.pick(spec.props);
        c.props = { ...c.props, [p.name]: propValue(r, p, sensible) };
      }
      break;
    }
    case 4:
      if (comps.length) comp().type = r.pick([...catalog.blocks.map((b) => b.type), "mystery"]);
      break;
    case 5:
      if (comps.length) comp().id = r.pick(["", "../x", "dup", "a b", "x".repeat(80), 7, null]);
      break;
    case 6:
      if (comps.length) comps.push(structuredClone(comp()));
      break;
    case 7:
      if (edges.length)
        edges[r.int(0, edges.length - 1)] = r.pick([
          [],
          ["a"],
          "a->b",
          null,
          [1, 2],
          ["x", "y", "z"],
        ]);
      break;
    case 8:
      if (comps.length)
        comp().position = r.pick([
          { x: 1 },
          null,
          { x: "1", y: 2 },
          [0, 0],
          { x: 1e300, y: -1e300 },
        ]);
      break;
    case 9:
      if (comps.length) comp().props = { ...comp().props, bogus: 1 };
      break;
    case 10: {
      const m = r.pick(catalog.meta);
      design.meta = { ...design.meta, [m.name]: propValue(r, m, sensible) };
      break;
    }
    default: {
      // a new block of any type, wired after a random one
      const b = r.pick(catalog.blocks);
      const id = `n${r.int(0, 999)}`;
      const from = ids().length ? r.pick(ids()) : null;
      comps.push({
        id,
        type: b.type,
        props: {},
        position: { x: r.int(0, 9) * 32, y: r.int(0, 9) * 32 },
      });
      if (from !== null) edges.push([from, id]);
    }
  }
}

test("the worker and the kernel agree on random mutated designs", (t) => {
  const { catalog, templates } = fromPython([]);
  const r = rng(SEED);
  const bases = Object.values(templates);
  const designs = Array.from({ length: DESIGNS }, () => {
    const d = structuredClone(r.pick(bases)) as Record<string, Junk>;
    const sensible = r.next() < 0.4; // as a person edits; the rest as anything on the wire
    for (let i = r.int(1, 3); i > 0; i--) mutate(r, d, catalog, sensible);
    return d;
  });
  const { results } = fromPython([], designs);
  let valid = 0;
  designs.forEach((d, i) => {
    const mine = validate(d, catalog);
    assert.deepEqual(mine, results[i], `design #${i}: ${JSON.stringify(d).slice(0, 400)}`);
    if (mine.valid) valid++;
  });
  // the mix is worth something: both valid and invalid designs
  t.diagnostic(`${valid} of ${DESIGNS} designs valid`);
  assert.ok(valid >= DESIGNS / 10 && valid <= DESIGNS * 0.9, `${valid} of ${DESIGNS} valid`);
});
