// Edits of a design: pure functions returning a new design (untouched parts shared, so
// the canvas can tell by identity what changed).
import { blockSpec, canConnect, initialProps } from "../catalog";
import { BLOCK_H, BLOCK_W, GRID, snapPoint } from "../geometry";
import type { Catalog, Component, Design, Edge, Position, PropValue } from "../types";

export function emptyDesign(): Design {
  return { schema_version: 1, id: "", name: "Untitled", meta: {}, components: [], edges: [] };
}

/** A fresh id for a block of `type`: initials of its words plus a number ("tl3"). */
export function newId(design: Design, type: string): string {
  const prefix =
    type
      .split(/[_\s-]+/)
      .map((w) => w[0] ?? "")
      .join("")
      .toLowerCase() || "b";
  const taken = new Set(design.components.map((c) => c.id));
  for (let n = 1; ; n++) {
    const id = `${prefix}${n}`;
    if (!taken.has(id)) return id;
  }
}

export function addBlock(
  design: Design,
  catalog: Catalog,
  type: string,
  at: Position,
): { design: Design; id: string } {
  const spec = blockSpec(catalog, type);
  if (!spec) return { design, id: "" };
  const id = newId(design, type);
  const component: Component = {
    id,
    type,
    props: initialProps(spec, design),
    position: freeSpot(design, snapPoint(at)),
  };
  return { design: { ...design, components: [...design.components, component] }, id };
}

/**
 * Rows of stacked blocks are this far apart (the templates' rhythm): the 64 px gap leaves
 * room for a port's touch target reaching out of one card without covering the dot of the
 * port facing it (a 32 px gap did: tapping an output hit the next block's input).
 */
export const ROW = BLOCK_H + 2 * GRID;

/** `at`, or the nearest spot below it (in ROW steps) where the new card crowds none. */
function freeSpot(design: Design, at: Position): Position {
  const crowds = (p: Position) =>
    design.components.some(
      (c) => Math.abs(c.position.x - p.x) < BLOCK_W && Math.abs(c.position.y - p.y) < ROW,
    );
  let p = at;
  for (let i = 0; i < 50 && crowds(p); i++) p = { x: p.x, y: p.y + ROW };
  return p;
}

export function moveBlocks(design: Design, moves: Map<string, Position>): Design {
  let changed = false;
  const components = design.components.map((c) => {
    const p = moves.get(c.id);
    if (!p || (p.x === c.position.x && p.y === c.position.y)) return c;
    changed = true;
    return { ...c, position: { x: p.x, y: p.y } };
  });
  return changed ? { ...design, components } : design;
}

export function setProp(design: Design, id: string, name: string, value: PropValue): Design {
  const c = design.components.find((x) => x.id === id);
  if (!c || c.props[name] === value) return design;
  return {
    ...design,
    components: design.components.map((x) =>
      x === c ? { ...c, props: { ...c.props, [name]: value } } : x,
    ),
  };
}

/** One string per edge, whatever its ids hold: ids are free strings ("a->b" and "b" is
 * one edge, "a" and "b->b" another), so no separator would do. Never parsed back. */
export function edgeKey(src: string, dst: string): string {
  return JSON.stringify([src, dst]);
}

export function hasEdge(design: Design, src: string, dst: string): boolean {
  return design.edges.some(([a, b]) => a === src && b === dst);
}

/** Why `src -> dst` may not be drawn (null when it may). Validation judges the rest. */
export function connectionProblem(
  design: Design,
  catalog: Catalog,
  src: string,
  dst: string,
): string | null {
  if (src === dst) return "A block cannot feed itself.";
  if (hasEdge(design, src, dst)) return "Already connected.";
  const a = design.components.find((c) => c.id === src);
  const b = design.components.find((c) => c.id === dst);
  if (!a || !b) return "Unknown block.";
  if (!canConnect(blockSpec(catalog, a.type), blockSpec(catalog, b.type))) {
    return "These ports do not fit.";
  }
  return null;
}

export function connect(design: Design, src: string, dst: string): Design {
  if (src === dst || hasEdge(design, src, dst)) return design;
  return { ...design, edges: [...design.edges, [src, dst] as Edge] };
}

export function removeElements(design: Design, blockIds: Iterable<string>, edges: Edge[]): Design {
  const gone = new Set(blockIds);
  const cut = new Set(edges.map(([a, b]) => edgeKey(a, b)));
  if (gone.size === 0 && cut.size === 0) return design;
  const components = design.components.filter((c) => !gone.has(c.id));
  const kept = design.edges.filter(
    ([a, b]) => !gone.has(a) && !gone.has(b) && !cut.has(edgeKey(a, b)),
  );
  if (components.length === design.components.length && kept.length === design.edges.length) {
    return design;
  }
  return { ...design, components, edges: kept };
}

/** A copy of block `id` just below it, or the next free spot (props copied, edges not). */
export function duplicate(design: Design, id: string): { design: Design; id: string } {
  const c = design.components.find((x) => x.id === id);
  if (!c) return { design, id: "" };
  const copyId = newId(design, c.type);
  const copy: Component = {
    id: copyId,
    type: c.type,
    props: { ...c.props },
    position: freeSpot(design, { x: c.position.x, y: c.position.y + ROW }),
  };
  return { design: { ...design, components: [...design.components, copy] }, id: copyId };
}

export function setMeta(design: Design, name: string, value: PropValue): Design {
  if (design.meta?.[name] === value) return design;
  return { ...design, meta: { ...design.meta, [name]: value } };
}
