// Runs validation in a web worker started from the bundled source (a Blob URL: no extra
// request). Requests coalesce: while one is in flight only the newest waits. If the worker
// cannot start, throws, or does not answer in time, the client reports failure once and
// the page falls back to the kernel's validation.
import type { Catalog, Design, ValidationResult } from "../types";

export interface ValidationClientOptions {
  source: string;
  catalog: Catalog;
  onResult: (seq: number, result: ValidationResult) => void;
  onFail: (reason: string) => void;
  timeoutMs?: number;
  /** For tests: how to make a worker from a URL. */
  makeWorker?: (url: string) => Worker;
}

export class ValidationClient {
  private worker: Worker | null = null;
  private url: string | null = null;
  private inFlight: number | null = null;
  private queued: { seq: number; design: Design } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  failed = false;

  constructor(private opts: ValidationClientOptions) {
    try {
      this.url = URL.createObjectURL(new Blob([opts.source], { type: "text/javascript" }));
      this.worker = (opts.makeWorker ?? ((u) => new Worker(u)))(this.url);
      this.worker.onmessage = (e) => this.onMessage(e.data);
      this.worker.onerror = (e) => this.fail(`worker error: ${e.message ?? "unknown"}`);
      this.worker.postMessage({ type: "catalog", catalog: opts.catalog });
    } catch (err) {
      this.fail(`worker did not start: ${String(err)}`);
    }
  }

  validate(seq: number, design: Design): void {
    if (this.failed || !this.worker) return;
    if (this.inFlight !== null) {
      this.queued = { seq, design };
      return;
    }
    this.send(seq, design);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.worker?.terminate();
    if (this.url) URL.revokeObjectURL(this.url);
    this.worker = null;
  }

  private send(seq: number, design: Design): void {
    this.inFlight = seq;
    this.timer = setTimeout(
      () => this.fail("worker did not answer in time"),
      this.opts.timeoutMs ?? 3000,
    );
    this.worker?.postMessage({ type: "validate", seq, design });
  }

  private onMessage(data: { seq: number; result?: ValidationResult; error?: string }): void {
    if (this.failed || data.seq !== this.inFlight) return;
    if (this.timer) clearTimeout(this.timer);
    this.inFlight = null;
    if (data.error || !data.result) {
      this.fail(`validator error: ${data.error ?? "no result"}`);
      return;
    }
    this.opts.onResult(data.seq, data.result);
    const next = this.queued;
    this.queued = null;
    if (next) this.send(next.seq, next.design);
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.dispose();
    this.opts.onFail(reason);
  }
}
