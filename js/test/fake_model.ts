// A fake anywidget model for node tests: traits, saves, sent messages and listeners, and
// every call in order (`calls`), so a test can check what reached "the kernel" and when.
import type { WidgetModel } from "../src/kernel/bridge";
import type { ValidationResult } from "../src/types";

/** A valid design's validation result (as the kernel or the worker gives it). */
export const ok = (params: number, seq: number): ValidationResult => ({
  valid: true,
  paramCount: params / 1e6,
  params,
  estimatedMemory: 1,
  errors: [],
  seq,
});

export class FakeModel implements WidgetModel {
  values: Record<string, unknown>;
  saves: Record<string, unknown>[] = [];
  sent: unknown[] = [];
  calls: string[] = [];
  handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  private dirty: Record<string, unknown> = {};
  constructor(values: Record<string, unknown>) {
    this.values = values;
  }
  get(name: string) {
    return this.values[name];
  }
  set(name: string, value: unknown) {
    this.calls.push(`set ${name}`);
    this.values[name] = value;
    this.dirty[name] = value;
  }
  save_changes() {
    this.calls.push("save");
    this.saves.push(this.dirty);
    this.dirty = {};
  }
  on(event: string, cb: (...a: unknown[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(cb);
  }
  off(event: string, cb?: (...a: unknown[]) => void) {
    if (cb) this.handlers.get(event)?.delete(cb);
    else this.handlers.delete(event);
  }
  send(content: unknown) {
    this.calls.push(`send ${JSON.stringify((content as { name?: unknown })?.name ?? content)}`);
    this.sent.push(content);
  }
  emit(event: string, ...args: unknown[]) {
    for (const cb of this.handlers.get(event) ?? []) cb(...args);
  }
  kernelSet(name: string, value: unknown) {
    this.values[name] = value;
    this.emit(`change:${name}`);
  }
}
