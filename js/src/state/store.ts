// The page's state in one place: the design with its history (the document), the view
// state around it (selection, open sheet) and what the kernel and the worker said.
// Plain TypeScript (no React), so the rules of editing are testable in node.

import type { ActionError, ActionName, CompileResult } from "../training/actions";
import type { Metrics } from "../training/metrics";
import type {
  Catalog,
  Design,
  DesignMeta,
  DocState,
  Edge,
  StatusState,
  ValidationResult,
} from "../types";
import { edgeKey, emptyDesign } from "./design";
import { canRedo, canUndo, type History, initHistory, push, redo, undo } from "./history";

export type Sheet =
  | null
  | "palette"
  | "designs"
  | "actions"
  | "conflict"
  | "meta"
  // The experiment loop: each sheet reads what it shows from the fields below.
  | "train-settings"
  | "runs"
  | "run"
  | "confirm-delete-run"
  | "compare"
  | "history"
  | "evaluate"
  | "watch"
  | "sweep"
  // A design edited while the page was connecting, and the kernel's changed meanwhile.
  | "boot-conflict";
export type WorkerState = "starting" | "ok" | "failed";

export interface Toast {
  id: number;
  text: string;
  tone: "info" | "error";
}

export interface StudioState {
  catalog: Catalog | null;
  history: History<Design>;
  /** Bumped on every change of the present design (edits, undo, redo, loads). */
  seq: number;
  selectedNodes: string[];
  selectedEdges: Edge[];
  /** The block whose action sheet is open (long-press). */
  actionTarget: string | null;
  sheet: Sheet;
  local: ValidationResult | null;
  kernel: ValidationResult | null;
  worker: WorkerState;
  doc: DocState;
  designs: DesignMeta[];
  status: StatusState;
  toast: Toast | null;
  /** The latest complete training snapshot (the kernel's `metrics` trait). */
  metrics: Metrics | null;
  compileResult: CompileResult | null;
  /** The toolbar action waiting for its reply. */
  pending: ActionName | null;
  /** The last failed toolbar action (shown in the status line until dismissed). */
  actionError: ActionError | null;
  /** The key of the error the user dismissed. */
  dismissedError: string | null;
  /** The training panel is expanded (on a phone: the bottom sheet is up). */
  panelOpen: boolean;
  /** Runs ticked in the runs sheet for comparison (2 to 6), in the order ticked. */
  selectedRuns: string[];
  /** The run the run sheet (and its evaluate / watch sheets) is about. */
  openRun: string | null;
  /** The revision shown read-only on the canvas from the history sheet (null: none). */
  viewedRevision: number | null;
  /** The kernel's widget is connected (false while a page booted from its HTML waits). */
  connected: boolean;
  /** The design edited while connecting, held back for the user to choose (boot-conflict). */
  heldDesign: Design | null;
}

export const initialDoc: DocState = {
  design_id: null,
  name: "",
  revision: 0,
  saved_at: null,
  conflict: null,
  load_seq: 0,
};

export const initialStatus: StatusState = {
  state: "idle",
  message: "",
  request_id: null,
  error: null,
};

type Listener = () => void;

export class StudioStore {
  private state: StudioState;
  private listeners = new Set<Listener>();
  private toastCounter = 0;

  constructor(init: Partial<StudioState> = {}) {
    this.state = {
      catalog: null,
      history: initHistory(emptyDesign()),
      seq: 0,
      selectedNodes: [],
      selectedEdges: [],
      actionTarget: null,
      sheet: null,
      local: null,
      kernel: null,
      worker: "starting",
      doc: initialDoc,
      designs: [],
      status: initialStatus,
      toast: null,
      metrics: null,
      compileResult: null,
      pending: null,
      actionError: null,
      dismissedError: null,
      panelOpen: false,
      selectedRuns: [],
      openRun: null,
      viewedRevision: null,
      connected: true,
      heldDesign: null,
      ...init,
    };
  }

  getState = (): StudioState => this.state;

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  set(patch: Partial<StudioState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }

  get design(): Design {
    return this.state.history.present;
  }

  /** Apply an edit as one undo step. Returns false when the edit changed nothing. What it
   * removed leaves the selection (the edge bar would offer a deleted edge otherwise). */
  edit(fn: (d: Design) => Design): boolean {
    const { history, seq } = this.state;
    const next = fn(history.present);
    if (next === history.present) return false;
    this.set({ history: push(history, next), seq: seq + 1, ...this.pruneSelection(next) });
    return true;
  }

  undo(): void {
    const { history, seq } = this.state;
    if (!canUndo(history)) return;
    this.set({
      history: undo(history),
      seq: seq + 1,
      ...this.pruneSelection(undo(history).present),
    });
  }

  redo(): void {
    const { history, seq } = this.state;
    if (!canRedo(history)) return;
    this.set({
      history: redo(history),
      seq: seq + 1,
      ...this.pruneSelection(redo(history).present),
    });
  }

  /** Replace the document (opened, created, or the kernel's copy won): history restarts. */
  load(design: Design, seq = this.state.seq + 1): void {
    this.set({
      history: initHistory(design),
      seq,
      selectedNodes: [],
      selectedEdges: [],
      actionTarget: null,
      local: null,
    });
  }

  select(nodes: string[], edges: Edge[] = []): void {
    const s = this.state;
    if (sameList(s.selectedNodes, nodes) && sameEdges(s.selectedEdges, edges)) return;
    this.set({ selectedNodes: nodes, selectedEdges: edges });
  }

  openSheet(sheet: Sheet, actionTarget: string | null = null): void {
    this.set({ sheet, actionTarget });
  }

  toast(text: string, tone: Toast["tone"] = "info"): void {
    this.set({ toast: { id: ++this.toastCounter, text, tone } });
  }

  /** The selection without what `d` lacks (the same arrays when it lacks nothing). */
  private pruneSelection(d: Design): Partial<StudioState> {
    const { selectedNodes, selectedEdges } = this.state;
    const ids = new Set(d.components.map((c) => c.id));
    const edges = new Set(d.edges.map(([a, b]) => edgeKey(a, b)));
    const nodes = selectedNodes.filter((id) => ids.has(id));
    const kept = selectedEdges.filter(([a, b]) => edges.has(edgeKey(a, b)));
    return {
      selectedNodes: nodes.length === selectedNodes.length ? selectedNodes : nodes,
      selectedEdges: kept.length === selectedEdges.length ? selectedEdges : kept,
    };
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameEdges(a: Edge[], b: Edge[]): boolean {
  return a.length === b.length && a.every((e, i) => e[0] === b[i][0] && e[1] === b[i][1]);
}
