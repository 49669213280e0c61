// Wires the page together: the store (document + view state), the kernel (traits and
// commands) and the validation worker. Edits are validated in the worker at once and sent
// to the kernel debounced; the kernel's validation is the one of record.

import { StudioStore } from "../state/store";
import type { ActionName, CompileResult } from "../training/actions";
import { downloadBlob, isDownloadMessage, saveBlob } from "../training/download";
import type { Metrics } from "../training/metrics";
import type {
  Catalog,
  Design,
  DesignMeta,
  DocState,
  StatusState,
  ValidationResult,
} from "../types";
import { ValidationClient } from "../validation/client";
import { codes } from "../validation/validate";
import { type CommandError, KernelBridge, type WidgetModel } from "./bridge";
import type { Handover } from "./deferred";
import { EvaluationTracker } from "./evaluation";
import { SweepTracker } from "./sweep";

export const SYNC_DEBOUNCE_MS = 200;
const HEARTBEAT_MS = 10000;
const ACTION_TIMEOUT_MS = 120000;
/** An export rebuilds the model, writes the file and checks it: a large ONNX takes minutes. */
export const EXPORT_TIMEOUT_MS = 300000;

/** Heartbeats come three times per watchdog period (the kernel says it), at most every 10 s. */
export function heartbeatInterval(watchdogS: unknown): number {
  if (typeof watchdogS !== "number" || !Number.isFinite(watchdogS) || watchdogS <= 0)
    return HEARTBEAT_MS;
  return Math.max(1000, Math.min(HEARTBEAT_MS, Math.floor((watchdogS * 1000) / 3)));
}

export interface Signature {
  valid: boolean;
  codes: string[];
  params: number;
  estimatedMemory: number;
}

export function signature(r: ValidationResult): Signature {
  return { valid: r.valid, codes: codes(r), params: r.params, estimatedMemory: r.estimatedMemory };
}

export function sameSignature(a: Signature, b: Signature): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class StudioController {
  readonly store = new StudioStore();
  readonly bridge: KernelBridge;
  /** The evaluation job of this page (evaluate sheet), followed through pushed messages. */
  readonly evaluation = new EvaluationTracker();
  /** The sweep this page started or found running (sweep sheet), followed likewise. */
  readonly sweep = new SweepTracker();
  private validator: ValidationClient | null = null;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private unsubscribe: (() => void) | null = null;
  /** The seq of the last design that came from the kernel (needs no sync back). */
  private kernelSeq = -1;
  private localBySeq = new Map<number, ValidationResult>();
  private reported = new Set<string>();
  private lastSeq = -1;
  private offVisible: (() => void) | null = null;
  private errorCounter = 0;

  /** `connected` false: `model` is a page's stand-in until handOver (kernel/deferred.ts). */
  constructor(
    model: WidgetModel,
    private workerSource: string,
    connected = true,
  ) {
    this.bridge = new KernelBridge(model);
    if (!connected) this.store.set({ connected: false });
  }

  start(): void {
    const b = this.bridge;
    const catalog = b.trait<Catalog>("catalog");
    this.store.set({
      catalog,
      doc: b.trait<DocState>("doc"),
      designs: b.trait<DesignMeta[]>("designs") ?? [],
      status: b.trait<StatusState>("status"),
      kernel: b.trait<ValidationResult>("validation") ?? null,
      metrics: b.trait<Metrics>("metrics") ?? null,
      compileResult: b.trait<CompileResult>("compile_result") ?? null,
    });
    // The design first: the worker's first answer is then about the design on screen
    // (before, it validated the empty placeholder and stayed "starting" until an edit).
    this.loadFromKernel();
    this.startWorker(catalog);

    b.watch<Catalog>("catalog", (c) => {
      this.store.set({ catalog: c });
      this.validator?.dispose();
      this.startWorker(c);
    });
    b.watch<DocState>("doc", (doc) => {
      const before = this.store.getState().doc;
      this.store.set({ doc });
      if (doc.load_seq !== before.load_seq) this.loadFromKernel();
      if (doc.conflict && !before.conflict) this.store.openSheet("conflict");
      if (!doc.conflict && this.store.getState().sheet === "conflict") this.store.openSheet(null);
    });
    b.watch<DesignMeta[]>("designs", (designs) => this.store.set({ designs }));
    b.watch<StatusState>("status", (status) => this.store.set({ status }));
    b.watch<ValidationResult>("validation", (v) => this.onKernelValidation(v));
    b.watch<Metrics>("metrics", (metrics) => this.store.set({ metrics }));
    b.watch<CompileResult>("compile_result", (compileResult) => this.store.set({ compileResult }));
    b.listen("download", (msg, buffers) => this.onDownload(msg, buffers));
    b.listen("progress", (msg) => this.evaluation.onMessage(msg));
    b.listen("evaluation", (msg) => this.evaluation.onMessage(msg));
    b.listen("sweep", (msg) => this.sweep.onMessage(msg));
    // A page that (re)opens, or comes back from the background (a phone suspends the
    // websocket), asks for the complete state: snapshots, never deltas.
    b.notify("resync");
    if (typeof document !== "undefined") {
      const onVisible = () => {
        if (document.visibilityState !== "visible") return;
        b.notify("resync");
        b.notify("heartbeat");
      };
      document.addEventListener("visibilitychange", onVisible);
      window.addEventListener("online", onVisible);
      this.offVisible = () => {
        document.removeEventListener("visibilitychange", onVisible);
        window.removeEventListener("online", onVisible);
      };
    }

    this.unsubscribe = this.store.subscribe(() => this.onStoreChange());
    this.beat();
  }

  dispose(): void {
    this.flush();
    this.unsubscribe?.();
    this.offVisible?.();
    this.disposed = true;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.validator?.dispose();
    this.bridge.dispose();
  }

  /** A heartbeat now, the next one paced by the kernel's watchdog. */
  private beat(): void {
    this.heartbeat = null;
    this.bridge
      .command<{ watchdog_s?: number }>("heartbeat", {}, 10000)
      .then(
        (r) => r?.watchdog_s,
        () => undefined,
      )
      .then((watchdog) => {
        if (this.disposed) return;
        this.heartbeat = setTimeout(() => this.beat(), heartbeatInterval(watchdog));
      });
  }

  /**
   * The kernel's widget took over from the page's snapshot (a page booted from its HTML;
   * see kernel/deferred.ts). The kernel's design wins; one edited here meanwhile is held
   * for the user to choose.
   */
  handOver(handover: Handover): void {
    this.store.set({ connected: true });
    if (!handover.kernelDesignChanged) return;
    this.loadFromKernel();
    if (handover.heldDesign === undefined) return;
    this.store.set({ heldDesign: handover.heldDesign as Design });
    this.dropHeldOfOtherDesign();
    if (this.store.getState().heldDesign) this.store.openSheet("boot-conflict");
  }

  /** The boot conflict's answer: the held design as a new edit ("mine"), or dropped. */
  resolveHeld(choice: "mine" | "kernel"): void {
    const held = this.store.getState().heldDesign;
    this.dropHeld();
    if (held && choice === "mine") this.store.edit(() => held);
  }

  /** No held edits, and no sheet asking about them. */
  private dropHeld(): void {
    this.store.set({ heldDesign: null });
    if (this.store.getState().sheet === "boot-conflict") this.store.openSheet(null);
  }

  /** Send a pending edit now (before a command that must see it). */
  flush(): void {
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
      this.sync();
    }
  }

  /** A kernel command; its failure, or no answer within `timeoutMs` (by default the
   * bridge's), is toasted. */
  async command<T = unknown>(
    name: string,
    args: Record<string, unknown> = {},
    timeoutMs?: number,
  ): Promise<T | undefined> {
    this.flush();
    try {
      return await this.bridge.command<T>(name, args, timeoutMs);
    } catch (e) {
      const err = e as CommandError;
      this.store.toast(err.message || `${name} failed`, "error");
      return undefined;
    }
  }

  /**
   * A toolbar action (compile, train, stop, export): one at a time, its failure shown in
   * the status line (not a toast: the user needs to read it) until dismissed.
   */
  async action<T = unknown>(
    name: ActionName,
    args: Record<string, unknown> = {},
  ): Promise<T | undefined> {
    if (this.store.getState().pending) return undefined;
    this.flush();
    this.store.set({ pending: name, actionError: null });
    try {
      return await this.bridge.command<T>(
        name,
        args,
        name === "export" ? EXPORT_TIMEOUT_MS : ACTION_TIMEOUT_MS,
      );
    } catch (e) {
      const err = e as CommandError;
      const key = `action-${++this.errorCounter}`;
      this.store.set({
        actionError: { code: err.code ?? "ERROR", message: err.message || `${name} failed`, key },
      });
      return undefined;
    } finally {
      this.store.set({ pending: null });
    }
  }

  /** Evaluate a run's checkpoint over `games` games; progress and result land in `evaluation`. */
  async evaluate(runId: string, games: number): Promise<void> {
    if (this.evaluation.getState().job) return;
    const { id, reply } = this.bridge.request("evaluate_run", { run_id: runId, games });
    this.evaluation.begin(id, runId, games);
    try {
      await reply;
    } catch (e) {
      this.evaluation.refused(id, (e as CommandError).message || "The evaluation could not start.");
    }
  }

  /** Cancel the running evaluation (it ends with "cancelled", nothing stored). */
  cancelEvaluation(): void {
    if (!this.evaluation.getState().job) return;
    this.evaluation.cancelling();
    this.bridge.notify("cancel_evaluation");
  }

  private onDownload(msg: Record<string, unknown>, buffers: unknown[]): void {
    if (!isDownloadMessage(msg)) return;
    const blob = downloadBlob(msg, buffers);
    if (typeof blob === "string") {
      this.store.toast(blob, "error");
      return;
    }
    if (typeof document !== "undefined") saveBlob(blob, msg.filename);
    this.store.toast(`Downloaded ${msg.filename}`);
  }

  private startWorker(catalog: Catalog | null): void {
    if (!catalog) return;
    this.store.set({ worker: "starting" });
    this.validator = new ValidationClient({
      source: this.workerSource,
      catalog,
      onResult: (seq, result) => {
        this.localBySeq.set(seq, result);
        if (this.localBySeq.size > 32)
          this.localBySeq.delete(this.localBySeq.keys().next().value as number);
        if (seq === this.store.getState().seq)
          this.store.set({ local: { ...result, seq }, worker: "ok" });
        this.compare(seq);
      },
      onFail: (reason) => {
        console.warn("Model Studio: instant validation is off:", reason);
        this.store.set({ worker: "failed", local: null });
      },
    });
    this.validator.validate(this.store.getState().seq, this.store.design);
  }

  private loadFromKernel(): void {
    const design = this.bridge.trait<Design>("design");
    const seq = this.bridge.trait<number>("design_seq") ?? 0;
    this.kernelSeq = seq;
    // An edit still waiting to be sent belonged to the document being replaced.
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.store.load(design, seq);
    this.dropHeldOfOtherDesign();
  }

  /** Edits held for the boot conflict apply to their own design only: when the page holds
   * another one (the kernel opened it), they go, and the page says so. */
  private dropHeldOfOtherDesign(): void {
    const held = this.store.getState().heldDesign;
    if (!held || held.id === this.store.design.id) return;
    this.dropHeld();
    this.store.toast(
      `The edits made while connecting were to “${held.name}”, which is no longer open: not saved.`,
      "error",
    );
  }

  private onStoreChange(): void {
    const { seq } = this.store.getState();
    if (seq === this.lastSeq) return;
    this.lastSeq = seq;
    this.validator?.validate(seq, this.store.design);
    if (seq === this.kernelSeq) return;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.sync();
    }, SYNC_DEBOUNCE_MS);
  }

  private sync(): void {
    const { seq } = this.store.getState();
    this.bridge.save({ design: this.store.design, design_seq: seq });
  }

  private onKernelValidation(v: ValidationResult): void {
    this.store.set({ kernel: v });
    if (typeof v?.seq === "number") this.compare(v.seq);
  }

  /** The kernel's answer wins; a disagreement with the worker is reported as a bug. */
  private compare(seq: number): void {
    const kernel = this.store.getState().kernel;
    const local = this.localBySeq.get(seq);
    if (!kernel || kernel.seq !== seq || !local) return;
    const k = signature(kernel);
    const l = signature(local);
    if (sameSignature(k, l)) return;
    const key = JSON.stringify([k, l]);
    if (this.reported.has(key) || this.reported.size > 20) return;
    this.reported.add(key);
    console.warn("Model Studio: the worker and the kernel disagree", { seq, kernel: k, local: l });
    this.bridge.notify("report_disagreement", { seq, kernel: k, local: l });
  }
}
