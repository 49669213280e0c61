// Pure numbers of the canvas: grid, zoom bounds, pinch maths.

export const GRID = 32;
export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 2;
/** Below this zoom blocks draw as plain coloured rectangles. */
export const LOD_ZOOM = 0.4;
/** Below this zoom a card drops its second line (under ~7 px on screen: unreadable, and
 * text is what a card costs to paint). */
export const SUBLINE_ZOOM = 0.6;

export type Detail = "rect" | "title" | "full";

/** A React Flow store selector: is the view zoomed out to plain rectangles? */
export const isLod = (s: { transform: [number, number, number] }) => s.transform[2] < LOD_ZOOM;

/** How much of a card to draw at zoom `z`. */
export function detailAt(z: number): Detail {
  return z < LOD_ZOOM ? "rect" : z < SUBLINE_ZOOM ? "title" : "full";
}
/** A block card's size in canvas units (a whole number of grid steps). */
export const BLOCK_W = 224;
export const BLOCK_H = 64;

export function snap(v: number, grid = GRID): number {
  return Math.round(v / grid) * grid;
}

export function snapPoint(p: { x: number; y: number }, grid = GRID): { x: number; y: number } {
  return { x: snap(p.x, grid), y: snap(p.y, grid) };
}

/**
 * The zoom rounded down to a quarter-octave step (…, 0.71, 0.84, 1, 1.19, …). Styles keyed
 * to the zoom (port touch targets) follow the step, not every frame of a pinch; rounding
 * down errs on the side of larger targets (at most 19% larger than asked).
 */
export function zoomStep(z: number): number {
  if (!Number.isFinite(z) || z <= 0) return 1;
  return Number((2 ** (Math.floor(Math.log2(z) * 4 + 1e-9) / 4)).toFixed(4));
}

/**
 * The step to use at zoom `z` when `current` is in use: it stays while `z` is within
 * [0.97, 1.25) of it (port targets are sized for 0.97 of the step, so they stay >= 44 px),
 * so hovering around a step boundary (zoom 1, where fitView lands) does not restyle the
 * canvas on every gesture.
 */
export function nextZoomStep(current: number | null, z: number): number {
  if (current !== null && z >= current * 0.97 && z < current * 1.25) return current;
  return zoomStep(z);
}

export function clampZoom(z: number, min = MIN_ZOOM, max = MAX_ZOOM): number {
  if (!Number.isFinite(z)) return min;
  return Math.min(max, Math.max(min, z));
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The viewport after a pinch: the canvas point under the start midpoint `m0` ends under
 * the current midpoint `m1`, and the zoom scales by d1/d0 (clamped).
 */
export function pinchViewport(
  start: Viewport,
  m0: { x: number; y: number },
  d0: number,
  m1: { x: number; y: number },
  d1: number,
): Viewport {
  const zoom = clampZoom(start.zoom * (d0 > 0 ? d1 / d0 : 1));
  const cx = (m0.x - start.x) / start.zoom;
  const cy = (m0.y - start.y) / start.zoom;
  return { x: m1.x - cx * zoom, y: m1.y - cy * zoom, zoom };
}

/** The most a port's touch target reaches out of its card, in canvas units (CSS caps it). */
export const PORT_REACH_CAP = 130;

export interface PortRoom {
  /** Canvas units above the card's top edge its input port's target may take. */
  up?: number;
  /** Canvas units below the card's bottom edge its output port's target may take. */
  down?: number;
}

/**
 * The room each card's port targets may take: half the gap to the nearest card straight
 * above or below it, so two facing targets split the gap (the later card's would cover
 * the earlier's otherwise). Absent where no card is within reach.
 */
export function portRooms(
  cards: readonly { id: string; position: { x: number; y: number } }[],
  w = BLOCK_W,
  h = BLOCK_H,
): Map<string, PortRoom> {
  const rooms = new Map<string, PortRoom>();
  const near = (id: string, side: keyof PortRoom, room: number) => {
    const r = rooms.get(id) ?? {};
    const current = r[side];
    if (current === undefined || room < current) r[side] = room;
    rooms.set(id, r);
  };
  // Sweep by x: only cards less than a card's width apart can face each other.
  const byX = [...cards].sort((a, b) => a.position.x - b.position.x);
  for (let i = 0; i < byX.length; i++) {
    const a = byX[i];
    for (let j = i + 1; j < byX.length && byX[j].position.x - a.position.x < w; j++) {
      const b = byX[j];
      const [upper, lower] = a.position.y <= b.position.y ? [a, b] : [b, a];
      const room = Math.max(0, (lower.position.y - (upper.position.y + h)) / 2);
      if (room >= PORT_REACH_CAP) continue;
      near(upper.id, "down", room);
      near(lower.id, "up", room);
    }
  }
  return rooms;
}

/**
 * How far to move the view (screen px) so that a block (canvas units) shows inside the
 * area from the top-left of the canvas to `area`: centred across when less than half of
 * it is in, its bottom edge at the area's bottom when below, a grid step from the top
 * when above.
 */
export function revealShift(
  block: { x: number; y: number; w: number; h: number },
  view: Viewport,
  area: { width: number; height: number },
): { x: number; y: number } {
  const left = block.x * view.zoom + view.x;
  const right = (block.x + block.w) * view.zoom + view.x;
  const top = block.y * view.zoom + view.y;
  const bottom = (block.y + block.h) * view.zoom + view.y;
  const shown = Math.min(right, area.width) - Math.max(left, 0);
  const x = shown < (right - left) / 2 ? area.width / 2 - (left + right) / 2 : 0;
  const y = bottom > area.height ? area.height - bottom : top < 0 ? GRID - top : 0;
  return { x: Math.round(x), y: Math.round(y) };
}
