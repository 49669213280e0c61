// React access to the controller and its store.
import { createContext, useContext, useSyncExternalStore } from "react";
import type { StudioController } from "../kernel/controller";
import type { StudioState } from "../state/store";
import type { Position } from "../types";

/** What the canvas offers the rest of the page (set by the canvas once it is mounted). */
export interface CanvasApi {
  /** The canvas point at the centre of the visible canvas. */
  centre(): Position;
  /** A screen point in canvas coordinates, or null when it is not over the canvas. */
  toCanvas(clientX: number, clientY: number): Position | null;
  fit(): void;
}

export interface Studio {
  controller: StudioController;
  canvas: { current: CanvasApi | null };
}

export const StudioContext = createContext<Studio | null>(null);

export function useStudioContext(): Studio {
  const s = useContext(StudioContext);
  if (!s) throw new Error("Model Studio context missing");
  return s;
}

/** Subscribe to a slice of the state; re-renders only when the slice changes (Object.is). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  const { controller } = useStudioContext();
  const store = controller.store;
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
