// A stored revision drawn on the canvas with its difference to the current design: what
// restoring it would do. The diff runs current -> revision (diffDesigns(current, revision)),
// so "added" blocks and edges are only in the revision, "removed" ones only in the current
// design (drawn as ghosts at their current place), "changed" ones differ in type or props
// and "moved" ones only in position.

import { edgeKey } from "../state/design";
import type { BlockChange, DesignDiff } from "../state/diff";
import type { Design } from "../types";

export type DiffMark = "added" | "removed" | "changed" | "moved";

export interface DiffView {
  /** The revision plus the current design's blocks and edges it lacks (the ghosts). */
  design: Design;
  /** Block id -> its mark; unmarked blocks are the same in both. */
  marks: Map<string, DiffMark>;
  /** Edge id (edgeKey) -> its mark. */
  edgeMarks: Map<string, DiffMark>;
}

export function blockMark(change: BlockChange): DiffMark {
  return change.type || Object.keys(change.props).length ? "changed" : "moved";
}

export function diffView(revision: Design, current: Design, diff: DesignDiff): DiffView {
  const marks = new Map<string, DiffMark>();
  for (const id of diff.added) marks.set(id, "added");
  for (const id of diff.removed) marks.set(id, "removed");
  for (const [id, change] of Object.entries(diff.changed)) marks.set(id, blockMark(change));
  const edgeMarks = new Map<string, DiffMark>();
  for (const [a, b] of diff.edges_added) edgeMarks.set(edgeKey(a, b), "added");
  for (const [a, b] of diff.edges_removed) edgeMarks.set(edgeKey(a, b), "removed");
  const gone = new Set(diff.removed);
  const ghostEdges = new Set(diff.edges_removed.map(([a, b]) => edgeKey(a, b)));
  const design: Design = {
    ...revision,
    components: [...revision.components, ...current.components.filter((c) => gone.has(c.id))],
    edges: [...revision.edges, ...current.edges.filter(([a, b]) => ghostEdges.has(edgeKey(a, b)))],
  };
  return { design, marks, edgeMarks };
}

/** How a value reads in the list of changes ("—" for unset: the default). */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export interface ChangeLine {
  /** The block id, "meta" or "training". */
  where: string;
  what: string;
  /** The current design's value, then the revision's. */
  now: string;
  earlier: string;
}

/** Every changed prop, type, design setting and training setting, one line each. */
export function changeLines(diff: DesignDiff): ChangeLine[] {
  const lines: ChangeLine[] = [];
  for (const [id, change] of Object.entries(diff.changed)) {
    if (change.type)
      lines.push({
        where: id,
        what: "type",
        now: shown(change.type[0]),
        earlier: shown(change.type[1]),
      });
    for (const [name, [a, b]] of Object.entries(change.props)) {
      lines.push({ where: id, what: name, now: shown(a), earlier: shown(b) });
    }
  }
  for (const where of ["meta", "training"] as const) {
    for (const [name, [a, b]] of Object.entries(diff[where]))
      lines.push({ where, what: name, now: shown(a), earlier: shown(b) });
  }
  return lines;
}

/** "2 added · 1 removed · 3 changed" (blocks), or "" when the blocks are the same. */
export function markSummary(view: DiffView): string {
  const counts: Record<DiffMark, number> = { added: 0, removed: 0, changed: 0, moved: 0 };
  for (const mark of view.marks.values()) counts[mark] += 1;
  return (Object.keys(counts) as DiffMark[])
    .filter((k) => counts[k])
    .map((k) => `${counts[k]} ${k}`)
    .join(" · ");
}
