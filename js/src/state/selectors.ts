// Derived views of the state (pure functions, memoised by the caller).
import type { Issue, ValidationResult } from "../types";
import type { StudioState } from "./store";

export type BlockState = "ok" | "warning" | "error";

export interface ShownValidation {
  result: ValidationResult | null;
  /** "kernel": the answer of record for this edit; "worker": instant; "stale": older. */
  source: "kernel" | "worker" | "stale" | "none";
}

export function shownValidation(s: StudioState): ShownValidation {
  if (s.kernel && s.kernel.seq === s.seq) return { result: s.kernel, source: "kernel" };
  if (s.worker !== "failed" && s.local && s.local.seq === s.seq)
    return { result: s.local, source: "worker" };
  if (s.kernel) return { result: s.kernel, source: "stale" };
  if (s.local) return { result: s.local, source: "stale" };
  return { result: null, source: "none" };
}

export interface SyncView {
  /** "connecting" while the page waits for the kernel's widget, else the validation's source. */
  sync: ShownValidation["source"] | "connecting";
  /** The dot's classes: `ms-sync-<sync>`, and while connecting `ms-sync-worker` too once
   * the worker has checked the design on screen (the page is validated, locally). */
  className: string;
}

export function syncView(s: StudioState): SyncView {
  const { source } = shownValidation(s);
  if (s.connected) return { sync: source, className: `ms-sync ms-sync-${source}` };
  const local = s.worker !== "failed" && s.local !== null && s.local.seq === s.seq;
  return {
    sync: "connecting",
    className: `ms-sync ms-sync-connecting${local ? " ms-sync-worker" : ""}`,
  };
}

export interface BlockIssues {
  state: BlockState;
  issues: Issue[];
}

/** Issues per block id (by component_id, else the edge's target). */
export function issuesByBlock(result: ValidationResult | null): Map<string, BlockIssues> {
  const out = new Map<string, BlockIssues>();
  if (!result) return out;
  for (const issue of result.errors) {
    const id = issue.component_id ?? issue.edge?.[1];
    if (!id) continue;
    const entry = out.get(id) ?? { state: "ok" as BlockState, issues: [] };
    entry.issues.push(issue);
    if (issue.severity === "error") entry.state = "error";
    else if (entry.state === "ok") entry.state = "warning";
    out.set(id, entry);
  }
  return out;
}

export interface IssueGroup {
  severity: "error" | "warning";
  code: string;
  issues: Issue[];
}

/** Issues grouped by severity (errors first), then by code. */
export function groupIssues(result: ValidationResult | null): IssueGroup[] {
  if (!result) return [];
  const groups = new Map<string, IssueGroup>();
  for (const issue of result.errors) {
    const key = `${issue.severity}:${issue.code}`;
    const g = groups.get(key) ?? { severity: issue.severity, code: issue.code, issues: [] };
    g.issues.push(issue);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) =>
    a.severity === b.severity ? a.code.localeCompare(b.code) : a.severity === "error" ? -1 : 1,
  );
}
