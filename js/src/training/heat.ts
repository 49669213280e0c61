// The MoE heat map's colour scale. An expert's usage is read against the uniform share
// 1/E: a balanced router paints every cell neutral, a starved expert blue, a hot one red.
// The scale is symmetric in log2(usage * E), clamped at 4x either way.

/** The catalog's type string of the MoE block: the one place the front end names it. */
export const MOE_TYPE = "moe_layer";

/** log2 of the ratio at which the colour saturates (2 -> 4x or 1/4 of the uniform share). */
export const HEAT_SATURATION = 2;

/** Diverging stops from cold (t = -1) through neutral (0) to hot (1). */
const STOPS: [number, [number, number, number]][] = [
  [-1, [33, 102, 172]],
  [-0.5, [103, 169, 207]],
  [0, [214, 219, 228]],
  [0.5, [239, 138, 98]],
  [1, [178, 24, 43]],
];

/** Position on the scale in [-1, 1] of `usage` among `n` experts. */
export function heatPosition(usage: number, n: number): number {
  if (!(n > 0) || !Number.isFinite(usage)) return 0;
  const ratio = Math.max(0, usage) * n;
  if (ratio === 0) return -1;
  return Math.max(-1, Math.min(1, Math.log2(ratio) / HEAT_SATURATION));
}

function mix(t: number): [number, number, number] {
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, c1] = STOPS[i];
    if (t <= t1) {
      const [t0, c0] = STOPS[i - 1];
      const f = (t - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + (c1[k] - c0[k]) * f)) as [
        number,
        number,
        number,
      ];
    }
  }
  return STOPS[STOPS.length - 1][1];
}

/** The cell colour (CSS rgb()) of an expert with `usage` among `n`. */
export function heatColor(usage: number, n: number): string {
  const [r, g, b] = mix(heatPosition(usage, n));
  return `rgb(${r}, ${g}, ${b})`;
}

/** The legend's gradient, cold to hot. */
export function heatGradient(): string {
  return `linear-gradient(90deg, ${STOPS.map(([t, [r, g, b]]) => `rgb(${r}, ${g}, ${b}) ${((t + 1) * 50).toFixed(0)}%`).join(", ")})`;
}

export interface HeatCell {
  expert: number;
  usage: number;
  color: string;
  /** For the tooltip: "Expert 2: 31.2% (1.25x uniform)". */
  label: string;
}

export function heatCells(usage: unknown): HeatCell[] {
  if (!Array.isArray(usage)) return [];
  const vals = usage.map((u) => (typeof u === "number" && Number.isFinite(u) ? u : 0));
  const n = vals.length;
  return vals.map((u, i) => ({
    expert: i,
    usage: u,
    color: heatColor(u, n),
    label: `Expert ${i + 1}: ${(u * 100).toFixed(1)}% (${(u * n).toFixed(2)}x uniform)`,
  }));
}

/** The load-balance term as shown on a block: 3 significant digits. */
export function formatLb(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  return Math.abs(v) < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}
