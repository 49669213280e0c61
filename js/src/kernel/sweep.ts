// The page's view of a sweep the kernel runs (widget_commands/sweep.py, sweeps/job.py): the
// job it started or found running, followed through the pushed `sweep` messages that carry
// the start's request id (the first may overtake the reply), as evaluation.ts does for an
// evaluation.
import type { PropValue } from "../types";

export type SweepState = "running" | "finished" | "stopped" | "failed";

/** One trial as the kernel pushes it (sweeps/job.py). */
export interface SweepTrial {
  trial: number;
  values: Record<string, PropValue>;
  /** pending | running | finished | stopped | failed | invalid | not started */
  status: string;
  moves: number;
  mean_score: number | null;
  run_id: string | null;
}

export interface SweepJobState {
  job: string;
  sweep_id: string | null;
  name: string | null;
  state: SweepState;
  error: string | null;
  seconds_per_trial: number;
  labels: string[];
  trials: SweepTrial[];
}

export function isSweepJobState(v: unknown): v is SweepJobState {
  if (!v || typeof v !== "object") return false;
  const s = v as Partial<SweepJobState>;
  return typeof s.job === "string" && typeof s.state === "string" && Array.isArray(s.trials);
}

/** The page's view of the kernel's sweep: the job it started (or found running), followed
 * through the `sweep` messages that carry the start's request id. */
export class SweepTracker {
  private state: SweepJobState | null = null;
  private followed: string | null = null;
  private listeners = new Set<() => void>();
  /** Why the last start was refused (one line), or null. */
  error: string | null = null;

  getState = (): SweepJobState | null => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** Asked the kernel to start `job` (its first messages may come before the reply). */
  follow(job: string): void {
    this.followed = job;
    this.error = null;
    this.emit();
  }

  /** Between the tap on Start and the kernel's first word. */
  get starting(): boolean {
    return this.followed !== null && this.state?.job !== this.followed && !this.error;
  }

  /** The kernel's state of a job (`sweep_status`, a start's reply): taken unless a newer
   * word on the same job came first. */
  take(s: unknown): void {
    if (!isSweepJobState(s) || this.state?.job === s.job) return;
    if (this.followed !== null && this.followed !== s.job && this.state?.state === "running")
      return;
    this.followed = s.job;
    this.state = { ...s };
    this.emit();
  }

  /** A pushed `sweep` message of the followed job. */
  onMessage(msg: Record<string, unknown>): void {
    if (msg.kind !== "sweep" || msg.id !== this.followed) return;
    const next = { ...msg, job: msg.id };
    if (!isSweepJobState(next)) return;
    this.state = next;
    this.emit();
  }

  refused(job: string, message: string): void {
    if (this.followed !== job) return;
    this.followed = this.state?.job ?? null;
    this.error = message;
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
