// The score chart's maths, without a DOM: clean the curve, thin it to what the pixels can
// show, pick round axis ticks, map to SVG path data.

export type Point = [number, number];

/** Finite [x, y] pairs in x order (a snapshot from an older kernel may hold nulls). */
export function cleanCurve(curve: unknown): Point[] {
  if (!Array.isArray(curve)) return [];
  const out: Point[] = [];
  for (const p of curve) {
    if (!Array.isArray(p) || p.length < 2) continue;
    const [x, y] = p;
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y))
      out.push([x, y]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return out;
}

/**
 * At most `max` points: the curve is cut into buckets by index and each keeps its lowest
 * and highest point (in x order), so spikes survive; the first and last points always do.
 */
export function downsample(points: Point[], max: number): Point[] {
  if (max < 4 || points.length <= max) return points.slice();
  const inner = points.slice(1, -1);
  const buckets = Math.floor((max - 2) / 2);
  const out: Point[] = [points[0]];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * inner.length) / buckets);
    const end = Math.floor(((b + 1) * inner.length) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (inner[i][1] < inner[lo][1]) lo = i;
      if (inner[i][1] > inner[hi][1]) hi = i;
    }
    if (lo === hi) out.push(inner[lo]);
    else out.push(inner[Math.min(lo, hi)], inner[Math.max(lo, hi)]);
  }
  out.push(points[points.length - 1]);
  return out;
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 x 10^n). */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface Box {
  width: number;
  height: number;
  /** Space for axis labels: left, right, top, bottom. */
  pad: [number, number, number, number];
}

export interface ChartGeometry {
  line: string;
  area: string;
  xTicks: { value: number; x: number }[];
  yTicks: { value: number; y: number }[];
  last: { x: number; y: number } | null;
}

/** SVG path data and ticks for `points` in `box` (y from 0 unless the curve is far above). */
export function chartGeometry(points: Point[], box: Box, maxPoints = 400): ChartGeometry {
  const [pl, pr, pt, pb] = box.pad;
  const w = Math.max(1, box.width - pl - pr);
  const h = Math.max(1, box.height - pt - pb);
  if (!points.length) return { line: "", area: "", xTicks: [], yTicks: [], last: null };
  const pts = downsample(points, maxPoints);
  const x0 = pts[0][0];
  const x1 = pts[pts.length - 1][0] > x0 ? pts[pts.length - 1][0] : x0 + 1;
  let y0 = Math.min(...pts.map((p) => p[1]));
  let y1 = Math.max(...pts.map((p) => p[1]));
  // Scores start near zero: anchor at 0 so growth reads as growth.
  if (y0 >= 0 && y0 < y1 * 0.6) y0 = 0;
  // Round the y range out to whole tick steps: a gridline at the top and the bottom.
  const first = niceTicks(y0, y1 === y0 ? y0 + 1 : y1, 3);
  const step = first.length > 1 ? first[1] - first[0] : 1;
  y0 = Math.floor(y0 / step + 1e-9) * step;
  y1 = Math.ceil((y1 === y0 ? y0 + step : y1) / step - 1e-9) * step;
  if (y1 <= y0) y1 = y0 + step;
  const yTickVals = niceTicks(y0, y1, Math.round((y1 - y0) / step));
  const sx = (x: number) => pl + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => pt + h - ((y - y0) / (y1 - y0)) * h;
  const coords = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
  const line = `M${coords.join("L")}`;
  const base = (pt + h).toFixed(1);
  const area = `${line}L${sx(pts[pts.length - 1][0]).toFixed(1)},${base}L${sx(x0).toFixed(1)},${base}Z`;
  const lastPt = pts[pts.length - 1];
  return {
    line,
    area,
    xTicks: niceTicks(x0, x1, 3)
      .filter((v) => v >= x0 && v <= x1)
      .map((value) => ({ value, x: sx(value) })),
    yTicks: yTickVals.map((value) => ({ value, y: sy(value) })),
    last: { x: sx(lastPt[0]), y: sy(lastPt[1]) },
  };
}

/** A sparkline: the polyline points of the curve in a w x h box (2 px inset). */
export function sparkPoints(points: Point[], width: number, height: number): string {
  if (points.length < 2) return "";
  const pts = downsample(points, Math.max(4, Math.floor(width)));
  const x0 = pts[0][0];
  const x1 = pts[pts.length - 1][0];
  const ys = pts.map((p) => p[1]);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const sx = (x: number) => 2 + ((x - x0) / (x1 - x0 || 1)) * (width - 4);
  const sy = (y: number) => height - 2 - ((y - y0) / (y1 - y0 || 1)) * (height - 4);
  return pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
}
