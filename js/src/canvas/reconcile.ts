// Design -> React Flow nodes and edges, reusing the previous objects where nothing
// changed (React Flow and the memoised block skip them; 200 blocks stay cheap).
import { type EdgeChange, type Edge as FlowEdgeT, MarkerType } from "@xyflow/react";
import { blockSpec } from "../catalog";
import type { PortRoom } from "../geometry";
import { edgeKey } from "../state/design";
import type { BlockIssues } from "../state/selectors";
import type { Catalog, Design, Edge } from "../types";
import type { BlockNodeType } from "./BlockNode";
import type { DiffMark } from "./diffView";

const NO_MARKS: ReadonlyMap<string, DiffMark> = new Map();

export function reconcileNodes(
  prev: BlockNodeType[],
  design: Design,
  catalog: Catalog | null,
  issues: Map<string, BlockIssues>,
  selected: Set<string>,
  rooms: Map<string, PortRoom> = new Map(),
  marks: ReadonlyMap<string, DiffMark> = NO_MARKS,
): BlockNodeType[] {
  const before = new Map(prev.map((n) => [n.id, n]));
  let same = prev.length === design.components.length;
  const next = design.components.map((c, i) => {
    const p = before.get(c.id);
    const info = issues.get(c.id);
    const state = info?.state ?? "ok";
    const messages = info ? info.issues.map((x) => x.message).join("\n") : "";
    const spec = catalog ? blockSpec(catalog, c.type) : undefined;
    const isSelected = selected.has(c.id);
    const room = rooms.get(c.id);
    const roomUp = room?.up;
    const roomDown = room?.down;
    const diff = marks.get(c.id);
    if (
      p &&
      p.data.component === c &&
      p.data.spec === spec &&
      p.data.state === state &&
      p.data.messages === messages &&
      p.data.roomUp === roomUp &&
      p.data.roomDown === roomDown &&
      p.data.diff === diff &&
      !!p.selected === isSelected &&
      (p.dragging || (p.position.x === c.position.x && p.position.y === c.position.y))
    ) {
      if (prev[i] !== p) same = false;
      return p;
    }
    same = false;
    return {
      ...(p ?? {}),
      id: c.id,
      type: "block" as const,
      position: p?.dragging ? p.position : c.position,
      selected: isSelected,
      data: { component: c, spec, state, messages, roomUp, roomDown, diff },
    } as BlockNodeType;
  });
  return same ? prev : next;
}

export const MARKER = { type: MarkerType.ArrowClosed, width: 16, height: 16 };

export function reconcileEdges(
  prev: FlowEdgeT[],
  design: Design,
  selected: Edge[],
  marks: ReadonlyMap<string, DiffMark> = NO_MARKS,
): FlowEdgeT[] {
  const sel = new Set(selected.map(([a, b]) => edgeKey(a, b)));
  const before = new Map(prev.map((e) => [e.id, e]));
  let same = prev.length === design.edges.length;
  const next = design.edges.map(([src, dst], i) => {
    const id = edgeKey(src, dst);
    const p = before.get(id);
    const isSelected = sel.has(id);
    const diff = marks.get(id);
    if (p && !!p.selected === isSelected && p.data?.diff === diff) {
      if (prev[i] !== p) same = false;
      return p;
    }
    same = false;
    return {
      id,
      source: src,
      target: dst,
      type: "flow",
      markerEnd: MARKER,
      selected: isSelected,
      data: { diff },
    };
  });
  return same ? prev : next;
}

/** The edge selection after React Flow's changes, or null when none of them selects. An
 * edge's endpoints come from the edge with that id, never from parsing the id. */
export function edgeSelection(
  selected: Edge[],
  changes: EdgeChange[],
  edges: readonly FlowEdgeT[],
): Edge[] | null {
  const endpoints = new Map(edges.map((e) => [e.id, [e.source, e.target] as Edge]));
  const next = new Map(selected.map((e) => [edgeKey(e[0], e[1]), e]));
  let touched = false;
  for (const c of changes) {
    if (c.type !== "select") continue;
    touched = true;
    const edge = endpoints.get(c.id);
    if (c.selected && edge) next.set(c.id, edge);
    else next.delete(c.id);
  }
  return touched ? [...next.values()] : null;
}
