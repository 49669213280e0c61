// The page's view of the kernel's evaluation job: at most one at a time (the kernel
// enforces it), followed through the messages it pushes with the id of the request that
// started it. Plain TypeScript with its own tiny subscription, so a sheet that closes and
// reopens mid-evaluation finds the job where it is.

/** A stored evaluation, as the kernel sends it (`EvaluationRecord.to_dict()`). */
export interface EvaluationResult {
  id: number;
  run_id: string;
  step: number | null;
  games: number;
  seed: number;
  mean_score: number;
  se: number;
  best_score: number;
  /** {"128": share of games that reached it, ...} */
  max_tile_rates: Record<string, number>;
  created_at: number;
}

export interface EvaluationState {
  /** The request id of the job in progress, or null. */
  job: string | null;
  runId: string | null;
  games: number;
  done: number;
  /** The checkpoint is loaded and the games are in play (the first progress came). */
  playing: boolean;
  cancelling: boolean;
  /** The last evaluation this page finished (with its run id inside). */
  result: EvaluationResult | null;
  /** Why the last job ended without a result, in one line (cancelled, no checkpoint...). */
  error: string | null;
  /** The run the error is about. */
  errorRun: string | null;
}

const idle: EvaluationState = {
  job: null,
  runId: null,
  games: 0,
  done: 0,
  playing: false,
  cancelling: false,
  result: null,
  error: null,
  errorRun: null,
};

function num(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

export function isEvaluationResult(v: unknown): v is EvaluationResult {
  if (!v || typeof v !== "object") return false;
  const r = v as Partial<EvaluationResult>;
  return (
    typeof r.run_id === "string" &&
    num(r.games) &&
    num(r.mean_score) &&
    num(r.se) &&
    num(r.best_score) &&
    !!r.max_tile_rates &&
    typeof r.max_tile_rates === "object"
  );
}

export class EvaluationTracker {
  private state: EvaluationState = idle;
  private listeners = new Set<() => void>();

  getState = (): EvaluationState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** A job was asked for (its messages may come before the reply). */
  begin(job: string, runId: string, games: number): void {
    this.set({
      job,
      runId,
      games,
      done: 0,
      playing: false,
      cancelling: false,
      error: null,
      errorRun: null,
    });
  }

  cancelling(): void {
    if (this.state.job) this.set({ cancelling: true });
  }

  /** The kernel refused to start the job (busy, bad run): it never ran. */
  refused(job: string, message: string): void {
    if (this.state.job === job) this.end({ error: message });
  }

  /** A pushed `progress` or `evaluation` message. */
  onMessage(msg: Record<string, unknown>): void {
    const { job } = this.state;
    if (!job || msg.id !== job) return; // an older job's last words, or another page's
    if (msg.kind === "progress") {
      if (num(msg.done) && msg.done >= this.state.done) this.set({ done: msg.done, playing: true });
      return;
    }
    if (msg.kind !== "evaluation") return;
    if (isEvaluationResult(msg.result)) {
      this.end({ result: msg.result, done: msg.result.games });
      return;
    }
    const error = msg.error as { message?: unknown } | undefined;
    this.end({
      error: typeof error?.message === "string" ? error.message : "The evaluation failed.",
    });
  }

  private end(patch: Partial<EvaluationState>): void {
    const errorRun = patch.error ? this.state.runId : null;
    this.set({ job: null, cancelling: false, errorRun, ...patch });
  }

  private set(patch: Partial<EvaluationState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }
}

/** Progress as a fraction in [0, 1]. */
export function progressFraction(s: EvaluationState): number {
  return s.games > 0 ? Math.min(1, Math.max(0, s.done / s.games)) : 0;
}
