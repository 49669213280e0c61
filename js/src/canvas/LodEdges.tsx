// Zoomed out (below LOD_ZOOM), every arrow is drawn by one <path> in one <svg> inside the
// viewport, and React Flow's own edges are hidden: it draws each edge as an <svg> of its
// own, and 200 of them, all on screen at that zoom, cost most of a pinch's frame (bench:
// 10-15% late frames with them, ~2% without). Nothing is lost: at that zoom ports are
// hidden and an arrow is too thin to tap.

import {
  type Edge,
  getBezierPath,
  type Node,
  Position,
  useStore,
  ViewportPortal,
} from "@xyflow/react";
import { type RefObject, useEffect, useMemo } from "react";
import { BLOCK_H, BLOCK_W, isLod } from "../geometry";

/** Canvas units: the arrowhead at the target's top edge. */
const HEAD = 14;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The arrows of `edges` between `nodes`, as one path for the lines and one for the heads
 * (the same curves as the full-zoom edges, from a card's bottom centre to a top centre). */
export function lodPaths(
  nodes: readonly Node[],
  edges: readonly Edge[],
): { lines: string; heads: string } {
  const boxes = new Map<string, Box>();
  for (const n of nodes) {
    boxes.set(n.id, {
      x: n.position.x,
      y: n.position.y,
      w: n.measured?.width ?? BLOCK_W,
      h: n.measured?.height ?? BLOCK_H,
    });
  }
  const lines: string[] = [];
  const heads: string[] = [];
  for (const e of edges) {
    const s = boxes.get(e.source);
    const t = boxes.get(e.target);
    if (!s || !t) continue;
    const tx = t.x + t.w / 2;
    const ty = t.y - HEAD;
    const [d] = getBezierPath({
      sourceX: s.x + s.w / 2,
      sourceY: s.y + s.h,
      sourcePosition: Position.Bottom,
      targetX: tx,
      targetY: ty,
      targetPosition: Position.Top,
    });
    lines.push(d);
    heads.push(`M${tx - HEAD / 2},${ty}L${tx + HEAD / 2},${ty}L${tx},${t.y}Z`);
  }
  return { lines: lines.join(""), heads: heads.join("") };
}

interface Props {
  nodes: readonly Node[];
  edges: readonly Edge[];
  /** The element whose ms-lod-view class hides React Flow's edges. */
  host: RefObject<HTMLElement | null>;
}

export function LodEdges({ nodes, edges, host }: Props) {
  const lod = useStore(isLod);
  useEffect(() => {
    host.current?.classList.toggle("ms-lod-view", lod);
  }, [host, lod]);
  const paths = useMemo(
    () =>
      lod
        ? [
            lodPaths(
              nodes,
              edges.filter((e) => !e.selected),
            ),
            lodPaths(
              nodes,
              edges.filter((e) => e.selected),
            ),
          ]
        : null,
    [lod, nodes, edges],
  );
  if (!paths) return null;
  const [plain, picked] = paths;
  return (
    <ViewportPortal>
      <svg
        className="ms-lod-edges"
        data-testid="lod-edges"
        data-edges={edges.length}
        aria-hidden="true"
      >
        <path className="ms-lod-lines" d={plain.lines} />
        <path className="ms-lod-heads" d={plain.heads} />
        {/* selected arrows on top, in the accent colour, as at full zoom */}
        <path className="ms-lod-lines ms-lod-picked" data-testid="lod-picked" d={picked.lines} />
        <path className="ms-lod-heads ms-lod-picked" d={picked.heads} />
      </svg>
    </ViewportPortal>
  );
}
