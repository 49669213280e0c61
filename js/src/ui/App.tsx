// The page: header, canvas (>= 70% of the height), floating banners, bottom sheets.

import { ReactFlowProvider } from "@xyflow/react";
import { type KeyboardEvent, useEffect, useRef } from "react";
import { Canvas } from "../canvas/Canvas";
import { GRID } from "../geometry";
import { moveBlocks, removeElements } from "../state/design";
import type { Position } from "../types";
import { Banners } from "./Banner";
import { useStudio, useStudioContext } from "./context";
import { MetaSheet } from "./DesignSheets";
import { keepFromHost, useFocusHome } from "./focus";
import { Header } from "./Header";
import { Inspector } from "./Inspector";
import {
  CompareSheet,
  EvaluateSheets,
  History,
  RunSheets,
  SweepSheet,
  TrainSettingsSheet,
} from "./LazySheets";
import { Palette } from "./Palette";
import { ActionSheet, BootConflictSheet, ConflictSheet, DesignsSheet } from "./Sheets";
import { TrainingPanel } from "./training/TrainingPanel";

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

export function App({ fullscreen }: { fullscreen: boolean }) {
  const { controller } = useStudioContext();
  const store = controller.store;
  const appRef = useRef<HTMLDivElement>(null);
  useFocusHome(appRef);

  const deleteSelection = () => {
    const { selectedNodes, selectedEdges } = store.getState();
    store.edit((d) => removeElements(d, selectedNodes, selectedEdges));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const t = e.target as HTMLElement;
    if (t.closest("input, select, textarea")) return keepFromHost(e);
    const mod = e.ctrlKey || e.metaKey;
    let handled = true;
    if (mod && e.key.toLowerCase() === "z") {
      if (e.shiftKey) store.redo();
      else store.undo();
    } else if (mod && e.key.toLowerCase() === "y") {
      store.redo();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      deleteSelection();
    } else if (e.key in ARROWS && store.getState().selectedNodes.length) {
      const [dx, dy] = ARROWS[e.key];
      const sel = new Set(store.getState().selectedNodes);
      const moves = new Map<string, Position>();
      for (const c of store.design.components) {
        if (sel.has(c.id))
          moves.set(c.id, { x: c.position.x + dx * GRID, y: c.position.y + dy * GRID });
      }
      store.edit((d) => moveBlocks(d, moves));
    } else if (e.key === "Escape") {
      store.select([]);
      store.openSheet(null);
    } else {
      handled = false;
    }
    if (handled) {
      // Keep JupyterLab's own shortcuts (cell undo, arrows) out of the canvas.
      e.preventDefault();
      e.stopPropagation();
    } else {
      keepFromHost(e); // and JupyterLab's command-mode keys (A, B, D D, Shift+Enter) too
    }
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the studio's keyboard shortcuts, taken from whatever inside it has the focus
    <div
      ref={appRef}
      className={`ms-app${fullscreen ? " ms-full" : ""}`}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      <Header />
      {/* The canvas and the training panel: stacked on a phone, side by side when wide. */}
      <div className="ms-work">
        <main className="ms-canvas" data-testid="canvas" data-zoom="1">
          <ReactFlowProvider>
            <Canvas />
          </ReactFlowProvider>
          <Banners />
          <EdgeBar onDelete={deleteSelection} />
          <FitButton />
        </main>
        <TrainingPanel />
      </div>
      <Palette />
      <Inspector />
      <ActionSheet />
      <DesignsSheet />
      <ConflictSheet />
      <BootConflictSheet />
      <MetaSheet />
      <RunSheets />
      <History />
      <TrainSettingsSheet />
      <CompareSheet />
      <EvaluateSheets />
      <SweepSheet />
      <Toast />
    </div>
  );
}

function EdgeBar({ onDelete }: { onDelete: () => void }) {
  const edges = useStudio((s) => s.selectedEdges);
  const nodes = useStudio((s) => s.selectedNodes);
  if (!edges.length || nodes.length) return null;
  return (
    <div className="ms-edgebar" data-testid="edge-bar">
      <span>
        {edges.length === 1 ? `${edges[0][0]} → ${edges[0][1]}` : `${edges.length} connections`}
      </span>
      <button
        type="button"
        className="ms-btn ms-btn-danger"
        data-testid="edge-delete"
        onClick={onDelete}
      >
        Delete
      </button>
    </div>
  );
}

function FitButton() {
  const { canvas } = useStudioContext();
  return (
    <button
      type="button"
      className="ms-fab"
      aria-label="Fit to screen"
      data-testid="btn-fit"
      onClick={() => canvas.current?.fit()}
    >
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" />
      </svg>
    </button>
  );
}

function Toast() {
  const toast = useStudio((s) => s.toast);
  const { controller } = useStudioContext();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!toast) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => controller.store.set({ toast: null }), 3500);
  }, [toast, controller]);
  if (!toast) return null;
  // The live region wraps the button: a role on the button would hide that it is one.
  return (
    <div role="status">
      <button
        type="button"
        className={`ms-toast ms-toast-${toast.tone}`}
        data-testid="toast"
        aria-label={`${toast.text} (tap to dismiss)`}
        onClick={() => controller.store.set({ toast: null })}
      >
        {toast.text}
      </button>
    </div>
  );
}
