// Touch gestures React Flow does not give us (FINDINGS, measured on phones):
// - a two-finger pinch that starts on a block or an edge (stock React Flow ignores it);
// - long-press (~500 ms, own timer: no contextmenu event on touch holds).
import { pinchViewport, type Viewport } from "../geometry";

const ITEM = ".react-flow__node, .react-flow__edge";

function onItem(t: Touch): boolean {
  return t.target instanceof Element && t.target.closest(ITEM) !== null;
}

/**
 * Pinch-zoom for pinches with a finger on a block or an edge. Capture-phase listeners on
 * the canvas wrapper take such a gesture away from React Flow and set the viewport
 * themselves, once per animation frame. Pinches on the bare canvas stay with React Flow.
 */
export function installPinchOnItems(
  el: HTMLElement,
  getViewport: () => Viewport,
  setViewport: (v: Viewport) => void,
): () => void {
  let pinch: { start: Viewport; m0: { x: number; y: number }; d0: number } | null = null;
  let next: Viewport | null = null;
  let frame = 0;

  const measure = (e: TouchEvent) => {
    const r = el.getBoundingClientRect();
    const [a, b] = [e.touches[0], e.touches[1]];
    return {
      m: { x: (a.clientX + b.clientX) / 2 - r.left, y: (a.clientY + b.clientY) / 2 - r.top },
      d: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY),
    };
  };

  const start = (e: TouchEvent) => {
    if (e.touches.length !== 2 || !Array.from(e.touches).some(onItem)) return;
    const { m, d } = measure(e);
    pinch = { start: getViewport(), m0: m, d0: d };
    e.stopPropagation();
    e.preventDefault();
  };
  const move = (e: TouchEvent) => {
    if (!pinch) return;
    e.stopPropagation();
    e.preventDefault();
    if (e.touches.length < 2) return;
    const { m, d } = measure(e);
    next = pinchViewport(pinch.start, pinch.m0, pinch.d0, m, d);
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (next) setViewport(next);
      });
    }
  };
  const end = (e: TouchEvent) => {
    if (pinch && e.touches.length < 2) pinch = null;
  };

  const opts = { capture: true, passive: false } as const;
  el.addEventListener("touchstart", start, opts);
  el.addEventListener("touchmove", move, opts);
  el.addEventListener("touchend", end, true);
  el.addEventListener("touchcancel", end, true);
  return () => {
    cancelAnimationFrame(frame);
    el.removeEventListener("touchstart", start, opts);
    el.removeEventListener("touchmove", move, opts);
    el.removeEventListener("touchend", end, true);
    el.removeEventListener("touchcancel", end, true);
  };
}

export const LONG_PRESS_MS = 500;
const SLOP_PX = 10;

/**
 * Long-press on a block: `onLongPress(id)` after LONG_PRESS_MS without movement, a second
 * finger or a release; the click that follows the release is swallowed.
 */
export function installLongPress(el: HTMLElement, onLongPress: (id: string) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let origin: { x: number; y: number; pointer: number } | null = null;
  let swallowUntil = 0;

  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    origin = null;
  };
  const down = (e: PointerEvent) => {
    if (timer || !e.isPrimary || e.button > 0) {
      cancel(); // a second finger: a pinch, not a press
      return;
    }
    const node =
      e.target instanceof Element ? e.target.closest<HTMLElement>(".react-flow__node") : null;
    const id = node?.dataset.id;
    if (!id || (e.target as Element).closest(".react-flow__handle")) return;
    origin = { x: e.clientX, y: e.clientY, pointer: e.pointerId };
    timer = setTimeout(() => {
      timer = null;
      origin = null;
      swallowUntil = performance.now() + 1000;
      onLongPress(id);
    }, LONG_PRESS_MS);
  };
  const move = (e: PointerEvent) => {
    if (
      origin &&
      e.pointerId === origin.pointer &&
      Math.hypot(e.clientX - origin.x, e.clientY - origin.y) > SLOP_PX
    )
      cancel();
  };
  const click = (e: MouseEvent) => {
    if (performance.now() < swallowUntil) {
      swallowUntil = 0;
      e.stopPropagation();
      e.preventDefault();
    }
  };
  const menu = (e: Event) => e.preventDefault();

  el.addEventListener("pointerdown", down, true);
  el.addEventListener("pointermove", move, true);
  el.addEventListener("pointerup", cancel, true);
  el.addEventListener("pointercancel", cancel, true);
  // The click after the release lands on whatever is under the finger by then (the
  // action sheet's scrim), so it is swallowed window-wide.
  window.addEventListener("click", click, true);
  el.addEventListener("contextmenu", menu);
  return () => {
    cancel();
    el.removeEventListener("pointerdown", down, true);
    el.removeEventListener("pointermove", move, true);
    el.removeEventListener("pointerup", cancel, true);
    el.removeEventListener("pointercancel", cancel, true);
    window.removeEventListener("click", click, true);
    el.removeEventListener("contextmenu", menu);
  };
}
