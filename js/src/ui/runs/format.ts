// The runs sheet's logic without a DOM: what the kernel's run summaries say, formatted for
// a phone row, which rows a scrolled list shows, and the compare selection.

export type RunStatus = "training" | "finished" | "stopped" | "interrupted" | "failed";

/** One run as `list_runs` / `get_run` send it (training/runs.py RunSummary.to_dict). */
export interface RunSummary {
  id: string;
  design_id: string | null;
  design_name: string;
  revision: number | null;
  status: RunStatus;
  started_at: number;
  duration_s: number;
  moves: number;
  mean_score: number | null;
  best_score: number | null;
  tile_rates: Record<string, number>;
  sparkline: [number, number][];
  settings: Record<string, unknown>;
  sweep: Record<string, unknown> | null;
  evaluation: Record<string, unknown> | null;
  error: string | null;
  resumable: boolean;
}

/** `get_run`'s reply: the summary, the full curve [[moves, score, seconds]] and the latest row. */
export interface RunDetail {
  run: RunSummary;
  curve: [number, number, number][];
  metrics: Record<string, unknown> | null;
}

/** The compare sheet takes 2 to 6 runs. */
export const COMPARE_MIN = 2;
export const COMPARE_MAX = 6;
/** The tiles whose rates a row shows (the summary's keys). */
export const ROW_TILES = ["512", "1024", "2048"] as const;

export const STATUS_LABEL: Record<RunStatus, string> = {
  training: "Training",
  finished: "Finished",
  stopped: "Stopped",
  interrupted: "Interrupted",
  failed: "Failed",
};

export function statusLabel(status: string): string {
  return STATUS_LABEL[status as RunStatus] ?? status;
}

/** "45 s", "12 min", "1 h 05 min". */
export function formatDuration(seconds: unknown): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** A start time relative to now: "14:05" today, "Mon 14:05" this week, else "3 Nov 14:05". */
export function formatStarted(unixS: number, now: Date = new Date()): string {
  if (!Number.isFinite(unixS)) return "–";
  const d = new Date(unixS * 1000);
  const time = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const day = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(now) - day(d)) / 86_400_000);
  if (days === 0) return time;
  if (days > 0 && days < 7) return `${d.toLocaleDateString("en-GB", { weekday: "short" })} ${time}`;
  return `${d.getDate()} ${d.toLocaleDateString("en-GB", { month: "short" })} ${time}`;
}

/** A rate as a whole percent ("12%"), "<1%" when above zero but small, "–" when unknown. */
export function formatRate(p: unknown): string {
  if (typeof p !== "number" || !Number.isFinite(p)) return "–";
  if (p > 0 && p < 0.005) return "<1%";
  return `${Math.round(p * 100)}%`;
}

/** Compare selection: tap to tick (in order, at most COMPARE_MAX), tap again to untick. */
export function toggleSelected(selected: string[], id: string): string[] {
  if (selected.includes(id)) return selected.filter((x) => x !== id);
  return selected.length >= COMPARE_MAX ? selected : [...selected, id];
}

export function canCompare(selected: string[]): boolean {
  return selected.length >= COMPARE_MIN && selected.length <= COMPARE_MAX;
}

/**
 * The ticked runs to keep once one design's runs are listed: a tick of that design's run
 * that is no longer listed drops out (deleted elsewhere); ticks of other designs' runs stay,
 * so runs of several designs can be compared. `designOf`: the design each ticked run is of.
 */
export function keepListed(
  selected: string[],
  list: { designId: string | null; runs: { id: string }[] },
  designOf: (runId: string) => string | null | undefined,
): string[] {
  const ids = new Set(list.runs.map((r) => r.id));
  const kept = selected.filter((id) => ids.has(id) || designOf(id) !== list.designId);
  return kept.length === selected.length ? selected : kept;
}

/** "3 ticked (1 in another design)": how many runs are ticked, and how many not listed. */
export function tickedText(selected: string[], runs: { id: string }[] | null): string {
  const ids = new Set((runs ?? []).map((r) => r.id));
  const elsewhere = runs ? selected.filter((id) => !ids.has(id)).length : 0;
  const where = elsewhere === 1 ? "in another design" : "in other designs";
  return `${selected.length} ticked${elsewhere ? ` (${elsewhere} ${where})` : ""}`;
}

/** Whether a list of runs has one still training (the sheet refreshes while one does). */
export function anyTraining(runs: RunSummary[]): boolean {
  return runs.some((r) => r.status === "training");
}
