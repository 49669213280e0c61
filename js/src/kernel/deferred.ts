// A stand-in for anywidget's model while the kernel's widget is still on its way: the
// studio boots from the trait values the page's HTML carries (a snapshot), and is fully
// editable; what it sends waits in order. When the kernel's model connects, everything
// moves over to it and the stand-in becomes a transparent proxy. The kernel stays the
// source of truth: traits that changed meanwhile fire `change:` events, and a design the
// kernel changed meanwhile is never overwritten by one edited here (the page asks).

import type { WidgetModel } from "./bridge";

type Listener = (...args: unknown[]) => void;

type Queued =
  | { kind: "set"; name: string; value: unknown }
  | { kind: "save" }
  | { kind: "send"; content: unknown; callbacks?: unknown; buffers?: ArrayBuffer[] };

/** The traits that carry the edited design (the controller sets them together). */
const DESIGN_TRAITS = new Set(["design", "design_seq"]);

/** What the hand-over found, for the page to act on. */
export interface Handover {
  /** The kernel's design (or its seq) is not the snapshot's. */
  kernelDesignChanged: boolean;
  /**
   * The design edited here while connecting, held back (not sent) because the kernel's
   * changed meanwhile and the two differ; undefined when nothing was held.
   */
  heldDesign: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class DeferredModel implements WidgetModel {
  private readonly snapshot: Readonly<Record<string, unknown>>;
  /** The snapshot with the page's own `set`s over it: what `get` answers until connected. */
  private readonly values: Map<string, unknown>;
  /** Names `get` was asked for: the page saw their (maybe missing) values. */
  private readonly read = new Set<string>();
  private queue: Queued[] = [];
  private listeners: [string, Listener][] = [];
  private real: WidgetModel | null = null;

  constructor(traits: Record<string, unknown>) {
    this.snapshot = { ...traits };
    this.values = new Map(Object.entries(traits));
  }

  get connected(): boolean {
    return this.real !== null;
  }

  get(name: string): unknown {
    if (this.real) return this.real.get(name);
    this.read.add(name);
    return this.values.get(name);
  }

  set(name: string, value: unknown): void {
    if (this.real) {
      this.real.set(name, value);
      return;
    }
    this.values.set(name, value);
    this.queue.push({ kind: "set", name, value });
  }

  save_changes(): void {
    if (this.real) this.real.save_changes();
    else this.queue.push({ kind: "save" });
  }

  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void {
    if (this.real) this.real.send(content, callbacks, buffers);
    else this.queue.push({ kind: "send", content, callbacks, buffers });
  }

  on(event: string, cb: Listener): void {
    if (this.real) this.real.on(event, cb);
    else this.listeners.push([event, cb]);
  }

  off(event: string, cb?: Listener): void {
    if (this.real) this.real.off(event, cb);
    else this.listeners = this.listeners.filter(([e, f]) => e !== event || (cb && f !== cb));
  }

  /**
   * Hand over to the kernel's model: listeners move to it, the queue replays in order
   * (but a held design), then `change:<name>` fires for every trait the page saw whose
   * value there differs from what the page saw. Once only.
   */
  connect(real: WidgetModel): Handover {
    if (this.real) throw new Error("DeferredModel: already connected");
    const kernelDesignChanged = [...DESIGN_TRAITS].some(
      (name) => !same(real.get(name), this.snapshot[name]),
    );
    const edited = this.queue.some((q) => q.kind === "set" && q.name === "design");
    // The kernel's design wins the race: the page's edits of the old one are not sent.
    const hold = kernelDesignChanged && edited;
    const mine = this.values.get("design");
    // They are offered back unless nothing would be lost: an edit that ends where the
    // kernel is, or back where the snapshot was.
    const offer = hold && !same(mine, real.get("design")) && !same(mine, this.snapshot.design);
    const seen = new Map<string, unknown>();
    for (const name of [...Object.keys(this.snapshot), ...this.values.keys(), ...this.read])
      seen.set(name, this.values.get(name));

    const listeners = this.listeners;
    const queue = this.queue;
    this.real = real;
    this.listeners = [];
    this.queue = [];
    for (const [event, cb] of listeners) real.on(event, cb);
    // A save whose every set was held back has nothing to send.
    let sets = 0;
    let held = 0;
    for (const q of queue) {
      if (q.kind === "set") {
        sets++;
        if (hold && DESIGN_TRAITS.has(q.name)) held++;
        else real.set(q.name, q.value);
      } else if (q.kind === "save") {
        if (sets === 0 || held < sets) real.save_changes();
        sets = held = 0;
      } else real.send(q.content, q.callbacks, q.buffers);
    }
    for (const [name, value] of seen) {
      const now = real.get(name);
      if (same(now, value)) continue;
      for (const [event, cb] of listeners) if (event === `change:${name}`) cb(real, now);
    }
    return { kernelDesignChanged, heldDesign: offer ? mine : undefined };
  }
}
