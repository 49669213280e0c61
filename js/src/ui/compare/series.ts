// The compare sheet's data, without a DOM: the kernel's comparison (compare_runs), the
// overlaid series on one shared x axis (uPlot's aligned data), the final-numbers table and
// the "what differs" lines.
import type { DesignDiff } from "../../state/diff";
import { formatCompact, formatElapsed, formatInt } from "../../training/metrics";
import { formatDuration, formatRate } from "../runs/format";

export type XAxis = "moves" | "minutes";

/** [moves, mean score, seconds of training] */
export type CurvePoint = [number, number, number];

export interface RunMetrics {
  moves: number;
  duration_s: number;
  mean_score: number | null;
  best_score: number | null;
  tile_rates: Record<string, number | null>;
  /** The run's latest evaluation (the evaluate sheet's), if it has one. */
  evaluation?: { mean_score?: number; se?: number; games?: number } | null;
}

export interface ComparedRun {
  id: string;
  /** The run in the legend: its design's name, then its tag. */
  label: string;
  /** What tells runs of one design apart: "rev 3 · 8b59" (revision, the id's end). */
  tag: string;
  design_id: string | null;
  design_name: string;
  revision: number | null;
  status: string;
  curve: CurvePoint[];
  metrics: RunMetrics;
}

export interface Difference {
  run_id: string;
  base_run_id: string;
  design: DesignDiff;
  settings: Record<string, [unknown, unknown]>;
}

export interface Comparison {
  runs: ComparedRun[];
  differences: Difference[];
}

/** One colour per run, distinct on the dark and the light theme (at most 6 runs). */
export const RUN_COLOURS = ["#818cf8", "#34d399", "#fbbf24", "#f472b6", "#38bdf8", "#fb923c"];

export function runColour(index: number): string {
  return RUN_COLOURS[index % RUN_COLOURS.length];
}

/** Where a point lies on each x axis: moves, or seconds of training (shown as a clock:
 * uPlot's tick steps must be whole numbers of the unit to round well). */
const X_OF: Record<XAxis, (p: CurvePoint) => number> = {
  moves: (p) => p[0],
  minutes: (p) => p[2],
};

/**
 * The runs' curves on one x axis: the sorted union of their x values, and per run its
 * score at each of them: where the run has no point of its own but runs on both sides, the
 * value on its line between them (so the legend reads a value under the finger for every
 * run that spans it); outside a run's span, null. This is uPlot's aligned data, `[xs, ...ys]`.
 */
export function alignSeries(runs: ComparedRun[], axis: XAxis): [number[], ...(number | null)[][]] {
  const x = X_OF[axis];
  const perRun = runs.map((r) => {
    const byX = new Map<number, number>();
    for (const p of r.curve) {
      if (Array.isArray(p) && p.every((v) => typeof v === "number" && Number.isFinite(v)))
        byX.set(x(p), p[1]);
    }
    return [...byX].sort((a, b) => a[0] - b[0]);
  });
  const xs = [...new Set(perRun.flatMap((pts) => pts.map((p) => p[0])))].sort((a, b) => a - b);
  return [xs, ...perRun.map((pts) => onLine(pts, xs))];
}

/** A polyline's values at the sorted `xs` (null outside its span). */
function onLine(pts: [number, number][], xs: number[]): (number | null)[] {
  let i = 0;
  return xs.map((v) => {
    if (!pts.length || v < pts[0][0] || v > pts[pts.length - 1][0]) return null;
    while (pts[i][0] < v) i++;
    const [x1, y1] = pts[i];
    if (x1 === v) return y1;
    const [x0, y0] = pts[i - 1];
    return y0 + ((y1 - y0) * (v - x0)) / (x1 - x0);
  });
}

/** The number of runs with at least one point (the curves actually drawn). */
export function drawnCurves(runs: ComparedRun[]): number {
  return runs.filter((r) => r.curve.length > 0).length;
}

/** A value on the x axis: moves as 12.3k, training time as a clock ("45 s", "3:07"). */
export function formatX(axis: XAxis, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return axis === "moves" ? formatCompact(v) : formatElapsed(Math.round(v));
}

/** Tick steps of the time axis, in seconds: round on a clock. */
export const TIME_TICK_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400,
];

export const METRIC_COLUMNS = [
  "Mean",
  "Best",
  "Moves",
  "Time",
  "512",
  "1024",
  "2048",
  "Evaluated",
] as const;

function evaluated(e: RunMetrics["evaluation"]): string {
  if (!e || typeof e.mean_score !== "number") return "–";
  return typeof e.se === "number"
    ? `${formatInt(e.mean_score)} ± ${formatInt(e.se)}`
    : formatInt(e.mean_score);
}

/** A run's row of the final-numbers table, cell by cell as METRIC_COLUMNS names them. */
export function metricCells(m: RunMetrics): string[] {
  const rate = (t: string) => formatRate(m.tile_rates?.[t]);
  return [
    formatInt(m.mean_score),
    formatInt(m.best_score),
    formatCompact(m.moves),
    formatDuration(m.duration_s),
    rate("512"),
    rate("1024"),
    rate("2048"),
    evaluated(m.evaluation),
  ];
}

function shown(v: unknown): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return String(Number(v.toPrecision(6)));
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function change(name: string, [a, b]: [unknown, unknown]): string {
  return `${name}: ${shown(a)} → ${shown(b)}`;
}

/**
 * What differs from the first run to another, one line each: blocks added and removed,
 * a block's type and props, edges, design settings, then the run's settings. A block that
 * only moved is no difference of meaning and is left out, and so is the design's own
 * "training" entry: the run's settings say what it really trained with.
 */
export function differenceLines(d: Difference): string[] {
  const design = d.design;
  const lines: string[] = [];
  for (const id of design.added) lines.push(`+ block ${id}`);
  for (const id of design.removed) lines.push(`− block ${id}`);
  for (const [id, c] of Object.entries(design.changed)) {
    if (c.type) lines.push(change(`${id} type`, c.type));
    for (const [prop, values] of Object.entries(c.props))
      lines.push(change(`${id}.${prop}`, values));
  }
  for (const [s, t] of design.edges_added) lines.push(`+ edge ${s} → ${t}`);
  for (const [s, t] of design.edges_removed) lines.push(`− edge ${s} → ${t}`);
  for (const [name, values] of Object.entries(design.meta)) lines.push(change(name, values));
  for (const [name, values] of Object.entries(d.settings)) lines.push(change(name, values));
  return lines;
}
