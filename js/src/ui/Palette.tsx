// The palette: a strip of block chips along the bottom. Tap a chip to add the block at
// the centre of the view, or drag it out onto the canvas (pointer events: HTML5
// drag-and-drop does not fire on touch). Built from the catalog alone.
import {
  type CSSProperties,
  type PointerEvent as ReactPointerEvent,
  useRef,
  useState,
} from "react";
import { BLOCK_H, BLOCK_W } from "../geometry";
import { addBlock } from "../state/design";
import type { BlockSpec, Position } from "../types";
import { useStudio, useStudioContext } from "./context";

const DRAG_START_PX = 8;

interface Drag {
  spec: BlockSpec;
  pointer: number;
  x0: number;
  y0: number;
  x: number;
  y: number;
  /** The studio's top-left corner on screen: the ghost is placed inside the studio. */
  left: number;
  top: number;
  active: boolean;
}

/** The studio's corner on screen (a notebook scrolls it; fixed positioning would be
 * relative to JupyterLab's transformed panels, not the page). */
function origin(el: Element): { left: number; top: number } {
  const r = el.closest(".ms-app")?.getBoundingClientRect();
  return { left: r?.left ?? 0, top: r?.top ?? 0 };
}

export function Palette() {
  const { controller, canvas } = useStudioContext();
  const store = controller.store;
  const catalog = useStudio((s) => s.catalog);
  const [drag, setDrag] = useState<Drag | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const suppressClick = useRef(false);

  const add = (type: string, at: Position) => {
    const cat = store.getState().catalog;
    if (!cat) return;
    // Not selected: the inspector would cover the palette while adding several blocks.
    store.edit((d) => addBlock(d, cat, type, at).design);
  };

  const addAtCentre = (spec: BlockSpec) => {
    if (suppressClick.current) {
      suppressClick.current = false;
      return;
    }
    const c = canvas.current?.centre() ?? { x: 0, y: 0 };
    add(spec.type, { x: c.x - BLOCK_W / 2, y: c.y - BLOCK_H / 2 });
  };

  const update = (d: Drag | null) => {
    dragRef.current = d;
    setDrag(d);
  };

  const onPointerDown = (spec: BlockSpec) => (e: ReactPointerEvent<HTMLButtonElement>) => {
    if (e.button > 0) return;
    update({
      spec,
      pointer: e.pointerId,
      x0: e.clientX,
      y0: e.clientY,
      x: e.clientX,
      y: e.clientY,
      ...origin(e.currentTarget),
      active: false,
    });
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLButtonElement>) => {
    const d = dragRef.current;
    if (!d || d.pointer !== e.pointerId) return;
    const dx = e.clientX - d.x0;
    const dy = e.clientY - d.y0;
    let active = d.active;
    if (!active && Math.hypot(dx, dy) > DRAG_START_PX) {
      // A finger: upward means "out of the strip", sideways is the strip's own scrolling.
      // A mouse does not scroll the strip by dragging: any direction drags the block.
      if (e.pointerType === "mouse" || -dy > Math.abs(dx)) {
        active = true;
        e.currentTarget.setPointerCapture(e.pointerId);
      } else {
        update(null);
        return;
      }
    }
    update({ ...d, x: e.clientX, y: e.clientY, ...origin(e.currentTarget), active });
  };
  const onPointerUp = (e: ReactPointerEvent<HTMLButtonElement>) => {
    const d = dragRef.current;
    update(null);
    if (!d?.active || d.pointer !== e.pointerId) return;
    suppressClick.current = true;
    setTimeout(() => (suppressClick.current = false), 400);
    const at = canvas.current?.toCanvas(e.clientX, e.clientY);
    if (at) add(d.spec.type, { x: at.x - BLOCK_W / 2, y: at.y - BLOCK_H / 2 });
  };

  if (!catalog) return null;
  return (
    <>
      <nav className="ms-palette" data-testid="palette" aria-label="Blocks">
        {catalog.blocks.map((spec) => (
          <button
            type="button"
            key={spec.type}
            className="ms-chip"
            data-testid={`palette-item-${spec.type}`}
            style={{ "--c": spec.color } as CSSProperties}
            title={spec.doc}
            onClick={() => addAtCentre(spec)}
            onPointerDown={onPointerDown(spec)}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={() => update(null)}
          >
            <span className="ms-chip-swatch" />
            {spec.label}
          </button>
        ))}
      </nav>
      {drag?.active && (
        <div
          className="ms-ghost"
          style={
            {
              left: drag.x - drag.left,
              top: drag.y - drag.top,
              "--c": drag.spec.color,
            } as CSSProperties
          }
        >
          {drag.spec.label}
        </div>
      )}
    </>
  );
}
