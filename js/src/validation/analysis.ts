// The JS mirror of modelstudio_widget/design/analysis.py: what validation learns about a
// design (nodes with effective props and widths, deduplicated edges) and the union-find
// the rules resolve stream widths with.
import type { Issue } from "../types";

// biome-ignore lint/suspicious/noExplicitAny: props are validated values of many types, read by name
export type Props = Record<string, any>;

/** A component after validation: effective props (defaults filled in). */
export interface Node {
  index: number;
  id: string;
  type: string;
  props: Props;
  /** Stream width of its tokens (board_input: of its implicit embedding). */
  width: number;
}

/** What the estimate needs of analysis.Analysis (the worker has no code generator). */
export interface Analysis {
  issues: Issue[];
  nodes: Node[];
  /** Index pairs, deduplicated. */
  edges: [number, number][];
  /** board_input index -> true when it feeds a tokens input (implicit embedding). */
  implicitEmbedding: Map<number, boolean>;
  /** Indices of layers that run under gradient checkpointing. */
  checkpointed: Set<number>;
}

export function emptyAnalysis(issues: Issue[] = []): Analysis {
  return { issues, nodes: [], edges: [], implicitEmbedding: new Map(), checkpointed: new Set() };
}

/** Union-find over stream widths: connected tokens ports must agree on d_model. */
export class Widths {
  parent: number[];
  width: (number | null)[];
  /** Node that fixed the class's width. */
  source: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
    this.width = new Array(n).fill(null);
    this.source = Array.from({ length: n }, (_, i) => i);
  }
  find(a: number): number {
    let root = a;
    while (this.parent[root] !== root) root = this.parent[root];
    while (this.parent[a] !== root) {
      // path compression
      const next = this.parent[a];
      this.parent[a] = root;
      a = next;
    }
    return root;
  }
  /** Join two classes; on a width conflict return [w_a, src_a, w_b, src_b]. */
  union(a: number, b: number): [number, number, number, number] | null {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return null;
    const wa = this.width[ra];
    const wb = this.width[rb];
    if (wa !== null && wb !== null && wa !== wb) return [wa, this.source[ra], wb, this.source[rb]];
    this.parent[rb] = ra;
    if (wa === null) {
      this.width[ra] = wb;
      this.source[ra] = this.source[rb];
    }
    return null;
  }
}
