// How the history sheet words a revision's age and its row (pure: tested in node).
import { formatParams } from "../Header";
import type { RevisionRow } from "./revisions";

/** "just now", "5 min ago", "3 h ago", else the date and time. Times in unix seconds. */
export function ago(savedAt: number, now: number): string {
  const s = Math.max(0, now - savedAt);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const d = new Date(savedAt * 1000);
  return d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** "valid", "1 error", "3 errors". */
export function validity(row: Pick<RevisionRow, "valid" | "errors">): string {
  if (row.valid) return "valid";
  return row.errors === 1 ? "1 error" : `${row.errors} errors`;
}

export function runCount(n: number): string {
  return n === 0 ? "no runs" : n === 1 ? "1 run" : `${n} runs`;
}

/** The row's second line: age and size. */
export function rowDetail(row: RevisionRow, now: number): string {
  return `${ago(row.saved_at, now)} · ${formatParams(row.params)} params`;
}
