// The kernel side of the page: synced traits and request/reply commands over custom
// messages ({"kind": "command", "id", "name", "args"} -> {"kind": "reply", "id", "ok", ...}).

/** The part of anywidget's model the page uses. */
export interface WidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: (...args: unknown[]) => void): void;
  off(event: string, cb?: (...args: unknown[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export interface ReplyError {
  code: string;
  message: string;
}

export interface Reply {
  kind: "reply";
  id: string;
  ok: boolean;
  result?: unknown;
  error?: ReplyError;
}

/**
 * Messages the kernel pushes unasked: a file to save ("download"), a long job's progress
 * ("progress": {id, done, total}) and an evaluation's end ("evaluation": {id, result} or
 * {id, error}); `id` is the request id of the command that started the job.
 */
export type PushKind = "download" | "progress" | "evaluation" | "sweep";

export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: CommandError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class KernelBridge {
  private pending = new Map<string, Pending>();
  private counter = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 8);
  private cleanups: (() => void)[] = [];

  constructor(readonly model: WidgetModel) {
    const onMsg = (msg: unknown) => this.onMessage(msg);
    model.on("msg:custom", onMsg);
    this.cleanups.push(() => model.off("msg:custom", onMsg));
  }

  /** Send a command; resolves with its result, rejects with a CommandError. */
  command<T = unknown>(
    name: string,
    args: Record<string, unknown> = {},
    timeoutMs = 30000,
  ): Promise<T> {
    return this.request<T>(name, args, timeoutMs).reply;
  }

  /**
   * A command whose request id the caller needs before the reply comes: a long job (an
   * evaluation) pushes its progress as messages carrying that id, and the first may
   * overtake the reply.
   */
  request<T = unknown>(
    name: string,
    args: Record<string, unknown> = {},
    timeoutMs = 30000,
  ): { id: string; reply: Promise<T> } {
    const id = `${this.prefix}-${++this.counter}`;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError("TIMEOUT", `The kernel did not answer "${name}" in time.`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.model.send({ kind: "command", id, name, args });
    });
    return { id, reply };
  }

  /** Fire and forget (heartbeats, reports): errors are ignored. */
  notify(name: string, args: Record<string, unknown> = {}): void {
    this.command(name, args, 10000).catch(() => undefined);
  }

  /** Custom messages of one `kind` from the kernel (with their binary buffers). */
  listen(kind: PushKind, cb: (msg: Record<string, unknown>, buffers: unknown[]) => void): void {
    const handler = (msg: unknown, buffers?: unknown) => {
      if (msg && typeof msg === "object" && (msg as { kind?: unknown }).kind === kind) {
        cb(msg as Record<string, unknown>, Array.isArray(buffers) ? buffers : []);
      }
    };
    this.model.on("msg:custom", handler as (...args: unknown[]) => void);
    this.cleanups.push(() => this.model.off("msg:custom", handler as (...args: unknown[]) => void));
  }

  trait<T>(name: string): T {
    return this.model.get(name) as T;
  }

  watch<T>(name: string, cb: (value: T) => void): void {
    const handler = () => cb(this.model.get(name) as T);
    this.model.on(`change:${name}`, handler);
    this.cleanups.push(() => this.model.off(`change:${name}`, handler));
  }

  /** Set several traits in one message. */
  save(values: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(values)) this.model.set(k, v);
    this.model.save_changes();
  }

  dispose(): void {
    for (const fn of this.cleanups) fn();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private onMessage(msg: unknown): void {
    if (!msg || typeof msg !== "object") return;
    const m = msg as Partial<Reply>;
    if (m.kind !== "reply" || typeof m.id !== "string") return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new CommandError(m.error?.code ?? "ERROR", m.error?.message ?? "Failed."));
  }
}
