// The training snapshot the kernel publishes (the `metrics` trait, training/manager.py):
// always complete, at most 5 per second. Read defensively: an idle kernel sends `{}` and a
// page attached to another kernel's run gets the stored rows, which may lack fields.

export interface Losses {
  policy?: number | null;
  value?: number | null;
  entropy?: number | null;
  aux?: number | null;
  load_balance?: number | null;
  approx_kl?: number | null;
  clipfrac?: number | null;
  explained_variance?: number | null;
  [name: string]: number | null | undefined;
}

export interface Metrics {
  state?: string;
  run_id?: string | null;
  design_id?: string | null;
  seq?: number;
  update?: number;
  global_step?: number;
  env_steps_per_second?: number | null;
  episodes?: number;
  mean_score?: number | null;
  /** Mean score of the games still in play (until one finishes, the only score there is). */
  playing_score?: number | null;
  best_score?: number;
  max_tile_rates?: Record<string, number>;
  score_curve?: [number, number][];
  losses?: Losses;
  /** lb_loss: the mean load-balancing loss; rows stored before the rename call it lb_reward. */
  moe?: {
    expert_usage?: Record<string, number[]>;
    lb_loss?: number | null;
    lb_reward?: number | null;
  };
  board?: number[] | null;
  elapsed_s?: number;
  error?: string | null;
  attached?: boolean;
  /** On the snapshot that ends a run: how it ended (stopped, finished, failed). */
  status?: string;
}

/** A run exists (training now, or finished in this session): the panel shows it. */
export function hasRun(m: Metrics | null | undefined): m is Metrics & { run_id: string } {
  return !!m && typeof m.run_id === "string" && m.run_id.length > 0;
}

export function isLive(m: Metrics | null | undefined): boolean {
  return !!m && (m.state === "training" || m.state === "stopping");
}

/** The load-balancing loss of a snapshot, whichever name its row gives it. */
export const lbLoss = (moe: Metrics["moe"]): number | null | undefined =>
  moe?.lb_loss ?? moe?.lb_reward;

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** 1234567 -> "1,234,567"; missing -> "–". */
export function formatInt(v: unknown): string {
  return finite(v) ? Math.round(v).toLocaleString("en-US") : "–";
}

/** Compact counts: 950, 12.3k, 4.56M. */
export function formatCompact(v: unknown): string {
  if (!finite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toFixed(a >= 1e8 ? 0 : 2))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toFixed(a >= 1e5 ? 0 : 1))}k`;
  return formatInt(v);
}

/** Seconds as 42 s, 3:07, 1:02:09. */
export function formatElapsed(s: unknown): string {
  if (!finite(s) || s < 0) return "–";
  const t = Math.floor(s);
  if (t < 60) return `${t} s`;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Losses and small statistics: 4 significant digits, tiny values in exponent form. */
export function formatStat(v: unknown): string {
  if (!finite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

export function formatPercent(p: unknown): string {
  if (!finite(p)) return "–";
  const v = p * 100;
  if (v > 0 && v < 0.1) return "<0.1%";
  return `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)}%`;
}

/** Max-tile rates in tile order (the kernel's keys are strings: "256", "512", ...). */
export function tileRates(m: Metrics | null | undefined): { tile: number; rate: number }[] {
  const rates = m?.max_tile_rates ?? {};
  return Object.entries(rates)
    .map(([k, v]) => ({ tile: Number(k), rate: finite(v) ? Math.min(1, Math.max(0, v)) : 0 }))
    .filter((r) => Number.isFinite(r.tile))
    .sort((a, b) => a.tile - b.tile);
}

/** The losses shown, in a fixed order; absent ones are skipped. */
export const LOSS_ORDER: { key: string; label: string }[] = [
  { key: "policy", label: "Policy" },
  { key: "value", label: "Value" },
  { key: "entropy", label: "Entropy" },
  { key: "aux", label: "Aux" },
  { key: "load_balance", label: "Load balance" },
  { key: "approx_kl", label: "Approx. KL" },
  { key: "clipfrac", label: "Clip fraction" },
  { key: "explained_variance", label: "Explained var." },
  { key: "td_error", label: "TD error (points)" },
];

export function lossRows(
  m: Metrics | null | undefined,
): { key: string; label: string; value: string }[] {
  const losses = m?.losses ?? {};
  return LOSS_ORDER.filter((l) => l.key in losses).map((l) => ({
    ...l,
    value: formatStat(losses[l.key]),
  }));
}
