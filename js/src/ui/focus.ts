// Keyboard and focus inside a host page (a JupyterLab notebook): while the studio has the
// focus its keystrokes are its own, and the focus does not fall out of it when the element
// that held it goes away (a deleted block, a closed sheet).
import { type RefObject, useEffect } from "react";

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * Does the host page still get this keystroke when the studio did not use it? Plain keys
 * (letters, Enter, Escape, arrows, Delete, Shift+Enter) are JupyterLab's command-mode
 * shortcuts on the cell around us (A, B, D D, X, M, Shift+Enter re-runs it): never.
 * Ctrl/Cmd/Alt chords are the application's (save, command palette, sidebars): yes,
 * except Ctrl/Alt+Enter, which run the cell.
 */
export function hostMayHave(e: KeyLike): boolean {
  return (e.ctrlKey || e.metaKey || e.altKey) && e.key !== "Enter";
}

/** Call for a keystroke the studio did not handle itself. */
export function keepFromHost(e: KeyLike & { stopPropagation(): void }): void {
  if (!hostMayHave(e)) e.stopPropagation();
}

/** Keys whose edit may take the focused block away: Delete, Backspace, undo, redo. */
export function mayRemove(e: KeyLike): boolean {
  const k = e.key.toLowerCase();
  return (
    k === "delete" || k === "backspace" || ((e.ctrlKey || e.metaKey) && (k === "z" || k === "y"))
  );
}

/**
 * After a keystroke or a click inside `ref`, if the element that had the focus is gone
 * (the block just deleted, the sheet just closed) and the focus fell to the page body,
 * give it back to `ref` (which must be focusable, e.g. tabIndex -1). Without this the
 * next Ctrl+Z would go to the notebook instead of the canvas.
 */
export function useFocusHome(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const home = ref.current;
    if (!home) return;
    let frame = 0;
    // A key that may remove the focused block or edge (Delete, undo, redo): move the focus
    // home first, so the very next key (Ctrl+Z at once) still lands here.
    const before = (e: KeyboardEvent) => {
      const active = document.activeElement;
      if (
        mayRemove(e) &&
        active instanceof Element &&
        active.closest(".react-flow__node, .react-flow__edge")
      ) {
        home.focus({ preventScroll: true });
      }
    };
    const check = (e: Event) => {
      const from = document.activeElement;
      const target = e.target;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const now = document.activeElement;
        if (now && now !== document.body) return;
        const lost =
          (from instanceof Element && !from.isConnected) ||
          (target instanceof Element && !target.isConnected);
        if (lost && home.isConnected) home.focus({ preventScroll: true });
      });
    };
    home.addEventListener("keydown", before, true);
    home.addEventListener("keydown", check);
    home.addEventListener("click", check);
    return () => {
      cancelAnimationFrame(frame);
      home.removeEventListener("keydown", before, true);
      home.removeEventListener("keydown", check);
      home.removeEventListener("click", check);
    };
  }, [ref]);
}
